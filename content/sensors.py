"""Room sensors in the log: `sensor.rollup` and `sensor.alert` bodies, who may write them, the
folds behind the `sensor_rollups` and `sensor_alerts` views, and what the kiosk and the town ask.

A hub speaks only about its own sensors: every entity id starts with the authoring hub's key, and
the body must spell out the rest of the entity, so `check_sensor_op` (run by every node at
ingest) refuses a hub writing under another hub's name. Alerts also reach the noticeboard: the
notices view folds an active alert into a notice row for the authoring hub, and the cleared op
withdraws it (see `alert_notice_values`).

The raw readings (`sensor_readings`) are local to the hub and never travel; this module reads
them for the kiosk with the staleness rule of SENSORS.md (reading rule 5).

This module imports nothing else from `content` but `ops` and `languages`, so `bodies` and
`views` can use it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import msgspec

from content.languages import LANGUAGES, Language
from content.ops import Header, OpError, later_sql

QUANTITIES = ("pm1", "pm2_5", "pm10", "co2", "temperature", "humidity")
Quantity = Literal["pm1", "pm2_5", "pm10", "co2", "temperature", "humidity"]
PARTICULATES = frozenset({"pm1", "pm2_5", "pm10"})
HUMIDITY_HIGH = "humidity_high"
Flag = Literal["humidity_high"]
ALERT_STATES = ("active", "cleared")

WINDOW_MS = 10 * 60 * 1000
READING_RETENTION_MS = 7 * 24 * 3600 * 1000
DEFAULT_INTERVAL_MS = 60_000
# A sensor id ends up inside entity ids (":" separates their parts), so it has no colon.
SENSOR_ID_PATTERN = "^[A-Za-z0-9._-]{1,40}$"

SensorId = Annotated[str, msgspec.Meta(pattern=SENSOR_ID_PATTERN)]
RuleName = Annotated[str, msgspec.Meta(pattern="^[a-z0-9_]{1,20}$")]
LevelName = Annotated[str, msgspec.Meta(pattern="^[a-z0-9_]{1,20}$")]
Unit = Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
Measured = Annotated[float, msgspec.Meta(ge=-1e6, le=1e6)]
Millis = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Count = Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
AlertTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
AlertText = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class RollupSeries(_Strict):
    """One sensor's quantity over the window: statistics of the samples left after dropping the
    lowest and the highest (`count` of `samples`)."""

    sensor: SensorId
    quantity: Quantity
    unit: Unit
    mean: Measured
    min: Measured
    max: Measured
    count: Count
    samples: Count
    flags: list[Flag] = []


class SensorRollupBody(_Strict):
    """Every series of one hub for one 10-minute window, in one op (one op per window instead
    of one per series: six times fewer headers and signatures to sync)."""

    window_start: Millis
    window_end: Millis
    series: Annotated[list[RollupSeries], msgspec.Meta(min_length=1, max_length=64)]


class SensorAlertBody(_Strict):
    """One alert episode of one rule on one sensor; `raised_at` names the episode."""

    sensor: SensorId
    rule: RuleName
    quantity: Quantity
    level: LevelName
    state: Literal["active", "cleared"]
    priority: Literal["important", "emergency"]
    value: Measured
    unit: Unit
    raised_at: Millis
    title: dict[Language, AlertTitle]
    text: dict[Language, AlertText]
    table_version: Short
    source: Short


# ---- entity ids: scoped to the authoring hub ---------------------------------------------------


def rollup_entity(hub: str, window_start: int) -> str:
    return f"{hub}:rollup:{window_start}"


def alert_entity(hub: str, sensor: str, rule: str, raised_at: int) -> str:
    return f"{hub}:{sensor}:{rule}:{raised_at}"


def check_sensor_op(header: Header, body: SensorRollupBody | SensorAlertBody) -> None:
    """Raise OpError unless the op speaks about the author's own sensors and is consistent."""
    if isinstance(body, SensorRollupBody):
        _check_rollup(header, body)
    else:
        _check_alert(header, body)


