"""Local time, for every part that reads or shows a date: Europe/Berlin, wherever the machine
stands and whatever its zone. Stored times stay milliseconds since the epoch (UTC).

What people type is read one way everywhere (the desk's forms, the command line): a date and
time without a zone is Berlin time; a date alone means that whole local day (from its midnight
to the next, 23 or 25 hours on the days the clocks change), so as an end it is the midnight
that closes the day; German forms (31.12.2026, 31.12.2026 15:00, 15.00, 15 Uhr) are read as
well as ISO 8601 (2026-12-31, 2026-12-31T15:00, 2026-12-31T15:00+01:00).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Europe/Berlin")
# Days outside these are typing errors (a year 20266, a year 26 read as 0026), not plans.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2200, 12, 31)
EXAMPLES = "31.12.2026, 31.12.2026 15:00 or 2026-12-31T15:00"

_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_GERMAN_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
_GERMAN_MOMENT = re.compile(r"^(\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4}))(?:,?\s+(.+))?$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?:\s*uhr)?$", re.IGNORECASE)


def local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TIME)


def local_ms(day: date, at: time) -> int:
    """The moment `at` o'clock on `day` in Europe/Berlin. In the hour skipped in spring the
    zone's rule (fold 0) applies; in the hour repeated in autumn, its first pass."""
    return int(datetime.combine(day, at, LOCAL_TIME).timestamp() * 1000)


def whole_day(day: date) -> tuple[int, int]:
    """The local day as [start, end) in ms: what a date without a time means."""
    return local_ms(day, time(0)), local_ms(day + timedelta(days=1), time(0))


def is_midnight(ms: int) -> bool:
    """A local midnight: shown as a date alone (a start), or as 24:00 of the day before (an
    end), since that is what a date typed alone became."""
    moment = local(ms)
    return (moment.hour, moment.minute, moment.second) == (0, 0, 0)


def event_leaves(start: int, end: int | None) -> int:
    """When a notice "until the event is over" leaves: the event's end, or, without one, the
    end of the local day it starts on (its length is not known; the day is)."""
    if end is not None:
        return end
    return whole_day(local(start).date())[1]


def parse_day(text: str) -> date | None:
    """2026-12-31 (a date picker), 31.12.2026 or 31.12.26; None if it is none of them or lies
    outside FIRST_DAY..LAST_DAY."""
    text = text.strip()
    iso, german = _ISO_DAY.match(text), _GERMAN_DAY.match(text)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif german:
            year = int(german[3]) + (2000 if len(german[3]) == 2 else 0)
            day = date(year, int(german[2]), int(german[1]))
        else:
            return None
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def parse_clock(text: str) -> time | None:
    """18:00 (a time picker), 18.00, 8:05, 18 or "18 Uhr"; None if it is none of them."""
    found = _CLOCK.match(text.strip())
    if not found:
        return None
    hour, minute = int(found[1]), int(found[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def read_moment(text: str) -> date | int:
    """A date alone (the whole local day: the caller says whether it starts or ends
    something), or a moment in ms. ValueError, naming the forms understood, for anything
    else."""
    text = text.strip()
    german = _GERMAN_MOMENT.match(text)
    if german:
        day = parse_day(german[1])
        if german[2] is None:
            return _known(day, text)
        clock = parse_clock(german[2])
        if clock is None:
            raise _unreadable(text)
        return local_ms(_known(day, text), clock)
    if _ISO_DAY.match(text):
        return _known(parse_day(text), text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _unreadable(text) from None
    if moment.tzinfo is None:
        return local_ms(_known(moment.date(), text), moment.time())
    _known(moment.astimezone(LOCAL_TIME).date(), text)
    return int(moment.timestamp() * 1000)


def moment_ms(text: str, *, end: bool = False) -> int:
    """What `read_moment` reads, as ms: a date alone is its midnight, or as an `end` the
    midnight that closes it (until 31.12. means up to the midnight that starts 1.1.)."""
    moment = read_moment(text)
    if isinstance(moment, date):
        start, next_midnight = whole_day(moment)
        return next_midnight if end else start
    return moment


def _known(day: date | None, text: str) -> date:
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise _unreadable(text)
    return day


def _unreadable(text: str) -> ValueError:
    return ValueError(
        f"not a date or time: {text!r} (for example {EXAMPLES}; Berlin time unless a zone is "
        f"given; years {FIRST_DAY.year} to {LAST_DAY.year})"
    )
