"""The noticeboard: the list (all notices or only events), categories, and one notice."""

from __future__ import annotations

import logging
from typing import Any

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.recycleview import RecycleView

from content.bodies import CATEGORIES
from content.kiosk_look import QR_CAPTION_KEYS
from content.notices import Notice
from kiosk import qr
from kiosk import slip as slips
from kiosk.data import LIST_CHUNK_ROWS
from kiosk.overlays import spoken_official
from kiosk.print_job import BackgroundPrint
from kiosk.screens.base import KioskScreen, page, running_app, tr
from kiosk.signage import when_and_where
from kiosk.widgets import text_height

log = logging.getLogger("dorfhub.kiosk")


def hidden_below(view: RecycleView) -> float:
    """How far the list goes on below what is on screen, in pixels."""
    content = view.children[0]
    return float(view.scroll_y * max(0.0, content.height - view.height))


def append_keeping_place(view: RecycleView, rows: list[dict[str, Any]]) -> None:
    """Add rows at the end of a list without moving the rows on screen: a scroll position is a
    fraction of the list's height, so it is set again for the new height."""
    content = view.children[0]
    above = (1.0 - view.scroll_y) * max(0.0, content.height - view.height)
    view.data.extend(rows)
    view.refresh_views()  # lays out the new rows now, so the new height is known
    scrollable = content.height - view.height
    view.scroll_y = 1.0 - above / scrollable if scrollable > 0 else 1.0
    # A swipe still moving carries its own position (ScrollView's scroll effect), which the new
    # height reset to the old fraction; as ScrollView._update_effect_y_bounds does, it is set
    # from scroll_y, or the next frame of the swipe would jump back to that fraction.
    view.effect_y.value = view.effect_y.max * view.scroll_y


def can_page(view: Any, more_to_read: bool = False) -> tuple[bool, bool]:
    """Whether there is more to see above and below what a list or text shows: its page
    buttons show only then (hidden, they keep their place, so nothing moves)."""
    content = view.children[0] if view.children else None
    if content is None or content.height <= view.height + 1:
        return False, more_to_read
    return view.scroll_y < 0.999, view.scroll_y > 0.001 or more_to_read


def meta_line(notice: Notice, events: bool) -> str:
    app = running_app()
    if events and notice.event_start is not None:
        when = app.translator.date_time(app.lang, notice.event_start)
        return f"{when} · {notice.place}" if notice.place else when
    parts = [tr(f"category.{notice.category}")]
    if notice.priority != "normal":
        parts.insert(0, tr(f"priority.{notice.priority}"))
    parts.append(app.translator.short_date(app.lang, notice.published_at))
    return " · ".join(parts)


