"""The reader service: runs the configured sensors and hands every Reading to a callback.

One thread per sensor, each blocked in the serial read (select) between frames, so three sensors
at 1 Hz cost a fraction of a percent of a core. Each thread owns its port, parser and driver
state; `snapshot()` and `counters()` may be called from any thread.

Statuses (SENSORS.md, rule 5): `warming` until the driver's warm-up gate has passed (all-zero
frames are dropped then), `ok` after, `stale` once the newest value is older than twice the
sampling interval (sent once, with the value's original time), and `disconnected` when the port
fails (sent once per outage, with the time it was noticed and the last value, 0.0 if none).
Only `ok` readings carry a current value.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import serial

from content.clock import wall_clock_ms
from hardware.config import SensorConfig
from hardware.drivers import MAX_REPLY_DELAY_S, duty_cycling, next_wake
from hardware.parsers import Event, Frame
from hardware.readings import DISCONNECTED, OK, QUANTITY_UNITS, STALE, WARMING, Reading
from hardware.transport import open_port, resolve_port

log = logging.getLogger("dorfhub.sensors")

POLL_S = 0.2  # longest a read blocks: bounds stop latency and scheduling jitter
BACKOFF_START_S = 0.25
BACKOFF_MAX_S = 5.0
DUTY_POLL_S = 1.0  # query cadence inside a duty-cycled awake window

OnReading = Callable[[Reading], None]
PortError = (serial.SerialException, OSError, ValueError)


@dataclass(slots=True)
class SensorCounters:
    frames_ok: int = 0
    replies: int = 0
    checksum_errors: int = 0
    resyncs: int = 0
    bytes_skipped: int = 0
    timeouts: int = 0
    reconnects: int = 0
    readings: int = 0
    dropped_warmup: int = 0
    callback_errors: int = 0
    connected: bool = False
    last_error: str = ""

    def as_dict(self) -> dict[str, int | bool | str]:
        return {name: getattr(self, name) for name in self.__slots__}


class SensorWorker:
    """One sensor: connect, set up, poll or duty-cycle, parse, emit; reconnect with backoff."""

    def __init__(
        self,
        config: SensorConfig,
        on_reading: OnReading,
        clock_ms: Callable[[], int],
        monotonic: Callable[[], float],
    ) -> None:
        self.config = config
        self.driver = config.spec
        self.on_reading = on_reading
        self.clock_ms = clock_ms
        self.monotonic = monotonic
        self.parser = self.driver.new_parser()
        self.counters = SensorCounters()
        self.duty = config.duty
        self.cycling = duty_cycling(self.driver, self.duty)
        self.period = config.period_s
        self.stale_after = 2 * self.period
        self.port: serial.SerialBase | None = None
        self.lock = threading.Lock()
        self.latest: dict[str, Reading] = {}
        self.latest_at: float | None = None  # monotonic time of the newest ok/warming frame
        self.stale_sent = False
        self.outage_sent = False
        self.ever_connected = False
        self.backoff = BACKOFF_START_S
        self.retry_at = 0.0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"sensor-{config.id}", daemon=True)
        # driver state of the current connection
        self.warm_until = 0.0
        self.woke_at = 0.0
        self.connected_at = 0.0
        self.asleep = False
        self.wake_at = 0.0
        self.cycle_done = False
        self.next_query = 0.0
        self.awaiting = False

    # ---- thread ---------------------------------------------------------------------------

    def run(self) -> None:
        while not self.stop_event.is_set():
            now = self.monotonic()
            port = self.port
            if port is None:
                if now >= self.retry_at:
                    self.connect(now)
                else:
                    self.stop_event.wait(min(POLL_S, self.retry_at - now))
                continue
            try:
                self.step(port, now)
                data = port.read(max(1, port.in_waiting))
            except PortError as exc:
                self.disconnect(f"{type(exc).__name__}: {exc}")
                continue
            if data:
                self.handle(self.parser.feed(data), self.monotonic())
            self.check_stale(self.monotonic())
        self.close()

    def connect(self, now: float) -> None:
        try:
            port = open_port(resolve_port(self.config.port), timeout=POLL_S)
        except PortError as exc:
            self.mark_disconnected(f"{type(exc).__name__}: {exc}")
            self.retry_at = now + self.backoff
            self.backoff = min(self.backoff * 2, BACKOFF_MAX_S)
            return
        self.parser.reset()
        self.port = port
        with self.lock:
            self.counters.connected = True
            if self.ever_connected:
                self.counters.reconnects += 1
        self.ever_connected = True
        self.outage_sent = False
        self.connected_at = now
        # A reconnect usually means the sensor lost power: its warm-up starts again.
        self.woke_at = now
        self.warm_until = self.warm_gate(now)
        self.asleep = False
        self.cycle_done = False
        self.awaiting = False
        self.next_query = self.first_query(now)
        try:
            for command in self.driver.setup:
                port.write(command)
        except PortError as exc:
            self.disconnect(f"{type(exc).__name__}: {exc}")

    def first_query(self, woke_at: float) -> float:
        # Duty-cycled sensors are asked once, `lead` seconds after waking (zeros before then
        # would cost laser time and say nothing), and again each second until a reading comes.
        return woke_at + self.config.lead_s if self.cycling else woke_at

    def warm_gate(self, woke_at: float) -> float:
        """Until when frames count as warm-up: the driver's minimum, or the whole wake-ahead
        when duty cycling (lead >= warm-up, so this only lengthens the gate)."""
        return woke_at + (self.config.lead_s if self.cycling else self.config.warmup_s)

    def step(self, port: serial.SerialBase, now: float) -> None:
        """Send what is due: wake, query, sleep."""
        driver = self.driver
        if self.cycling and self.asleep:
            if now >= self.wake_at and driver.wake is not None:
                port.write(driver.wake)
                self.asleep = False
                self.woke_at = now
                self.warm_until = self.warm_gate(now)
                self.cycle_done = False
                self.next_query = self.first_query(now)
            return
        if driver.query is not None and now >= self.next_query:
            if self.awaiting:
                with self.lock:
                    self.counters.timeouts += 1
            port.write(driver.query)
            self.awaiting = True
            cadence = min(self.config.interval, DUTY_POLL_S) if self.cycling else self.period
            self.next_query = max(self.next_query + cadence, now)
        if self.cycling and driver.sleep is not None:
            lead_end = self.woke_at + self.config.lead_s
            if (self.cycle_done and now >= lead_end) or now >= lead_end + MAX_REPLY_DELAY_S:
                port.write(driver.sleep)
                self.asleep = True
                self.awaiting = False
                self.wake_at = next_wake(self.woke_at, now, self.config.interval, self.duty)

    def handle(self, events: list[Event], now: float) -> None:
        parser = self.parser.counters
        with self.lock:
            counters = self.counters
            counters.frames_ok = parser.frames_ok
            counters.replies = parser.replies
            counters.checksum_errors = parser.checksum_errors
            counters.resyncs = parser.resyncs
            counters.bytes_skipped = parser.bytes_skipped
        for event in events:
            if isinstance(event, Frame):
                self.frame(event, now)

    def frame(self, frame: Frame, now: float) -> None:
        self.awaiting = False
        if now < self.warm_until:
            if frame.all_zero:
                with self.lock:
                    self.counters.dropped_warmup += 1
                return
            status = WARMING
        else:
            status = OK
            if self.cycling and now >= self.woke_at + self.config.lead_s:
                self.cycle_done = True
        self.backoff = BACKOFF_START_S
        time_ms = self.clock_ms()
        readings = [
            Reading(
                time_ms,
                self.config.id,
                m.quantity,
                m.value,
                QUANTITY_UNITS[m.quantity],
                status,
            )
            for m in frame.measurements
        ]
        with self.lock:
            for reading in readings:
                self.latest[reading.quantity] = reading
            self.latest_at = now
            self.stale_sent = False
        for reading in readings:
            self.emit(reading)

    def check_stale(self, now: float) -> None:
        if self.stale_sent or self.latest_at is None:
            return
        # Right after a reconnect the outage was already reported; give the sensor its interval.
        if now - max(self.latest_at, self.connected_at) <= self.stale_after:
            return
        with self.lock:
            self.stale_sent = True
            stale = [self.restatus(r, STALE) for r in self.latest.values()]
        for reading in stale:
            self.emit(reading)

    def disconnect(self, reason: str) -> None:
        self.close()
        self.retry_at = self.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX_S)
        self.mark_disconnected(reason)

    def mark_disconnected(self, reason: str) -> None:
        with self.lock:
            self.counters.connected = False
            self.counters.last_error = reason
            if self.outage_sent:
                return
            self.outage_sent = True
            now_ms = self.clock_ms()
            if self.latest:
                gone = [
                    Reading(now_ms, r.sensor_id, r.quantity, r.value, r.unit, DISCONNECTED)
                    for r in self.latest.values()
                ]
            else:
                gone = [
                    Reading(now_ms, self.config.id, q, 0.0, QUANTITY_UNITS[q], DISCONNECTED)
                    for q in self.driver.quantities
                ]
        log.warning("sensor %s disconnected: %s", self.config.id, reason)
        for reading in gone:
            self.emit(reading)

    def close(self) -> None:
        port, self.port = self.port, None
        if port is None:
            return
        with contextlib.suppress(*PortError):
            if self.cycling and not self.asleep and self.driver.sleep is not None:
                port.write(self.driver.sleep)  # spare the laser while nobody reads
        with contextlib.suppress(*PortError):
            port.close()

    def emit(self, reading: Reading) -> None:
        with self.lock:
            self.counters.readings += 1
        try:
            self.on_reading(reading)
        except Exception:
            with self.lock:
                self.counters.callback_errors += 1
            log.exception("on_reading failed for %s", reading.sensor_id)

    # ---- views for other threads ----------------------------------------------------------

    @staticmethod
    def restatus(reading: Reading, status: str) -> Reading:
        return Reading(
            reading.time_ms,
            reading.sensor_id,
            reading.quantity,
            reading.value,
            reading.unit,
            status,
        )

    def snapshot(self) -> list[Reading]:
        now = self.monotonic()
        with self.lock:
            readings = list(self.latest.values())
            connected = self.counters.connected
            age = None if self.latest_at is None else now - self.latest_at
        if not connected:
            return [self.restatus(r, DISCONNECTED) for r in readings]
        if age is not None and age > self.stale_after:
            return [self.restatus(r, STALE) for r in readings]
        return readings


class ReaderService:
    """Runs every configured sensor until `stop()`; `on_reading` is called from sensor threads
    (it must be thread-safe and quick, e.g. put the reading on a queue or write a row)."""

    def __init__(
        self,
        sensors: Sequence[SensorConfig],
        on_reading: OnReading,
        *,
        clock_ms: Callable[[], int] = wall_clock_ms,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workers = [SensorWorker(s, on_reading, clock_ms, monotonic) for s in sensors]

    def start(self) -> None:
        for worker in self.workers:
            worker.thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        for worker in self.workers:
            worker.stop_event.set()
        for worker in self.workers:
            if worker.thread.is_alive():
                worker.thread.join(timeout)

    def __enter__(self) -> ReaderService:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def counters(self) -> dict[str, dict[str, int | bool | str]]:
        """Per sensor id: frames ok, checksum errors, resyncs, timeouts, reconnects, …"""
        result = {}
        for worker in self.workers:
            with worker.lock:
                result[worker.config.id] = worker.counters.as_dict()
        return result

    def snapshot(self) -> list[Reading]:
        """The newest reading of every sensor and quantity, its status as of now (a value older
        than twice the interval is `stale`, a lost port `disconnected`)."""
        return [reading for worker in self.workers for reading in worker.snapshot()]
