"""Telemedicine booking: practices, their services and slots, booking requests made at a hub,
and the queries the kiosk, the CLI and the practices' feed ask (docs/booking.md).

Who writes what:
- a practice signs its own record (`practice.meta`), which names its booking authority: the one
  town server that decides its bookings; the practice (or an admin for it) publishes its slots
  (`slot.publish`), and only the practice withdraws them (`slot.withdraw`); ids name the
  practice, so nobody writes for another;
- a hub (or a guide, on the resident's behalf) appends a `booking.request`: its id is public
  (slot, on-behalf flag, author, authority), its body is sealed to the practice and its
  authority only, with the keys the practice's record names (`custody`), never to whoever else
  holds a server grant;
- only the authority named in the request id decides (`booking.decision`,
  content/booking_allocation.py);
- a booking is cancelled (`booking.cancel`) by the hub that made it, by anyone showing its
  booking code, by the practice, or by the server.

The hub keeps no plaintext personal data: the person's details exist in the kiosk's memory and
in the sealed box, which the hub itself cannot open.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from content.authority import grant_valid_at
from content.booking_bodies import (
    PHONE_PATTERN,
    BookingPersonBody,
    CancelBody,
    PracticeMetaBody,
    ServiceBody,
    SlotBody,
    SlotWithdrawBody,
)
from content.booking_ids import (
    is_request_id,
    is_slot_id,
    new_request_id,
    new_slot_id,
    practice_of_slot,
    request_authority,
)
from content.booking_views import counting_cancel, states_sql
from content.clock import trusted_now
from content.errors import ContentError
from content.identity import Identity, PublicIdentity
from content.log import Log, append_in
from content.sealing import SealError, open_sealed, seal
from content.store import Store

LOCAL_TIME = ZoneInfo("Europe/Berlin")
MINUTE = 60_000
DAY = 24 * 60 * MINUTE
MAX_SERIES_SLOTS = 2000
MAX_SERIES_DAYS = 366
WEEKDAYS = {
    "mo": 0,
    "di": 1,
    "mi": 2,
    "do": 3,
    "fr": 4,
    "sa": 5,
    "so": 6,
    "tu": 1,
    "we": 2,
    "th": 3,
    "su": 6,
}
STATES = ("pending", "confirmed", "rejected", "cancelled")
# The role a practice's booking authority must hold (unrevoked) for hubs to seal to it.
SERVER_ROLE = "server"

DEFAULT_SERVICES: tuple[ServiceBody, ...] = (
    ServiceBody(
        id="video",
        name={
            "de": "Videosprechstunde",
            "en": "Video consultation",
            "de-LS": "Arzt·gespräch mit Video",
        },
        duration_min=15,
        buffer_before_min=5,
        buffer_after_min=5,
        min_notice_min=120,
        horizon_days=28,
        bring={
            "de": "Versichertenkarte, Medikamentenliste, Brille; bitte 10 Minuten vorher da sein.",
            "en": "Health insurance card, list of medicines, glasses; "
            "please come 10 minutes early.",
            "de-LS": "Bringen Sie mit: Ihre Karte von der Kranken·kasse. Ihre Medikamente auf "
            "einem Zettel. Ihre Brille. Kommen Sie 10 Minuten früher.",
        },
    ),
    ServiceBody(
        id="phone",
        name={"de": "Telefonrückruf", "en": "Phone call back", "de-LS": "Die Praxis ruft Sie an"},
        duration_min=10,
        buffer_after_min=5,
        min_notice_min=60,
        horizon_days=14,
        bring={
            "de": "Halten Sie Ihre Versichertenkarte und Ihre Medikamentenliste bereit.",
            "en": "Have your health insurance card and list of medicines at hand.",
            "de-LS": "Legen Sie Ihre Karte von der Kranken·kasse bereit.",
        },
    ),
    ServiceBody(
        id="rezept",
        name={
            "de": "Rezept/Überweisung",
            "en": "Prescription/referral",
            "de-LS": "Rezept oder Über·weisung",
        },
        duration_min=5,
        min_notice_min=60,
        horizon_days=14,
        bring={
            "de": "Versichertenkarte.",
            "en": "Health insurance card.",
            "de-LS": "Ihre Karte von der Kranken·kasse.",
        },
    ),
)
HOW_TO_CANCEL = {
    "de": "Absagen: am Dorfhub mit dem Buchungscode oder telefonisch bei der Praxis {phone}.",
    "en": "To cancel: at the village hub with the booking code, or call the practice on {phone}.",
    "de-LS": "Sie können nicht kommen? Sagen Sie im Dorf·hub Bescheid. Zeigen Sie den Code. "
    "Oder rufen Sie die Praxis an: {phone}.",
}


class BookingError(ContentError, ValueError):
    """A booking input that cannot be used; nothing was stored."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field  # which input was wrong, for the kiosk to point at