def _check_rollup(header: Header, body: SensorRollupBody) -> None:
    if header.entity != rollup_entity(header.author, body.window_start):
        raise OpError("a sensor.rollup's entity must be <author>:rollup:<window_start>")
    if not 0 < body.window_end - body.window_start <= 24 * 3600 * 1000:
        raise OpError("a rollup window must end after it starts and span at most a day")
    seen: set[tuple[str, str]] = set()
    for series in body.series:
        key = (series.sensor, series.quantity)
        if key in seen:
            raise OpError(f"rollup series {series.sensor}/{series.quantity} appears twice")
        seen.add(key)
        if not series.min <= series.mean <= series.max:
            raise OpError(f"rollup series {series.sensor}/{series.quantity}: min <= mean <= max")
        if series.count > series.samples:
            raise OpError("a rollup series cannot keep more samples than it had")


def _check_alert(header: Header, body: SensorAlertBody) -> None:
    expected = alert_entity(header.author, body.sensor, body.rule, body.raised_at)
    if header.entity != expected:
        raise OpError("a sensor.alert's entity must be <author>:<sensor>:<rule>:<raised_at>")
    for field in (body.title, body.text):
        if set(field) != set(LANGUAGES):
            raise OpError("an alert needs its title and text in de, en and de-LS")


# ---- folds (called by the views in content.views) ---------------------------------------------

_ROLLUP_OLDER = (
    "SELECT 1 FROM sensor_rollups WHERE entity = ? AND (lamport > ? OR (lamport = ? AND hub >= ?))"
)


def fold_rollup(
    conn: sqlite3.Connection,
    *,
    op_id: str,
    author: str,
    lamport: int,
    entity: str,
    body: SensorRollupBody,
) -> None:
    """Last writer wins on (lamport, author) per window: the rows of an older op give way."""
    if conn.execute(_ROLLUP_OLDER, (entity, lamport, lamport, author)).fetchone():
        return
    conn.execute("DELETE FROM sensor_rollups WHERE entity = ?", (entity,))
    conn.executemany(
        "INSERT INTO sensor_rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f"{entity}:{s.sensor}:{s.quantity}",
                entity,
                author,
                s.sensor,
                s.quantity,
                s.unit,
                body.window_start,
                body.window_end,
                s.mean,
                s.min,
                s.max,
                s.count,
                s.samples,
                json.dumps(sorted(set(s.flags))),
                op_id,
                lamport,
            )
            for s in body.series
        ],
    )


def clear_rollup(conn: sqlite3.Connection, entity: str) -> None:
    conn.execute("DELETE FROM sensor_rollups WHERE entity = ?", (entity,))


_ALERT_WINS = later_sql("excluded", "sensor_alerts", author="hub")
_ALERT_COLUMNS = (
    "hub",
    "sensor",
    "rule",
    "quantity",
    "level",
    "state",
    "priority",
    "value",
    "unit",
    "raised_at",
    "updated_at",
    "table_version",
    "op_id",
    "lamport",
)
_ALERT_UPSERT = (
    f"INSERT INTO sensor_alerts (id, {', '.join(_ALERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(_ALERT_COLUMNS) + 1))}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(
        f"{column} = CASE WHEN {_ALERT_WINS} THEN excluded.{column} ELSE sensor_alerts.{column} END"
        for column in _ALERT_COLUMNS
    )
)


def fold_alert(
    conn: sqlite3.Connection,
    *,
    op_id: str,
    author: str,
    lamport: int,
    time_ms: int,
    entity: str,
    body: SensorAlertBody,
) -> None:
    """Last writer wins on (lamport, author); an episode's last op is its clearing."""
    conn.execute(
        _ALERT_UPSERT,
        (
            entity,
            author,
            body.sensor,
            body.rule,
            body.quantity,
            body.level,
            body.state,
            body.priority,
            body.value,
            body.unit,
            body.raised_at,
            time_ms,
            body.table_version,
            op_id,
            lamport,
        ),
    )


def clear_alert(conn: sqlite3.Connection, entity: str) -> None:
    conn.execute("DELETE FROM sensor_alerts WHERE id = ?", (entity,))


