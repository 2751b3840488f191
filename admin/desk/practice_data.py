"""What a practice's desk pages read: its slots and series, and its bookings opened with the
key of the practice's own session (docs/desk.md "Practices").

Personal data is opened here in memory, for one page, with the session's key and never the
server's: the rows go to the template and nowhere else (no log line, no file, no cache). Which
practice a slot or booking belongs to is read from its id (content/booking_ids.py) before the
database is asked anything, so another practice's id is refused as unknown.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from content import booking
from content.booking import OpenedBooking, Slot
from content.booking_ids import practice_of_slot, slot_of_request
from content.identity import Identity
from content.pruning import erased_bookings, within_retention
from content.sealing import SealError

MAX_SLOT_ROWS = 400  # a page lists this many upcoming slots at most; the series cover the rest
SHOWN_STATES = ("pending", "confirmed", "cancelled")
CANCELLABLE = ("pending", "confirmed")


def owns_slot(practice: str, slot_id: str) -> bool:
    return practice_of_slot(slot_id) == practice


def owns_request(practice: str, request_id: str) -> bool:
    slot_id = slot_of_request(request_id)
    return slot_id is not None and owns_slot(practice, slot_id)


# ---- bookings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingRow:
    """One booking as the practice's page shows it, with the person opened."""

    request_id: str
    state: str
    code: str | None
    start: int | None
    service: dict[str, str]  # the service's name by language (de, en, de-LS)
    place: str
    name: str
    birth_date: date | None
    phone: str
    hub: str
    guide: str
    reminder_consent: bool
    cancel_reason: str | None
    cancelled_at: int | None

    def is_over(self, now_ms: int) -> bool:
        return self.start is not None and self.start < now_ms

    def may_cancel(self, now_ms: int) -> bool:
        return self.state in CANCELLABLE and not self.is_over(now_ms)


@dataclass(frozen=True)
class PracticeBookings:
    pending: list[BookingRow]
    confirmed: list[BookingRow]
    cancelled: list[BookingRow]
    erased: int  # bookings whose personal data is erased (retention): counted, not shown


def practice_bookings(
    conn: sqlite3.Connection, identity: Identity, practice: str, now_ms: int
) -> PracticeBookings:
    """The practice's pending, confirmed and cancelled bookings that its key opens and whose
    personal data has not fallen due, by appointment."""
    opened = booking.open_bookings(conn, identity, practice, SHOWN_STATES)
    kept = within_retention(conn, opened, now_ms)
    rows = [booking_row(item) for item in kept]
    erased = erased_bookings(conn, practice) + len(opened) - len(kept)
    return PracticeBookings(
        pending=[row for row in rows if row.state == "pending"],
        confirmed=[row for row in rows if row.state == "confirmed"],
        cancelled=[row for row in rows if row.state == "cancelled"],
        erased=erased,
    )


def one_booking(
    conn: sqlite3.Connection, identity: Identity, practice: str, request_id: str, now_ms: int
) -> BookingRow | None:
    """One of the practice's bookings, opened; None for another practice's id, an unknown one,
    one its key cannot open, and one whose personal data has fallen due."""
    if not owns_request(practice, request_id):
        return None
    status = booking.booking_status(conn, request_id)
    if status is None:
        return None
    try:
        person = booking.open_request(conn, request_id, identity)
    except SealError:
        return None
    opened = OpenedBooking(status, booking.get_slot(conn, status.slot_id), person)
    if not within_retention(conn, [opened], now_ms):
        return None
    return booking_row(opened)


def booking_row(opened: OpenedBooking) -> BookingRow:
    status, slot, person = opened.status, opened.slot, opened.person
    try:
        born: date | None = date.fromisoformat(person.birth_date)
    except ValueError:
        born = None
    return BookingRow(
        request_id=status.request_id,
        state=status.state,
        code=status.code,
        start=slot.start if slot else None,
        service={str(k): v for k, v in slot.service.name.items()} if slot else {},
        place=slot.place if slot else "",
        name=person.name,
        birth_date=born,
        phone=person.phone,
        hub=person.hub,
        guide=person.guide,
        reminder_consent=person.reminder_consent,
        cancel_reason=status.cancel_reason,
        cancelled_at=status.cancelled_at,
    )


# ---- slots and series -------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """Slots that repeat: the same service, weekday, local time, place and capacity."""

    service: dict[str, str]
    weekday: int  # 0 = Monday
    clock: str  # "09:30"
    place: str
    capacity: int
    first: int  # the first slot's start, ms
    last: int
    count: int
    booked: int  # confirmed places over all its slots
    withdrawn: int


def series_of(slots: list[Slot]) -> list[Series]:
    """The weekly series the slots form (withdrawn ones counted apart), by weekday and time.
    Slots carry no series id: a series is what a practice sees as one, the same weekly time."""
    groups: dict[tuple[str, int, str, str, int], list[Slot]] = defaultdict(list)
    for slot in slots:
        start = slot.local_start()
        key = (slot.service.id, start.weekday(), f"{start:%H:%M}", slot.place, slot.capacity)
        groups[key].append(slot)
    found = []
    for (_service, weekday, clock, place, capacity), members in groups.items():
        found.append(
            Series(
                service={str(k): v for k, v in members[0].service.name.items()},
                weekday=weekday,
                clock=clock,
                place=place,
                capacity=capacity,
                first=min(slot.start for slot in members),
                last=max(slot.start for slot in members),
                count=len(members),
                booked=sum(slot.confirmed for slot in members if not slot.withdrawn),
                withdrawn=sum(1 for slot in members if slot.withdrawn),
            )
        )
    return sorted(found, key=lambda s: (s.weekday, s.clock, s.service.get("de", ""), s.place))


@dataclass(frozen=True)
class PracticeSlots:
    slots: list[Slot]  # the first MAX_SLOT_ROWS upcoming ones
    series: list[Series]  # over every upcoming slot
    more: int  # upcoming slots beyond the list


def practice_slots(conn: sqlite3.Connection, practice: str, from_ms: int) -> PracticeSlots:
    upcoming = booking.list_slots(conn, practice, from_ms=from_ms)
    return PracticeSlots(
        slots=upcoming[:MAX_SLOT_ROWS],
        series=series_of(upcoming),
        more=max(0, len(upcoming) - MAX_SLOT_ROWS),
    )


def own_slot(conn: sqlite3.Connection, practice: str, slot_id: str) -> Slot | None:
    """One of the practice's slots; None for another practice's id or an unknown one."""
    if not owns_slot(practice, slot_id):
        return None
    return booking.get_slot(conn, slot_id)


def slot_bookings(conn: sqlite3.Connection, practice: str, slot_id: str) -> int:
    """Pending and confirmed bookings of a slot: what withdrawing it would cancel or reject."""
    live = booking.list_bookings(conn, practice, CANCELLABLE)
    return sum(1 for status in live if status.slot_id == slot_id)
