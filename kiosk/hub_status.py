"""Hub status for guide mode: last sync, ops waiting to leave, clock, disk, sensors.

Read straight from the store (the kiosk never imports sync): the `peers` table is the hub
daemon's record of each round, and a peer's last known version vector says which of our ops it
still lacked. The sensors' counters come from `sensor-status.json`, which the hub daemon's sensor
loop rewrites every few seconds (node/sensing.py); a file older than a minute means the loop is
not running.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content.clock import trusted_now
from content.store import Store

SENSOR_STATUS_FILE = "sensor-status.json"  # node.sensing.STATUS_FILE (the kiosk never imports node)
SENSOR_STATUS_MAX_AGE_MS = 60_000

log = logging.getLogger("dorfhub.kiosk")


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


@dataclass(frozen=True)
class SensorLine:
    """One sensor's counters as the reader service reported them."""

    sensor_id: str
    connected: bool
    frames_ok: int
    checksum_errors: int
    reconnects: int
    last_error: str


@dataclass(frozen=True)
class SensorService:
    running: bool  # the status file exists, parses and is at most a minute old
    updated_ms: int | None
    sensors: tuple[SensorLine, ...]


def _count(counters: dict[str, Any], name: str) -> int:
    value = counters.get(name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def sensor_service(data_dir: Path, wall_ms: int) -> SensorService:
    """What the hub daemon last wrote about its sensors; not running when the file is missing,
    unreadable or older than `SENSOR_STATUS_MAX_AGE_MS` (the daemon rewrites it every 5 s)."""
    path = data_dir / SENSOR_STATUS_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        updated = document["updated_ms"]
        counters = document["counters"]
        if not isinstance(updated, int) or not isinstance(counters, dict):
            raise ValueError("updated_ms or counters of the wrong type")
    except FileNotFoundError:
        return SensorService(False, None, ())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable %s: %s", path, exc)
        return SensorService(False, None, ())
    lines = tuple(
        SensorLine(
            sensor_id=str(sensor_id),
            connected=values.get("connected") is True,
            frames_ok=_count(values, "frames_ok"),
            checksum_errors=_count(values, "checksum_errors"),
            reconnects=_count(values, "reconnects"),
            last_error=str(values.get("last_error") or ""),
        )
        for sensor_id, values in sorted(counters.items())
        if isinstance(values, dict)
    )
    # Both processes use the same wall clock; a clock set back is no reason to call it dead.
    return SensorService(abs(wall_ms - updated) <= SENSOR_STATUS_MAX_AGE_MS, updated, lines)
