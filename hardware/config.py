"""The `[[sensors]]` entries of a hub's config.toml (node/home.py reads only `[node]`).

    [[sensors]]
    id = "feinstaub"                          # optional; default "<driver>-<n>"
    driver = "sds011"                         # sds011, pms5003, pms7003, mhz19b, s8, jsonl
    port = "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"   # or a list: by-id, then by-path
    interval = 5                              # seconds between readings
    max_duty = 0.15                           # optional (SDS011/PMS): laser and fan duty
    warmup = 30                               # optional: seconds, never below the sensor's minimum

Each bad entry raises SensorConfigError with one line naming the entry and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.drivers import Driver, driver_named, duty_cycling, planned_period
from hardware.readings import safe_sensor_id

KNOWN_KEYS = {"id", "driver", "port", "interval", "max_duty", "warmup", "lead"}
MAX_INTERVAL_S = 24 * 3600.0


class SensorConfigError(ValueError):
    """A `[[sensors]]` entry that cannot be used; the message is one line."""


@dataclass(frozen=True, slots=True)
class SensorConfig:
    id: str
    driver: str  # canonical driver name, a key of hardware.drivers.DRIVERS
    port: tuple[str, ...]  # tried in order: a pyserial URL, a device path or a by-id/by-path name
    interval: float = 5.0  # seconds
    max_duty: float | None = None  # None: the driver's default
    warmup: float | None = None  # None: the driver's minimum
    lead: float | None = None  # None: the driver's default wake-ahead

    @property
    def spec(self) -> Driver:
        return driver_named(self.driver)

    @property
    def duty(self) -> float:
        return self.spec.max_duty if self.max_duty is None else self.max_duty

    @property
    def warmup_s(self) -> float:
        return self.spec.warmup_s if self.warmup is None else self.warmup

    @property
    def lead_s(self) -> float:
        lead = self.spec.lead_s if self.lead is None else self.lead
        return max(lead, self.warmup_s)

    @property
    def period_s(self) -> float:
        """The seconds between two readings: the interval, stretched by duty cycling (a sleeping
        laser cannot be read every 5 s). Staleness is judged against this (SENSORS.md rule 5)."""
        if duty_cycling(self.spec, self.duty):
            return planned_period(self.interval, self.lead_s, self.duty)
        return self.interval


def _number(where: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SensorConfigError(f"{where}: {key} must be a number, not {value!r}")
    if not low <= value <= high:
        raise SensorConfigError(f"{where}: {key} must be between {low:g} and {high:g}")
    return float(value)


def parse_sensor(entry: Any, index: int, where: str = "sensors") -> SensorConfig:
    here = f"{where}[{index}]"
    if not isinstance(entry, dict):
        raise SensorConfigError(f"{here}: must be a table ([[sensors]])")
    unknown = sorted(set(entry) - KNOWN_KEYS)
    if unknown:
        raise SensorConfigError(f"{here}: unknown key {unknown[0]!r}")
    name = entry.get("driver")
    if not isinstance(name, str):
        raise SensorConfigError(f"{here}: driver is required (sds011, pms5003, mhz19b, …)")
    try:
        driver = driver_named(name)
    except ValueError as exc:
        raise SensorConfigError(f"{here}: {exc}") from None
    sensor_id = entry.get("id", f"{driver.name}-{index + 1}")
    if not isinstance(sensor_id, str) or not sensor_id.strip() or len(sensor_id) > 64:
        raise SensorConfigError(f"{here}: id must be a non-empty name of at most 64 characters")
    here = f"{where}[{index}] ({sensor_id})"
    port = entry.get("port")
    ports = (port,) if isinstance(port, str) else tuple(port) if isinstance(port, list) else ()
    if not ports or not all(isinstance(p, str) and p.strip() for p in ports):
        raise SensorConfigError(f"{here}: port must be a device path, a URL or a list of them")
    interval = _number(here, "interval", entry.get("interval", 5), 0.5, MAX_INTERVAL_S)
    max_duty = entry.get("max_duty")
    if max_duty is not None:
        max_duty = _number(here, "max_duty", max_duty, 0.01, 1.0)
    warmup = entry.get("warmup")
    if warmup is not None:
        warmup = _number(here, "warmup", warmup, driver.warmup_s, 3600.0)
    lead = entry.get("lead")
    if lead is not None:
        lead = _number(here, "lead", lead, 0.0, 3600.0)
    return SensorConfig(
        id=sensor_id.strip(),
        driver=driver.name,
        port=tuple(p.strip() for p in ports),
        interval=interval,
        max_duty=max_duty,
        warmup=warmup,
        lead=lead,
    )


def parse_sensors(document: dict[str, Any], where: str = "sensors") -> list[SensorConfig]:
    """The `sensors` array of a parsed config document (absent: no sensors)."""
    entries = document.get("sensors", [])
    if not isinstance(entries, list):
        raise SensorConfigError(f"{where}: must be an array of tables ([[sensors]])")
    sensors = [parse_sensor(entry, index, where) for index, entry in enumerate(entries)]
    seen: set[str] = set()
    for sensor in sensors:
        if sensor.id in seen:
            raise SensorConfigError(f"{where}: id {sensor.id!r} is used twice")
        seen.add(sensor.id)
    return sensors


def reading_periods_ms(sensors: list[SensorConfig]) -> dict[str, int]:
    """Each sensor's reading period in ms, by the id its readings are stored under."""
    return {safe_sensor_id(sensor.id): round(sensor.period_s * 1000) for sensor in sensors}


def load_sensor_configs(path: Path) -> list[SensorConfig]:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SensorConfigError(f"{path}: {exc}") from None
    return parse_sensors(document, f"{path.name}: sensors")
