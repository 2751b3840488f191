"""Opened requests: what the town server and the practice read from the sealed boxes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from content.booking.base import (
    STATES,
)
from content.booking.slots import (
    Slot,
    get_slot,
)
from content.booking.states import BookingStatus, list_bookings
from content.booking_bodies import (
    BookingPersonBody,
)
from content.identity import Identity
from content.sealing import SealError, open_sealed


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
