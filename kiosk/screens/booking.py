"""Arzttermin, steps 1 and 2: choose a practice, then a day in a large calendar and a time.

The flow's state (kiosk/booking_flow.py) lives on the app for the whole session; these screens
read the hub's store through content.booking and tell the flow what was chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.widget import Widget

from content import booking
from content.booking import LOCAL_TIME, BookingError, Practice, Slot
from content.catalogs import babel_locale
from kiosk.booking_flow import (
    PRACTICES_PER_PAGE,
    STEPS,
    TIMES_PER_PAGE,
    BookingFlow,
    Step,
    calendar_page,
    calendar_pages,
    day_face,
    months_shown,
    page_of,
    pages,
)
from kiosk.screens.base import KioskScreen, running_app, tr
from kiosk.widgets import KButton, KLabel

# Fields of BookingError that have their own message in the catalogs.
ERROR_FIELDS = ("name", "birth_date", "phone", "consent", "slot")


def session() -> BookingFlow:
    """The booking flow of the running app (one resident at a time)."""
    app = running_app()
    flow: BookingFlow | None = getattr(app, "booking_flow", None)
    if flow is None:
        flow = BookingFlow()
        app.booking_flow = flow
    return flow


def open_booking(on_behalf: bool = False) -> None:
    """Start a fresh flow (guide mode: on a resident's behalf) at the practice step."""
    app = running_app()
    for step in STEPS:
        if app.sm.has_screen(step.value):
            app.screen(step.value).wipe()
    session().start(on_behalf)
    app.dirty.add(Step.PRACTICE.value)
    app.go(Step.PRACTICE.value)


def error_key(exc: BookingError) -> str:
    """The catalog key of a booking error: one per field, so it can be shown beside it."""
    return f"booking.error.{exc.field}" if exc.field in ERROR_FIELDS else "booking.error.other"


def sentences(parts: list[str]) -> str:
    """Parts of a screen's speech as sentences: a full stop where one is missing."""
    kept = [part.strip() for part in parts if part and part.strip()]
    return " ".join(part if part[-1] in ".:!?" else f"{part}." for part in kept)


def town_of(address: str) -> str:
    """ "Stadtplatz 1, 94078 Freyung" -> "Freyung"."""
    last = address.rsplit(",", 1)[-1].strip()
    words = last.split()
    return " ".join(words[1:]) if len(words) > 1 and words[0].isdigit() else last


def slot_when(slot: Slot) -> str:
    """ "Dienstag, 2. Dezember 2026, 09:30 Uhr" in the kiosk's language."""
    app = running_app()
    return str(app.translator.date_time(app.lang, slot.start))


def practice_lines(practice: Practice) -> str:
    town = town_of(practice.address)
    second = " · ".join(part for part in (practice.specialty, town) if part)
    return "\n".join(
        part for part in (practice.name, second, tr("booking.tel", phone=practice.phone)) if part
    )


def leave_flow_if_home(screen: KioskScreen) -> None:
    """Start (home) ends the flow: what was typed is forgotten at once."""
    manager = screen.manager
    if manager is not None and manager.current == "home":
        session().reset()
        for step in STEPS:
            if manager.has_screen(step.value):
                manager.get_screen(step.value).wipe()


class BookingTile(KButton):
    """A large tile whose height follows its wrapped text (practice, time, alternative).

    widgets.kv is loaded after the booking rules, so KButton's fixed height and one-line,
    shortened text would win over any rule here; the height is fitted in Python instead, a
    frame after anything it depends on changed (the theme resets KButton's height)."""

    key = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shorten = False
        self._fit_later = Clock.create_trigger(self._fit, 0)
        self.bind(
            text=self._fit_later,
            width=self._fit_later,
            height=self._fit_later,
            font_size=self._fit_later,
        )

    def _fit(self, *_: object) -> None:
        theme = running_app().th
        label = CoreLabel(
            text=self.text,
            font_size=self.font_size,
            bold=self.bold,
            halign="center",
            text_size=(max(1, self.width - 2 * theme.padding), None),
        )
        label.refresh()
        lines = label.texture.size[1] if label.texture else 0
        # Kivy drops the last wrapped line of a box that is only just high enough: one line
        # of slack.
        slack = self.font_size + 2 * (theme.padding + theme.border_width)
        wanted = max(theme.tile_height, round(lines + slack))
        widget: Any = self
        if widget.height != wanted:
            widget.height = wanted


class DayButton(KButton):
    day = StringProperty("")  # ISO date


class DayLabel(KLabel):
    """A day without a free time: plain text, not a target."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.halign = "center"  # after the rules: widgets.kv (loaded last) says "left"


class DayCell(FloatLayout):
    """One day of the calendar: a button when the day has free times, else plain text."""

    def __init__(self, choose: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = DayLabel()
        self.button = DayButton()
        self.button.bind(on_release=lambda button: choose(button.day))
        self.add_widget(self.label)
        self.add_widget(self.button)
        self.bind(pos=self._place, size=self._place)
        self.label.bind(height=self._place)

    def _place(self, *_: object) -> None:
        self.button.pos, self.button.size = self.pos, self.size
        self.label.width = self.width
        self.label.center = self.center

    def show(self, day: date, bookable: bool, selected: bool, past: bool, face: str) -> None:
        self.button.day = day.isoformat()
        self.button.text = face
        self.button.selected = selected
        self.label.text = "" if past else face
        show(self.button, bookable)
        show(self.label, not bookable)


def show(widget: Widget, visible: bool) -> None:
    """Hide without removing: Kivy keeps a removed widget's bindings to `app.th` alive after the
    widget is gone, and the next theme change then fails on them; so widgets made at run time
    are made once and reused."""
    widget.opacity = 1 if visible else 0
    widget.disabled = not visible


def pool(container: Widget, size: int, make: Callable[[], Widget]) -> list[Any]:
    """The container's children in order, `size` of them, made the first time."""
    while len(container.children) < size:
        container.add_widget(make())
    return list(reversed(container.children))


class BookingScreen(KioskScreen):
    """What every step shares: the flow, and leaving it by the Start button."""

    for_someone = BooleanProperty(False)  # guide mode: the texts speak of "the person"

    def on_pre_enter(self, *args: object) -> None:
        self.for_someone = self.flow.on_behalf

    def on_leave(self, *args: object) -> None:
        leave_flow_if_home(self)

    @property
    def flow(self) -> BookingFlow:
        return session()

    def reset(self) -> None:
        """The flow forgets everything (entries, chosen practice, day and time, pages)."""
        session().reset()
        self.wipe()


class PracticeScreen(BookingScreen):
    """Step 1: practices as large tiles (name, specialty, town, phone)."""

    more = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=Step.PRACTICE.value, **kwargs)
        self.practices: list[Practice] = []
        self.tiles: dict[str, BookingTile] = {}

    def refresh(self) -> None:
        app = running_app()
        self.practices = booking.list_practices(app.data.conn)
        count = pages(len(self.practices), PRACTICES_PER_PAGE)
        self.flow.practice_page %= count
        self.more = count > 1
        tiles = pool(self.ids.practices, PRACTICES_PER_PAGE, self._tile)
        shown = page_of(self.practices, self.flow.practice_page, PRACTICES_PER_PAGE)
        self.tiles = {}
        for index, tile in enumerate(tiles):
            practice = shown[index] if index < len(shown) else None
            tile.key = practice.key if practice else ""
            tile.text = practice_lines(practice) if practice else ""
            show(tile, practice is not None)
            if practice is not None:
                self.tiles[practice.key] = tile
        self.ids.empty.text = "" if self.practices else tr("booking.no_practices")

    def _tile(self) -> BookingTile:
        tile = BookingTile()
        tile.bind(on_release=lambda button: self.choose(button.key))
        return tile

    def next_page(self) -> None:
        self.flow.practice_page += 1
        self.refresh()

    def choose(self, key: str) -> None:
        app = running_app()
        step = self.flow.choose_practice(key)
        app.dirty.add(step.value)  # the calendar of this practice, read now
        app.go(step.value)

    def wipe(self) -> None:
        pass  # nothing personal here

    def speech(self) -> str:
        names = ". ".join(practice_lines(p).replace("\n", ", ") for p in self.practices)
        return f"{tr('booking.practice_heading')}. {tr('booking.practice_intro')} {names}"


