"""The demo's room sensors: three emulated sensors per hub, on ptys, in the demo process.

Each hub's config.toml gets `[[sensors]]` entries for a particulate sensor (SDS011), a CO2
sensor (Senseair S8) and a microcontroller bridge with temperature and humidity (JSON lines),
so the hub daemons read them exactly as they would read real adapters. Perlesreut's room is
stuffy: after the CO2 rule's minimum duration (5 minutes) its board and the town's show
"Lüften bitte".
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any, Protocol

from hardware.emulators import Emulator, Knobs, make_emulator
from node.home import Home
from node.sensing import STATUS_FILE

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
PARTICULATE_SENSOR = "feinstaub"
SENSORS = (
    (PARTICULATE_SENSOR, "sds011", ("pm2_5", "pm10"), {"interval": 30}),
    ("co2", "s8", ("co2",), {"interval": 10}),
    ("raumklima", "jsonl", ("temperature", "humidity"), {"interval": 10}),
)
# The fast sensors (CO2 and the bridge read every 10 s, without warm-up) report within this.
FIRST_READINGS_S = 60.0
FAST = ("temperature", "humidity", "co2")
PARTICULATES = ("pm2_5", "pm10")
# How each quantity reads: words for a missing value, and the pattern and decimals of a value.
WORDS: dict[str, tuple[str, str, int]] = {
    "temperature": ("Temperatur", "{} °C", 1),
    "humidity": ("Feuchte", "{} % rel. Feuchte", 0),
    "co2": ("CO₂", "CO₂ {} ppm", 0),
    "pm2_5": ("PM2,5", "PM2,5 {} µg/m³", 1),
    "pm10": ("PM10", "PM10 {} µg/m³", 1),
}


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


def show_room_climate(hubs: Sequence[DemoHub]) -> set[str]:
    """Print each hub's newest readings once its fast sensors have reported, and say what is
    missing rather than leave a gap: the particulate sensor warms up first (its first value
    comes about 20 s after the hub starts). Returns the hubs whose particulates it showed."""
    deadline = time.monotonic() + FIRST_READINGS_S
    while time.monotonic() < deadline and not all(_fast_reported(hub) for hub in hubs):
        time.sleep(0.2)
    print("\nRaumklima (emulierte Sensoren):")
    shown = set()
    for hub in hubs:
        latest = latest_ok(hub)
        parts = [reading_words(q, latest[q]) for q in FAST if q in latest]
        missing = [WORDS[q][0] for q in FAST if q not in latest]
        if missing:
            parts.append(f"noch kein Wert für {', '.join(missing)} (siehe {hub.home.path}/hub.log)")
        particulates = [reading_words(q, latest[q]) for q in PARTICULATES if q in latest]
        if particulates:
            shown.add(hub.name)
        elif _warming_up(hub):
            particulates = ["Feinstaub: der Sensor läuft noch warm"]
        parts += particulates or ["Feinstaub: noch kein Wert"]
        print(f"  {hub.name:<12} " + ", ".join(parts))
    print("  (In Perlesreut ist die Luft verbraucht: nach 5 Minuten erscheint dort")
    print("   »Lüften bitte« als Aushang.)")
    return shown


def _fast_reported(hub: DemoHub) -> bool:
    return all(quantity in latest_ok(hub) for quantity in FAST)


def latest_ok(hub: DemoHub) -> dict[str, float]:
    """The newest good value of each quantity the hub has recorded."""
    rows = _query(
        hub,
        "SELECT quantity, value, max(time_ms) FROM sensor_readings WHERE status = 'ok' "
        "GROUP BY quantity",
    )
    return {quantity: value for quantity, value, _ in rows}


def _warming_up(hub: DemoHub) -> bool:
    """The particulate sensor is connected (so says the hub daemon's sensor-status.json), so
    its first value comes once it has warmed up."""
    try:
        status = json.loads((hub.home.path / STATUS_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return False
    return bool(status.get("counters", {}).get(PARTICULATE_SENSOR, {}).get("connected"))


def _query(hub: DemoHub, sql: str) -> list[tuple[Any, ...]]:
    """Read-only, beside the hub daemon that writes the readings."""
    uri = f"file:{hub.home.db_path}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute(sql).fetchall()


def reading_words(quantity: str, value: float) -> str:
    _, pattern, decimals = WORDS[quantity]
    return pattern.format(f"{value:.{decimals}f}".replace(".", ","))
