"""A small network on real SQLite files for the sensor tests: root, an admin, two hubs, a town
store and a store for each hub; readings made to order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from content import grants
from content.identity import Identity, network_id_for
from content.log import Log
from content.store import Store
from hardware.readings import OK, QUANTITY_UNITS, Reading

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# A fixed, window-aligned start in the past (2026-01-01T00:00Z), so tests read like a clock.
T0 = 1_767_225_600_000


@dataclass
class Room:
    root: Identity
    admin: Identity
    hub: Identity
    other_hub: Identity
    network_id: str
    town: Log  # the town server's store: holds every grant
    hub_log: Log  # the hub's own store
    directory: Path
    opened: list[Store]

    def fresh_log(self, name: str) -> Log:
        return _open_log(self.directory / f"{name}.db", self.network_id, self.opened)

    def reopen_hub(self) -> Log:
        """A second connection to the hub's database file, as after a restart."""
        store = Store(self.hub_log.store.path)
        self.opened.append(store)
        return Log(store)

    def close(self) -> None:
        for store in self.opened:
            store.close()


def _open_log(path: Path, network_id: str, opened: list[Store]) -> Log:
    store = Store(path)
    opened.append(store)
    store.set_network(network_id)
    return Log(store)


def make_room(directory: Path) -> Room:
    root, admin = Identity.generate("Netzwerk-Wurzel"), Identity.generate("Verwaltung")
    hub, other = Identity.generate("Ringelai"), Identity.generate("Perlesreut")
    network_id = network_id_for(root.key_id)
    opened: list[Store] = []
    town = _open_log(directory / "town.db", network_id, opened)
    grants.grant(town, root, admin.public, "admin", admin.name, may_grant=True)
    grants.grant(town, admin, hub.public, "hub", hub.name)
    grants.grant(town, admin, other.public, "hub", other.name)
    hub_log = _open_log(directory / "hub.db", network_id, opened)
    hub_log.ingest(list(town.ops_missing_from({})))
    return Room(root, admin, hub, other, network_id, town, hub_log, directory, opened)


def reading(
    time_ms: int, quantity: str, value: float, sensor: str = "bme280-1", status: str = OK
) -> Reading:
    return Reading(time_ms, sensor, quantity, value, QUANTITY_UNITS[quantity], status)


def every(start_ms: int, end_ms: int, step_ms: int) -> Iterator[int]:
    return iter(range(start_ms, end_ms, step_ms))


def count_ops(log: Log, kind: str) -> int:
    row = log.store.conn.execute("SELECT count(*) FROM ops WHERE kind = ?", (kind,)).fetchone()
    return int(row[0])
