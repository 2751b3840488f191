"""The reading every part downstream of the serial line sees (SENSORS.md, reading rule 5).

Parsers yield protocol-level events; the reader service turns them into `Reading`s with a time,
a sensor id, a quantity, its unit and a status, and hands them to whoever records or shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

QUANTITY_UNITS: Final[dict[str, str]] = {
    "pm1": "µg/m³",
    "pm2_5": "µg/m³",
    "pm10": "µg/m³",
    "co2": "ppm",
    "temperature": "°C",
    "humidity": "%",
}

OK: Final = "ok"
WARMING: Final = "warming"
STALE: Final = "stale"
DISCONNECTED: Final = "disconnected"
STATUSES: Final[tuple[str, ...]] = (OK, WARMING, STALE, DISCONNECTED)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_sensor_id(sensor_id: str) -> str:
    """Sensor ids become part of entity ids: keep them to the characters those allow."""
    return _UNSAFE.sub("-", sensor_id)[:40] or "sensor"


@dataclass(frozen=True, slots=True)
class Reading:
    time_ms: int  # wall-clock ms when read
    sensor_id: str  # configured sensor name, e.g. "sds011-1"
    quantity: str  # "pm2_5" | "pm10" | "pm1" | "co2" | "temperature" | "humidity"
    value: float
    unit: str  # "µg/m³" | "ppm" | "°C" | "%"
    status: str  # "ok" | "warming" | "stale" | "disconnected"

    @property
    def is_current(self) -> bool:
        """Only `ok` readings may be shown or alerted on as current values."""
        return self.status == OK
