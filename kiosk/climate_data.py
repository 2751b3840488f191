"""What the Raumklima screen shows, worked out without Kivy: current values with their level,
the 24-hour chart series and its geometry, and the active alerts of this hub.

Everything comes from `content` (the kiosk never imports `sync`, and reads the hub's store, not
the reader service): `current_readings` applies SENSORS.md rule 5 (older than twice the interval
is "stale", never current) with each sensor's reading period from the hub's config.toml
(`hardware.config`, which loads no serial library), `thresholds.level_now` names the level of a
value from the one versioned threshold table, and the chart uses this hub's 10-minute rollups
where they exist and the raw readings (rule 6 aggregates) for the windows not rolled up yet.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from babel.numbers import format_decimal

from content import sensors, thresholds
from content.catalogs import babel_locale
from content.local_time import LOCAL_TIME
from content.notices import get_notice
from hardware.config import SensorConfigError, load_sensor_configs, reading_periods_ms

# The rows of the screen, always all five and always in this order (the same place each time).
QUANTITIES = ("temperature", "humidity", "co2", "pm2_5", "pm10")
CHART_QUANTITIES = ("co2", "temperature")
UNITS = {"temperature": "°C", "humidity": "%", "co2": "ppm", "pm2_5": "µg/m³", "pm10": "µg/m³"}
DECIMALS = {"temperature": 1, "humidity": 0, "co2": 0, "pm2_5": 1, "pm10": 1}
OK, STALE, MISSING = "ok", "stale", "missing"
DAY_MS = 24 * 3600 * 1000
HOUR_MS = 3600 * 1000
# A chart line is broken where more than this many 10-minute windows are missing in a row, so a
# sensor that was off is not drawn as a straight line across the gap.
MAX_GAP_WINDOWS = 2
# Catalog keys of the level words; the level names come from content.thresholds.
LEVEL_KEY = "climate.level."
STATUS_KEY = "climate.status."
MAX_ALERTS = 3
# The hub daemon stores the readings it took every 5 s (node.sensing.TICK_S): the newest in the
# store may be that much older than the sensor's newest without the sensor being late.
STORE_LAG_MS = 5000


@dataclass(frozen=True)
class ClimateValue:
    """One row of the screen. `value` and `level` are set only when the reading is current."""

    quantity: str
    status: str  # ok, stale, disconnected, warming, missing
    value: float | None
    level: str | None  # a level name of content.thresholds ("good", "ventilate", …)
    felt: float | None  # felt temperature, when humidity was known
    damp: bool  # a particulate value while the air is too humid to trust it
    time_ms: int | None
    sensor_id: str | None

    @property
    def current(self) -> bool:
        return self.status == OK

    @property
    def word_key(self) -> str | None:
        """The catalog key of the words beside the value (none for a current humidity: the
        table has no rule for it)."""
        if not self.current:
            return STATUS_KEY + self.status
        return None if self.level is None else LEVEL_KEY + self.level


def _pick(readings: Sequence[sensors.StoredReading]) -> sensors.StoredReading | None:
    """Of several sensors measuring one quantity: the newest current one, else the newest."""
    current = [r for r in readings if r.status == OK]
    pool = current or list(readings)
    return max(pool, key=lambda r: r.time_ms) if pool else None


def _had_readings(conn: sqlite3.Connection, hub: str, quantity: str) -> bool:
    """Whether this hub ever rolled up the quantity (an index look-up, unlike the raw table)."""
    row = conn.execute(
        "SELECT 1 FROM sensor_rollups WHERE hub = ? AND quantity = ? LIMIT 1", (hub, quantity)
    ).fetchone()
    return row is not None


def configured_periods_ms(home_dir: Path) -> dict[str, int]:
    """Each configured sensor's reading period (ms) by sensor id, from `<home>/config.toml`;
    empty when it has no sensors or cannot be read (then the periods are estimated)."""
    try:
        return reading_periods_ms(load_sensor_configs(home_dir / "config.toml"))
    except (OSError, SensorConfigError):
        return {}


def current_values(
    conn: sqlite3.Connection,
    now_ms: int,
    hub: str = "",
    intervals_ms: Mapping[str, int] | None = None,
) -> list[ClimateValue]:
    """The five rows, from the latest reading of each series with rule 5's staleness, judged
    on each sensor's period in `intervals_ms` (estimated from its last two readings when it is
    not there, which a sensor streaming faster than it is stored gets wrong). A quantity with
    no reading in the last hour is "stale" when this hub (`hub`, its key id) has measured it
    before, else "missing"."""
    by_quantity: dict[str, list[sensors.StoredReading]] = {}
    recent = now_ms - sensors.RECENT_MS
    found_readings = sensors.current_readings(
        conn, now_ms, intervals_ms, since_ms=recent, lag_ms=STORE_LAG_MS
    )
    for found in found_readings:
        by_quantity.setdefault(found.quantity, []).append(found)
    chosen = {quantity: _pick(by_quantity.get(quantity, [])) for quantity in QUANTITIES}
    humidity = chosen["humidity"]
    humid = humidity.value if humidity is not None and humidity.status == OK else None
    rows = []
    for quantity in QUANTITIES:
        reading = chosen[quantity]
        if reading is None:
            status = STALE if hub and _had_readings(conn, hub, quantity) else MISSING
            rows.append(ClimateValue(quantity, status, None, None, None, False, None, None))
            continue
        if reading.status != OK:
            rows.append(
                ClimateValue(
                    quantity, reading.status, None, None, None, False, reading.time_ms,
                    reading.sensor_id,
                )
            )  # fmt: skip
            continue
        felt = None
        judged = reading.value
        if quantity == "temperature" and humid is not None:
            felt = judged = thresholds.felt_temperature(reading.value, humid)
        damp = (
            quantity in sensors.PARTICULATES
            and humid is not None
            and humid > thresholds.HUMIDITY_LIMIT
        )
        rows.append(
            ClimateValue(
                quantity,
                OK,
                reading.value,
                thresholds.level_now(quantity, judged) if quantity != "humidity" else None,
                felt,
                damp,
                reading.time_ms,
                reading.sensor_id,
            )
        )
    return rows


def level_names() -> set[str]:
    """Every level a value can be shown with: "good" and the levels of the threshold table."""
    return {"good"} | {level.name for rule in thresholds.RULES for level in rule.levels}


# ---- numbers ------------------------------------------------------------------------------------


def format_number(value: float, decimals: int, language: str) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale=babel_locale(language)))


def format_value(quantity: str, value: float, language: str) -> str:
    """The number with its unit, as the screen shows it: "22,5 °C", "1.450 ppm"."""
    return f"{format_number(value, DECIMALS[quantity], language)} {UNITS[quantity]}"


# ---- the chart ----------------------------------------------------------------------------------


def chart_series(
    conn: sqlite3.Connection, hub: str, quantity: str, now_ms: int, span_ms: int = DAY_MS
) -> list[tuple[int, float]]:
    """10-minute points (window start, value) over the last `span_ms`, oldest first: the mean of
    this hub's rollups of the window (all its sensors), and for windows not rolled up yet the
    raw readings' rule 6 aggregate."""
    since = now_ms - span_ms
    windows: dict[int, list[float]] = {}
    rolled_until = since
    for rollup in sensors.rollups(conn, hub=hub, quantity=quantity, since_ms=since):
        windows.setdefault(rollup.window_start, []).append(rollup.mean)
        rolled_until = max(rolled_until, rollup.window_end)
    points = {start: sum(means) / len(means) for start, means in windows.items()}
    for start, value in sensors.reading_history(conn, quantity, rolled_until, now_ms + 1):
        points.setdefault(start, value)
    first = since - since % sensors.WINDOW_MS
    return sorted((start, value) for start, value in points.items() if first <= start <= now_ms)


