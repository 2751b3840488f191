"""The hub's recorder: what the reader service's `on_reading` feeds.

`record` only buffers (any thread may call it; it never touches SQLite, whose connection belongs
to the thread that opened the store). `tick`, called regularly by the owner of the store:
1. writes the buffered raw readings in one transaction (local table, kept 7 days);
2. runs the alert machines over the new good readings in time order and appends a
   `sensor.alert` op for every change (raised, level updated, cleared);
3. closes finished 10-minute windows into one `sensor.rollup` op each, and feeds the PM rules
   their rolling 24-hour mean;
4. prunes raw readings older than 7 days.

Staleness (SENSORS.md rule 5): a reading counts as current only within twice its sensor's
sampling interval (configured per sensor id, else the median of the last gaps between its good
readings). `current` marks older ones "stale"; a reading that was already that old when it was
recorded never reaches an alert machine.

On start the machines of the alerts active in the log are rebuilt, so a restart neither raises
an alert again nor forgets to clear it; rollups continue after the last window in the log.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace

import msgspec

from content import sensors
from content.bodies import encode_body
from content.identity import Identity
from content.log import AppendRefused, Log
from content.sensors import (
    DEFAULT_INTERVAL_MS,
    QUANTITIES,
    SENSOR_ID_PATTERN,
    WINDOW_MS,
    SensorAlertBody,
    SensorRollupBody,
    alert_entity,
    rollup_entity,
)
from content.store import Store
from content.thresholds import CO2, HEAT, MEAN_24H_MS, RULES_BY_NAME, Rule, felt_temperature
from hardware.aggregate import Aggregate, aggregate_window, mean_24h, window_start
from hardware.alerts import AlertChange, AlertMachine, alert_texts
from hardware.readings import OK, STALE, Reading, safe_sensor_id

log = logging.getLogger("dorfhub.sensors")

WINDOW_GRACE_MS = 30_000  # late readings of a window still get in
MAX_BUFFER = 200_000  # readings held between ticks at most (the oldest go first)
GAPS_KEPT = 16
MIN_INTERVAL_MS = 1000
HUMIDITY_FRESH_MS = 10 * 60_000  # a humidity reading this old still corrects the felt temperature
PM_MAX_GAP_MS = 2 * WINDOW_MS + WINDOW_GRACE_MS
_SENSOR_ID = re.compile(SENSOR_ID_PATTERN)

Series = tuple[str, str]  # (sensor id, quantity)


@dataclass(frozen=True)
class AlertStatus:
    """What the kiosk shows of an active alert."""

    rule: str
    sensor_id: str
    level: str
    priority: str
    raised_at: int
    value: float | None
    unknown: bool  # no good reading for a while: shown, not withdrawn


class Recorder:
    def __init__(
        self,
        store: Store,
        log: Log,
        hub: Identity,
        hub_name: str,
        intervals_ms: Mapping[str, int] | None = None,
    ) -> None:
        self.store = store
        self.log = log
        self.hub = hub
        self.hub_name = hub_name
        self.intervals_ms = {safe_sensor_id(k): v for k, v in (intervals_ms or {}).items()}
        self.dropped = 0  # readings refused (unknown quantity, not a number, buffer overflow)
        self._lock = threading.Lock()
        self._buffer: list[Reading] = []
        self._latest: dict[Series, Reading] = {}
        self._last_ok: dict[Series, int] = {}
        self._gaps: dict[Series, deque[int]] = {}
        self._machines: dict[tuple[str, str], AlertMachine] = {}
        self._humidity: tuple[int, float] | None = None
        self._previous_tick: int | None = None
        conn = store.conn
        row = conn.execute(
            "SELECT max(window_end) FROM sensor_rollups WHERE hub = ?", (hub.key_id,)
        ).fetchone()
        self._closed_until: int = row[0] or 0
        for r in sensors.latest_readings(conn):
            # What the screen showed before a restart, until newer readings come.
            self._latest[(r.sensor_id, r.quantity)] = Reading(
                r.time_ms, r.sensor_id, r.quantity, r.value, r.unit, r.status
            )
        self._resume_alerts()

    # ---- the reader's side ------------------------------------------------------------------

    def record(self, reading: Reading) -> None:
        """Take one reading from the reader service (any thread)."""
        if reading.quantity not in QUANTITIES or not math.isfinite(reading.value):
            with self._lock:
                self.dropped += 1
            return
        if not _SENSOR_ID.match(reading.sensor_id):
            reading = replace(reading, sensor_id=safe_sensor_id(reading.sensor_id))
        series = (reading.sensor_id, reading.quantity)
        with self._lock:
            self._buffer.append(reading)
            if len(self._buffer) > MAX_BUFFER:
                del self._buffer[: MAX_BUFFER // 10]
                self.dropped += MAX_BUFFER // 10
            latest = self._latest.get(series)
            if latest is None or reading.time_ms >= latest.time_ms:
                self._latest[series] = reading
            if reading.status == OK:
                last = self._last_ok.get(series)
                if last is not None and reading.time_ms > last:
                    self._gaps.setdefault(series, deque(maxlen=GAPS_KEPT)).append(
                        reading.time_ms - last
                    )
                if last is None or reading.time_ms > last:
                    self._last_ok[series] = reading.time_ms

    def interval_ms(self, sensor_id: str, quantity: str) -> int:
        """The sampling interval of a series: configured, else estimated from its gaps."""
        configured = self.intervals_ms.get(sensor_id)
        if configured is not None:
            return configured
        with self._lock:
            gaps = list(self._gaps.get((sensor_id, quantity), ()))
        if not gaps:
            return DEFAULT_INTERVAL_MS
        return int(min(max(statistics.median(gaps), MIN_INTERVAL_MS), WINDOW_MS))

    # ---- what the kiosk asks ----------------------------------------------------------------

    def current(self, now_ms: int) -> list[Reading]:
        """The latest reading of every series; an `ok` one older than twice its interval comes
        back as "stale", never as current."""
        with self._lock:
            latest = sorted(self._latest.values(), key=lambda r: (r.sensor_id, r.quantity))
        found = []
        for reading in latest:
            interval = self.interval_ms(reading.sensor_id, reading.quantity)
            if reading.status == OK and sensors.is_stale(reading.time_ms, now_ms, interval):
                reading = replace(reading, status=STALE)
            found.append(reading)
        return found

    def history(self, quantity: str, since_ms: int) -> list[tuple[int, float]]:
        """10-minute points (rule 6 aggregates over this hub's sensors) for the 24-hour chart,
        from the readings written so far."""
        return sensors.reading_history(self.store.conn, quantity, since_ms)

    def alerts(self) -> list[AlertStatus]:
        found = []
        for machine in self._machines.values():
            level = machine.current_level
            if level is None or machine.raised_at is None:
                continue
            found.append(
                AlertStatus(
                    machine.rule.name,
                    machine.sensor_id,
                    level.name,
                    level.priority,
                    machine.raised_at,
                    machine.last_value,
                    machine.unknown,
                )
            )
        return sorted(found, key=lambda a: (a.priority != "emergency", -a.raised_at))

    # ---- the owner's side -------------------------------------------------------------------

    def tick(self, now_ms: int) -> None:
        """Write readings, run the alert rules, close finished windows, prune old readings."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        batch.sort(key=lambda r: r.time_ms)
        with self.store.write() as conn:
            sensors.insert_readings(
                conn,
                [(r.time_ms, r.sensor_id, r.quantity, r.value, r.unit, r.status) for r in batch],
            )
            sensors.prune_readings(conn, now_ms)
        slack = 0 if self._previous_tick is None else max(0, now_ms - self._previous_tick)
        self._previous_tick = now_ms
        for reading in batch:
            self._observe(reading, now_ms, slack)
        self._close_windows(now_ms)
        for machine in self._machines.values():
            if machine.check_silence(now_ms):
                log.warning(
                    "alert %s on %s: no current readings, kept active",
                    machine.rule.name,
                    machine.sensor_id,
                )

    def _observe(self, reading: Reading, now_ms: int, slack_ms: int) -> None:
        if reading.status != OK:
            return
        interval = self.interval_ms(reading.sensor_id, reading.quantity)
        if now_ms - reading.time_ms > 2 * interval + slack_ms:
            return  # already stale when it was recorded: no evidence about now
        if reading.quantity == "humidity":
            self._humidity = (reading.time_ms, reading.value)
        elif reading.quantity == "temperature":
            humidity = None
            if self._humidity and 0 <= reading.time_ms - self._humidity[0] <= HUMIDITY_FRESH_MS:
                humidity = self._humidity[1]
            felt = felt_temperature(reading.value, humidity)
            self._feed(HEAT, reading.sensor_id, reading.time_ms, felt, 2 * interval)
        elif reading.quantity == "co2":
            self._feed(CO2, reading.sensor_id, reading.time_ms, reading.value, 2 * interval)

    def _machine(self, rule: Rule, sensor_id: str, max_gap_ms: int) -> AlertMachine:
        key = (sensor_id, rule.name)
        machine = self._machines.get(key)
        if machine is None:
            machine = self._machines[key] = AlertMachine(rule, sensor_id, max_gap_ms)
        machine.max_gap_ms = max_gap_ms
        return machine

    def _feed(self, rule: Rule, sensor_id: str, time_ms: int, value: float, max_gap: int) -> None:
        change = self._machine(rule, sensor_id, max_gap).observe(time_ms, value)
        if change is not None:
            self._append_alert(change)

    def _append_alert(self, change: AlertChange) -> None:
        rule = change.rule
        level = change.level or change.previous
        assert level is not None
        title, text = alert_texts(change, self.hub_name)
        fields = {
            "sensor": change.sensor_id,
            "rule": rule.name,
            "quantity": rule.quantity,
            "level": level.name,
            "state": change.state,
            "priority": level.priority,
            "value": round(change.value, 2),
            "unit": rule.unit,
            "raised_at": change.raised_at,
            "title": title,
            "text": text,
            "table_version": rule.table_version,
            "source": rule.source,
        }
        entity = alert_entity(self.hub.key_id, change.sensor_id, rule.name, change.raised_at)
        try:
            body = msgspec.convert(fields, SensorAlertBody)
            self.log.append(self.hub, "sensor.alert", entity, encode_body(body))
        except (AppendRefused, msgspec.ValidationError) as exc:
            log.error("alert %s %s not recorded: %s", entity, change.change, exc)
            return
        log.info(
            "alert %s %s (%s, %.1f %s)", entity, change.change, level.name, change.value, rule.unit
        )

    def _close_windows(self, now_ms: int) -> None:
        limit = window_start(now_ms - WINDOW_GRACE_MS)
        if limit <= self._closed_until:
            return
        starts = [
            row[0]
            for row in self.store.conn.execute(
                "SELECT DISTINCT time_ms - time_ms % ? FROM sensor_readings "
                "WHERE time_ms >= ? AND time_ms < ? ORDER BY 1",
                (WINDOW_MS, self._closed_until, limit),
            )
        ]
        for start in starts:
            stored = sensors.readings_between(self.store.conn, start, start + WINDOW_MS)
            readings = [
                Reading(r.time_ms, r.sensor_id, r.quantity, r.value, r.unit, r.status)
                for r in stored
            ]
            aggregates = aggregate_window(readings, start)
            if aggregates and not self._append_rollup(start, aggregates):
                return  # retried at the next tick
            self._closed_until = start + WINDOW_MS
            self._feed_particulates(aggregates)
        self._closed_until = limit

    def _append_rollup(self, start: int, aggregates: list[Aggregate]) -> bool:
        fields = {
            "window_start": start,
            "window_end": start + WINDOW_MS,
            "series": [
                {
                    "sensor": a.sensor_id,
                    "quantity": a.quantity,
                    "unit": a.unit,
                    # Rounding can push the mean past a bound: keep min <= mean <= max.
                    "mean": min(max(round(a.mean, 2), round(a.minimum, 2)), round(a.maximum, 2)),
                    "min": round(a.minimum, 2),
                    "max": round(a.maximum, 2),
                    "count": a.count,
                    "samples": a.samples,
                    "flags": list(a.flags),
                }
                for a in aggregates
            ],
        }
        entity = rollup_entity(self.hub.key_id, start)
        try:
            body = msgspec.convert(fields, SensorRollupBody)
            self.log.append(self.hub, "sensor.rollup", entity, encode_body(body))
        except (AppendRefused, msgspec.ValidationError) as exc:
            log.error("rollup of window %d not recorded: %s", start, exc)
            return False
        return True

    def _feed_particulates(self, aggregates: list[Aggregate]) -> None:
        for aggregate in aggregates:
            rules = [r for r in RULES_BY_NAME.values() if r.statistic == "mean_24h"]
            for rule in rules:
                if rule.quantity != aggregate.quantity:
                    continue
                end = aggregate.end_ms
                day = [
                    Aggregate(
                        r.sensor,
                        r.quantity,
                        r.unit,
                        r.window_start,
                        r.window_end,
                        r.mean,
                        r.min,
                        r.max,
                        r.count,
                        r.samples,
                        r.flags,
                    )
                    for r in sensors.rollups(
                        self.store.conn, self.hub.key_id, rule.quantity, end - MEAN_24H_MS
                    )
                    if r.sensor == aggregate.sensor_id
                ]
                mean = mean_24h(day, end)
                if mean is not None:
                    self._feed(rule, aggregate.sensor_id, end, mean, PM_MAX_GAP_MS)

    def _resume_alerts(self) -> None:
        for alert in sensors.alerts(self.store.conn, hub=self.hub.key_id):
            rule = RULES_BY_NAME.get(alert.rule)
            if rule is None or rule.level_named(alert.level) == 0:
                log.warning("active alert %s follows no rule of this table", alert.id)
                continue
            gap = PM_MAX_GAP_MS if rule.statistic == "mean_24h" else 2 * DEFAULT_INTERVAL_MS
            machine = AlertMachine.resume(rule, alert.sensor, gap, alert.level, alert.raised_at)
            machine.last_value = alert.value
            self._machines[(alert.sensor, rule.name)] = machine
