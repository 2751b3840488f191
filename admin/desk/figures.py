"""The start page's figures, read from the town server's log and views: cheap enough to read on
every refresh (a count over an index, one row per hub)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass

from content.grants import list_keys
from content.notices import count_notices
from content.submissions import pending_count


@dataclass(frozen=True)
class HubSeen:
    name: str
    key: str
    # When the town server last heard from the hub: its last sync here (the server's clock),
    # else its last status report (the hub's clock), else never.
    last_seen_ms: int | None


@dataclass(frozen=True)
class TodayFigures:
    notices: int
    enrollments: int
    hubs: list[HubSeen]
    submissions: int = 0  # waiting for an admin's decision (admin/desk/moderation.py)

    @property
    def fingerprint(self) -> str:
        """Equal figures, equal fingerprint: a refresh that changes nothing swaps nothing."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def today_figures(conn: sqlite3.Connection, now_ms: int) -> TodayFigures:
    return TodayFigures(
        notices=count_notices(conn, at_ms=now_ms),
        enrollments=_waiting_enrollments(conn),
        hubs=_hubs(conn),
        submissions=pending_count(conn),
    )


def _waiting_enrollments(conn: sqlite3.Connection) -> int:
    # The same count as sync.enrollment.waiting_count; the desk reads the table, not sync.
    row = conn.execute("SELECT count(*) FROM enrollments WHERE approved_op IS NULL").fetchone()
    return int(row[0])


def _hubs(conn: sqlite3.Connection) -> list[HubSeen]:
    synced = dict(
        conn.execute(
            "SELECT node, max(last_success) FROM peers WHERE url LIKE 'inbound:%' GROUP BY node"
        ).fetchall()
    )
    reported = dict(conn.execute("SELECT node, time FROM node_status WHERE kind = 'hub.status'"))
    hubs = [key for key in list_keys(conn) if "hub" in key.roles and not key.revoked]
    return [HubSeen(h.name, h.key, synced.get(h.key) or reported.get(h.key)) for h in hubs]
