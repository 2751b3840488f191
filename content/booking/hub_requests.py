"""Booking requests made at a hub: the person sealed to the practice and its authority."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from content.authority import grant_valid_at
from content.booking.base import (
    SERVER_ROLE,
    BookingError,
)
from content.booking.practices import get_practice
from content.booking.slots import _timing_problem, get_slot
from content.booking.states import _OWN_PENDING
from content.booking_bodies import (
    PHONE_PATTERN,
    BookingPersonBody,
)
from content.booking_ids import (
    is_request_id,
    new_request_id,
    request_authority,
)
from content.clock import trusted_now
from content.identity import Identity
from content.local_time import LOCAL_TIME
from content.log import Log
from content.sealing import seal


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
