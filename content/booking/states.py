"""Booking states as the hub, the kiosk and the feed see them; finding and cancelling one."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from content.booking.base import (
    STATES,
    BookingError,
)
from content.booking_bodies import (
    CancelBody,
)
from content.booking_views import states_sql
from content.identity import Identity
from content.log import Log


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
