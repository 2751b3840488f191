"""The practice's forms, read and checked without a server: a weekly series of slots to
publish, and the reason given with a cancellation or a withdrawal.

A problem is a catalog key beside its field (and the values its text needs), as in the notice
editor; nothing is published while any is left. The series is then made by the library's own
`expand_series` (the rules `dorfhub slots publish` keeps), in Europe/Berlin local time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from content import booking
from content.booking import (
    MAX_SERIES_DAYS,
    MAX_SERIES_SLOTS,
    BookingError,
    Practice,
)
from content.booking_bodies import SlotBody
from content.local_time import parse_clock, parse_day

WEEKDAY_CODES = ("mo", "di", "mi", "do", "fr", "sa", "so")
MAX_REASON_CHARS = 300  # content/booking_bodies.py Line: CancelBody.reason, SlotWithdrawBody
MAX_PLACE_CHARS = 200  # Address
MAX_CAPACITY = 50  # Capacity
MAX_DURATION_MIN = 8 * 60  # Duration
DEFAULT_PLACE = "Dorfhub – Beratungsraum"
# Commas, semicolons or spaces between times, but "10 Uhr" is one time.
_TIME_SEPARATORS = re.compile(r"[,;]|\s+(?!uhr\b)", re.IGNORECASE)


@dataclass
class SeriesForm:
    """The publish form as typed; `errors` maps a field to its catalog key."""

    service: str = "video"
    weekdays: list[str] = field(default_factory=list)
    first: str = ""
    last: str = ""
    times: str = ""
    duration: str = ""
    capacity: str = "1"
    place: str = DEFAULT_PLACE
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, int | str] = field(default_factory=dict)  # for the messages' {…}


def read_series_form(data: Mapping[str, object], weekdays: list[str]) -> SeriesForm:
    """The form's fields from a POST (`weekdays`: the checked boxes, in any order)."""

    def text(name: str) -> str:
        value = data.get(name)
        return value.strip() if isinstance(value, str) else ""

    return SeriesForm(
        service=text("service"),
        weekdays=[code for code in WEEKDAY_CODES if code in weekdays],
        first=text("first"),
        last=text("last"),
        times=text("times"),
        duration=text("duration"),
        capacity=text("capacity"),
        place=text("place"),
    )


def check_series(
    form: SeriesForm, practice: Practice, today: date
) -> list[tuple[str, SlotBody]] | None:
    """The series' slots as (slot id, body), or None with `form.errors` filled in."""
    service = next((s for s in practice.services if s.id == form.service), None)
    if service is None:
        form.errors["service"] = "practice.publish.error.service"
    if not form.weekdays:
        form.errors["weekdays"] = "practice.publish.error.weekdays"
    first, last = _check_days(form, today)
    clocks = _check_times(form)
    duration = _check_number(form, "duration", 1, MAX_DURATION_MIN, required=False)
    capacity = _check_number(form, "capacity", 1, MAX_CAPACITY, required=True)
    if not form.place:
        form.errors["place"] = "practice.publish.error.place_missing"
    elif len(form.place) > MAX_PLACE_CHARS:
        form.errors["place"] = "practice.publish.error.place_too_long"
        form.values["max_place"] = MAX_PLACE_CHARS
    if service is not None and clocks and "times" not in form.errors:
        gap = (duration or service.duration_min) + service.buffer_before_min
        gap += service.buffer_after_min
        if _too_close(clocks, gap):
            form.errors["times"] = "practice.publish.error.too_close"
            form.values["gap"] = gap
    if form.errors or first is None or last is None or capacity is None:
        return None
    if _slot_count(form.weekdays, first, last, len(clocks)) > MAX_SERIES_SLOTS:
        form.errors["last"] = "practice.publish.error.too_many"
        form.values["max_slots"] = MAX_SERIES_SLOTS
        return None
    try:
        slots = booking.expand_series(
            practice,
            form.service,
            form.weekdays,
            first,
            last,
            [f"{clock:%H:%M}" for clock in clocks],
            capacity,
            form.place,
            duration,
        )
    except BookingError as exc:
        _from_library(form, exc)
        return None
    return slots


def _check_days(form: SeriesForm, today: date) -> tuple[date | None, date | None]:
    first, last = parse_day(form.first), parse_day(form.last)
    if not form.first:
        form.errors["first"] = "practice.publish.error.first_missing"
    elif first is None:
        form.errors["first"] = "practice.publish.error.day_unreadable"
    elif first < today:
        form.errors["first"] = "practice.publish.error.first_past"
    if not form.last:
        form.errors["last"] = "practice.publish.error.last_missing"
    elif last is None:
        form.errors["last"] = "practice.publish.error.day_unreadable"
    elif first is not None and last < first:
        form.errors["last"] = "practice.publish.error.last_before_first"
    elif first is not None and (last - first).days > MAX_SERIES_DAYS:
        form.errors["last"] = "practice.publish.error.too_long"
        form.values["max_days"] = MAX_SERIES_DAYS
    return first, last


def _check_times(form: SeriesForm) -> list[time]:
    parts = [part.strip() for part in _TIME_SEPARATORS.split(form.times) if part.strip()]
    if not parts:
        form.errors["times"] = "practice.publish.error.times_missing"
        return []
    clocks = [parse_clock(part) for part in parts]
    if any(clock is None for clock in clocks):
        form.errors["times"] = "practice.publish.error.time_unreadable"
        return []
    return sorted({clock for clock in clocks if clock is not None})


def _check_number(
    form: SeriesForm, name: str, least: int, most: int, *, required: bool
) -> int | None:
    typed = str(getattr(form, name))
    if not typed:
        if required:
            form.errors[name] = f"practice.publish.error.{name}_missing"
        return None
    if not typed.isdigit() or not least <= int(typed) <= most:
        form.errors[name] = f"practice.publish.error.{name}_range"
        form.values[f"max_{name}"] = most
        return None
    return int(typed)


def _too_close(clocks: list[time], gap: int) -> bool:
    minutes = [clock.hour * 60 + clock.minute for clock in clocks]
    return any(later - earlier < gap for earlier, later in itertools.pairwise(minutes))


def _slot_count(weekdays: list[str], first: date, last: date, per_day: int) -> int:
    chosen = {WEEKDAY_CODES.index(code) for code in weekdays}
    days = ((first + timedelta(days=n)).weekday() for n in range((last - first).days + 1))
    return per_day * sum(1 for day in days if day in chosen)


def _from_library(form: SeriesForm, exc: BookingError) -> None:
    """What the library still refuses, beside the field it names."""
    if exc.field == "from":  # no chosen weekday falls in the date range
        form.errors["weekdays"] = "practice.publish.error.no_slot"
    else:
        form.errors["form"] = "practice.publish.error.invalid"


def reason_problem(reason: str, *, required: bool) -> str | None:
    """The catalog key of what is wrong with a cancellation's or withdrawal's reason."""
    if required and not reason:
        return "practice.reason.missing"
    if len(reason) > MAX_REASON_CHARS:
        return "practice.reason.too_long"
    return None
