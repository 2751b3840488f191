"""10-minute aggregates (SENSORS.md reading rule 6) and the rolling 24-hour mean."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content import sensors
from content.store import Store
from content.thresholds import HUMIDITY_LIMIT
from hardware.aggregate import Aggregate, aggregate_window, mean_24h, window_start
from hardware.readings import DISCONNECTED, STALE, WARMING
from tests.hardware.room import DAY, MINUTE, T0, reading

WINDOW = 10 * MINUTE


def _one(readings: list, start: int = T0) -> Aggregate:  # type: ignore[type-arg]
    found = aggregate_window(readings, start)
    assert len(found) == 1
    return found[0]


def test_the_lowest_and_the_highest_are_dropped() -> None:
    values = [21.0, 22.0, 23.0, 99.0, -40.0]
    got = _one([reading(T0 + i * MINUTE, "temperature", v) for i, v in enumerate(values)])
    assert (got.mean, got.minimum, got.maximum) == (22.0, 21.0, 23.0)
    assert (got.count, got.samples) == (3, 5)
    assert (got.start_ms, got.end_ms) == (T0, T0 + WINDOW)


def test_only_one_of_equal_extremes_is_dropped() -> None:
    got = _one([reading(T0 + i, "co2", v) for i, v in enumerate([800, 800, 800, 1200])])
    assert (got.mean, got.minimum, got.maximum, got.count) == (800, 800, 800, 2)


def test_at_least_three_good_samples_are_needed() -> None:
    two = [reading(T0, "pm2_5", 5.0), reading(T0 + MINUTE, "pm2_5", 7.0)]
    assert aggregate_window(two, T0) == []
    three = [*two, reading(T0 + 2 * MINUTE, "pm2_5", 30.0)]
    got = _one(three)  # three samples: their median
    assert (got.mean, got.count, got.samples) == (7.0, 1, 3)


def test_only_ok_readings_count() -> None:
    bad = [
        reading(T0 + i * MINUTE, "temperature", 60.0, status=status)
        for i, status in enumerate([WARMING, STALE, DISCONNECTED, STALE, WARMING])
    ]
    assert aggregate_window(bad, T0) == []
    good = [reading(T0 + i * MINUTE + 1, "temperature", 20.0 + i) for i in range(3)]
    got = _one(bad + good)
    assert (got.mean, got.samples) == (21.0, 3)


def test_readings_outside_the_window_do_not_count() -> None:
    inside = [reading(T0 + i * MINUTE, "co2", 500.0) for i in range(3)]
    outside = [reading(T0 - 1, "co2", 5000.0), reading(T0 + WINDOW, "co2", 5000.0)]
    assert _one(inside + outside).maximum == 500.0
    assert window_start(T0 + WINDOW - 1) == T0
    assert window_start(T0 + WINDOW) == T0 + WINDOW


def _room(humidity: list[float]) -> list:  # type: ignore[type-arg]
    readings = []
    for i, rh in enumerate(humidity):
        at = T0 + i * MINUTE
        readings += [
            reading(at, "humidity", rh),
            reading(at, "pm2_5", 10.0 + i, sensor="sds011-1"),
            reading(at, "pm10", 20.0 + i, sensor="sds011-1"),
            reading(at, "co2", 600.0, sensor="mhz19-1"),
            reading(at, "temperature", 21.0),
        ]
    return readings


def test_humidity_above_70_percent_flags_particulates_only() -> None:
    found = {a.quantity: a for a in aggregate_window(_room([72.0, 75.0, 80.0, 71.0]), T0)}
    assert found["pm2_5"].flags == ("humidity_high",)
    assert found["pm10"].flags == ("humidity_high",)
    assert not found["pm2_5"].reliable
    for quantity in ("co2", "temperature", "humidity"):
        assert found[quantity].flags == ()


def test_humidity_at_70_percent_or_one_damp_outlier_flags_nothing() -> None:
    at_limit = aggregate_window(_room([HUMIDITY_LIMIT] * 4), T0)
    one_spike = aggregate_window(_room([50.0, 55.0, 95.0, 52.0]), T0)  # the spike is dropped
    assert all(a.flags == () for a in at_limit + one_spike)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-50, max_value=5000, allow_nan=False), min_size=1, max_size=40))
def test_aggregate_is_the_mean_of_the_middle_values(values: list[float]) -> None:
    found = aggregate_window([reading(T0 + i * 1000, "co2", v) for i, v in enumerate(values)], T0)
    if len(values) < 3:
        assert found == []
        return
    (got,) = found
    middle = sorted(values)[1:-1]
    assert got.mean == pytest.approx(sum(middle) / len(middle))
    assert got.minimum - 1e-9 <= got.mean <= got.maximum + 1e-9
    assert (got.minimum, got.maximum) == (middle[0], middle[-1])


def test_the_chart_uses_the_same_rule_in_sql(tmp_path: Path) -> None:
    """content.sensors.reading_history (the kiosk's chart, in SQL) agrees with aggregate_window."""
    values = [[21.0, 35.0, 22.5, 10.0, 23.0], [30.0, 31.0], [19.0, 19.5, 40.0]]
    readings = [
        reading(T0 + w * WINDOW + i * MINUTE, "temperature", v)
        for w, window in enumerate(values)
        for i, v in enumerate(window)
    ]
    readings.append(reading(T0 + 5, "temperature", 99.0, status=STALE))
    with Store(tmp_path / "hub.db") as store, store.write() as conn:
        sensors.insert_readings(
            conn,
            [(r.time_ms, r.sensor_id, r.quantity, r.value, r.unit, r.status) for r in readings],
        )
        chart = sensors.reading_history(conn, "temperature", T0 + 3 * MINUTE)
    expected = [
        (T0 + w * WINDOW, a.mean)
        for w in range(3)
        for a in aggregate_window(readings, T0 + w * WINDOW)
    ]
    assert [t for t, _ in chart] == [T0, T0 + 2 * WINDOW]  # the middle window had 2 samples
    assert [v for _, v in chart] == pytest.approx([v for _, v in expected])
    assert [t for t, _ in chart] == [t for t, _ in expected]


def _day(means: list[float], flags: tuple[str, ...] = ()) -> list[Aggregate]:
    return [
        Aggregate(
            "sds011-1",
            "pm2_5",
            "µg/m³",
            T0 + i * WINDOW,
            T0 + (i + 1) * WINDOW,
            m,
            m,
            m,
            3,
            5,
            flags,
        )
        for i, m in enumerate(means)
    ]


def test_the_24_hour_mean_needs_18_hours_of_windows() -> None:
    end = T0 + DAY
    assert mean_24h(_day([20.0] * 107), T0 + 107 * WINDOW) is None
    assert mean_24h(_day([20.0] * 108), T0 + 108 * WINDOW) == 20.0
    full = _day([10.0] * 72 + [30.0] * 72)
    assert mean_24h(full, end) == 20.0
    # A day later only the last 72 windows are within 24 hours: too few.
    assert mean_24h(full, end + 72 * WINDOW) is None


def test_damp_windows_do_not_count_towards_the_24_hour_mean() -> None:
    day = _day([10.0] * 120) + [
        Aggregate(
            "s",
            "pm2_5",
            "µg/m³",
            T0 + i * WINDOW,
            T0 + (i + 1) * WINDOW,
            90.0,
            90.0,
            90.0,
            3,
            5,
            ("humidity_high",),
        )
        for i in range(120, 144)
    ]
    assert mean_24h(day, T0 + DAY) == 10.0
