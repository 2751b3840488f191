"""Store.log_version: it moves with every op stored or taken out, and with nothing else, so the
kiosk can tell a new op from the hub's own bookkeeping (sensor readings every few seconds)."""

from __future__ import annotations

from content import notices, sensors
from content.clock import wall_clock_ms
from content.store import Store
from tests.content.conftest import Network
from tests.content.helpers import all_ops, notice, sync


def test_every_op_stored_moves_it(network: Network) -> None:
    before = network.store.log_version()
    notices.publish(network.log, network.admin, notice())
    assert network.store.log_version() == before + 1
    office = network.fresh_log("office")
    assert office.store.log_version() == 0
    sync(network.log, office)
    assert office.store.log_version() == len(all_ops(network.log))


def test_sensor_readings_leave_it(network: Network) -> None:
    store = network.store
    watcher = Store(store.path)
    seen = watcher.data_version()
    before = store.log_version()
    with store.write() as conn:
        sensors.insert_readings(conn, [(wall_clock_ms(), "sds011", "pm25", 4.0, "µg/m³", "ok")])
    assert watcher.data_version() != seen  # a commit the kiosk sees…
    assert store.log_version() == before  # …that is no op
    watcher.close()
