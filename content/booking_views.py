"""The folds behind the booking views: practices, slots, booking requests, decisions, cancels.

Each fold is one UPSERT whose merge is commutative: practice records and slots are last writer
wins on (lamport, author), a slot withdrawal is a tombstone for good, a request or decision keeps
its earliest op, cancels are kept as facts. Whether a cancel counts is decided when read
(`counting_cancel`, the one definition every query is made from), so nothing here depends on
the order ops arrive in.
"""

from __future__ import annotations

import sqlite3

import msgspec

from content.booking_bodies import (
    DecisionBody,
    PracticeMetaBody,
    SlotBody,
)
from content.booking_ids import practice_of_slot, request_on_behalf, slot_of_request
from content.ops import later_sql

_WINS = later_sql("excluded", "{t}")
_PRACTICE = (
    "INSERT INTO practices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(
        f"{c} = excluded.{c}"
        for c in (
            "name",
            "address",
            "phone",
            "specialty",
            "video_url",
            "services",
            "op_id",
            "author",
            "lamport",
        )
    )
    + " WHERE "
    + _WINS.format(t="practices")
)
_SLOT_COLUMNS = (
    "service_id",
    "service",
    "start",
    "end",
    "capacity",
    "place",
    "op_id",
    "author",
    "lamport",
)
_SLOT = (
    "INSERT INTO slots (id, practice, service_id, service, start, end, capacity, place, op_id, "
    "author, lamport) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _SLOT_COLUMNS)
    + " WHERE slots.lamport IS NULL OR "
    + _WINS.format(t="slots")
)
_WITHDRAW = (
    "INSERT INTO slots (id, practice, withdraw_op, withdrawn_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET withdraw_op = excluded.withdraw_op, "
    "withdrawn_at = excluded.withdrawn_at "
    "WHERE slots.withdraw_op IS NULL OR excluded.withdraw_op < slots.withdraw_op"
)
_EARLIER = (
    "(excluded.lamport < {t}.lamport OR (excluded.lamport = {t}.lamport"
    " AND excluded.op_id < {t}.op_id))"
)
_REQUEST = (
    "INSERT INTO booking_requests VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    "op_id = excluded.op_id, lamport = excluded.lamport, time = excluded.time WHERE "
    + _EARLIER.format(t="booking_requests")
)
_DECISION = (
    "INSERT INTO booking_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (request_id) DO UPDATE SET "
    + ", ".join(
        f"{c} = excluded.{c}"
        for c in ("outcome", "code", "alternatives", "reason", "op_id", "author", "lamport", "time")
    )
    + " WHERE "
    + _EARLIER.format(t="booking_decisions")
)


def counting_cancel(cancel: str, request: str, code: str) -> str:
    """SQL: whether the booking_cancels row `cancel` counts for the request whose id is the SQL
    expression `request` and whose decision's code is `code`. It counts when it comes from the
    requester (a hub or guide), the slot's practice or the request's own booking authority (not
    any other server), or shows the booking's code; the request id names them all, at the
    offsets of content/booking_ids.py. Other cancels are stored but change nothing."""
    return (
        f"(substr({cancel}.author, 1, 32) = substr({request}, 83, 32)"
        f" OR {cancel}.author = substr({request}, 5, 64)"
        f" OR ({cancel}.code IS NOT NULL AND {cancel}.code = {code})"
        f" OR substr({cancel}.author, 1, 32) = substr({request}, 116, 32))"
    )


