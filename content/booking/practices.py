"""Practices: their records, services and booking authority."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from content.booking.base import (
    DEFAULT_SERVICES,
    BookingError,
    _field_of,
)
from content.booking_bodies import (
    PracticeMetaBody,
    ServiceBody,
)
from content.identity import Identity, PublicIdentity
from content.log import Log, append_in


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