class BoardScreen(KioskScreen):
    """All notices of a category, newest first; `events` shows only events, soonest first.

    The list reads LIST_CHUNK_ROWS rows at a time: the next ones when the resident scrolls to
    within a screenful of the end."""

    events = BooleanProperty(False)
    category = StringProperty("")  # "" means every category
    count = NumericProperty(0)
    can_page_up = BooleanProperty(False)
    can_page_down = BooleanProperty(False)
    # What the rows read so far were read for: later chunks must be read the same way.
    as_of_ms = 0  # wall clock, ms
    read_category: str | None = None

    def on_kv_post(self, base_widget: object) -> None:
        if self.events:  # events are sorted by date; a category choice would be a dead button
            button = self.ids.category_button
            button.parent.remove_widget(button)
        self._more = Clock.create_trigger(self._load_more_if_near_end)
        self.ids.rv.bind(scroll_y=self._more, height=self._more)
        self._paging = Clock.create_trigger(self._update_paging)
        self.ids.rv.bind(scroll_y=self._paging, height=self._paging, data=self._paging)
        self.ids.rv.children[0].bind(height=self._paging)
        self.fitted_width = 0.0  # the text width the rows' heights were worked out for
        self.ids.rv.bind(width=self._fit_rows)

    def _update_paging(self, *_: object) -> None:
        more = len(self.ids.rv.data) < self.count
        self.can_page_up, self.can_page_down = can_page(self.ids.rv, more)

    def _text_width(self) -> float:
        """How wide a row's text may be: the list's width, before the list is laid out the
        screen's less the page buttons' column (board.kv), less the row's padding."""
        app = running_app()
        th = app.th
        width = self.ids.rv.width
        if width <= 100:
            width = app.content.width - 2 * th.padding - th.gap - th.target * 5
        return float(width - 2 * th.padding)

    def _row_height(self, text: str, important: bool, width: float) -> int:
        th = running_app().th
        mark = round(th.reading * 1.6) if important else 0  # widgets.kv: NoticeRow.mark_width
        text_px = text_height(text, th.reading, min(width - mark, th.measure))
        return int(max(th.target, text_px + 2 * th.padding))

    def _fit_rows(self, *_: object) -> None:
        """Every row as high as its text, for the width the list has now."""
        width = self._text_width()
        if abs(width - self.fitted_width) < 1 or not self.ids.rv.data:
            return
        self.fitted_width = width
        for row in self.ids.rv.data:
            row["height"] = self._row_height(row["text"], row["important"], width)
        self.ids.rv.refresh_from_data()

    def refresh(self) -> None:
        """Read the list again. While the resident is on it (new data arrived) or coming back
        to it from a notice, as many rows as before are read, so the place is kept."""
        app = running_app()
        keep_place = app.returning or app.sm.current == self.name
        rows = max(LIST_CHUNK_ROWS, len(self.ids.rv.data)) if keep_place else LIST_CHUNK_ROWS
        # Every chunk is read as of this moment: a notice expiring between two reads would
        # otherwise shift the later rows by one, and one would never be shown.
        self.as_of_ms = app.data.now_ms()
        self.read_category = None if self.events else self.category or None
        self.count = app.data.count(self.read_category, events=self.events, at_ms=self.as_of_ms)
        self.ids.rv.data = self._rows(0, rows)
        self._more()  # a list read at its very end: rows that came since are below it

    def _rows(self, offset: int, limit: int) -> list[dict[str, Any]]:
        app = running_app()
        found = app.data.notices(
            self.read_category,
            limit,
            bodies=False,
            offset=offset,
            events=self.events,
            at_ms=self.as_of_ms,
        )
        width = self.fitted_width = self._text_width()
        rows = []
        for notice in found:
            text = notice.text("title", app.lang) + "\n" + meta_line(notice, self.events)
            important = notice.priority != "normal"
            rows.append(
                {
                    "text": text,
                    "notice_id": notice.id,
                    "important": important,
                    "height": self._row_height(text, important, width),
                }
            )
        return rows

    def _load_more_if_near_end(self, *_: object) -> None:
        view = self.ids.rv
        loaded = len(view.data)
        if loaded >= self.count or not view.children or hidden_below(view) > view.height:
            return
        known = {row["notice_id"] for row in view.data}
        # A notice published since the last read shifts the rows by one: no row twice.
        fresh = [r for r in self._rows(loaded, LIST_CHUNK_ROWS) if r["notice_id"] not in known]
        if fresh:
            append_keeping_place(view, fresh)
        else:
            self.count = loaded  # the list shrank since it was counted: nothing more to read

    def on_pre_enter(self, *args: object) -> None:
        # Back from a notice keeps the resident's place in a long list; from anywhere else the
        # list starts at the top, with only its first rows read.
        view = self.ids.rv
        if not running_app().returning:
            if len(view.data) > LIST_CHUNK_ROWS:  # even an empty cut makes the list lay out anew
                del view.data[LIST_CHUNK_ROWS:]
            view.scroll_y = 1.0
        self._more()

    def page(self, direction: int) -> None:
        page(self.ids.rv, direction)

    def choose_topic(self, category: str) -> None:
        """The topic shown; the list is read again when next shown (or now, by the caller)."""
        app = running_app()
        if self.category != category:
            self.category = category
            app.dirty.add(self.name)
        app.board_category = category  # marks the choice on the topics screen

    def reset(self) -> None:
        """Every topic again, with only the first rows read."""
        self.choose_topic("")
        if len(self.ids.rv.data) > LIST_CHUNK_ROWS:
            del self.ids.rv.data[LIST_CHUNK_ROWS:]

    def speech(self) -> str:
        heading = tr("tile.events" if self.events else "tile.notices")
        titles = [row["text"].split("\n")[0] for row in self.ids.rv.data[:5]]
        count = running_app().tn("board.count", self.count, running_app().lang)
        return ". ".join([heading, count, *titles])


class CategoryScreen(KioskScreen):
    """The topics: only those with notices now (and "Alle", and the one chosen), in their
    order; the others come back when a notice does."""

    def refresh(self) -> None:
        app = running_app()
        counts = app.data.category_counts()
        grid = self.ids.grid
        # The buttons taken out while their topic is empty: kept here, as ids are weak.
        if not hasattr(self, "buttons"):
            self.buttons = {name: widget.__self__ for name, widget in self.ids.items()}
        shown = [self.buttons["cat_all"]] + [
            self.buttons[f"cat_{name}"]
            for name in CATEGORIES
            if counts.get(name) or name == app.board_category
        ]
        if list(reversed(grid.children)) != shown:
            grid.clear_widgets()
            for button in shown:
                grid.add_widget(button)

    def choose(self, category: str) -> None:
        app = running_app()
        board = app.screen("board")
        board.choose_topic(category)
        app.dirty.discard("board")
        board.refresh()
        board.ids.rv.scroll_y = 1.0  # another category's list starts at its top
        app.back()

    def speech(self) -> str:
        names = [tr(f"category.{name}") for name in CATEGORIES]
        return ". ".join([tr("categories.heading"), *names])

    def reset(self) -> None:
        """The choice marked here is the board's topic, which the board resets."""