@dataclass(frozen=True)
class Box:
    """The plot area in window pixels."""

    x: float
    y: float
    width: float
    height: float


def value_range(quantity: str, values: Sequence[float]) -> tuple[float, float]:
    """The y axis: round numbers that hold every value and the usual span of the quantity (so
    a flat good day does not look dramatic), with the CO2 "ventilate" line always in view."""
    if quantity == "co2":
        step, low, high = 200.0, 400.0, 1200.0
    elif quantity == "temperature":
        step, low, high = 2.0, 18.0, 26.0
    elif quantity == "humidity":
        step, low, high = 10.0, 20.0, 70.0
    else:
        step, low, high = 10.0, 0.0, 30.0
    if values:
        low = min(low, math.floor(min(values) / step) * step)
        high = max(high, math.ceil(max(values) / step) * step)
    return low, high


def threshold_lines(quantity: str, low: float, high: float) -> list[float]:
    """The alert thresholds of the quantity inside the axis. Heat is judged on the felt
    temperature, which the air-temperature chart does not show, so it draws none."""
    if quantity == "temperature":
        return []
    return [
        level.threshold
        for rule in thresholds.RULES_BY_QUANTITY.get(quantity, ())
        for level in rule.levels
        if low < level.threshold < high
    ]


def to_screen(
    points: Sequence[tuple[int, float]],
    start_ms: int,
    end_ms: int,
    low: float,
    high: float,
    box: Box,
) -> list[list[float]]:
    """Line segments as flat [x0, y0, x1, y1, …] lists, broken at gaps; a lone point becomes a
    short flat dash so it can be seen."""
    span_ms = max(1, end_ms - start_ms)
    span = (high - low) or 1.0
    segments: list[list[float]] = []
    previous: int | None = None
    for time_ms, value in points:
        # A window is drawn at its middle: the mean describes the whole ten minutes.
        middle = min(max(time_ms + sensors.WINDOW_MS // 2, start_ms), end_ms)
        x = box.x + box.width * (middle - start_ms) / span_ms
        y = box.y + box.height * (min(max(value, low), high) - low) / span
        if previous is None or time_ms - previous > MAX_GAP_WINDOWS * sensors.WINDOW_MS:
            segments.append([])
        segments[-1] += [x, y]
        previous = time_ms
    dash = box.width / 144
    return [s if len(s) > 2 else [s[0] - dash, s[1], s[0] + dash, s[1]] for s in segments]


def hour_ticks(start_ms: int, end_ms: int, every_hours: int = 6) -> list[int]:
    """Times of the local full hours divisible by `every_hours` inside the span."""
    moment = datetime.fromtimestamp(start_ms / 1000, LOCAL_TIME).replace(
        minute=0, second=0, microsecond=0
    )
    ticks: list[int] = []
    while True:
        moment += timedelta(hours=1)
        moment = moment.astimezone(LOCAL_TIME)
        ms = int(moment.timestamp() * 1000)
        if ms > end_ms:
            return ticks
        if ms >= start_ms and moment.hour % every_hours == 0:
            ticks.append(ms)


def value_ticks(low: float, high: float, count: int = 3) -> list[float]:
    return [low + (high - low) * i / (count - 1) for i in range(count)]


# ---- alerts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownAlert:
    id: str
    quantity: str
    level: str
    priority: str
    title: str
    text: str


def active_alerts(conn: sqlite3.Connection, hub: str, language: str) -> list[ShownAlert]:
    """This hub's active alerts, emergencies first, in `language`: their texts are those of the
    notice the alert op folds into (written by the hub in de, en and de-LS). An alert whose
    notice an administrator retracted is not shown."""
    found = []
    for alert in sensors.alerts(conn, hub=hub):
        notice = get_notice(conn, alert.id)
        if notice is None or notice.retracted:
            continue
        found.append(
            ShownAlert(
                alert.id,
                alert.quantity,
                alert.level,
                alert.priority,
                notice.text("title", language),
                notice.text("body", language),
            )
        )
    found.sort(key=lambda a: a.priority != "emergency")  # stable: newest first otherwise
    return found[:MAX_ALERTS]