class WhenScreen(BookingScreen):
    """Step 2: a large calendar of the practice's bookable days, then its free times."""

    practice_text = StringProperty("")
    month_text = StringProperty("")
    times_text = StringProperty("")
    more_times = BooleanProperty(False)
    earlier = BooleanProperty(False)
    later = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=Step.WHEN.value, **kwargs)
        self.practice: Practice | None = None
        self.bookable: list[date] = []
        self.slots: list[Slot] = []
        self.day_buttons: dict[str, DayButton] = {}
        self.time_buttons: dict[str, BookingTile] = {}

    def refresh(self) -> None:
        app = running_app()
        flow = self.flow
        if not flow.practice:
            return
        conn = app.data.conn
        now = app.data.now_ms()
        self.practice = booking.get_practice(conn, flow.practice)
        name = self.practice.name if self.practice else ""
        phone = self.practice.phone if self.practice else ""
        self.practice_text = tr("booking.when_practice", practice=name, phone=phone)
        self.bookable = booking.bookable_days(conn, flow.practice, now)
        if flow.day is not None and flow.day not in self.bookable:
            flow.day = None
        self._calendar(self._today(now))
        self.slots = []
        if flow.day is not None:
            start = datetime.combine(flow.day, datetime.min.time(), LOCAL_TIME)
            from_ms = int(start.timestamp() * 1000)
            self.slots = booking.list_slots(
                conn, flow.practice, bookable_at=now, from_ms=from_ms, until_ms=from_ms + 86_400_000
            )
            self.slots = [s for s in self.slots if s.local_start().date() == flow.day]
        self._times()

    def _today(self, now_ms: int) -> date:
        return datetime.fromtimestamp(now_ms / 1000, LOCAL_TIME).date()

    def _calendar(self, today: date) -> None:
        app = running_app()
        flow = self.flow
        count = calendar_pages(today, self.bookable)
        flow.calendar_page = max(0, min(flow.calendar_page, count - 1))
        self.earlier = flow.calendar_page > 0
        self.later = flow.calendar_page < count - 1
        weeks = calendar_page(today, flow.calendar_page)
        locale = babel_locale(app.lang)
        # Only the months of the days shown: the days before today are blank.
        months = months_shown(today, weeks) or [(today.year, today.month)]
        first, last = (date(year, month, 1) for year, month in (months[0], months[-1]))
        if first == last:
            self.month_text = format_date(first, "MMMM y", locale=locale)
        else:
            start = "MMMM" if first.year == last.year else "MMMM y"
            self.month_text = " – ".join(
                (
                    format_date(first, start, locale=locale),
                    format_date(last, "MMMM y", locale=locale),
                )
            )
        cells = pool(self.ids.calendar, 7 + 7 * len(weeks), self._cell)
        weekdays = tr("booking.weekdays").split()
        for header, weekday in zip(cells[:7], weekdays, strict=True):
            header.label.text = weekday
            header.label.bold = True
            show(header.label, True)
            show(header.button, False)
        self.day_buttons = {}
        bookable = set(self.bookable)
        days = [day for week in weeks for day in week]
        for cell, day in zip(cells[7:], days, strict=True):
            face = day_face(day, today, weekdays, tr("booking.today"))
            cell.show(day, day in bookable, day == flow.day, day < today, face)
            if day in bookable:
                self.day_buttons[day.isoformat()] = cell.button

    def _cell(self) -> DayCell:
        return DayCell(self.choose_day)

    def _times(self) -> None:
        app = running_app()
        flow = self.flow
        buttons = pool(self.ids.times, TIMES_PER_PAGE, self._time_button)
        self.time_buttons = {}
        for button in buttons:
            show(button, False)
        if flow.day is None:
            key = "booking.choose_day" if self.bookable else "booking.no_days"
            self.times_text = tr(key)
            self.more_times = False
            return
        self.times_text = tr(
            "booking.choose_time",
            day=app.translator.date(app.lang, self.slots[0].start) if self.slots else "",
        )
        count = pages(len(self.slots), TIMES_PER_PAGE)
        flow.times_page %= count
        self.more_times = count > 1
        for button, slot in zip(
            buttons, page_of(self.slots, flow.times_page, TIMES_PER_PAGE), strict=False
        ):
            service = slot.service.name.get(app.lang) or slot.service.name.get("de", "")
            button.key = slot.id
            button.text = f"{slot.local_start():%H:%M}\n{service}"
            show(button, True)
            self.time_buttons[slot.id] = button

    def _time_button(self) -> BookingTile:
        button = BookingTile()
        button.bind(on_release=lambda b: self.choose_slot(b.key))
        return button

    def choose_day(self, iso: str) -> None:
        self.flow.choose_day(date.fromisoformat(iso))
        self.refresh()
        running_app().say(self.times_text)

    def turn(self, direction: int) -> None:
        self.flow.calendar_page += direction
        self.refresh()

    def next_times(self) -> None:
        self.flow.times_page += 1
        self._times()

    def choose_slot(self, slot_id: str) -> None:
        running_app().go(self.flow.choose_slot(slot_id).value)

    def speech(self) -> str:
        app = running_app()
        dates = ", ".join(app.translator.date(app.lang, _noon_ms(d)) for d in self.bookable[:10])
        parts = [
            tr("booking.when_heading"),
            self.practice_text,
            tr("booking.days_free", dates=dates),
        ]
        if self.slots:
            times = ", ".join(f"{s.local_start():%H:%M}" for s in self.slots)
            parts.append(tr("booking.times_free", times=times))
        return sentences(parts)


def _noon_ms(day: date) -> int:
    return (
        int(datetime.combine(day, datetime.min.time(), LOCAL_TIME).timestamp() * 1000) + 43_200_000
    )
