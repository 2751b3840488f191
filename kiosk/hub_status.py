"""Hub status for guide mode: last sync, ops waiting to leave, clock, disk.

Read straight from the store (the kiosk never imports sync): the `peers` table is the hub
daemon's record of each round, and a peer's last known version vector says which of our ops it
still lacked.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from content.clock import trusted_now
from content.store import Store


@dataclass(frozen=True)
class HubStatus:
    last_sync_ms: int | None  # newest successful round with any peer
    pending_ops: int  # our ops the best-synced peer lacked at the last round
    clock_suspect: bool
    clock_skew_s: int
    disk_free_bytes: int
    disk_total_bytes: int

    @property
    def disk_free_percent(self) -> int:
        return round(100 * self.disk_free_bytes / self.disk_total_bytes)


def hub_status(store: Store, hub_key: str, data_dir: Path, wall_ms: int) -> HubStatus:
    conn = store.conn
    own = conn.execute("SELECT seq FROM versions WHERE author = ?", (hub_key,)).fetchone()
    own_seq = int(own[0]) if own else 0
    last_sync: int | None = None
    pending: int | None = None
    for success, vector in conn.execute(
        "SELECT last_success, peer_vector FROM peers WHERE last_success IS NOT NULL"
    ):
        last_sync = max(last_sync or 0, int(success))
        if vector is not None:
            lacking = max(0, own_seq - int(json.loads(vector).get(hub_key, 0)))
            pending = lacking if pending is None else min(pending, lacking)
    if pending is None:
        pending = own_seq  # no peer has confirmed any of them yet
    clock = trusted_now(conn, wall_ms)
    disk = shutil.disk_usage(data_dir)
    return HubStatus(
        last_sync_ms=last_sync,
        pending_ops=pending,
        clock_suspect=clock.clock_suspect,
        clock_skew_s=round(clock.skew_ms / 1000),
        disk_free_bytes=disk.free,
        disk_total_bytes=disk.total,
    )