# ---- practices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Practice:
    key: str
    name: str
    address: str
    phone: str
    specialty: str
    video_url: str
    services: list[ServiceBody]
    # From the record the practice signed: where its bookings are sealed to, and who decides.
    seal: str
    authority: str
    authority_seal: str

    def service(self, service_id: str) -> ServiceBody:
        for service in self.services:
            if service.id == service_id:
                return service
        known = ", ".join(s.id for s in self.services)
        raise BookingError(f"{self.name} offers no service {service_id!r} (known: {known})")


_services = msgspec.json.Decoder(list[ServiceBody])
_meta = msgspec.json.Decoder(PracticeMetaBody)
_service = msgspec.json.Decoder(ServiceBody)


def practice_meta(
    name: str,
    address: str,
    phone: str,
    specialty: str = "",
    services: Sequence[ServiceBody] = DEFAULT_SERVICES,
    video_url: str = "",
    *,
    practice: PublicIdentity,
    authority: PublicIdentity,
) -> PracticeMetaBody:
    """A validated practice record naming the practice's own seal key and its booking
    authority (a town server's public identity); BookingError names the field that is wrong."""
    fields: dict[str, Any] = {
        "name": name.strip(),
        "address": address.strip(),
        "phone": phone.strip(),
        "seal": practice.seal_key,
        "authority": authority.sign_key,
        "authority_seal": authority.seal_key,
        "specialty": specialty.strip(),
        "video_url": video_url.strip(),
        "services": list(services),
    }
    try:
        return msgspec.convert(fields, PracticeMetaBody, from_attributes=True)
    except msgspec.ValidationError as exc:
        raise BookingError(f"practice record: {exc}", _field_of(exc)) from None


def publish_practice(log: Log, practice: Identity, meta: PracticeMetaBody) -> str:
    """Append the practice's record, signed by the practice's own key: only the practice names
    who receives its bookings (every node refuses a practice.meta signed by anyone else)."""
    with log.store.write() as conn:
        return publish_practice_in(conn, log.network_id, practice, meta)


def publish_practice_in(
    conn: sqlite3.Connection, network_id: str, practice: Identity, meta: PracticeMetaBody
) -> str:
    """`publish_practice` inside the caller's write transaction (with the practice's grant, so
    that neither is stored without the other)."""
    if meta.seal != practice.public.seal_key:
        raise BookingError("the record must name the practice's own seal key", "seal")
    body = msgspec.json.encode(meta)
    return append_in(conn, network_id, practice, "practice.meta", practice.key_id, body)


_PRACTICE_COLUMNS = (
    "p.key, p.name, p.address, p.phone, p.specialty, p.video_url, p.services, o.body "
    "FROM practices p JOIN ops o ON o.id = p.op_id"
)


def list_practices(conn: sqlite3.Connection) -> list[Practice]:
    """Practices with a record and an unrevoked practice grant, by name."""
    rows = conn.execute(
        f"SELECT {_PRACTICE_COLUMNS} JOIN keys k ON k.key = p.key WHERE k.revoke_op IS NULL "
        "AND EXISTS (SELECT 1 FROM json_each(k.grants) g "
        "            WHERE json_extract(g.value, '$.role') = 'practice') ORDER BY p.name, p.key"
    )
    return [_practice(row) for row in rows]


def get_practice(conn: sqlite3.Connection, key: str) -> Practice | None:
    row = conn.execute(f"SELECT {_PRACTICE_COLUMNS} WHERE p.key = ?", (key,)).fetchone()
    return None if row is None else _practice(row)


