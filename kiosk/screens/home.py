"""The home screen, "today" (what is on, without a tap), its tiles, language and accessibility,
and the honest "kommt bald" page."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from content.help import DEFAULT_EVENT_MS
from content.notices import Notice
from kiosk import climate_data as cd
from kiosk.data import TODAY_ROWS
from kiosk.overlays import official_line
from kiosk.screens.base import KioskScreen, page, running_app, tr
from kiosk.screens.board import can_page
from kiosk.widgets import NoticeButton

# The room climate in one line: these quantities, when current, in this order.
CLIMATE_LINE = ("temperature", "humidity", "co2")


def climate_line(values: list[cd.ClimateValue], language: str) -> str:
    """'21,5 °C · 45 % · CO2 650 ppm gut', or "" when nothing is current."""
    parts = []
    for value in values:
        if value.quantity not in CLIMATE_LINE or not value.current or value.value is None:
            continue
        text = cd.format_value(value.quantity, value.value, language)
        if value.quantity == "co2":
            text = tr("home.climate_co2", value=text)
        if value.word_key:
            text = f"{text} {tr(value.word_key)}"
        parts.append((CLIMATE_LINE.index(value.quantity), text))
    return " · ".join(text for _, text in sorted(parts))


class TodayRow(NoticeButton):
    """A line of "today": as high as its text, and gone (no height, no touch) when empty. Set
    here, not in a .kv rule, which KButton's own height rule would race on a theme change."""

    def on_kv_post(self, base_widget: object) -> None:
        self.bind(texture_size=self._fit, text=self._fit, height=self._fit)
        self._fit()

    def _fit(self, *_: object) -> None:
        th = running_app().th
        shown = bool(self.text)
        # The same height again dispatches nothing: no loop through the binding on height.
        self.height = max(th.target, self.texture_size[1] + 2 * th.padding) if shown else 0
        self.opacity = 1 if shown else 0
        self.disabled = not shown


