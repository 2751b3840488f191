"""When each sealed personal body falls due on this node, by what this node knows: the periods
of content/retention.py applied to the views (slots, decisions, cancels, help states), and an
index of those moments (table `sealed_due`, schema migration 14) so the daemons run when the
earliest one comes, not once a day.

Bounded times. The time a period counts from is signed by an author nobody checks, so each is
bounded here (docs/protocol.md "Retention"):
- at most the trusted time this node received the op (table `arrivals`, kept for the kinds in
  TIMED_KINDS): a hub whose clock runs ahead cannot make anyone keep its requests longer;
- a cancellation, rejection or "done" at least the (bounded) time of the request it ends: a
  backdated one counts from the request, no earlier.

The log (content/log.py) asks two things while it applies ops: whether an op of an erasable kind
may arrive without its body (only once this node itself finds it due), and whether a complete
copy of an op it holds without its body fills the body in (while the body is not due here).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from content.booking_ids import slot_of_request
from content.booking_views import counting_cancel
from content.ops import Header, decode_header
from content.retention import (
    ERASABLE_KINDS,
    Days,
    booking_due,
    help_due,
    may_be_erased,
    network_days,
    submission_due,
)

_KINDS = sorted(ERASABLE_KINDS)
# The kinds whose signed time a period counts from: their arrival here is kept.
TIMED_KINDS = frozenset(
    {*ERASABLE_KINDS, "booking.decision", "booking.cancel", "help.update", "moderation.accept"}
)
_MARKS = ",".join("?" * len(_KINDS))
# Views whose rows a body's due moment depends on, with how a changed row names the requests.
_BY_REQUEST = frozenset(
    {
        "booking_requests",
        "booking_decisions",
        "booking_cancels",
        "help_states",
        "sealed_items",
        "moderation_decisions",
    }
)
_BOOKING_ENDS = (
    "SELECT min(t) FROM ("
    " SELECT min(d.time, coalesce(a.arrived, d.time)) AS t FROM booking_decisions d"
    " LEFT JOIN arrivals a ON a.op_id = d.op_id"
    " WHERE d.request_id = :request AND d.outcome = 'rejected'"
    " UNION ALL"
    " SELECT min(x.time, coalesce(a.arrived, x.time)) FROM booking_cancels x"
    " LEFT JOIN arrivals a ON a.op_id = x.op_id"
    " LEFT JOIN booking_decisions d ON d.request_id = x.request_id"
    f" WHERE x.request_id = :request AND {counting_cancel('x', 'x.request_id', 'd.code')})"
)
_HELP_DONE = (
    "SELECT min(min(s.time, coalesce(a.arrived, s.time))) FROM help_states s"
    " LEFT JOIN arrivals a ON a.op_id = s.op_id WHERE s.request_id = ? AND s.state = 'done'"
)

# A submission is decided by the first decision on it (a later one changes nothing here).
_DECIDED = (
    "SELECT min(min(o.time, coalesce(a.arrived, o.time))) FROM ops o"
    " LEFT JOIN arrivals a ON a.op_id = o.id WHERE o.entity = ? AND o.kind = 'moderation.accept'"
)

# An op with the times its period counts from: id, kind, entity, signed time, arrival here.
_OP_TIMES = (
    "o.id, o.kind, o.entity, o.time, a.arrived FROM ops o LEFT JOIN arrivals a ON a.op_id = o.id"
)


def bounded(time_ms: int, arrived_ms: int | None) -> int:
    """An op's time as a period may count from it: never later than it reached this node."""
    return time_ms if arrived_ms is None else min(time_ms, arrived_ms)


def booking_due_here(
    conn: sqlite3.Connection, request_id: str, made_at: int, days: Days, ends: Iterable[int] = ()
) -> tuple[int, bool]:
    """When the request's body falls due here, and whether its slot is known (without it the
    appointment, and so the real moment, is not). `ends`: more cancellations to count."""
    ended = [conn.execute(_BOOKING_ENDS, {"request": request_id}).fetchone()[0], *ends]
    known = [max(made_at, end) for end in ended if end is not None]
    row = conn.execute('SELECT "end" FROM slots WHERE id = ?', (slot_of_request(request_id),))
    slot = row.fetchone()
    appointment_end = slot[0] if slot else None
    due = booking_due(made_at, appointment_end, min(known, default=None), days)
    return due, appointment_end is not None


def help_due_here(
    conn: sqlite3.Connection, request_id: str, made_at: int, days: Days, ends: Iterable[int] = ()
) -> int:
    """When the help request's body falls due here; `ends`: more "done" moments to count."""
    done = [conn.execute(_HELP_DONE, (request_id,)).fetchone()[0], *ends]
    known = [max(made_at, end) for end in done if end is not None]
    return help_due(made_at, min(known, default=None), days)


def submission_due_here(
    conn: sqlite3.Connection, submission_id: str, made_at: int, days: Days, ends: Iterable[int] = ()
) -> int:
    """When the submission's body falls due here; `ends`: more decisions to count."""
    decided = [conn.execute(_DECIDED, (submission_id,)).fetchone()[0], *ends]
    known = [max(made_at, end) for end in decided if end is not None]
    return submission_due(made_at, min(known, default=None), days)


def due_here(conn: sqlite3.Connection, kind: str, entity: str, made_at: int, days: Days) -> int:
    """When the body of an op of `kind` about `entity`, made (bounded) at `made_at`, falls due
    here. A booking whose slot is unknown counts from the request."""
    if kind == "help.request":
        return help_due_here(conn, entity, made_at, days)
    if kind == "submission.put":
        return submission_due_here(conn, entity, made_at, days)
    return booking_due_here(conn, entity, made_at, days)[0]


