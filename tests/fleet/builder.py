"""A town server's store with hubs in it, written through the real log: grants, the hubs' own
`hub.status`, `sensor.rollup` and `sensor.alert` ops, and the server's record of each hub's
pulls (sync/server.py), as if the hubs had synced with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content import grants
from content.bodies import encode_body
from content.identity import Identity, network_id_for
from content.log import Log
from content.sensors import WINDOW_MS, alert_entity, rollup_entity
from content.store import Store
from sync.server import _remember_peer

GROUP = "Ilzer Land"
ALERT_TITLES = {"de": "Lüften bitte", "en": "Please air the room", "de-LS": "Bitte lüften"}


@dataclass
class Town:
    log: Log
    root: Identity
    admin: Identity
    hubs: list[Identity]

    @property
    def store(self) -> Store:
        return self.log.store


def make_town(path: Path, hub_names: list[str]) -> Town:
    root = Identity.generate("Netzwerk-Wurzel")
    admin = Identity.generate("Verwaltung")
    store = Store(path)
    store.set_network(network_id_for(root.key_id))
    log = Log(store)
    grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
    hubs = []
    for name in hub_names:
        hub = Identity.generate(name)
        grants.grant(log, admin, hub.public, "hub", name, groups=[GROUP])
        hubs.append(hub)
    return Town(log, root, admin, hubs)


def report(town: Town, hub: Identity, **fields: Any) -> None:
    """A hub.status op as the hub daemon writes it (node/daemon.py), with `fields` changed."""
    body: dict[str, Any] = {
        "name": hub.name,
        "software": "dorfhub 0.9.0",
        "ops": 10,
        "clock_skew_s": 0,
        "clock_suspect": False,
        "quarantined": [],
        "disk_free_bytes": 12_300_000_000,
        "disk_total_bytes": 32_000_000_000,
        "clock_offset_s": 2,
    }
    body.update(fields)
    town.log.append(hub, "hub.status", hub.key_id, encode_body(body))


def rollup(town: Town, hub: Identity, window_start: int, series: list[tuple[str, str]]) -> None:
    """One 10-minute window of (sensor, quantity) series."""
    rows = [
        {
            "sensor": sensor,
            "quantity": quantity,
            "unit": "ppm" if quantity == "co2" else "x",
            "mean": 800.0,
            "min": 790.0,
            "max": 810.0,
            "count": 58,
            "samples": 60,
        }
        for sensor, quantity in series
    ]
    body = {"window_start": window_start, "window_end": window_start + WINDOW_MS, "series": rows}
    town.log.append(
        hub, "sensor.rollup", rollup_entity(hub.key_id, window_start), encode_body(body)
    )


def alert(town: Town, hub: Identity, raised_at: int, state: str = "active") -> None:
    body = {
        "sensor": "s8-1",
        "rule": "co2",
        "quantity": "co2",
        "level": "ventilate",
        "state": state,
        "priority": "important",
        "value": 1450.0,
        "unit": "ppm",
        "raised_at": raised_at,
        "title": ALERT_TITLES,
        "text": ALERT_TITLES,
        "table_version": "test",
        "source": "test",
    }
    entity = alert_entity(hub.key_id, "s8-1", "co2", raised_at)
    town.log.append(hub, "sensor.alert", entity, encode_body(body))


def pulled(town: Town, hub: Identity, behind: int = 0) -> None:
    """The hub pulled from the server and holds all of its log but the last `behind` ops of
    the admin: what the server records of a pull (sync/server.py)."""
    vector = town.log.wanted_vector()
    vector[town.admin.key_id] = vector.get(town.admin.key_id, 0) - behind
    _remember_peer(town.store, hub.key_id, vector, pulled=True)


SERIES = [
    ("sds011-1", "pm2_5"),
    ("sds011-1", "pm10"),
    ("s8-1", "co2"),
    ("bme280-1", "temperature"),
    ("bme280-1", "humidity"),
    ("scd30-1", "co2"),
    ("scd30-1", "temperature"),
    ("scd30-1", "humidity"),
]


def history(town: Town, hub: Identity, end_ms: int, hours: int) -> None:
    """`hours` of 10-minute rollups of SERIES ending at `end_ms`: the newest window through the
    log, the older ones written straight into the view (as many rows as their ops would fold
    into, pointing at the newest op), so a speed test need not sign thousands of ops."""
    newest = end_ms - WINDOW_MS
    rollup(town, hub, newest, SERIES)
    conn = town.store.conn
    op_id = conn.execute(
        "SELECT op_id FROM sensor_rollups WHERE entity = ?", (rollup_entity(hub.key_id, newest),)
    ).fetchone()[0]
    windows = range(newest - hours * 6 * WINDOW_MS, newest, WINDOW_MS)
    rows = [
        (
            f"{rollup_entity(hub.key_id, start)}:{sensor}:{quantity}",
            rollup_entity(hub.key_id, start),
            hub.key_id,
            sensor,
            quantity,
            "x",
            start,
            start + WINDOW_MS,
            1.0,
            1.0,
            1.0,
            60,
            60,
            "[]",
            op_id,
            1,
        )
        for start in windows
        for sensor, quantity in SERIES
    ]
    with town.store.write() as write:
        write.executemany(
            "INSERT INTO sensor_rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