def states_sql(ids: str) -> str:
    """The state of each request whose id the subquery `ids` (one column `id`) yields, started
    from those ids so that looking up one request does not compute every other one. Precedence:
    rejected > cancelled (by a counting cancel, its earliest, whose reason is the one given) >
    confirmed > pending."""
    return (
        "SELECT request_id, slot_id, practice, on_behalf, requester, requested_at, CASE"
        " WHEN outcome = 'rejected' THEN 'rejected'"
        " WHEN cancelled_at IS NOT NULL THEN 'cancelled'"
        " WHEN outcome = 'confirmed' THEN 'confirmed' ELSE 'pending' END AS state,"
        " code, alternatives, reason, decided_at, cancelled_at, cancel_reason FROM ("
        "  SELECT ids.id AS request_id, substr(ids.id, 3, 77) AS slot_id,"
        "   substr(ids.id, 5, 64) AS practice, substr(ids.id, 81, 1) = 'g' AS on_behalf,"
        "   r.author AS requester, r.time AS requested_at, d.outcome, d.code, d.alternatives,"
        "   d.reason, d.time AS decided_at,"
        "   (SELECT min(x.time) FROM booking_cancels x WHERE x.request_id = ids.id AND "
        f"    {counting_cancel('x', 'ids.id', 'd.code')}) AS cancelled_at,"
        # The reason of the cancel that counts first: what the kiosk and the slip say.
        "   (SELECT x.reason FROM booking_cancels x WHERE x.request_id = ids.id AND "
        f"    {counting_cancel('x', 'ids.id', 'd.code')} ORDER BY x.time, x.op_id LIMIT 1)"
        "    AS cancel_reason"
        f"  FROM ({ids}) ids"
        "  LEFT JOIN booking_requests r ON r.id = ids.id"
        "  LEFT JOIN booking_decisions d ON d.request_id = ids.id"
        "  WHERE r.id IS NOT NULL OR d.request_id IS NOT NULL)"
    )


def fold_practice(
    conn: sqlite3.Connection, op_id: str, author: str, lamport: int, entity: str, body: object
) -> None:
    assert isinstance(body, PracticeMetaBody)
    services = msgspec.json.encode(body.services).decode()
    conn.execute(
        _PRACTICE,
        (
            entity,
            body.name,
            body.address,
            body.phone,
            body.specialty,
            body.video_url,
            services,
            op_id,
            author,
            lamport,
        ),
    )


def fold_slot(
    conn: sqlite3.Connection,
    op_id: str,
    author: str,
    lamport: int,
    time_ms: int,
    kind: str,
    entity: str,
    body: object,
) -> None:
    practice = practice_of_slot(entity)
    assert practice is not None
    if kind == "slot.withdraw":
        conn.execute(_WITHDRAW, (entity, practice, op_id, time_ms))
        return
    assert isinstance(body, SlotBody)
    service = body.service
    conn.execute(
        _SLOT,
        (
            entity,
            practice,
            service.id,
            msgspec.json.encode(service).decode(),
            body.start,
            body.start + service.duration_min * 60_000,
            body.capacity,
            body.place,
            op_id,
            author,
            lamport,
        ),
    )


def fold_request(
    conn: sqlite3.Connection, op_id: str, author: str, lamport: int, time_ms: int, entity: str
) -> None:
    slot = slot_of_request(entity)
    assert slot is not None
    on_behalf = request_on_behalf(entity)
    conn.execute(_REQUEST, (entity, slot, author, on_behalf, op_id, lamport, time_ms))


def fold_decision(
    conn: sqlite3.Connection,
    op_id: str,
    author: str,
    lamport: int,
    time_ms: int,
    entity: str,
    body: object,
) -> None:
    assert isinstance(body, DecisionBody)
    alternatives = msgspec.json.encode(body.alternatives).decode()
    conn.execute(
        _DECISION,
        (
            entity,
            body.slot,
            body.outcome,
            body.code,
            alternatives,
            body.reason,
            op_id,
            author,
            lamport,
            time_ms,
        ),
    )


def fold_cancel(
    conn: sqlite3.Connection,
    op_id: str,
    author: str,
    lamport: int,
    time_ms: int,
    entity: str,
    code: str | None,
    reason: str,
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO booking_cancels VALUES (?, ?, ?, ?, ?, ?, ?)",
        (op_id, entity, author, code, reason, lamport, time_ms),
    )
