"""The folds behind the booking views: practices, slots, booking requests, decisions, cancels.

Each fold is one UPSERT whose merge is commutative: practice records and slots are last writer
wins on (lamport, author), a slot withdrawal is a tombstone for good, a request or decision keeps
its earliest op, cancels are kept as facts. Whether a cancel counts is decided when read (the
`booking_states` SQL view), so nothing here depends on the order ops arrive in.
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

_WINS = (
    "(excluded.lamport > {t}.lamport OR (excluded.lamport = {t}.lamport"
    " AND excluded.author > {t}.author))"
)
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
