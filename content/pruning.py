"""Erasing personal data once its retention period ends (content/retention.py), on every node.

`erase_due(store)` drops the sealed bodies that fell due, of applied and of parked ops, in one
transaction; the headers stay, verifiable through their body hashes. Then no trace of them may
stay in the files: the store runs with `secure_delete` (freed cells, free pages and overflow
pages are zeroed), the WAL is checkpointed and truncated, and a sample of the erased bodies is
searched for in the database file and its WAL. Should one be found (space freed before
`secure_delete` was on, in a database from an older version), the database is VACUUMed.
"""

from __future__ import annotations

import mmap
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from content import retention_due
from content.booking import OpenedBooking, normalize_code
from content.clock import trusted_now
from content.ops import decode_header
from content.retention import ERASABLE_KINDS, Days, network_days
from content.store import Store, truncate_wal

# Erased bodies searched for in the files after each run: enough to find a database that needs
# a VACUUM, few enough that a large town server's file is read in seconds.
SAMPLE_BODIES = 16
# The slice of a body searched for: the end of its ciphertext and its authentication tag.
TRACE_BYTES = 32


@dataclass
class ErasureReport:
    bookings: int = 0
    help_requests: int = 0
    submissions: int = 0
    parked: int = 0
    wal_truncated: bool = False
    vacuumed: bool = False
    traces: int = 0  # sampled erased bodies still found in a file: 0 unless something is wrong
    next_due: int | None = None  # when the next body held here falls due (None: none held)

    @property
    def erased(self) -> int:
        return self.bookings + self.help_requests + self.submissions + self.parked

    def line(self) -> str:
        """One line for the CLI and the daemon's log: what was erased, and how the files are."""
        files = "WAL truncated" if self.wal_truncated else "WAL kept by a reader, tried again"
        if self.vacuumed:
            files += ", database vacuumed"
        traces = "no trace left" if not self.traces else f"{self.traces} traces left"
        return (
            f"erased the personal data of {self.bookings} bookings, {self.help_requests} help "
            f"requests, {self.submissions} submissions and {self.parked} waiting ops; {files}; "
            f"{traces}"
        )


