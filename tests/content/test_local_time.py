"""Local time (content/local_time.py), as the desk and the command line read it: a date alone
means the whole local day, which is 23 or 25 hours long when the clocks change
(Europe/Berlin); a time without a zone is Berlin time; German forms are read as well as ISO;
every moment shows in Berlin time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from content.local_time import (
    event_leaves,
    is_midnight,
    local,
    local_ms,
    moment_ms,
    read_moment,
    whole_day,
)

HOUR_MS = 3_600_000
BERLIN = ZoneInfo("Europe/Berlin")


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


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=BERLIN).timestamp() * 1000)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-10T15:00", berlin(2026, 12, 10, 15)),  # a naive time is Berlin's, not UTC
        ("2026-12-10 15:00", berlin(2026, 12, 10, 15)),
        ("10.12.2026 15:00", berlin(2026, 12, 10, 15)),
        ("10.12.2026, 15 Uhr", berlin(2026, 12, 10, 15)),
        ("10.12.2026 15.30", berlin(2026, 12, 10, 15, 30)),
        ("2026-07-10T15:00", berlin(2026, 7, 10, 15)),  # summer time
        ("2026-12-10T15:00+01:00", berlin(2026, 12, 10, 15)),
        ("2026-12-10T14:00Z", berlin(2026, 12, 10, 15)),  # a zone given is kept
        ("2026-12-10T14:00+00:00", berlin(2026, 12, 10, 15)),
    ],
)
def test_moments_typed_in_every_form(typed: str, expected: int) -> None:
    assert read_moment(typed) == expected
    assert moment_ms(typed, end=True) == expected  # a time is that moment, start or end


@pytest.mark.parametrize("typed", ["2026-12-31", "31.12.2026", "31.12.26", " 31.12.2026 "])
def test_a_date_alone_starts_at_its_midnight_and_ends_at_the_next(typed: str) -> None:
    assert read_moment(typed) == date(2026, 12, 31)
    assert moment_ms(typed) == berlin(2026, 12, 31)
    assert moment_ms(typed, end=True) == berlin(2027, 1, 1)


@pytest.mark.parametrize(("day", "hours"), [("29.03.2026", 23), ("2026-10-25", 25)])
def test_a_date_alone_on_the_days_the_clocks_change(day: str, hours: int) -> None:
    assert moment_ms(day, end=True) - moment_ms(day) == hours * HOUR_MS


def test_times_on_the_days_the_clocks_change() -> None:
    # 03:00 on 29 March is one hour after 01:00 (02:00 to 03:00 does not exist) ...
    assert moment_ms("2026-03-29T03:00") - moment_ms("2026-03-29T01:00") == HOUR_MS
    # ... and a time in the skipped hour is read by the zone's rule, as the desk reads it.
    assert moment_ms("29.03.2026 02:30") == local_ms(date(2026, 3, 29), time(2, 30))
    assert local(moment_ms("29.03.2026 02:30")).hour == 3
    # 03:00 on 25 October is three hours after 01:00 (02:00 to 03:00 comes twice): the
    # repeated hour is read as its first pass, in summer time.
    assert moment_ms("2026-10-25T03:00") - moment_ms("2026-10-25T01:00") == 3 * HOUR_MS
    first_pass = moment_ms("25.10.2026 02:30")
    assert datetime.fromtimestamp(first_pass / 1000, UTC).time() == time(0, 30)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "tomorrow",
        "31.12.",
        "32.12.2026",
        "29.02.2027",
        "31.12.2026 24:00",
        "31.12.2026 15:60",
        "31.12.2026 abends",
        "2026-13-01",
        "1999-12-31",  # outside the years a notice may name
        "2201-01-01T00:00",
        "0026-12-31T00:00+01:00",
        "12/31/2026",
        "15:00",
    ],
)
def test_what_is_no_date_or_time_is_refused_with_the_forms_understood(typed: str) -> None:
    with pytest.raises(ValueError, match=re.escape("31.12.2026 15:00")):
        read_moment(typed)


def test_an_event_without_an_end_leaves_at_the_end_of_the_day_it_starts() -> None:
    start = berlin(2026, 10, 25, 15)
    assert event_leaves(start, None) == berlin(2026, 10, 26)
    assert event_leaves(start, berlin(2026, 10, 25, 18)) == berlin(2026, 10, 25, 18)


def test_midnight_is_local_midnight() -> None:
    assert is_midnight(berlin(2026, 7, 1))
    assert not is_midnight(berlin(2026, 7, 1, 2))  # UTC's midnight
