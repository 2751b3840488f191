"""The one versioned alert threshold table, with its sources (SENSORS.md, alert thresholds).

Change a number here and bump `TABLE_VERSION`: every `sensor.alert` op carries the version and
the source of the rule that raised it, so an alert can always be traced to the table it used.

Felt temperature: the Deutscher Wetterdienst warns on its "gefühlte Temperatur" (Klima-Michel
model), which needs radiation and wind that a room sensor does not measure. Indoors we use the US
National Weather Service heat index instead (Rothfusz regression with the NWS adjustments, and
Steadman's simple formula below about 26.7 °C / 80 °F), from air temperature and relative
humidity. The regression is fitted for about 27-50 °C and 40-100 % humidity; outside that range
the NWS procedure falls back to the simple formula, which stays close to the air temperature.
Without a humidity reading the felt temperature is the air temperature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

TABLE_VERSION = "raumklima-2026.1"

Statistic = Literal["felt_temperature", "value", "mean_24h"]

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS


@dataclass(frozen=True)
class Level:
    name: str  # short id, part of nothing but the op body ("strong", "extreme", …)
    threshold: float
    inclusive: bool  # True: value >= threshold reaches the level; False: value > threshold
    priority: Literal["important", "emergency"]

    def reached_by(self, value: float) -> bool:
        return value >= self.threshold if self.inclusive else value > self.threshold


@dataclass(frozen=True)
class Rule:
    name: str  # "heat", "co2", "pm2_5", "pm10": part of the alert's entity id
    quantity: str  # the quantity the rule watches (and whose sensor the alert is about)
    statistic: Statistic
    unit: str
    levels: tuple[Level, ...]  # ascending thresholds
    hysteresis: float  # a level is left only below its threshold minus this band
    min_duration_ms: int  # a change holds this long before it is reported
    source: str
    table_version: str = TABLE_VERSION

    def level_named(self, name: str) -> int:
        """1-based index of a level by name (0 for none)."""
        for index, level in enumerate(self.levels, start=1):
            if level.name == name:
                return index
        return 0


HEAT = Rule(
    name="heat",
    quantity="temperature",
    statistic="felt_temperature",
    unit="°C",
    levels=(
        Level("strong", 32.0, inclusive=True, priority="important"),
        Level("extreme", 38.0, inclusive=False, priority="emergency"),
    ),
    hysteresis=1.0,
    min_duration_ms=10 * MINUTE_MS,
    source=(
        "Deutscher Wetterdienst, Hitzewarnstufen (gefühlte Temperatur: ab etwa 32 °C starke, "
        "über 38 °C extreme Wärmebelastung); Raumwert, keine DWD-Warnung; gefühlt nach "
        "NWS-Hitzeindex (Rothfusz/Steadman)"
    ),
)
CO2 = Rule(
    name="co2",
    quantity="co2",
    statistic="value",
    unit="ppm",
    levels=(
        Level("ventilate", 1000.0, inclusive=True, priority="important"),
        Level("unacceptable", 2000.0, inclusive=False, priority="important"),
    ),
    hysteresis=100.0,
    min_duration_ms=5 * MINUTE_MS,
    source=(
        "Umweltbundesamt 2008, Leitwerte für Kohlendioxid in der Innenraumluft "
        "(unter 1000 ppm unbedenklich, 1000-2000 ppm lüften, über 2000 ppm inakzeptabel)"
    ),
)
PM2_5 = Rule(
    name="pm2_5",
    quantity="pm2_5",
    statistic="mean_24h",
    unit="µg/m³",
    levels=(Level("exceeded", 15.0, inclusive=False, priority="important"),),
    hysteresis=1.0,
    min_duration_ms=30 * MINUTE_MS,
    source="WHO Global Air Quality Guidelines 2021: PM2.5 15 µg/m³ als 24-Stunden-Mittel",
)
PM10 = Rule(
    name="pm10",
    quantity="pm10",
    statistic="mean_24h",
    unit="µg/m³",
    levels=(Level("exceeded", 45.0, inclusive=False, priority="important"),),
    hysteresis=3.0,
    min_duration_ms=30 * MINUTE_MS,
    source="WHO Global Air Quality Guidelines 2021: PM10 45 µg/m³ als 24-Stunden-Mittel",
)

RULES: tuple[Rule, ...] = (HEAT, CO2, PM2_5, PM10)
RULES_BY_QUANTITY: dict[str, tuple[Rule, ...]] = {}
for _rule in RULES:
    RULES_BY_QUANTITY[_rule.quantity] = (*RULES_BY_QUANTITY.get(_rule.quantity, ()), _rule)
RULES_BY_NAME = {rule.name: rule for rule in RULES}

# SENSORS.md rule 6: above this relative humidity (%) particulate readings are unreliable (fog
# and damp air inflate them).
HUMIDITY_LIMIT = 70.0

# A 24-hour mean counts only with at least 75 % of its 10-minute windows present (18 hours),
# the usual data-capture rule for daily means in air-quality monitoring.
MEAN_24H_MS = 24 * HOUR_MS
MEAN_24H_MIN_COVERAGE = 0.75


def heat_index_c(temperature_c: float, humidity: float) -> float:
    """NWS heat index (°C) from air temperature (°C) and relative humidity (%)."""
    t = temperature_c * 9 / 5 + 32
    rh = min(max(humidity, 0.0), 100.0)
    simple = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094)
    if (simple + t) / 2 < 80:
        index = simple
    else:
        index = (
            -42.379
            + 2.04901523 * t
            + 10.14333127 * rh
            - 0.22475541 * t * rh
            - 0.00683783 * t * t
            - 0.05481717 * rh * rh
            + 0.00122874 * t * t * rh
            + 0.00085282 * t * rh * rh
            - 0.00000199 * t * t * rh * rh
        )
        if rh < 13 and 80 <= t <= 112:
            index -= (13 - rh) / 4 * math.sqrt((17 - abs(t - 95)) / 17)
        elif rh > 85 and 80 <= t <= 87:
            index += (rh - 85) / 10 * (87 - t) / 5
    return (index - 32) * 5 / 9


def felt_temperature(temperature_c: float, humidity: float | None) -> float:
    """Felt temperature for the heat rule: the heat index with humidity, else air temperature."""
    if humidity is None:
        return temperature_c
    return heat_index_c(temperature_c, humidity)


def level_now(quantity: str, value: float) -> str:
    """The level a single current value reaches under the quantity's rule ("good" when none):
    the words the kiosk shows beside a reading. Alerts, unlike this, need the rule's statistic
    (felt temperature, 24-hour mean) held for its minimum duration."""
    reached = "good"
    for rule in RULES_BY_QUANTITY.get(quantity, ()):
        for level in rule.levels:
            if level.reached_by(value):
                reached = level.name
    return reached
