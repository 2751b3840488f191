"""The hub daemon's room sensors: the reader service feeding the recorder.

The reader's sensor threads hand every reading to `Recorder.record` (it only buffers); one
thread here owns the store connection and calls `Recorder.tick` every few seconds, which writes
the readings, runs the alert rules and closes 10-minute windows into `sensor.rollup` ops. The
per-sensor counters go to `sensor-status.json` in the hub's home, where the kiosk's guide mode
reads them (the kiosk never imports `hardware`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from content.clock import wall_clock_ms
from content.log import Log
from hardware.config import SensorConfig
from hardware.readings import Reading
from hardware.recorder import Recorder
from hardware.service import ReaderService
from node.home import Home

TICK_S = 5.0
STATUS_FILE = "sensor-status.json"

log = logging.getLogger("dorfhub.sensors")


class SensorLoop(threading.Thread):
    """Runs the sensors of one hub until `stop` is set."""

    def __init__(self, home: Home, sensors: Sequence[SensorConfig], tick_s: float = TICK_S):
        super().__init__(name="dorfhub-sensors", daemon=True)
        self.home = home
        self.sensors = list(sensors)
        self.tick_s = tick_s
        self.stop = threading.Event()

    def run(self) -> None:
        identity = self.home.identity()
        name = self.home.config.name
        with self.home.store() as store:
            # The recorder wants each sensor's real reading period, which the service's workers
            # work out (duty cycling stretches it), so it is plugged in once they exist.
            forward = _Forward()
            service = ReaderService(self.sensors, forward)
            periods = {w.config.id: int(w.period * 1000) for w in service.workers}
            recorder = Recorder(store, Log(store), identity, name, periods)
            forward.recorder = recorder
            with service:
                log.info("sensors started: %s", ", ".join(s.id for s in self.sensors))
                while not self.stop.wait(self.tick_s):
                    self._tick(recorder, service)
                self._tick(recorder, service)  # what was read before the stop is kept

    def _tick(self, recorder: Recorder, service: ReaderService) -> None:
        try:
            recorder.tick(wall_clock_ms())
        except Exception:  # a bad tick must not stop the readings; the next one retries
            log.exception("sensor tick failed")
        write_status(self.home.path / STATUS_FILE, service, recorder)


class _Forward:
    recorder: Recorder | None = None

    def __call__(self, reading: Reading) -> None:
        if self.recorder is not None:
            self.recorder.record(reading)


def write_status(path: Path, service: ReaderService, recorder: Recorder) -> None:
    """Counters and newest readings per sensor, replaced atomically."""
    readings = [
        {
            "sensor": r.sensor_id,
            "quantity": r.quantity,
            "value": r.value,
            "unit": r.unit,
            "status": r.status,
            "time_ms": r.time_ms,
        }
        for r in service.snapshot()
    ]
    document = {
        "updated_ms": wall_clock_ms(),
        "counters": service.counters(),
        "readings": readings,
        "dropped": recorder.dropped,
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    temporary.replace(path)