def find_practice(conn: sqlite3.Connection, text: str) -> Practice:
    """A practice by exact name, key or key prefix (at least 8 hex digits)."""
    practices = list_practices(conn)
    found = [p for p in practices if p.name == text]
    if not found and len(text) >= 8:
        found = [p for p in practices if p.key.startswith(text.lower())]
    if len(found) != 1:
        problem = "no practice" if not found else f"{len(found)} practices"
        raise BookingError(f"{problem} match {text!r}", "practice")
    return found[0]


def _practice(row: tuple[Any, ...]) -> Practice:
    key, name, address, phone, specialty, video_url, services, body = row
    # The record's body holds the custody keys: the view keeps what a kiosk lists.
    meta = _meta.decode(body)
    return Practice(
        key,
        name,
        address,
        phone,
        specialty,
        video_url,
        _services.decode(services),
        meta.seal,
        meta.authority,
        meta.authority_seal,
    )


@dataclass(frozen=True)
class AuthorityChange:
    """One record of a practice in the log: when it was signed and which authority it named."""

    op_id: str
    time: int
    author: str
    authority: str
    authority_seal: str


def authority_history(conn: sqlite3.Connection, practice: str) -> list[AuthorityChange]:
    """Every record of the practice this node holds, oldest first, so that a change of its
    booking authority can be shown to the practice (the current one is the last)."""
    rows = conn.execute(
        "SELECT id, time, author, body FROM ops WHERE kind = 'practice.meta' AND entity = ? "
        "AND body IS NOT NULL ORDER BY lamport, author",
        (practice,),
    )
    changes = []
    for op_id, time_ms, author, body in rows:
        meta = _meta.decode(body)
        changes.append(AuthorityChange(op_id, time_ms, author, meta.authority, meta.authority_seal))
    return changes


# ---- slots -----------------------------------------------------------------------------------


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


# ---- requests (at the hub) -------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What the resident enters. Only ever in memory at the hub, and in the sealed box."""

    name: str
    birth_date: str  # YYYY-MM-DD
    phone: str = ""
    consent: bool = False
    reminder_consent: bool = False


def check_person(person: Person, today: date) -> None:
    """BookingError (with the field) unless the entries can be booked with."""
    name = person.name.strip()
    if not name or len(name) > 80 or not name.isprintable():
        raise BookingError("Bitte geben Sie Ihren Namen ein (höchstens 80 Zeichen).", "name")
    try:
        born = date.fromisoformat(person.birth_date)
    except ValueError:
        raise BookingError("Das Geburtsdatum ist kein gültiges Datum.", "birth_date") from None
    if not today - timedelta(days=125 * 366) < born <= today:
        raise BookingError("Das Geburtsdatum liegt nicht in der Vergangenheit.", "birth_date")
    if not re.match(PHONE_PATTERN, person.phone.strip()):
        raise BookingError(
            "Die Telefonnummer darf nur Ziffern, Leerzeichen und + - ( ) / enthalten.", "phone"
        )
    if not person.consent:
        raise BookingError("Ohne Ihre Zustimmung können wir nicht buchen.", "consent")


def request_booking(
    log: Log,
    author: Identity,
    slot_id: str,
    person: Person,
    on_behalf: bool = False,
    guide: str = "",
    request_id: str | None = None,
    now_ms: int | None = None,
) -> str:
    """Append a sealed booking request for `slot_id`; returns the request id (the kiosk shows
    "Anfrage gespeichert – Bestätigung folgt" until the decision arrives).

    `request_id`: the id of a request the kiosk is not sure was stored (a retry); the town
    server decides each id once. Raises BookingError (nothing stored) for bad entries, a slot
    that cannot be booked now, or an unknown practice; AppendRefused if `author` may not."""
    conn = log.store.conn
    now = trusted_now(conn).now_ms if now_ms is None else now_ms
    check_person(person, datetime.fromtimestamp(now / 1000, LOCAL_TIME).date())
    slot = get_slot(conn, slot_id)
    if slot is None or slot.withdrawn:
        raise BookingError("Diesen Termin gibt es nicht mehr.", "slot")
    problem = _timing_problem(slot.service, slot.start, now)
    if problem == "too_soon":
        raise BookingError("Dieser Termin ist zu kurzfristig.", "slot")
    if problem == "too_far":
        raise BookingError("Dieser Termin liegt zu weit in der Zukunft.", "slot")
    keys = custody(conn, slot.practice, now)
    # A guide's own key books only on someone's behalf: the request id says so publicly.
    on_behalf = on_behalf or author.key_id in _role_seal_keys_owners(conn, "guide", now)
    if request_id is None:
        if slot.free - _own_pending(conn, slot_id, author.key_id) <= 0:
            raise BookingError("Dieser Termin ist schon vergeben.", "slot")
        request_id = new_request_id(slot_id, author.key_id, on_behalf, keys.authority)
    elif not is_request_id(request_id) or not request_id.startswith(f"b.{slot_id}."):
        raise BookingError(f"not a request id for this slot: {request_id!r}", "request")
    elif request_authority(request_id) != keys.authority[:32]:
        # The practice named another authority since: that one would never decide this id.
        raise BookingError(
            "Die Praxis hat ihre Buchungsstelle gewechselt. Bitte neu buchen.", "practice"
        )
    body = BookingPersonBody(
        request=request_id,
        name=person.name.strip(),
        birth_date=person.birth_date,
        phone=person.phone.strip(),
        consent=True,
        reminder_consent=person.reminder_consent,
        guide=guide.strip()[:80] if on_behalf else "",
        hub=_key_name(conn, author.key_id) or author.name[:80],
        created=now,
    )
    box = seal(msgspec.json.encode(body), keys.recipients)
    log.append(author, "booking.request", request_id, box, sealed_to=keys.recipients)
    return request_id


