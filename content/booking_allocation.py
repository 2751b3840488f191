"""The town server's booking authority: decide requests in the order they reached it.

A server decides only the requests whose id names it: the authority the practice named in its
signed record when the request was made (content.booking.custody). Requests for another
authority are left alone here, and a decision on them would be refused at ingest anyway.

Capacity is enforced by the database, not by a re-check: a confirmation takes a row in the local
`booking_seats` table, whose trigger refuses a row beyond the slot's capacity (schema migration
6). The decision op is appended in the same transaction as the seat, so a crash leaves neither or
both, and a request id is decided once (its seat row is unique, and a decided request is never
looked at again), however often the request is retried or re-sent.

On a rejection the server raises a help request for a guide to call the resident, and so it
does when the practice itself cancels a booking (with the practice's reason). The server
raises it, not the hub: the server can open the sealed request (the hub cannot, and keeps no
plaintext), it decides within a second of the push whether or not the hub stays online, and the
help request then reaches every guide from the always-on server.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from dataclasses import dataclass, field

import msgspec

from content.booking import (
    MINUTE,
    booking_status,
    get_slot,
    open_request,
)
from content.booking.hub_requests import _role_seal_keys
from content.booking.slots import _timing_problem
from content.booking_bodies import (
    CODE_ALPHABET,
    MAX_ALTERNATIVES,
    BookingPersonBody,
    CancelBody,
    DecisionBody,
    ServiceBody,
)
from content.booking_ids import AUTHOR_PREFIX, slot_of_request
from content.clock import trusted_now
from content.help import MAX_NAME, HelpRequestBody
from content.identity import Identity
from content.log import append_in
from content.roles import help_request_prefix
from content.sealing import MAX_RECIPIENTS, SealError, seal
from content.store import Store

GUIDE_ROLE = "guide"
_service = msgspec.json.Decoder(ServiceBody)


@dataclass
class AllocationReport:
    confirmed: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    freed: list[str] = field(default_factory=list)  # seats given back (cancelled, withdrawn)
    help_requests: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.confirmed or self.rejected or self.freed)


@dataclass
class _Run:
    """What one allocation pass needs besides the connection: who signs, when, and to whom a
    help request is sealed (looked up once per pass, not once per decision)."""

    network_id: str
    server: Identity
    now: int
    helpers: list[str]  # seal keys of this server and the guides
    report: AllocationReport


def allocate(store: Store, server: Identity, now_ms: int | None = None) -> AllocationReport:
    """Free the seats of cancelled bookings and withdrawn slots, then decide every request
    without a decision, oldest arrival first. One transaction per decision; `now_ms` (default:
    trusted now at the start of the pass) is the time the rules are checked at and the ops
    are dated."""
    report = AllocationReport()
    network_id = store.network_id
    if network_id is None:
        return report
    conn = store.conn
    now = trusted_now(conn).now_ms if now_ms is None else now_ms
    # Not every server: a key an admin grants the server role later must not read residents'
    # names and phone numbers either.
    helpers = sorted({server.public.seal_key, *_role_seal_keys(conn, GUIDE_ROLE, now)})
    run = _Run(network_id, server, now, helpers, report)
    _free_seats(store, run)
    _tell_guides_of_practice_cancels(store, run)
    for request_id in _undecided(conn, server.key_id):
        with store.write() as write:
            _decide(write, run, request_id)
    return report


def _undecided(conn: sqlite3.Connection, server: str) -> list[str]:
    """Requests for this server with no decision and not cancelled, in the order they reached
    this node. A request its hub cancelled before the server saw it ends cancelled, never
    decided. A request held without its body stays pending: a relay stripped it (content/log.py
    takes a complete copy that comes later), and its resident is not to be turned away for it."""
    rows = conn.execute(
        "SELECT r.id, EXISTS (SELECT 1 FROM booking_cancels c WHERE c.request_id = r.id) "
        "FROM booking_requests r JOIN ops o ON o.id = r.op_id "
        "WHERE NOT EXISTS (SELECT 1 FROM booking_decisions d WHERE d.request_id = r.id) "
        "AND o.body IS NOT NULL AND substr(r.id, 116, 32) = ? ORDER BY o.rowid",
        (server[:AUTHOR_PREFIX],),
    ).fetchall()
    return [
        request_id
        for request_id, has_cancel in rows
        if not has_cancel or not _cancelled(conn, request_id)
    ]


def _cancelled(conn: sqlite3.Connection, request_id: str) -> bool:
    status = booking_status(conn, request_id)
    return status is not None and status.state == "cancelled"


def _decide(conn: sqlite3.Connection, run: _Run, request_id: str) -> None:
    # Re-read inside the write transaction: another process may have decided it meanwhile.
    if conn.execute(
        "SELECT 1 FROM booking_decisions WHERE request_id = ? UNION ALL "
        "SELECT 1 FROM booking_seats WHERE request_id = ? UNION ALL "
        "SELECT 1 FROM booking_cancels WHERE request_id = ? LIMIT 1",
        (request_id, request_id, request_id),
    ).fetchone() and (_decided(conn, request_id) or _cancelled(conn, request_id)):
        return
    slot_id = slot_of_request(request_id)
    assert slot_id is not None
    if _body_missing(conn, request_id):
        return  # never decided on a missing body: pending until a complete copy comes
    person = _person(conn, request_id, run.server)
    reason = _refusal(conn, slot_id, run.now) if person is not None else "invalid"
    if reason is None:
        seat = _lowest_free_seat(conn, slot_id)
        try:
            conn.execute(
                "INSERT INTO booking_seats VALUES (?, ?, ?, ?)",
                (slot_id, seat, request_id, run.now),
            )
        except sqlite3.IntegrityError:
            reason = "full"  # the seat table's capacity trigger said no
    if reason is None:
        body = DecisionBody(outcome="confirmed", slot=slot_id, code=_new_code(conn))
        _append(conn, run, "booking.decision", request_id, body)
        run.report.confirmed.append(request_id)
        return
    body = DecisionBody(
        outcome="rejected",
        slot=slot_id,
        reason=reason,  # type: ignore[arg-type]
        alternatives=alternatives(conn, slot_id, run.now),
    )
    _append(conn, run, "booking.decision", request_id, body)
    run.report.rejected.append(request_id)
    if person is not None:
        where = f"{person.hub or 'Dorfhub'}: Arzttermin nicht möglich"
        _raise_help(conn, run, _help_id(run, request_id), where, person)


def _body_missing(conn: sqlite3.Connection, request_id: str) -> bool:
    row = conn.execute(
        "SELECT o.body IS NULL FROM booking_requests r JOIN ops o ON o.id = r.op_id WHERE r.id = ?",
        (request_id,),
    ).fetchone()
    return row is None or bool(row[0])


def _decided(conn: sqlite3.Connection, request_id: str) -> bool:
    return bool(
        conn.execute(
            "SELECT 1 FROM booking_decisions WHERE request_id = ? UNION ALL "
            "SELECT 1 FROM booking_seats WHERE request_id = ?",
            (request_id, request_id),
        ).fetchone()
    )


def _refusal(conn: sqlite3.Connection, slot_id: str, now: int) -> str | None:
    row = conn.execute(
        "SELECT service, start, withdraw_op FROM slots WHERE id = ?", (slot_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return "withdrawn" if row is not None else "unknown_slot"
    if row[2] is not None:
        return "withdrawn"
    return _timing_problem(_service.decode(row[0]), row[1], now)


def _person(
    conn: sqlite3.Connection, request_id: str, server: Identity
) -> BookingPersonBody | None:
    try:
        return open_request(conn, request_id, server)
    except SealError:
        return None


def _lowest_free_seat(conn: sqlite3.Connection, slot_id: str) -> int:
    row = conn.execute(
        "SELECT min(n) FROM (SELECT 0 AS n UNION ALL "
        "  SELECT seat_no + 1 FROM booking_seats WHERE slot_id = :slot) "
        "WHERE n NOT IN (SELECT seat_no FROM booking_seats WHERE slot_id = :slot)",
        {"slot": slot_id},
    ).fetchone()
    return int(row[0])


def _new_code(conn: sqlite3.Connection) -> str:
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        code = f"{raw[:4]}-{raw[4:]}"
        if not conn.execute("SELECT 1 FROM booking_decisions WHERE code = ?", (code,)).fetchone():
            return code


def alternatives(conn: sqlite3.Connection, slot_id: str, now: int) -> list[str]:
    """Up to three other slots with a free seat, bookable now: the same practice and service
    first, nearest in time to the slot asked for, then the same service at other practices."""
    row = conn.execute(
        "SELECT practice, service_id, start FROM slots WHERE id = ?", (slot_id,)
    ).fetchone()
    if row is None or row[1] is None:
        return []
    practice, service_id, start = row
    others = [
        row[0] for row in conn.execute("SELECT key FROM practices WHERE key != ?", (practice,))
    ]
    found: list[str] = []
    for owners in ([practice], others):
        candidates = [
            found_slot
            for owner in owners
            for found_slot in _nearest_free(conn, owner, service_id, slot_id, start, now)
        ]
        for other, service, begins in sorted(candidates, key=lambda c: (abs(c[2] - start), c[0])):
            if _timing_problem(_service.decode(service), begins, now) is None:
                found.append(other)
                if len(found) == MAX_ALTERNATIVES:
                    return found
    return found


# A practice's free slots of one service nearest to a start, walked outwards along the
# (practice, start) index, so that the cost follows what is near, not how many slots exist.
_NEAREST = (
    "SELECT s.id, s.service, s.start FROM slots s WHERE s.practice = :practice "
    "AND s.service_id = :service AND s.id != :slot AND s.withdraw_op IS NULL "
    "AND s.start >= :now AND s.start {side} :start "
    "AND (SELECT count(*) FROM booking_seats b WHERE b.slot_id = s.id) < s.capacity "
    "ORDER BY s.start {order} LIMIT :limit"
)


def _nearest_free(
    conn: sqlite3.Connection,
    practice: str,
    service_id: str,
    slot_id: str,
    start: int,
    now: int,
) -> list[tuple[str, str, int]]:
    params = {
        "practice": practice,
        "service": service_id,
        "slot": slot_id,
        "start": start,
        "now": now,
        "limit": 4 * MAX_ALTERNATIVES,
    }
    rows: list[tuple[str, str, int]] = []
    for side, order in ((">=", "ASC"), ("<", "DESC")):
        query = _NEAREST.format(side=side, order=order)
        rows += conn.execute(query, params).fetchall()
    return rows


def _help_id(run: _Run, request_id: str, why: str = "") -> str:
    """The help request's id, derived from the booking's (and why it is raised), so that it
    is raised once however often the server looks."""
    suffix = uuid.uuid5(uuid.NAMESPACE_URL, request_id + why).hex[:20]
    return help_request_prefix(run.server.key_id) + suffix


def _raise_help(
    conn: sqlite3.Connection, run: _Run, help_id: str, where: str, person: BookingPersonBody
) -> None:
    """A sealed help request (content/help.py's format) to this server and the guides: name
    and phone of the resident a guide should call, and at which hub and why (`where`)."""
    if not run.helpers or len(run.helpers) > MAX_RECIPIENTS:
        return
    body = HelpRequestBody(
        name=person.name,
        phone=person.phone,
        hub=where[:MAX_NAME],
        on_behalf=bool(person.guide),
        created=run.now,
    )
    box = seal(msgspec.json.encode(body), run.helpers)
    append_in(
        conn,
        run.network_id,
        run.server,
        "help.request",
        help_id,
        box,
        sealed_to=run.helpers,
        time_ms=run.now,
    )
    run.report.help_requests.append(help_id)


def _free_seats(store: Store, run: _Run) -> None:
    """Give back the seats of cancelled bookings; cancel (and free) the bookings of slots that
    were withdrawn. No help request for those: only the practice withdraws its slots, and it
    tells its own patients (it holds their names and numbers already), so no guide need read
    them."""
    conn = store.conn
    seated_with_cancels = conn.execute(
        "SELECT request_id FROM booking_seats "
        "WHERE request_id IN (SELECT request_id FROM booking_cancels)"
    ).fetchall()
    cancelled = [r for (r,) in seated_with_cancels if _cancelled(conn, r)]
    withdrawn = conn.execute(
        "SELECT s.request_id FROM booking_seats s JOIN slots t ON t.id = s.slot_id "
        "WHERE t.withdraw_op IS NOT NULL"
    ).fetchall()
    for request_id in cancelled:
        with store.write() as write:
            write.execute("DELETE FROM booking_seats WHERE request_id = ?", (request_id,))
        run.report.freed.append(request_id)
    for (request_id,) in withdrawn:
        if request_id in cancelled:
            continue
        with store.write() as write:
            body = CancelBody(reason="Die Praxis hat den Termin abgesagt.")
            _append(write, run, "booking.cancel", request_id, body)
            write.execute("DELETE FROM booking_seats WHERE request_id = ?", (request_id,))
        run.report.freed.append(request_id)


# Practice cancels this recent are told to the guides: an older one's body is erased anyway
# (content/retention.py, booking_after_cancel), and the query stays small as the log grows.
PRACTICE_CANCEL_WINDOW_MS = 8 * 24 * 60 * MINUTE
_PRACTICE_CANCELS = (
    "SELECT c.request_id, c.reason FROM booking_cancels c "
    "WHERE c.author = substr(c.request_id, 5, 64) AND substr(c.request_id, 116, 32) = ? "
    "AND c.time > ? ORDER BY c.time, c.op_id"
)


def _tell_guides_of_practice_cancels(store: Store, run: _Run) -> None:
    """A booking the practice cancelled (its own key signed the cancel) becomes a call-back
    for the guides, with the practice's reason: the resident has no other way to hear of it
    before the day. Not for cancels by the hub (the resident cancelled), by this server (a
    withdrawn slot: the practice calls its patients itself) or by anyone else: only the
    practice can make the server tell the guides a name, never an admin."""
    conn = store.conn
    since = run.now - PRACTICE_CANCEL_WINDOW_MS
    rows = conn.execute(_PRACTICE_CANCELS, (run.server.key_id[:AUTHOR_PREFIX], since)).fetchall()
    for request_id, reason in rows:
        help_id = _help_id(run, request_id, "#cancelled-by-practice")
        if conn.execute("SELECT 1 FROM ops WHERE entity = ?", (help_id,)).fetchone():
            continue  # told already (each request once, whatever its cancels)
        status = booking_status(conn, request_id)
        person = _person(conn, request_id, run.server)
        if status is None or status.state != "cancelled" or person is None:
            continue
        where = f"{person.hub or 'Dorfhub'}: Arzttermin abgesagt"
        if reason:
            where += f" ({reason})"
        with store.write() as write:
            _raise_help(write, run, help_id, where, person)


def _append(
    conn: sqlite3.Connection, run: _Run, kind: str, entity: str, body: msgspec.Struct
) -> str:
    return append_in(
        conn,
        run.network_id,
        run.server,
        kind,
        entity,
        msgspec.json.encode(body),
        time_ms=run.now,
    )


def seat_count(conn: sqlite3.Connection, slot_id: str) -> int:
    return int(
        conn.execute("SELECT count(*) FROM booking_seats WHERE slot_id = ?", (slot_id,)).fetchone()[
            0
        ]
    )


__all__ = ["MINUTE", "AllocationReport", "allocate", "alternatives", "get_slot", "seat_count"]
