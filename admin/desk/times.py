"""Time on the desk: every moment is shown in Europe/Berlin local time, and a date given alone
means that whole local day (from its midnight to the next, 23 or 25 hours on the days the
clocks change). Stored times stay milliseconds since the epoch (UTC)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Europe/Berlin")


def local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TIME)


def local_ms(day: date, at: time) -> int:
    """The moment `at` o'clock on `day` in Europe/Berlin. In the hour skipped in spring the
    zone's rule (fold 0) applies; in the hour repeated in autumn, its first pass."""
    return int(datetime.combine(day, at, LOCAL_TIME).timestamp() * 1000)


def whole_day(day: date) -> tuple[int, int]:
    """The local day as [start, end) in ms: what a date without a time means."""
    return local_ms(day, time(0)), local_ms(day + timedelta(days=1), time(0))