def erase_due(store: Store, now_ms: int | None = None, everything: bool = True) -> ErasureReport:
    """Erase every sealed body whose retention period has ended by `now_ms` (default: trusted
    now), then scrub the files. Returns what was done, and when the next body falls due.

    `everything`: compute every due moment again first (a daemon's start, daily, `dorfhub
    retention run`), not only those the index says have come (the daemon's run at that
    moment); so an index older than this software, or off for any reason, is set right."""
    report = ErasureReport()
    with store.write() as conn:
        now = trusted_now(conn).now_ms if now_ms is None else now_ms
        if everything:
            retention_due.refresh(conn, everything=True)
        applied = retention_due.due_by(conn, now)
        parked, parked_next = _due_parked(conn, now, network_days(conn))
        samples = [body[-TRACE_BYTES:] for _, _, body in applied + parked]
        conn.executemany("UPDATE ops SET body = NULL WHERE id = ?", [(i,) for i, _, _ in applied])
        conn.executemany("DELETE FROM sealed_due WHERE op_id = ?", [(i,) for i, _, _ in applied])
        conn.executemany(
            "UPDATE parked_ops SET body = NULL, size = length(header) WHERE id = ?",
            [(op_id,) for op_id, _, _ in parked],
        )
        if applied or parked:
            # Readers that show opened bodies (the kiosk's guide list) read them again.
            conn.execute("UPDATE log_changes SET count = count + 1")
        coming = [t for t in (retention_due.next_due(conn), parked_next) if t is not None]
        report.next_due = min(coming, default=None)
    kinds = [kind for _, kind, _ in applied]
    report.bookings = kinds.count("booking.request")
    report.help_requests = kinds.count("help.request")
    report.submissions = kinds.count("submission.put")
    report.parked = len(parked)
    _scrub(store, samples[:: max(1, len(samples) // SAMPLE_BODIES)][:SAMPLE_BODIES], report)
    return report


def _due_parked(
    conn: sqlite3.Connection, now_ms: int, days: Days
) -> tuple[list[tuple[str, str, bytes]], int | None]:
    """(op id, kind, body) of the ops waiting in parking whose body fell due, and when the next
    of the others does (parking is capped, so reading its headers is cheap). A parked op's
    time is bounded by now: when it arrived is not kept."""
    due, later = [], []
    for op_id, header_bytes, body in conn.execute(
        "SELECT id, header, body FROM parked_ops WHERE body IS NOT NULL"
    ).fetchall():
        header = decode_header(header_bytes)
        if header.kind not in ERASABLE_KINDS:
            continue
        moment = due_at(conn, header.kind, header.entity, min(header.time, now_ms), days)
        if moment <= now_ms:
            due.append((op_id, header.kind, body))
        else:
            later.append(moment)
    return due, min(later, default=None)


def due_at(conn: sqlite3.Connection, kind: str, entity: str, made_at: int, days: Days) -> int:
    """When the personal body of an op of `kind` about `entity`, made (bounded) at `made_at`,
    falls due, by what this node knows now (a cancellation or a "done" it receives later only
    brings it forward)."""
    return retention_due.due_here(conn, kind, entity, made_at, days)


def within_retention(
    conn: sqlite3.Connection, opened: list[OpenedBooking], now_ms: int | None = None
) -> list[OpenedBooking]:
    """The opened bookings whose personal data has not fallen due: what a practice may still
    be shown, even before the run erases the others."""
    now = trusted_now(conn).now_ms if now_ms is None else now_ms
    days = network_days(conn)
    return [
        booking
        for booking in opened
        if due_at(conn, "booking.request", booking.status.request_id, _made_at(conn, booking), days)
        > now
    ]


def _made_at(conn: sqlite3.Connection, booking: OpenedBooking) -> int:
    """The request's time as its period counts from it (bounded by its arrival here)."""
    row = conn.execute(
        "SELECT o.time, a.arrived FROM booking_requests r JOIN ops o ON o.id = r.op_id "
        "LEFT JOIN arrivals a ON a.op_id = o.id WHERE r.id = ?",
        (booking.status.request_id,),
    ).fetchone()
    if row is None:
        return booking.status.decided_at or booking.person.created
    return retention_due.bounded(row[0], row[1])


def erased_bookings(conn: sqlite3.Connection, practice: str) -> int:
    """How many of the practice's booking requests this node holds with their body erased."""
    row = conn.execute(
        "SELECT count(*) FROM booking_requests r JOIN ops o ON o.id = r.op_id "
        "WHERE o.body IS NULL AND r.slot_id IN (SELECT id FROM slots WHERE practice = ?)",
        (practice,),
    ).fetchone()
    return int(row[0])


def booking_erased(conn: sqlite3.Connection, reference: str) -> bool | None:
    """Whether the personal data of the booking a slip names is erased here: `reference` is its
    booking code, or while it was pending the last 8 characters of its request id. None if
    this node knows no such booking."""
    row = conn.execute(
        "SELECT request_id FROM booking_decisions WHERE code = ?", (normalize_code(reference),)
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id FROM booking_requests WHERE id LIKE ?", (f"%.{reference}",)
        ).fetchone()
    if row is None:
        return None
    kept = conn.execute(
        "SELECT 1 FROM ops WHERE kind = 'booking.request' AND entity = ? AND body IS NOT NULL",
        (row[0],),
    ).fetchone()
    return kept is None


def _scrub(store: Store, sample: list[bytes], report: ErasureReport) -> None:
    """Leave no copy of the erased bodies in the database file or its WAL. A copy in the WAL
    goes with its truncation (held off while a reader keeps it: counted, tried again later);
    one in the database file needs a VACUUM."""
    report.wal_truncated = truncate_wal(store.conn)
    if not sample:
        return
    database, wal = store.path, store.path.with_name(store.path.name + "-wal")
    if traces([database], sample):
        store.conn.execute("VACUUM")
        report.vacuumed = True
        report.wal_truncated = truncate_wal(store.conn)
    report.traces = traces([database, wal], sample)


def traces(files: list[Path], needles: list[bytes]) -> int:
    """How many of `needles` occur in any of `files`."""
    return sum(1 for needle in needles if any(_holds(path, needle) for path in files))


def _holds(path: Path, needle: bytes) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(needle) >= 0
