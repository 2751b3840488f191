"""Slots: publishing (one or a series), listing, withdrawing, the days that can be booked."""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import msgspec

from content.booking.base import (
    DAY,
    MAX_SERIES_DAYS,
    MAX_SERIES_SLOTS,
    MINUTE,
    WEEKDAYS,
    BookingError,
    _field_of,
)
from content.booking.practices import Practice, _service
from content.booking_bodies import (
    ServiceBody,
    SlotBody,
    SlotWithdrawBody,
)
from content.booking_ids import (
    new_slot_id,
    practice_of_slot,
)
from content.booking_views import counting_cancel
from content.identity import Identity
from content.local_time import LOCAL_TIME
from content.log import Log, append_in
from content.store import Store


@dataclass(frozen=True)
class Slot:
    id: str
    practice: str
    practice_name: str
    service: ServiceBody
    start: int
    end: int
    capacity: int
    confirmed: int
    place: str
    withdrawn: bool

    @property
    def free(self) -> int:
        return 0 if self.withdrawn else max(0, self.capacity - self.confirmed)

    def bookable_at(self, now_ms: int) -> bool:
        """Within the service's minimum notice and booking horizon, and not withdrawn."""
        return not self.withdrawn and _timing_problem(self.service, self.start, now_ms) is None

    def local_start(self) -> datetime:
        return datetime.fromtimestamp(self.start / 1000, LOCAL_TIME)


def expand_series(
    practice: Practice,
    service_id: str,
    weekdays: Iterable[str],
    first_day: date,
    last_day: date,
    times: Iterable[str],
    capacity: int,
    place: str,
    duration_min: int | None = None,
) -> list[tuple[str, SlotBody]]:
    """The slots of a weekly series as (slot id, body), local times in Europe/Berlin. Pure;
    raises BookingError for any bad part, so that nothing of a bad series is stored."""
    service = practice.service(service_id)
    if duration_min is not None:
        if not 1 <= duration_min <= 8 * 60:
            raise BookingError("a slot lasts 1 to 480 minutes", "duration")
        service = msgspec.structs.replace(service, duration_min=duration_min)
    days = _weekdays(weekdays)
    starts = sorted({_clock(text) for text in times})
    if not starts:
        raise BookingError("give at least one time (HH:MM)", "times")
    if last_day < first_day:
        raise BookingError("the series ends before it begins", "until")
    if (last_day - first_day).days > MAX_SERIES_DAYS:
        raise BookingError(f"a series spans at most {MAX_SERIES_DAYS} days", "until")
    _check_spacing(service, starts)
    slots: list[tuple[str, SlotBody]] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in days:
            for start in starts:
                moment = datetime.combine(day, start, LOCAL_TIME)
                body = _slot_body(service, int(moment.timestamp() * 1000), capacity, place)
                slots.append((new_slot_id(practice.key), body))
        day += timedelta(days=1)
    if not slots:
        raise BookingError("the series has no slot (no chosen weekday in the date range)", "from")
    if len(slots) > MAX_SERIES_SLOTS:
        raise BookingError(f"a series has at most {MAX_SERIES_SLOTS} slots ({len(slots)})")
    return slots


def _slot_body(service: ServiceBody, start_ms: int, capacity: int, place: str) -> SlotBody:
    fields = {"service": service, "start": start_ms, "capacity": capacity, "place": place.strip()}
    try:
        return msgspec.convert(fields, SlotBody, from_attributes=True)
    except msgspec.ValidationError as exc:
        raise BookingError(f"slot: {exc}", _field_of(exc)) from None


def _check_spacing(service: ServiceBody, starts: list[clock_time]) -> None:
    """Times of one day must leave the service's buffers between slots."""
    gap = service.duration_min + service.buffer_after_min + service.buffer_before_min
    minutes = [t.hour * 60 + t.minute for t in starts]
    for earlier, later in itertools.pairwise(minutes):
        if later - earlier < gap:
            raise BookingError(
                f"{later // 60:02d}:{later % 60:02d} is too close to the slot before: "
                f"{service.id} needs {gap} minutes including buffers",
                "times",
            )


def _weekdays(names: Iterable[str]) -> set[int]:
    days = set()
    for name in names:
        key = name.strip().lower()[:2]
        if key not in WEEKDAYS:
            raise BookingError(f"unknown weekday {name!r} (mo, di, mi, do, fr, sa, so)", "weekdays")
        days.add(WEEKDAYS[key])
    if not days:
        raise BookingError("give at least one weekday", "weekdays")
    return days


def _clock(text: str) -> clock_time:
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise BookingError(f"not a time of day (HH:MM): {text!r}", "times")
    return clock_time(int(found.group(1)), int(found.group(2)))


