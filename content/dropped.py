"""Counts of what a node dropped at a limit (content/limits.py): held ops evicted, enrollment
requests pushed out, nonces forgotten early, connections closed at once.

A count that grows tells an admin that some peer is pushing against the limits; `dorfhub status`
shows them. Counting happens inside the caller's write transaction, so it is as durable as the
drop it records.
"""

from __future__ import annotations

import sqlite3
import time


def count_dropped(conn: sqlite3.Connection, what: str, count: int = 1) -> None:
    """Add `count` to the tally for `what` (call inside a write transaction)."""
    if count <= 0:
        return
    conn.execute(
        "INSERT INTO dropped (what, count, last_at) VALUES (?, ?, ?) "
        "ON CONFLICT (what) DO UPDATE SET count = count + excluded.count, "
        "last_at = excluded.last_at",
        (what, count, int(time.time() * 1000)),
    )


def dropped_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {what: int(count) for what, count in conn.execute("SELECT what, count FROM dropped")}