def may_arrive_without_body(conn: sqlite3.Connection, header: Header, now_ms: int) -> bool:
    """Whether an op of an erasable kind may be taken without its body: only once this node
    itself finds the body due (so a relay that strips a body gains nothing; the op waits for a
    complete copy). The author's own cancellation or "done" still waiting here right behind it
    counts, or a node that got the request from a peer that erased it would hold the author's
    later ops for weeks. Where the due moment cannot be told (a booking whose slot this node
    does not know), the kind's shortest period since the request decides, as any honest node
    may have erased it by then."""
    days = network_days(conn)
    made_at = min(header.time, now_ms)
    ends = _waiting_ends(conn, header, now_ms)
    if header.kind == "help.request":
        return help_due_here(conn, header.entity, made_at, days, ends) <= now_ms
    if header.kind == "submission.put":
        # Decided by an admin's op, never by its own author's: nothing of it waits behind.
        return submission_due_here(conn, header.entity, made_at, days) <= now_ms
    if header.kind != "booking.request":
        return False
    due, slot_known = booking_due_here(conn, header.entity, made_at, days, ends)
    if slot_known:
        return due <= now_ms
    return may_be_erased(header.kind, made_at, now_ms, days)


def body_wanted(conn: sqlite3.Connection, op_id: str, now_ms: int) -> bool:
    """Whether the op, held here without its body, should take it from a complete copy: it is
    of an erasable kind and its body is not due here. A body that fell due never comes back."""
    row = conn.execute(
        f"SELECT {_OP_TIMES} WHERE o.id = ? AND o.body IS NULL AND o.kind IN ({_MARKS})",
        (op_id, *_KINDS),
    ).fetchone()
    if row is None:
        return False
    _, kind, entity, time_ms, arrived = row
    return due_here(conn, kind, entity, bounded(time_ms, arrived), network_days(conn)) > now_ms


def _waiting_ends(conn: sqlite3.Connection, header: Header, now_ms: int) -> list[int]:
    """The times of the author's own ops parked here after this one that end it: a booking's
    cancellation, a help request's "done" (each at most now, when it reached this node)."""
    rows = conn.execute(
        "SELECT header, body FROM parked_ops WHERE author = ? AND seq > ? AND body IS NOT NULL",
        (header.author, header.seq),
    )
    ends = []
    for header_bytes, body in rows:
        later = decode_header(header_bytes)
        if later.entity != header.entity:
            continue
        if later.kind == "booking.cancel" or (later.kind == "help.update" and _done(body)):
            ends.append(min(later.time, now_ms))
    return ends


def _done(body: bytes) -> bool:
    try:
        return bool(msgspec.json.decode(body).get("state") == "done")
    except (msgspec.DecodeError, AttributeError):
        return False


# ---- the index ---------------------------------------------------------------------------------


def requests_touched(conn: sqlite3.Connection, view: str, entity: str) -> list[str]:
    """The requests whose due moment a changed row of `view` about `entity` may move."""
    if view in _BY_REQUEST:
        return [entity]
    if view == "slots":
        rows = conn.execute("SELECT id FROM booking_requests WHERE slot_id = ?", (entity,))
        return [request for (request,) in rows]
    return []


def refresh(
    conn: sqlite3.Connection, entities: Iterable[str] = (), everything: bool = False
) -> None:
    """Compute again the due moments of the bodies held for `entities` (or for every one)."""
    days = network_days(conn)
    if everything:
        conn.execute("DELETE FROM sealed_due")
        rows = conn.execute(
            f"SELECT {_OP_TIMES} WHERE o.kind IN ({_MARKS}) AND o.body IS NOT NULL", _KINDS
        ).fetchall()
        _insert(conn, rows, days)
        return
    for entity in sorted(set(entities)):
        conn.execute("DELETE FROM sealed_due WHERE entity = ?", (entity,))
        rows = conn.execute(
            f"SELECT {_OP_TIMES} WHERE o.entity = ? AND o.kind IN ({_MARKS}) "
            "AND o.body IS NOT NULL",
            (entity, *_KINDS),
        ).fetchall()
        _insert(conn, rows, days)


def _insert(
    conn: sqlite3.Connection, rows: list[tuple[str, str, str, int, int | None]], days: Days
) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO sealed_due VALUES (?, ?, ?)",
        [
            (op_id, entity, due_here(conn, kind, entity, bounded(time_ms, arrived), days))
            for op_id, kind, entity, time_ms, arrived in rows
        ],
    )


def next_due(conn: sqlite3.Connection) -> int | None:
    """The earliest moment a body held here falls due (an index lookup)."""
    row = conn.execute("SELECT min(due) FROM sealed_due").fetchone()
    return None if row[0] is None else int(row[0])


def due_by(conn: sqlite3.Connection, now_ms: int) -> list[tuple[str, str, bytes]]:
    """(op id, kind, body) of the bodies held here that are due by `now_ms`. The index is read
    first, then those entries are computed again (a cancellation revoked since makes one later)."""
    entities = [
        entity
        for (entity,) in conn.execute(
            "SELECT DISTINCT entity FROM sealed_due WHERE due <= ?", (now_ms,)
        ).fetchall()
    ]
    refresh(conn, entities)
    return conn.execute(
        "SELECT o.id, o.kind, o.body FROM sealed_due s JOIN ops o ON o.id = s.op_id "
        "WHERE s.due <= ? AND o.body IS NOT NULL ORDER BY s.due, o.id",
        (now_ms,),
    ).fetchall()