class HomeScreen(KioskScreen):
    important_id = StringProperty("")
    important_text = StringProperty("")
    event_ids = ListProperty([""] * TODAY_ROWS)
    event_texts = ListProperty([""] * TODAY_ROWS)
    notice_ids = ListProperty([""] * TODAY_ROWS)
    notice_texts = ListProperty([""] * TODAY_ROWS)
    notice_important = ListProperty([False] * TODAY_ROWS)
    office_id = StringProperty("")
    office_text = StringProperty("")
    climate_text = StringProperty("")
    can_page_up = BooleanProperty(False)
    can_page_down = BooleanProperty(False)

    def on_kv_post(self, base_widget: object) -> None:
        # The lines taken out of their column while empty: kept here, as ids are weak.
        self.lines = {name: widget.__self__ for name, widget in self.ids.items()}
        view = self.ids.today_scroll
        paging = Clock.create_trigger(self._update_paging)
        view.bind(scroll_y=paging, height=paging)
        self.ids.today.bind(height=paging)

    def _update_paging(self, *_: object) -> None:
        self.can_page_up, self.can_page_down = can_page(self.ids.today_scroll)

    def page(self, direction: int) -> None:
        page(self.ids.today_scroll, direction)

    def refresh(self) -> None:
        """Read "today" again: with every new op, a notice starting or ending, new sensor
        readings and a new language (the app's DATA_SCREENS and LOCAL_SCREENS)."""
        app = running_app()
        data = app.data
        now = data.now_ms()
        events = data.next_events(TODAY_ROWS, at_ms=now)
        self.event_ids = self._padded([n.id for n in events], "")
        self.event_texts = self._padded([self._event_line(n) for n in events], "")
        newest, important = data.newest_and_important(TODAY_ROWS, at_ms=now)
        self.notice_ids = self._padded([n.id for n in newest], "")
        self.notice_texts = self._padded([self._notice_line(n) for n in newest], "")
        self.notice_important = self._padded([n.priority != "normal" for n in newest], False)
        self.important_id = important.id if important else ""
        self.important_text = self._important_line(important) if important else ""
        self.office_id, self.office_text = self._office_hour(data.next_office_hour(now), now)
        self.climate_text = self._climate(app.home_dir)
        self._arrange("events", "event_", "no_events", "office_hours")
        self._arrange("notices", "notice_", "no_notices", "climate_line")

    def _arrange(self, column: str, rows: str, nothing: str, last: str) -> None:
        """Only the lines with text in the column: a hidden line would still take its gap."""
        ids = self.lines
        lines = [ids[f"{rows}{index}"] for index in range(TODAY_ROWS)]
        shown = [ids[f"{column}_heading"], *[line for line in lines if line.text]]
        shown += [ids[nothing]] if len(shown) == 1 else []
        shown.append(ids[last])
        box = ids[f"{column}_column"]
        if list(reversed(box.children)) != shown:
            box.clear_widgets()
            for line in shown:
                box.add_widget(line)

    @staticmethod
    def _padded(items: list, empty: object) -> list:  # type: ignore[type-arg]
        return (items + [empty] * TODAY_ROWS)[:TODAY_ROWS]

    def _event_line(self, notice: Notice) -> str:
        app = running_app()
        assert notice.event_start is not None
        when = app.translator.day_time(app.lang, notice.event_start)
        title = notice.text("title", app.lang)
        return f"{title}\n{when} · {notice.place}" if notice.place else f"{title}\n{when}"

    def _notice_line(self, notice: Notice) -> str:
        app = running_app()
        parts = [tr(f"category.{notice.category}")]
        if notice.priority != "normal":
            parts.insert(0, tr(f"priority.{notice.priority}"))
        parts.append(app.translator.short_date(app.lang, notice.published_at))
        return notice.text("title", app.lang) + "\n" + " · ".join(parts)

    def _important_line(self, notice: Notice) -> str:
        """'Wichtig: <title>', and for an official warning its source, issued and until when
        (the takeover's and the detail screen's line, official_line)."""
        line = f"{tr('priority.important')}: {notice.text('title', running_app().lang)}"
        official = official_line(notice.id, running_app().lang)
        return f"{line}\n{official}" if official else line

    def _office_hour(self, notice: Notice | None, now: int) -> tuple[str, str]:
        if notice is None or notice.event_start is None:
            return "", tr("home.no_office_hours")
        app = running_app()
        end = notice.event_end or notice.event_start + DEFAULT_EVENT_MS
        if notice.event_start <= now:
            return notice.id, tr("home.office_hours_now", end=app.translator.time(app.lang, end))
        when = app.translator.day_time(app.lang, notice.event_start)
        if notice.place:
            when = f"{when} · {notice.place}"
        return notice.id, tr("home.office_hours", when=when)

    def _climate(self, home_dir: Path) -> str:
        app = running_app()
        # As the Raumklima screen: each sensor judged on its own reading period.
        periods = cd.configured_periods_ms(home_dir)
        values = cd.current_values(app.data.conn, app.data.wall_ms(), app.data.hub.key_id, periods)
        line = climate_line(values, app.lang)
        return tr("home.climate", values=line) if line else tr("home.climate_none")

    def speech(self) -> str:
        app = running_app()
        welcome = tr(
            "home.speech",
            village=app.village,
            date=app.date_text,
            time=app.time_text,
        )
        today = [self.important_text]
        today += [tr("home.events_heading"), *self.event_texts]
        today += [tr("home.notices_heading"), *self.notice_texts]
        today += [self.office_text, self.climate_text]
        lines = [welcome] + [text.replace("\n", ", ") for text in today if text]
        return ". ".join(line.rstrip(".") for line in lines) + "."

    def reset(self) -> None:
        """Nothing of a person lives here: language and theme are the app's to reset, and the
        scroll position the app's too."""


class SoonScreen(KioskScreen):
    """For tiles whose part is not built yet: says so, instead of a button that does nothing."""

    topic = StringProperty("tile.doctor")

    def speech(self) -> str:
        return tr(self.topic) + ". " + tr("soon.text")

    def reset(self) -> None:
        """An explanation, the same for everyone: nothing to forget."""
