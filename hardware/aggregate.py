"""10-minute aggregates of raw readings, and the rolling 24-hour mean of the PM rules (pure).

SENSORS.md reading rule 6: "Aggregates drop the minimum and maximum and need at least 3
samples; relative humidity above 70 % flags particulate readings as unreliable."

How this module reads it:
- "at least 3 samples" counts the good samples of the window *before* dropping: 3 is the
  smallest number that still leaves a value once the lowest and the highest are gone, and a
  duty-cycled SDS011 may deliver only a handful of readings in a window. With exactly 3 the
  aggregate is their median. Exactly one lowest and one highest sample are dropped, also when
  several samples share that value.
- Only readings with status "ok" count; warming, stale and disconnected ones never do.
- A particulate aggregate is flagged "humidity_high" when the humidity of the same window
  (every sensor of the hub: one room), with its own lowest and highest dropped, went above
  70 %. Flagged windows do not count towards the 24-hour mean the PM alerts use: fog and damp
  air inflate optical PM readings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from content.sensors import HUMIDITY_HIGH, PARTICULATES, WINDOW_MS
from content.thresholds import HUMIDITY_LIMIT, MEAN_24H_MIN_COVERAGE, MEAN_24H_MS
from hardware.readings import OK, Reading

MIN_SAMPLES = 3


@dataclass(frozen=True)
class Aggregate:
    sensor_id: str
    quantity: str
    unit: str
    start_ms: int
    end_ms: int
    mean: float
    minimum: float  # of the samples kept (after dropping the lowest and the highest)
    maximum: float
    count: int  # samples kept
    samples: int  # good samples in the window
    flags: tuple[str, ...] = field(default=())

    @property
    def reliable(self) -> bool:
        return HUMIDITY_HIGH not in self.flags


def window_start(time_ms: int) -> int:
    """Windows are aligned to 10-minute boundaries of the epoch (so to local clock times)."""
    return time_ms - time_ms % WINDOW_MS


def trimmed(values: Sequence[float]) -> list[float] | None:
    """The values without one lowest and one highest; None if fewer than MIN_SAMPLES."""
    if len(values) < MIN_SAMPLES:
        return None
    return sorted(values)[1:-1]


def aggregate_window(readings: Iterable[Reading], start_ms: int) -> list[Aggregate]:
    """Aggregates of every (sensor, quantity) with enough good samples in the window that
    starts at `start_ms`, sorted by sensor and quantity."""
    end_ms = start_ms + WINDOW_MS
    series: dict[tuple[str, str], list[float]] = defaultdict(list)
    units: dict[tuple[str, str], str] = {}
    humidity: list[float] = []
    for reading in readings:
        if reading.status != OK or not start_ms <= reading.time_ms < end_ms:
            continue
        key = (reading.sensor_id, reading.quantity)
        series[key].append(reading.value)
        units[key] = reading.unit
        if reading.quantity == "humidity":
            humidity.append(reading.value)
    kept_humidity = trimmed(humidity)
    humid = kept_humidity is not None and max(kept_humidity) > HUMIDITY_LIMIT
    found = []
    for (sensor, quantity), values in sorted(series.items()):
        kept = trimmed(values)
        if kept is None:
            continue
        flags = (HUMIDITY_HIGH,) if humid and quantity in PARTICULATES else ()
        found.append(
            Aggregate(
                sensor_id=sensor,
                quantity=quantity,
                unit=units[(sensor, quantity)],
                start_ms=start_ms,
                end_ms=end_ms,
                mean=sum(kept) / len(kept),
                minimum=kept[0],
                maximum=kept[-1],
                count=len(kept),
                samples=len(values),
                flags=flags,
            )
        )
    return found


def mean_24h(aggregates: Iterable[Aggregate], now_ms: int) -> float | None:
    """The mean of the reliable 10-minute means of one series in the 24 hours before `now_ms`;
    None unless they cover at least 75 % of the day (a 24-hour mean needs a day of data)."""
    since = now_ms - MEAN_24H_MS
    means = [
        a.mean for a in aggregates if a.reliable and since <= a.start_ms and a.end_ms <= now_ms
    ]
    if len(means) < MEAN_24H_MIN_COVERAGE * (MEAN_24H_MS // WINDOW_MS):
        return None
    return sum(means) / len(means)