def qr_texture(text: str) -> Texture:
    """One texel per module, magnified without smoothing so every module stays a sharp square."""
    side, pixels = qr.luminance(text)
    texture = Texture.create(size=(side, side), colorfmt="luminance")
    texture.mag_filter = texture.min_filter = "nearest"

    def upload(texture: Texture) -> None:  # again after a lost GL context, as Kivy asks
        texture.blit_buffer(pixels, colorfmt="luminance", bufferfmt="ubyte")

    upload(texture)
    texture.add_reload_observer(upload)
    texture.flip_vertical()  # the rows come top first; a texture's first row is its bottom
    return texture


class DetailScreen(BackgroundPrint, KioskScreen):
    notice_id = StringProperty("")
    title_text = StringProperty("")
    meta_text = StringProperty("")
    when_text = StringProperty("")
    where_text = StringProperty("")
    body_text = StringProperty("")
    qr_caption = StringProperty("")
    can_print = BooleanProperty(False)  # a printer exists: the print button shows
    print_prefix = "detail"
    can_page_up = BooleanProperty(False)
    can_page_down = BooleanProperty(False)
    qr_payload = ""  # what the code on screen holds ("" for none)
    qr_kind: str | None = None  # content.notice_qr.SCREEN_KINDS, None for no code
    qr_for: tuple[str, int, str] | None = None  # the notice version and language it was made for

    def on_kv_post(self, base_widget: object) -> None:
        view = self.ids.body_scroll
        paging = Clock.create_trigger(self._update_paging)
        view.bind(scroll_y=paging, height=paging)
        self.ids.body.bind(height=paging)

    def _update_paging(self, *_: object) -> None:
        self.can_page_up, self.can_page_down = can_page(self.ids.body_scroll)

    def show(self, notice_id: str) -> None:
        self.notice_id = notice_id
        self.print_text = ""
        self.refresh()
        self.ids.body_scroll.scroll_y = 1.0

    def refresh(self) -> None:
        """Read the notice again. This comes with any new op or a notice starting or ending
        anywhere: the resident keeps their place in the text (`show` starts at the top), and
        the code is made again only if the notice or the language changed."""
        app = running_app()
        notice = app.data.notice(self.notice_id) if self.notice_id else None
        if notice is None:
            return
        lang = app.lang
        self.title_text = notice.text("title", lang)
        self.meta_text = meta_line(notice, events=False)
        self.body_text = notice.text("body", lang)
        self.when_text, self.where_text = when_and_where(app, notice)
        if self.qr_for != (notice.id, notice.updated_at, lang):
            self.qr_for = (notice.id, notice.updated_at, lang)
            found = qr.screen_payload(notice, lang)
            self.qr_payload, self.qr_kind = (found.text, found.kind) if found else ("", None)
            self.ids.qr.texture = qr_texture(found.text) if found else None
        self.qr_caption = app.t(QR_CAPTION_KEYS[self.qr_kind], lang)
        self.can_print = slips.find_printer(app.home_dir) is not None

    def page(self, direction: int) -> None:
        page(self.ids.body_scroll, direction)

    def print_notice(self) -> None:
        """A large-print A4 of the notice, the desk's poster (content.posters), made and sent to
        the printer in a thread: a slow printer never freezes the screen."""
        app = running_app()
        notice = app.data.notice(self.notice_id)
        printer = slips.find_printer(app.home_dir)
        if notice is None or printer is None or self.printing:
            return
        from content.posters import origin_of  # the PDF library only with the first print

        origin = origin_of(app.data.conn, notice)  # read here: the connection is this thread's
        lang = app.lang

        def render() -> bytes:
            from content.posters import render_poster

            return render_poster(notice, lang, origin).pdf

        self.start_print(render, printer, f"notice {self.notice_id}")

    def reset(self) -> None:
        """The notice read last is opened anew from a list; only its place in the text (a
        scroll position, which the app resets) was the reader's."""

    def speech(self) -> str:
        official = spoken_official(self.ids.official.text)  # an official warning's source
        parts = [self.title_text, official, self.when_text, self.where_text, self.body_text]
        return ". ".join(part for part in parts if part)