def canonical(value: Any) -> str:
    return msgspec.json.encode(value, order="sorted").decode()


def alert_notice_values(
    *, op_id: str, author: str, lamport: int, time_ms: int, entity: str, body: SensorAlertBody
) -> tuple[object, ...]:
    """The notice row an active alert shows as (the notices view's put columns, in order):
    category "warnung", targeted at the authoring hub only, shown from when it was raised."""
    return (
        entity,
        op_id,
        author,
        lamport,
        canonical(body.title),
        canonical(body.text),
        "warnung",
        body.priority,
        body.raised_at,
        None,  # valid_until: an alert stays until its hub clears it
        None,
        None,
        None,
        canonical([author]),
        "[]",
        "[]",
        time_ms,
        time_ms,
    )


# ---- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollup:
    hub: str
    sensor: str
    quantity: str
    unit: str
    window_start: int
    window_end: int
    mean: float
    min: float
    max: float
    count: int
    samples: int
    flags: tuple[str, ...]


def rollups(
    conn: sqlite3.Connection,
    hub: str | None = None,
    quantity: str | None = None,
    since_ms: int = 0,
) -> list[Rollup]:
    """Rollups ending after `since_ms`, oldest first; optionally of one hub or one quantity."""
    clauses: list[str] = ["window_end > ?"]
    params: list[object] = [since_ms]
    for column, value in (("hub", hub), ("quantity", quantity)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    rows = conn.execute(
        "SELECT hub, sensor, quantity, unit, window_start, window_end, mean, min, max, count, "
        f"samples, flags FROM sensor_rollups WHERE {' AND '.join(clauses)} "
        "ORDER BY window_start, hub, sensor, quantity",
        params,
    )
    return [
        Rollup(
            hub=row[0],
            sensor=row[1],
            quantity=row[2],
            unit=row[3],
            window_start=row[4],
            window_end=row[5],
            mean=row[6],
            min=row[7],
            max=row[8],
            count=row[9],
            samples=row[10],
            flags=tuple(json.loads(row[11])),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Alert:
    id: str
    hub: str
    sensor: str
    rule: str
    quantity: str
    level: str
    state: str
    priority: str
    value: float
    unit: str
    raised_at: int
    updated_at: int
    table_version: str


def alerts(
    conn: sqlite3.Connection, hub: str | None = None, active_only: bool = True
) -> list[Alert]:
    """Alerts (by default the active ones), newest first; optionally of one hub."""
    clauses = ["1"]
    params: list[object] = []
    if active_only:
        clauses.append("state = 'active'")
    if hub is not None:
        clauses.append("hub = ?")
        params.append(hub)
    rows = conn.execute(
        "SELECT id, hub, sensor, rule, quantity, level, state, priority, value, unit, raised_at, "
        f"updated_at, table_version FROM sensor_alerts WHERE {' AND '.join(clauses)} "
        "ORDER BY raised_at DESC, id",
        params,
    )
    return [Alert(*row) for row in rows]


# ---- raw readings (local to the hub, never synced) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredReading:
    """A raw reading as stored: the fields of hardware.readings.Reading, in its order."""

    time_ms: int
    sensor_id: str
    quantity: str
    value: float
    unit: str
    status: str


def insert_readings(conn: sqlite3.Connection, readings: list[tuple[Any, ...]]) -> None:
    """Rows of (time_ms, sensor, quantity, value, unit, status)."""
    conn.executemany("INSERT INTO sensor_readings VALUES (?, ?, ?, ?, ?, ?)", readings)


def prune_readings(
    conn: sqlite3.Connection, now_ms: int, keep_ms: int = READING_RETENTION_MS
) -> int:
    """Delete raw readings older than `keep_ms` (7 days); returns how many went."""
    return conn.execute(
        "DELETE FROM sensor_readings WHERE time_ms < ?", (now_ms - keep_ms,)
    ).rowcount


def readings_between(conn: sqlite3.Connection, start_ms: int, end_ms: int) -> list[StoredReading]:
    rows = conn.execute(
        "SELECT time_ms, sensor, quantity, value, unit, status FROM sensor_readings "
        "WHERE time_ms >= ? AND time_ms < ? ORDER BY time_ms",
        (start_ms, end_ms),
    )
    return [StoredReading(*row) for row in rows]


def is_stale(time_ms: int, now_ms: int, interval_ms: int, lag_ms: int = 0) -> bool:
    """Reading rule 5: older than twice the sampling interval is not current. `lag_ms`: how
    long a reading may wait before whoever judges it can see it (the hub daemon stores its
    readings every few seconds, so the store's newest is that much older than the sensor's)."""
    return now_ms - time_ms > 2 * interval_ms + lag_ms


# Nothing older than this can be current: an estimated interval is at most one 10-minute window,
# so a reading is stale after 20 minutes at the latest.
RECENT_MS = 3600 * 1000


def estimate_interval(latest_ms: int, previous_ms: int | None) -> int:
    """The sampling interval seen between a series' two latest good readings, within reason."""
    if previous_ms is None or previous_ms >= latest_ms:
        return DEFAULT_INTERVAL_MS
    return min(max(latest_ms - previous_ms, 1000), WINDOW_MS)


def latest_readings(
    conn: sqlite3.Connection, until_ms: int = 2**62, since_ms: int = -1
) -> list[StoredReading]:
    """The latest stored reading of every series (sensor, quantity), as it was recorded;
    with `since_ms`, only series read after it (an index range instead of the whole table)."""
    rows = conn.execute(
        "SELECT max(time_ms), sensor, quantity, value, unit, status FROM sensor_readings "
        "WHERE time_ms > ? AND time_ms <= ? GROUP BY sensor, quantity ORDER BY sensor, quantity",
        (since_ms, until_ms),
    )
    return [StoredReading(*row) for row in rows]


def current_readings(
    conn: sqlite3.Connection,
    now_ms: int,
    intervals_ms: Mapping[str, int] | None = None,
    since_ms: int = -1,
    lag_ms: int = 0,
) -> list[StoredReading]:
    """The latest reading of every series; an `ok` one older than twice its sensor's interval
    (given per sensor id, else estimated) plus `lag_ms` (see `is_stale`) comes back with status
    "stale", never as current. A screen that asks every few seconds passes `since_ms` (see
    RECENT_MS)."""
    found = []
    for latest in latest_readings(conn, now_ms, since_ms):
        interval = (intervals_ms or {}).get(latest.sensor_id)
        if interval is None:
            previous = conn.execute(
                "SELECT max(time_ms) FROM sensor_readings WHERE sensor = ? AND quantity = ? "
                "AND status = 'ok' AND time_ms < ?",
                (latest.sensor_id, latest.quantity, latest.time_ms),
            ).fetchone()[0]
            interval = estimate_interval(latest.time_ms, previous)
        if latest.status == "ok" and is_stale(latest.time_ms, now_ms, interval, lag_ms):
            latest = replace(latest, status="stale")
        found.append(latest)
    return found


def reading_history(
    conn: sqlite3.Connection, quantity: str, since_ms: int, until_ms: int | None = None
) -> list[tuple[int, float]]:
    """10-minute points for a chart: per window, the mean of the good samples (all sensors of
    the quantity) without the lowest and the highest, where there were at least 3 (rule 6).
    Each point is dated at its window's start."""
    rows = conn.execute(
        "SELECT (time_ms / :w) * :w AS start, (sum(value) - min(value) - max(value)) / "
        "(count(*) - 2) FROM sensor_readings WHERE quantity = :q AND status = 'ok' "
        "AND time_ms >= :since AND time_ms < :until GROUP BY start HAVING count(*) >= 3 "
        "ORDER BY start",
        {
            "w": WINDOW_MS,
            "q": quantity,
            "since": since_ms - since_ms % WINDOW_MS,
            "until": 2**62 if until_ms is None else until_ms,
        },
    )
    return [(int(start), float(value)) for start, value in rows]
