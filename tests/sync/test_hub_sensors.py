"""`dorfhub hub` reads the sensors of its config.toml: three emulated sensors on real ptys feed
the hub's database and its status file; SIGTERM and SIGKILL keep what was already stored."""

from __future__ import annotations

import json
import signal
import sqlite3
from contextlib import closing
from pathlib import Path

from content import grants
from content.log import Log
from content.log_audit import verify_store
from hardware.emulators import Knobs
from node.home import Home
from node.setup import init_node
from tests.hardware.emulated import MakeEmulator
from tests.sync.conftest import running, start_peer
from tests.sync.procs import wait_for

SENSORS = (
    ("feinstaub", "sds011", {"pm2_5": 8.0, "pm10": 14.0}),
    ("co2", "s8", {"co2": 850.0}),
    ("klima", "jsonl", {"temperature": 22.5, "humidity": 45.0}),
)


def _hub_with_sensors(tmp_path: Path, town: Path, server_url: str, make: MakeEmulator) -> Home:
    town_home = Home(town)
    hub, identity = init_node(tmp_path / "hub", "hub", "Ringelai", town_home.config.network_id)
    with town_home.store() as store:
        grants.grant(Log(store), town_home.publisher(), identity.public, "hub", "Ringelai")
    config = hub.config
    config.server_url = server_url
    hub.save_config(config)
    entries = []
    for sensor_id, driver, values in SENSORS:
        emu = make(driver, Knobs(values=values, report_every_s=0.5), name=sensor_id)
        # No duty cycling in a test: the SDS011 reads at its interval like the others.
        entry = {"id": sensor_id, "driver": driver, "port": str(emu.link), "interval": 1}
        entries.append(entry | ({"max_duty": 1.0} if driver == "sds011" else {}))
    hub.save_table("sensors", entries)
    assert hub.config.server_url == server_url  # saving one table keeps the others
    return hub


def _stored_quantities(hub: Home) -> set[str]:
    uri = f"file:{hub.db_path}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = conn.execute("SELECT DISTINCT quantity FROM sensor_readings WHERE status = 'ok'")
        return {row[0] for row in rows}


def _status(hub: Home) -> dict[str, object] | None:
    path = hub.path / "sensor-status.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_the_hub_daemon_records_its_sensors(
    tmp_path: Path, town: Path, emulator: MakeEmulator
) -> None:
    with running(town) as server:
        hub = _hub_with_sensors(tmp_path, town, server.url, emulator)
        with running(hub.path, "hub"):
            expected = {"pm2_5", "pm10", "co2", "temperature", "humidity"}
            wait_for(lambda: _stored_quantities(hub) >= expected, 60, "readings of 3 sensors")
            status = wait_for(lambda: _status(hub), 20, "sensor-status.json")
            counters = status["counters"]
            assert isinstance(counters, dict)
            assert set(counters) == {"feinstaub", "co2", "klima"}
            assert all(c["connected"] and c["frames_ok"] > 0 for c in counters.values())
    with hub.store() as store:
        assert verify_store(store).ok


def test_readings_survive_a_killed_hub(tmp_path: Path, town: Path, emulator: MakeEmulator) -> None:
    with running(town) as server:
        hub = _hub_with_sensors(tmp_path, town, server.url, emulator)
        peer = start_peer(hub.path, "hub")
        try:
            wait_for(lambda: "co2" in _stored_quantities(hub), 60, "a stored CO2 reading")
        finally:
            peer.process.send_signal(signal.SIGKILL)
            peer.process.wait()
    assert "co2" in _stored_quantities(hub)
    with hub.store() as store:
        assert verify_store(store).ok