@dataclass(frozen=True)
class Custody:
    """Who receives a practice's bookings: the keys its own signed record names."""

    authority: str  # Ed25519 key of the town server that decides
    recipients: list[str]  # X25519 keys: the practice's and the authority's, sorted


def custody(conn: sqlite3.Connection, practice: str, now_ms: int) -> Custody:
    """The recipients of a booking with `practice`, from the record the practice signed, never
    from the key.grant ops an admin writes: granting a key the server role, or granting the
    practice or the authority again with another seal key, adds no reader. The practice must
    hold its grant and the authority a server grant now (a revoke stops bookings through it)."""
    record = get_practice(conn, practice)
    if record is None or not _holds(conn, practice, "practice", now_ms):
        raise BookingError("Diese Praxis ist hier noch nicht bekannt.", "practice")
    if not _holds(conn, record.authority, SERVER_ROLE, now_ms):
        raise BookingError(
            "Die Buchungsstelle dieser Praxis ist hier nicht bekannt oder gesperrt.", "practice"
        )
    recipients = sorted({record.seal, record.authority_seal})
    return Custody(record.authority, recipients)


def sealed_recipients(conn: sqlite3.Connection, practice: str, now_ms: int) -> list[str]:
    """The seal keys a booking with `practice` goes to: the practice's and its authority's."""
    return custody(conn, practice, now_ms).recipients


def _holds(conn: sqlite3.Connection, key: str, role: str, now_ms: int) -> bool:
    return key in _role_seal_keys_owners(conn, role, now_ms, key)


def _role_seal_keys(conn: sqlite3.Connection, role: str, now_ms: int) -> list[str]:
    """The seal keys of every key that holds `role` now (for guides: help requests)."""
    query = "SELECT seal, grants FROM keys WHERE revoke_op IS NULL AND seal != ''"
    return [
        seal_key
        for seal_key, grants_json in conn.execute(query)
        if _grants_role(json.loads(grants_json), role, now_ms)
    ]


def _role_seal_keys_owners(
    conn: sqlite3.Connection, role: str, now_ms: int, key: str | None = None
) -> set[str]:
    """Keys (or the one `key`) that hold `role` now (unrevoked, within the grant's validity)."""
    query, params = "SELECT key, grants FROM keys WHERE revoke_op IS NULL", list[str]()
    if key is not None:
        query += " AND key = ?"
        params.append(key)
    return {
        owner
        for owner, grants_json in conn.execute(query, params)
        if _grants_role(json.loads(grants_json), role, now_ms)
    }


def _grants_role(grants: list[dict[str, Any]], role: str, now_ms: int) -> bool:
    return any(grant["role"] == role and grant_valid_at(grant, now_ms) for grant in grants)


def _own_pending(conn: sqlite3.Connection, slot_id: str, author: str) -> int:
    row = conn.execute(_OWN_PENDING, (slot_id, author)).fetchone()
    return int(row[0])


