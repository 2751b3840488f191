"""The steps of the kiosk's "Arzttermin" flow, as a pure state machine (no Kivy, no store).

    practice -> when (day and time) -> person (name, date of birth, phone)
             -> consent -> confirm -> status (pending / confirmed / rejected) and the slip

After the data entry there are at most four steps: consent, confirm, status, slip. The flow
holds what the resident typed only in memory; `forget_person` drops it once the slip is out,
`reset` drops everything (privacy timeout, a new resident). The screens do the I/O and tell the
flow what happened; the flow says which screen comes next and what may be done there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from content.booking import BookingError, Person, check_person
from content.booking_bodies import PHONE_PATTERN

NAME_LIMIT = 80  # as content.booking.check_person allows
PHONE_LIMIT = 24
GUIDE_LIMIT = 60
BIRTH_DIGITS = 8  # TTMMJJJJ
# A date of birth is plausible in the years from 120 years back (the oldest people living are
# 115 to 120; content.booking.check_person allows 125) up to today (a newborn's appointment,
# booked by a guide). Anything else
# is a typo in the year ("1850" for "1950", "2031" for "1931"): "Bitte prüfen Sie das Jahr".
OLDEST_AGE = 120
CALENDAR_WEEKS = 5  # a page of the calendar: five rows of Monday to Sunday
PRACTICES_PER_PAGE = 6
TIMES_PER_PAGE = 6  # three rows of two: room for large text
T = TypeVar("T")


class Step(StrEnum):
    """The flow's steps; the values are the names of their screens."""

    PRACTICE = "booking_practice"
    WHEN = "booking_when"
    PERSON = "booking_person"
    CONSENT = "booking_consent"
    CONFIRM = "booking_confirm"
    STATUS = "booking_status"


STEPS = tuple(Step)
# The steps a resident counts ("Schritt 2 von 5"); the status at the end is no step to take.
NUMBERED_STEPS = (Step.PRACTICE, Step.WHEN, Step.PERSON, Step.CONSENT, Step.CONFIRM)


def step_position(name: str) -> dict[str, int]:
    """`number` and `total` of the step whose screen is `name`, for "Schritt {number} von
    {total}"; empty for a screen that is no numbered step."""
    numbers = {step.value: index + 1 for index, step in enumerate(NUMBERED_STEPS)}
    if name not in numbers:
        return {}
    return {"number": numbers[name], "total": len(NUMBERED_STEPS)}


# The steps that show (or may show) personal data.
PERSONAL_STEPS = (Step.PERSON, Step.CONSENT, Step.CONFIRM)


class FlowError(Exception):
    """A step was asked for before the steps it needs (a bug in a screen, never the user)."""


def birth_display(digits: str) -> str:
    """What the date-of-birth field shows while typing: "17.02.19" for "170219"."""
    parts = [digits[:2], digits[2:4], digits[4:8]]
    return ".".join(part for part in parts if part) + ("." if len(digits) in (2, 4) else "")


def birth_iso(digits: str) -> str:
    """ "17021938" -> "1938-02-17"; BookingError (field birth_date) unless a real date."""
    if len(digits) != BIRTH_DIGITS or not digits.isdigit():
        raise BookingError("Geburtsdatum als TT.MM.JJJJ", "birth_date")
    day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise BookingError("Das Geburtsdatum ist kein gültiges Datum.", "birth_date") from None


def birth_problem(digits: str, today: date) -> str:
    """The catalog key of what is wrong with a typed date of birth, or "" if nothing is:
    not all of TT.MM.JJJJ typed (the format), a day that does not exist (31.02., 29.02.1931,
    month 13), a year before today's year minus OLDEST_AGE or a date after today."""
    if len(digits) != BIRTH_DIGITS or not digits.isdigit():
        return "booking.error.birth_date"
    day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return "booking.error.birth_day"
    # The day is checked in a leap year when the year is implausible anyway: 29.02.1850 is a
    # wrong year, not a wrong day.
    plausible = today.year - OLDEST_AGE <= year <= today.year
    try:
        born = date(year if plausible else 2000, month, day)
    except ValueError:
        return "booking.error.birth_day"
    if not plausible or born > today:
        return "booking.error.birth_year"
    return ""


def entry_errors(name: str, birth_digits: str, phone: str, today: date) -> list[tuple[str, str]]:
    """Every problem with the resident's entries at once, in the fields' order (name, date of
    birth, phone): pairs of field and catalog key; empty when they can be booked with."""
    errors = []
    name = name.strip()
    if not name or len(name) > NAME_LIMIT or not name.isprintable():
        errors.append(("name", "booking.error.name"))
    problem = birth_problem(birth_digits, today)
    if problem:
        errors.append(("birth_date", problem))
    if len(phone.strip()) > PHONE_LIMIT or not re.match(PHONE_PATTERN, phone.strip()):
        errors.append(("phone", "booking.error.phone"))
    return errors


