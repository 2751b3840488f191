"""The Raumklima screen: current values with their level in words, a 24-hour chart of CO2 and
temperature drawn on the Kivy canvas, this hub's active alert, and a read-aloud summary.

What is shown is worked out in kiosk/climate_data.py; this module only puts it on screen.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, InstructionGroup, Line
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk import climate_data as cd
from kiosk.screens.base import KioskScreen, running_app, tr
from kiosk.theme import RGBA, Theme, contrast_ratio
from kiosk.widgets import KLabel

# Values go stale without any database change when the hub daemon stops: look again this often.
RECHECK_S = 10.0
CHART_EVERY_MS = 60_000
NO_VALUE = "–"
# Palette colours tried in turn for the chart's lines: the first with 3:1 against the chart's
# fill (WCAG 1.4.11) is used, so each theme gets a readable colour without chart-only entries.
SERIES_COLOURS = ("tile", "marker", "surface_text")
THRESHOLD_COLOURS = ("help", "alert", "border")
MIN_LINE_CONTRAST = 3.0


def line_colour(theme: Theme, candidates: tuple[str, ...]) -> RGBA:
    fill = theme.colour("surface")
    for name in candidates:
        if contrast_ratio(theme.colour(name), fill) >= MIN_LINE_CONTRAST:
            return theme.colour(name)
    return theme.colour("surface_text")


def join_words(parts: list[str], separator: str) -> str:
    """Parts that end a sentence (Leichte Sprache writes every one as a sentence) are followed
    by a space, the others by the separator."""
    if not parts:
        return ""
    text = parts[0]
    for part in parts[1:]:
        text += (" " if text.endswith((".", "!", "?")) else separator) + part
    return text


class ClimateValueLabel(Label):
    """A value in large bold digits, as wide as its text (it never wraps)."""


class ClimateRow(BoxLayout):
    """One quantity: its name, then the value large and the words beside it."""

    quantity = StringProperty("")
    name_text = StringProperty("")
    value_text = StringProperty("")
    word_text = StringProperty("")
    alarm = BooleanProperty(False)  # a level above "good": the words are set in bold


class ClimateChart(Widget):
    """A 24-hour line chart: axes, hour and value labels, threshold lines and the series.

    The series lines live in `series` (an InstructionGroup inside the canvas), one Line per
    stretch without gaps, so tests can read the points that were drawn."""

    quantity = StringProperty("co2")
    points = ListProperty([])  # (window start ms, value), oldest first
    start_ms = NumericProperty(0)
    end_ms = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.series = InstructionGroup()
        self.labels: list[KLabel] = []
        self.empty = True
        self._redraw = Clock.create_trigger(self.redraw)
        self.bind(size=self._redraw, pos=self._redraw, points=self._redraw)

    def on_kv_post(self, base_widget: object) -> None:
        running_app().bind(th=self._redraw)

    def show(self, points: list[tuple[int, float]], start_ms: int, end_ms: int) -> None:
        self.start_ms, self.end_ms = start_ms, end_ms
        self.points = points
        self._redraw()

    def plot_box(self, theme: Theme) -> cd.Box:
        left = theme.body * 3.6  # room for "2.000" at the value labels' size
        bottom = theme.body * 1.6
        right = theme.body * 1.6  # half an hour label at the right end
        top = theme.body * 0.8
        return cd.Box(
            self.x + left,
            self.y + bottom,
            max(1.0, self.width - left - right),
            max(1.0, self.height - bottom - top),
        )

    def redraw(self, *_: object) -> None:
        app = running_app()
        theme: Theme = app.th
        for label in self.labels:
            self.remove_widget(label)
        self.labels = []
        self.canvas.clear()
        self.series = InstructionGroup()
        if self.width < 10 or self.height < 10 or self.end_ms <= self.start_ms:
            return
        box = self.plot_box(theme)
        values = [value for _, value in self.points]
        low, high = cd.value_range(self.quantity, values)
        self.empty = not values
        self.canvas.add(Color(*theme.colour("border")))
        self.canvas.add(Line(points=[box.x, box.y + box.height, box.x, box.y], width=1.2))
        self.canvas.add(Line(points=[box.x, box.y, box.x + box.width, box.y], width=1.2))
        self.canvas.add(Color(*line_colour(theme, THRESHOLD_COLOURS)))
        for threshold in cd.threshold_lines(self.quantity, low, high):
            y = box.y + box.height * (threshold - low) / (high - low)
            self.canvas.add(Line(points=[box.x, y, box.x + box.width, y], width=1.5))
        self.series.add(Color(*line_colour(theme, SERIES_COLOURS)))
        for segment in cd.to_screen(self.points, self.start_ms, self.end_ms, low, high, box):
            self.series.add(Line(points=segment, width=2.5, joint="round", cap="round"))
        self.canvas.add(self.series)
        self._axis_labels(app, theme, box, low, high)

    def _axis_labels(self, app: Any, theme: Theme, box: cd.Box, low: float, high: float) -> None:
        border = theme.colour("border")
        span = max(1, self.end_ms - self.start_ms)
        for tick in cd.hour_ticks(int(self.start_ms), int(self.end_ms)):
            x = box.x + box.width * (tick - self.start_ms) / span
            self.canvas.add(Color(*border))
            self.canvas.add(Line(points=[x, box.y, x, box.y - theme.gap * 0.6], width=1.2))
            label = self._label(app.translator.time(app.lang, tick), theme.body * 3.2, "center")
            label.center_x = x
            label.top = box.y - theme.gap * 0.5
        decimals = 0 if self.quantity != "temperature" else (0 if high - low >= 6 else 1)
        for value in cd.value_ticks(low, high):
            y = box.y + box.height * (value - low) / (high - low)
            text = cd.format_number(value, decimals, app.lang)
            label = self._label(text, box.x - self.x - theme.gap, "right")
            label.x = self.x
            label.center_y = min(max(y, box.y), box.y + box.height)
        if self.empty:
            label = self._label(tr("climate.chart.empty"), box.width, "center")
            label.x = box.x
            label.center_y = box.y + box.height / 2

    def _label(self, text: str, width: float, halign: str) -> KLabel:
        label = KLabel(text=text, tone="surface_text", halign=halign)
        label.size_hint = (None, None)
        label.width = width
        label.texture_update()
        label.height = label.texture_size[1]
        self.add_widget(label)
        self.labels.append(label)
        return label

    def drawn_segments(self) -> list[list[float]]:
        """The points of the series lines now in the canvas."""
        return [list(i.points) for i in self.series.children if isinstance(i, Line)]


class ClimateScreen(KioskScreen):
    updated_text = StringProperty("")
    alert_title = StringProperty("")
    alert_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values: list[cd.ClimateValue] = []
        self.alerts: list[cd.ShownAlert] = []
        self._recheck: Any = None
        self._refreshed_at: int | None = None
        self._chart_key: tuple[str, int] | None = None

    def on_pre_enter(self, *args: object) -> None:
        # Values age without any database change: one refresh too many is cheap, a stale value
        # shown as current is not.
        now = running_app().data.wall_ms()
        if self._refreshed_at is None or now - self._refreshed_at >= RECHECK_S * 1000:
            self.refresh()

    def on_enter(self, *args: object) -> None:
        self._recheck = Clock.schedule_interval(lambda _dt: self.refresh(), RECHECK_S)

    def on_leave(self, *args: object) -> None:
        if self._recheck is not None:
            self._recheck.cancel()
            self._recheck = None

    def reset(self) -> None:
        """The room's air is the same for everyone: nothing to forget."""

    def refresh(self) -> None:
        app = running_app()
        lang = app.lang
        conn = app.data.conn
        # Readings carry the hub's wall-clock time, so their age is measured on the same clock
        # (the trusted "now" may run ahead of a wall clock that has not caught up yet).
        now = app.data.wall_ms()
        periods = cd.configured_periods_ms(app.home_dir)  # a few sensors: cheap every 10 s
        self.values = cd.current_values(conn, now, app.data.hub.key_id, periods)
        for value in self.values:
            row = self.ids[f"row_{value.quantity}"]
            row.name_text = tr(f"climate.name.{value.quantity}")
            row.value_text = (
                cd.format_value(value.quantity, value.value, lang)
                if value.current and value.value is not None
                else NO_VALUE
            )
            row.word_text = self.words(value)
            row.alarm = value.current and value.level not in (None, "good")
        newest = [v.time_ms for v in self.values if v.current and v.time_ms is not None]
        self.updated_text = (
            tr("climate.updated", time=app.translator.time(lang, max(newest))) if newest else ""
        )
        self.alerts = cd.active_alerts(conn, app.data.hub.key_id, lang)
        if self.alerts:
            first, *others = self.alerts
            self.alert_title = "\n".join([first.title, *(alert.title for alert in others)])
            self.alert_text = first.text
        else:
            self.alert_title = self.alert_text = ""
        self._refreshed_at = now
        # The charts move in 10-minute steps: once a minute (or in a new language) is enough,
        # though new readings arrive every few seconds.
        chart_key = (lang, now // CHART_EVERY_MS)
        if chart_key != self._chart_key:
            self._chart_key = chart_key
            for quantity in cd.CHART_QUANTITIES:
                series = cd.chart_series(conn, app.data.hub.key_id, quantity, now)
                self.ids[f"chart_{quantity}"].show(series, now - cd.DAY_MS, now)

    @staticmethod
    def words(value: cd.ClimateValue, spoken: bool = False) -> str:
        """The status in words: the level, or why there is no current value; with the felt
        temperature, and a warning when damp air makes particulate values unreliable. Spoken,
        units are words ("Grad") and the parts are separated as a sentence."""
        lang = running_app().lang
        parts = [tr(value.word_key)] if value.word_key else []
        if value.felt is not None:
            if spoken:
                number = cd.format_number(value.felt, cd.DECIMALS["temperature"], lang)
                felt = tr("climate.spoken.temperature", value=number)
            else:
                felt = cd.format_value("temperature", value.felt, lang)
            parts.append(tr("climate.felt", value=felt))
        if value.damp:
            parts.append(tr("climate.damp"))
        return join_words(parts, ", " if spoken else " · ")

    def speech(self) -> str:
        lang = running_app().lang
        parts = [tr("climate.speech.heading")]
        for value in self.values:
            name = tr(f"climate.name_spoken.{value.quantity}")
            if value.current and value.value is not None:
                number = cd.format_number(value.value, cd.DECIMALS[value.quantity], lang)
                spoken = tr(f"climate.spoken.{value.quantity}", value=number)
                words = self.words(value, spoken=True)
                if words:
                    parts.append(tr("climate.speech.value", name=name, value=spoken, words=words))
                else:
                    parts.append(tr("climate.speech.plain", name=name, value=spoken))
            else:
                words = self.words(value, spoken=True)
                parts.append(tr("climate.speech.no_value", name=name, words=words))
        for alert in self.alerts:
            parts.append(tr("climate.speech.alert", title=alert.title, text=alert.text))
        return " ".join(parts)
