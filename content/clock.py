"""Trusted time (ARCHITECTURE.md section 5).

A Raspberry Pi without a real-time clock may wake up days in the past. A hub's "now" is therefore
never earlier than the newest wall-clock time signed by the network root, an admin or the town
server that the hub has seen. Order never depends on this; display windows and expiry do.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from content.roles import TIME_AUTHORITIES

SKEW_REPORT_MS = 60 * 60 * 1000


@dataclass(frozen=True)
class TrustedTime:
    now_ms: int  # what display windows use
    wall_ms: int  # the local clock
    signed_ms: int | None  # newest time signed by a time authority

    @property
    def skew_ms(self) -> int:
        """How far the local clock lags (positive) behind signed time."""
        return 0 if self.signed_ms is None else self.signed_ms - self.wall_ms

    @property
    def clock_suspect(self) -> bool:
        """The local clock lags signed time by more than an hour (reported in status). Signed
        time is only a lower bound, so a clock ahead of it cannot be judged here; the hub
        daemon compares with the town server's clock for that."""
        return self.skew_ms > SKEW_REPORT_MS


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def newest_signed_time(conn: sqlite3.Connection) -> int | None:
    """The time on the newest op (head of each chain) of the root, the admins and the servers.
    Heads keep this one lookup per authority, however long the log grows."""
    authorities = sorted(TIME_AUTHORITIES - {"root"})
    placeholders = ",".join("?" * len(authorities))
    row = conn.execute(
        "SELECT max(o.time) FROM versions v JOIN ops o ON o.id = v.head WHERE v.author IN ("
        "  SELECT root_key FROM network"
        "  UNION SELECT k.key FROM keys k, json_each(k.grants) g"
        f"  WHERE json_extract(g.value, '$.role') IN ({placeholders}))",
        authorities,
    ).fetchone()
    return None if row[0] is None else int(row[0])


def trusted_now(conn: sqlite3.Connection, wall_ms: int | None = None) -> TrustedTime:
    wall = wall_clock_ms() if wall_ms is None else wall_ms
    signed = newest_signed_time(conn)
    return TrustedTime(max(wall, signed or 0), wall, signed)


def to_iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def parse_iso(text: str) -> int:
    """Milliseconds since the epoch from an ISO 8601 date or time (naive means UTC)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
