"""The demo's room sensors: three emulated sensors per hub, on ptys, in the demo process.

Each hub's config.toml gets `[[sensors]]` entries for a particulate sensor (SDS011), a CO2
sensor (Senseair S8) and a microcontroller bridge with temperature and humidity (JSON lines),
so the hub daemons read them exactly as they would read real adapters. Perlesreut's room is
stuffy: after the CO2 rule's minimum duration (5 minutes) its board and the town's show
"Lüften bitte".
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Protocol

from hardware.emulators import Emulator, Knobs, make_emulator
from node.home import Home

ROOMS: dict[str, dict[str, float]] = {
    "Ringelai": {"pm2_5": 6.0, "pm10": 11.0, "co2": 720.0, "temperature": 21.5, "humidity": 48.0},
    "Perlesreut": {
        "pm2_5": 9.0,
        "pm10": 16.0,
        "co2": 1450.0,
        "temperature": 24.0,
        "humidity": 52.0,
    },
}
SENSORS = (
    ("feinstaub", "sds011", ("pm2_5", "pm10"), {"interval": 30}),
    ("co2", "s8", ("co2",), {"interval": 10}),
    ("raumklima", "jsonl", ("temperature", "humidity"), {"interval": 10}),
)
FIRST_READINGS_S = 20.0


class DemoHub(Protocol):
    name: str
    home: Home


@contextmanager
def emulated_sensors(hubs: Sequence[DemoHub]) -> Iterator[None]:
    """Start the emulators and write each hub's [[sensors]]; stop the emulators on the way out."""
    started: list[Emulator] = []
    try:
        for hub in hubs:
            room = ROOMS.get(hub.name, ROOMS["Ringelai"])
            entries = []
            for sensor_id, driver, quantities, settings in SENSORS:
                values = {q: room[q] for q in quantities}
                link = hub.home.path / "serial" / sensor_id
                emulator = make_emulator(driver, link, Knobs(values=values, noise=0.02))
                started.append(emulator.start())
                entries.append({"id": sensor_id, "driver": driver, "port": str(link), **settings})
            hub.home.save_table("sensors", entries)
        yield
    finally:
        for emulator in started:
            emulator.stop()


def show_room_climate(hubs: Sequence[DemoHub]) -> None:
    """Print each hub's newest readings once the fast sensors have reported."""
    deadline = time.monotonic() + FIRST_READINGS_S
    while time.monotonic() < deadline and not all(_latest(hub).get("co2") for hub in hubs):
        time.sleep(0.2)
    print("\nRaumklima (emulierte Sensoren):")
    for hub in hubs:
        latest = _latest(hub)
        parts = [
            _format(latest, "temperature", "{} °C", 1),
            _format(latest, "humidity", "{} % rel. Feuchte", 0),
            _format(latest, "co2", "CO₂ {} ppm", 0),
            _format(latest, "pm2_5", "PM2,5 {} µg/m³", 1),
        ]
        print(f"  {hub.name:<12} " + ", ".join(p for p in parts if p))
    print("  (Feinstaub kommt nach der Aufwärmzeit; in Perlesreut ist die Luft verbraucht:")
    print("   nach 5 Minuten erscheint dort »Lüften bitte« als Aushang.)")


def _latest(hub: DemoHub) -> dict[str, float]:
    uri = f"file:{hub.home.db_path}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = conn.execute(
            "SELECT quantity, value FROM sensor_readings WHERE status = 'ok' "
            "AND time_ms = (SELECT max(time_ms) FROM sensor_readings r "
            "WHERE r.quantity = sensor_readings.quantity AND r.status = 'ok')"
        ).fetchall()
    return {quantity: value for quantity, value in rows}


def _format(latest: dict[str, float], quantity: str, pattern: str, decimals: int) -> str:
    if quantity not in latest:
        return ""
    return pattern.format(f"{latest[quantity]:.{decimals}f}".replace(".", ","))