def publish_slots(store: Store, author: Identity, slots: Sequence[tuple[str, SlotBody]]) -> int:
    """Append every slot of a series in one transaction: all of it is stored, or nothing."""
    network_id = store.network_id
    if network_id is None:
        raise BookingError("this node has not joined a network yet")
    with store.write() as conn:
        for slot_id, body in slots:
            append_in(conn, network_id, author, "slot.publish", slot_id, msgspec.json.encode(body))
    return len(slots)


def withdraw_slot(log: Log, author: Identity, slot_id: str, reason: str = "") -> str:
    """Withdraw a slot for good, signed by its practice (the only key that may: it cancels the
    slot's bookings, and the practice tells its patients itself)."""
    if get_slot(log.store.conn, slot_id) is None:
        raise BookingError(f"no slot {slot_id}", "slot")
    if practice_of_slot(slot_id) != author.key_id:
        raise BookingError(
            "only the practice withdraws its slots: sign with the practice's key (--key)", "slot"
        )
    body = msgspec.json.encode(SlotWithdrawBody(reason=reason[:300]))
    return log.append(author, "slot.withdraw", slot_id, body)


# Whether the decision `d` has a cancel that counts, usable with the decisions' slot index.
CANCELLED = (
    "EXISTS (SELECT 1 FROM booking_cancels x WHERE x.request_id = d.request_id AND "
    f"{counting_cancel('x', 'd.request_id', 'd.code')})"
)
_SLOT_QUERY = (
    "SELECT s.id, s.practice, coalesce(p.name, ''), s.service, s.start, s.end, s.capacity, "
    "(SELECT count(*) FROM booking_decisions d WHERE d.slot_id = s.id "
    f" AND d.outcome = 'confirmed' AND NOT {CANCELLED}), "
    "s.place, s.withdraw_op IS NOT NULL FROM slots s LEFT JOIN practices p ON p.key = s.practice "
    "WHERE s.start IS NOT NULL"
)


def get_slot(conn: sqlite3.Connection, slot_id: str) -> Slot | None:
    row = conn.execute(_SLOT_QUERY + " AND s.id = ?", (slot_id,)).fetchone()
    return None if row is None else _slot(row)


def list_slots(
    conn: sqlite3.Connection,
    practice: str | None = None,
    free_only: bool = False,
    bookable_at: int | None = None,
    from_ms: int | None = None,
    until_ms: int | None = None,
) -> list[Slot]:
    """Slots by start time. `free_only`: with a free place by the confirmations this node
    knows of; `bookable_at`: also within minimum notice and horizon at that time."""
    query, params = _SLOT_QUERY, list[Any]()
    if practice is not None:
        query += " AND s.practice = ?"
        params.append(practice)
    if from_ms is not None:
        query += " AND s.start >= ?"
        params.append(from_ms)
    if until_ms is not None:
        query += " AND s.start < ?"
        params.append(until_ms)
    if free_only or bookable_at is not None:
        query += " AND s.withdraw_op IS NULL"
    slots = [_slot(row) for row in conn.execute(query + " ORDER BY s.start, s.id", params)]
    if free_only or bookable_at is not None:
        slots = [slot for slot in slots if slot.free > 0]
    if bookable_at is not None:
        slots = [slot for slot in slots if slot.bookable_at(bookable_at)]
    return slots


def bookable_days(conn: sqlite3.Connection, practice: str, now_ms: int) -> list[date]:
    """Local days with at least one bookable slot of the practice: the kiosk's big calendar."""
    days = {s.local_start().date() for s in list_slots(conn, practice, bookable_at=now_ms)}
    return sorted(days)


def next_bookable_change(conn: sqlite3.Connection, now_ms: int) -> int | None:
    """The first moment after `now_ms` at which a slot with a free place becomes bookable (it
    enters its service's horizon) or stops being bookable (the minimum notice begins), with no
    op to tell: the kiosk's booking screens read their days and times again then."""
    moments = [
        moment
        for slot in list_slots(conn, free_only=True)
        for moment in (
            slot.start - slot.service.horizon_days * DAY,
            slot.start - slot.service.min_notice_min * MINUTE + 1,
        )
        if moment > now_ms
    ]
    return min(moments, default=None)


def _slot(row: tuple[Any, ...]) -> Slot:
    return Slot(
        id=row[0],
        practice=row[1],
        practice_name=row[2],
        service=_service.decode(row[3]),
        start=row[4],
        end=row[5],
        capacity=row[6],
        confirmed=row[7],
        place=row[8],
        withdrawn=bool(row[9]),
    )


def _timing_problem(service: ServiceBody, start_ms: int, now_ms: int) -> str | None:
    """ "too_soon" or "too_far" when a booking for this start may not be made now."""
    if start_ms - now_ms < service.min_notice_min * MINUTE:
        return "too_soon"
    if start_ms - now_ms > service.horizon_days * DAY:
        return "too_far"
    return None
