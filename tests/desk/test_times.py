"""A date alone means the whole local day, which is 23 or 25 hours long when the clocks
change (Europe/Berlin), and every moment shows in Berlin time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from admin.desk.times import local, local_ms, whole_day

HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 12, 3), 24)],
)
def test_a_day_is_its_local_midnights(day: date, hours: int) -> None:
    start, end = whole_day(day)
    assert end - start == hours * HOUR_MS
    assert local(start).date() == day
    assert local(start).time() == time(0)
    assert local(end - 1).date() == day


def test_local_times_are_berlin_times() -> None:
    winter = local_ms(date(2026, 1, 15), time(9, 30))
    summer = local_ms(date(2026, 7, 15), time(9, 30))
    assert datetime.fromtimestamp(winter / 1000, UTC).time() == time(8, 30)
    assert datetime.fromtimestamp(summer / 1000, UTC).time() == time(7, 30)
