"""Fixtures for reader tests: emulators on real ptys and a collector of readings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.emulators import Emulator, Knobs, make_emulator
from hardware.readings import Reading

MakeEmulator = Callable[..., Emulator]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[MakeEmulator]:
    """`emulator("sds011", Knobs(...))` starts one behind tmp_path/by-id/<kind>-<n>."""
    started: list[Emulator] = []

    def make(kind: str, knobs: Knobs | None = None, name: str | None = None) -> Emulator:
        link = tmp_path / "by-id" / (name or f"{kind}-{len(started)}")
        emu = make_emulator(kind, link, knobs, seed=len(started)).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


class Collector:
    """The on_reading callback of a test: keeps every reading with the monotonic time it came."""

    def __init__(self) -> None:
        self.readings: list[tuple[float, Reading]] = []
        self.changed = threading.Condition()

    def __call__(self, reading: Reading) -> None:
        with self.changed:
            self.readings.append((time.monotonic(), reading))
            self.changed.notify_all()

    def of(self, sensor: str, status: str | None = None) -> list[Reading]:
        with self.changed:
            return [
                r
                for _, r in self.readings
                if r.sensor_id == sensor and (status is None or r.status == status)
            ]

    def wait_for(
        self, predicate: Callable[[Reading], bool], timeout: float, after: float = 0.0
    ) -> tuple[float, Reading]:
        """The first reading (and its arrival time) after `after` that matches; fails the test
        after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for when, reading in self.readings:
                    if when >= after and predicate(reading):
                        return when, reading
                left = deadline - time.monotonic()
                if left <= 0:
                    statuses = [(r.sensor_id, r.status) for _, r in self.readings[-10:]]
                    raise AssertionError(f"no matching reading in {timeout} s; last: {statuses}")
                self.changed.wait(left)