class EntryErrors(BookingError):
    """The entries' problems, all of them (`errors`: field and catalog key, in field order);
    `field` is the first one's, where the keyboard goes."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(key for _, key in errors), errors[0][0])
        self.errors = errors


def calendar_page(today: date, page: int) -> list[list[date]]:
    """The weeks (Monday to Sunday) of one calendar page; page 0 starts with this week."""
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=CALENDAR_WEEKS * page)
    return [
        [monday + timedelta(weeks=week, days=day) for day in range(7)]
        for week in range(CALENDAR_WEEKS)
    ]


def months_shown(today: date, weeks: Sequence[Sequence[date]]) -> list[tuple[int, int]]:
    """(year, month) of the days a calendar page shows, in order: the days before today are
    blank, so their months are not named in the heading."""
    months: list[tuple[int, int]] = []
    for week in weeks:
        for day in week:
            if day >= today and (day.year, day.month) not in months:
                months.append((day.year, day.month))
    return months


def day_face(day: date, today: date, weekdays: Sequence[str], today_word: str) -> str:
    """A calendar day as it reads on its own: its weekday (or "heute") over its date."""
    first_line = today_word if day == today else weekdays[day.weekday()]
    return f"{first_line}\n{day.day}.{day.month}."


def calendar_pages(today: date, bookable: Sequence[date]) -> int:
    """How many pages it takes to show every bookable day (at least one)."""
    if not bookable:
        return 1
    monday = today - timedelta(days=today.weekday())
    weeks = (max(bookable) - monday).days // 7
    return max(1, weeks // CALENDAR_WEEKS + 1)


def page_of(items: Sequence[T], page: int, size: int) -> list[T]:
    return list(items[page * size : (page + 1) * size])


def pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


@dataclass
class BookingFlow:
    on_behalf: bool = False  # a guide books for someone (guide mode)
    step: Step = Step.PRACTICE
    practice: str = ""  # the practice's key
    day: date | None = None
    slot_id: str = ""
    request_id: str = ""
    # What was typed; only in memory.
    name: str = ""
    birth_digits: str = ""
    phone: str = ""
    guide: str = ""
    consent: bool = False
    # Paging of long lists (no swiping: one tap on "more").
    practice_page: int = 0
    calendar_page: int = 0
    times_page: int = 0
    announced: str = ""  # the last request state that was spoken
    history: list[str] = field(default_factory=list)  # request ids made in this session

    # ---- starting and forgetting --------------------------------------------------------------

    def start(self, on_behalf: bool = False) -> Step:
        self.reset()
        self.on_behalf = on_behalf
        return self.step

    def reset(self) -> None:
        """Everything forgotten: a new resident, or the privacy timeout."""
        fresh = BookingFlow()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def forget_person(self) -> None:
        """Drop what was typed (the slip is out); the request's public state stays."""
        self.name = self.birth_digits = self.phone = self.guide = ""
        self.consent = False

    def holds_person(self) -> bool:
        return bool(self.name or self.birth_digits or self.phone or self.guide)

    # ---- the steps ---------------------------------------------------------------------------

    def choose_practice(self, practice: str) -> Step:
        self.practice = practice
        self.day, self.slot_id = None, ""
        self.calendar_page = self.times_page = 0
        self.step = Step.WHEN
        return self.step

    def choose_day(self, day: date) -> None:
        self._need(self.practice, "a practice")
        self.day = day
        self.times_page = 0

    def choose_slot(self, slot_id: str) -> Step:
        self._need(self.practice, "a practice")
        self.slot_id = slot_id
        self.consent = False
        self.step = Step.PERSON
        return self.step

    def person(self) -> Person:
        """The entries as the library takes them; BookingError for a date that is none."""
        return Person(
            name=self.name.strip(),
            birth_date=birth_iso(self.birth_digits),
            phone=self.phone.strip(),
            consent=self.consent,
        )

    def entries_done(self, today: date) -> Step:
        """Check name, date of birth and phone (EntryErrors with every problem); then consent."""
        self._need(self.slot_id, "a time")
        errors = entry_errors(self.name, self.birth_digits, self.phone, today)
        if errors:
            raise EntryErrors(errors)
        entries = self.person()
        # Consent is the next step: the entries are checked as if it were given.
        check_person(Person(entries.name, entries.birth_date, entries.phone, consent=True), today)
        self.step = Step.CONSENT
        return self.step

    def agree(self) -> Step:
        self._need(self.slot_id and self.name, "the entries")
        self.consent = True
        self.step = Step.CONFIRM
        return self.step

    def requested(self, request_id: str) -> Step:
        """The request is stored: from now on the status screen."""
        self.request_id = request_id
        self.history.append(request_id)
        self.announced = ""
        self.step = Step.STATUS
        return self.step

    def choose_alternative(self, slot_id: str) -> Step:
        """An alternative offered on a rejection: booked at once with the same entries while
        they are held; once forgotten, they are asked for again."""
        self.slot_id = slot_id
        self.day = None
        if self.holds_person() and self.consent:
            self.step = Step.CONFIRM
        else:
            self.forget_person()
            self.step = Step.PERSON
        return self.step

    def guide_name(self) -> str:
        return self.guide.strip() if self.on_behalf else ""

    def announce(self, state: str) -> bool:
        """True once per request and state: a change the resident must hear."""
        if state == self.announced:
            return False
        self.announced = state
        return True

    def _need(self, value: object, what: str) -> None:
        if not value:
            raise FlowError(f"{self.step.value}: {what} must be chosen first")


__all__ = [
    "BookingFlow",
    "EntryErrors",
    "FlowError",
    "Step",
    "birth_display",
    "birth_iso",
    "birth_problem",
    "calendar_page",
    "calendar_pages",
    "day_face",
    "entry_errors",
    "months_shown",
    "page_of",
    "pages",
    "step_position",
]