def _key_name(conn: sqlite3.Connection, key: str) -> str:
    row = conn.execute("SELECT name FROM keys WHERE key = ?", (key,)).fetchone()
    return str(row[0])[:80] if row and row[0] else ""


# ---- states ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingStatus:
    request_id: str
    slot_id: str
    practice: str
    on_behalf: bool
    requester: str | None
    requested_at: int | None
    state: str  # pending | confirmed | rejected | cancelled
    code: str | None
    alternatives: list[str]
    reason: str | None
    decided_at: int | None
    cancelled_at: int | None
    # The reason of the cancel that counts ("" when none was given): the kiosk shows it.
    cancel_reason: str | None = None


_BY_ID = states_sql("SELECT ? AS id")
_OWN_PENDING = (
    "SELECT count(*) FROM ("
    + states_sql("SELECT id FROM booking_requests WHERE slot_id = ? AND author = ?")
    + ") WHERE state = 'pending'"
)
_BY_CODE = states_sql("SELECT request_id AS id FROM booking_decisions WHERE code = ?")
_STATE_COLUMNS = (
    "request_id, slot_id, practice, on_behalf, requester, requested_at, state, code, "
    "alternatives, reason, decided_at, cancelled_at, cancel_reason"
)


def booking_status(conn: sqlite3.Connection, request_id: str) -> BookingStatus | None:
    row = conn.execute(_BY_ID, (request_id,)).fetchone()
    return None if row is None else _status(row)


def find_booking(conn: sqlite3.Connection, code: str) -> BookingStatus | None:
    """The booking with this code (as printed on the slip; case and spaces do not matter)."""
    row = conn.execute(_BY_CODE, (normalize_code(code),)).fetchone()
    return None if row is None else _status(row)


def list_bookings(
    conn: sqlite3.Connection,
    practice: str | None = None,
    states: Sequence[str] = STATES,
) -> list[BookingStatus]:
    """Requests (of one practice) in the given states, oldest first."""
    if practice is None:
        ids = "SELECT id FROM booking_requests UNION SELECT request_id FROM booking_decisions"
        params: list[Any] = []
    else:
        ids = (
            "SELECT id FROM booking_requests WHERE slot_id IN "
            "(SELECT id FROM slots WHERE practice = ?) UNION SELECT request_id "
            "FROM booking_decisions WHERE slot_id IN (SELECT id FROM slots WHERE practice = ?)"
        )
        params = [practice, practice]
    query = (
        f"SELECT {_STATE_COLUMNS} FROM ({states_sql(ids)}) "
        f"WHERE state IN ({_marks(states)}) ORDER BY requested_at, request_id"
    )
    return [_status(row) for row in conn.execute(query, [*params, *states])]


def normalize_code(code: str) -> str:
    compact = re.sub(r"[\s-]", "", code).upper()
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _status(row: tuple[Any, ...]) -> BookingStatus:
    return BookingStatus(
        request_id=row[0],
        slot_id=row[1],
        practice=row[2],
        on_behalf=bool(row[3]),
        requester=row[4],
        requested_at=row[5],
        state=row[6],
        code=row[7],
        alternatives=json.loads(row[8]) if row[8] else [],
        reason=row[9],
        decided_at=row[10],
        cancelled_at=row[11],
        cancel_reason=row[12] if row[6] == "cancelled" else None,
    )


def cancel_booking(
    log: Log, author: Identity, code: str = "", request_id: str = "", reason: str = ""
) -> str:
    """Cancel by booking code (any hub, the practice, the server) or by request id (the hub
    that made it, the practice, the server); returns the request id. The town server frees
    the place when the cancel reaches it."""
    conn = log.store.conn
    status = find_booking(conn, code) if code else booking_status(conn, request_id)
    if status is None:
        raise BookingError(f"no booking {code or request_id!r} known here", "code")
    if status.state in ("rejected", "cancelled"):
        raise BookingError(f"booking {code or request_id} is already {status.state}", "code")
    body = CancelBody(code=status.code if code else None, reason=reason.strip()[:300])
    log.append(author, "booking.cancel", status.request_id, msgspec.json.encode(body))
    return status.request_id


# ---- opened requests (town server, practice) -------------------------------------------------


@dataclass(frozen=True)
class OpenedBooking:
    """A request with its sealed part opened by a recipient (the practice or a server)."""

    status: BookingStatus
    slot: Slot | None
    person: BookingPersonBody


_person = msgspec.json.Decoder(BookingPersonBody)


def open_request(
    conn: sqlite3.Connection, request_id: str, identity: Identity
) -> BookingPersonBody:
    """The sealed part of a request, opened with `identity`; SealError if it may not, or if the
    box does not belong to this request."""
    row = conn.execute(
        "SELECT o.body FROM booking_requests r JOIN ops o ON o.id = r.op_id WHERE r.id = ?",
        (request_id,),
    ).fetchone()
    if row is None or row[0] is None:
        raise SealError(f"no request {request_id} held here")
    try:
        person = _person.decode(open_sealed(row[0], identity))
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SealError(f"the sealed part is not a booking request: {exc}") from None
    if person.request != request_id:
        raise SealError("the sealed part belongs to another request")
    return person


def open_bookings(
    conn: sqlite3.Connection,
    identity: Identity,
    practice: str,
    states: Sequence[str] = STATES,
) -> list[OpenedBooking]:
    """The practice's bookings that `identity` can open, by slot start."""
    opened = []
    for status in list_bookings(conn, practice=practice, states=states):
        try:
            person = open_request(conn, status.request_id, identity)
        except SealError:
            continue
        opened.append(OpenedBooking(status, get_slot(conn, status.slot_id), person))
    return sorted(opened, key=lambda b: (b.slot.start if b.slot else 0, b.status.request_id))


# ---- the slip --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    """What the resident takes home, without personal data (the kiosk adds the name from its
    memory). `code` is None while the request waits for the server."""

    state: str
    code: str | None
    date: str  # "Di 02.12.2026"
    time: str  # "09:30"
    place: str
    practice: str
    practice_address: str
    practice_phone: str
    service: str
    bring: str
    how_to_cancel: str
    video_url: str
    # A cancelled booking's slip says so, with the reason the practice (or hub) gave.
    cancel_reason: str | None = None


SLIP_WEEKDAYS = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "de-LS": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def slip(conn: sqlite3.Connection, request_id: str, language: str = "de") -> Slip:
    status = booking_status(conn, request_id)
    slot = get_slot(conn, status.slot_id) if status else None
    if status is None or slot is None:
        raise BookingError(f"no booking {request_id} known here")
    practice = get_practice(conn, slot.practice)
    phone = practice.phone if practice else ""
    start = slot.local_start()
    weekday = SLIP_WEEKDAYS.get(language, SLIP_WEEKDAYS["de"])[start.weekday()]
    return Slip(
        state=status.state,
        code=status.code if status.state == "confirmed" else None,
        date=f"{weekday} {start:%d.%m.%Y}",
        time=f"{start:%H:%M}",
        place=slot.place,
        practice=practice.name if practice else slot.practice_name,
        practice_address=practice.address if practice else "",
        practice_phone=phone,
        service=slot.service.name.get(language) or slot.service.name["de"],  # type: ignore[call-overload]
        bring=slot.service.bring.get(language) or slot.service.bring.get("de", ""),  # type: ignore[call-overload]
        how_to_cancel=HOW_TO_CANCEL.get(language, HOW_TO_CANCEL["de"]).format(phone=phone),
        video_url=practice.video_url if practice else "",
        cancel_reason=status.cancel_reason if status.state == "cancelled" else None,
    )


def utc_text(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")


def _field_of(exc: msgspec.ValidationError) -> str:
    found = re.search(r"\$\.(\w+)", str(exc))
    return found.group(1) if found else ""


__all__ = [
    "DEFAULT_SERVICES",
    "AuthorityChange",
    "BookingError",
    "BookingStatus",
    "Custody",
    "OpenedBooking",
    "Person",
    "Practice",
    "Slip",
    "Slot",
    "authority_history",
    "bookable_days",
    "booking_status",
    "cancel_booking",
    "custody",
    "expand_series",
    "find_booking",
    "find_practice",
    "get_practice",
    "get_slot",
    "is_slot_id",
    "list_bookings",
    "list_practices",
    "list_slots",
    "open_bookings",
    "open_request",
    "practice_meta",
    "practice_of_slot",
    "publish_practice",
    "publish_practice_in",
    "publish_slots",
    "request_booking",
    "sealed_recipients",
    "slip",
    "withdraw_slot",
]
