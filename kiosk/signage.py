"""The signage card: notices full screen while nobody touches the kiosk, each wrapped and never
cut, in the largest type that fits, paged when a text is too long for one screen.

The layout is content/signage.py's (shared with the desk's preview); here it is measured with
Kivy's own text renderer and put on screen (kiosk/screens/signage.kv).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.properties import NumericProperty, StringProperty

from content.kiosk_look import Screen, reading_px
from content.notices import Notice
from content.signage import Measure, SignagePage, signage_area, signage_pages, title_sizes
from kiosk.widgets import Panel


@dataclass(frozen=True)
class SignageItem:
    """One notice as the card shows it, in the language of the moment."""

    title: str
    meta: tuple[str, ...]  # its time and its place, each a line of its own
    body: str


def notice_item(app: Any, notice: Notice) -> SignageItem:
    lang = app.lang
    when, where = when_and_where(app, notice)
    return SignageItem(notice.text("title", lang), (when, where), notice.text("body", lang))


def when_and_where(app: Any, notice: Notice) -> tuple[str, str]:
    """The "Wann: …" and "Wo: …" lines of a notice ("" where it has none), as the detail
    screen and the signage show them."""
    lang = app.lang
    when = where = ""
    if notice.event_start is not None:
        moment = app.translator.date_time(lang, notice.event_start)
        if notice.event_end is not None:
            end = app.translator.time(lang, notice.event_end)
            moment = app.t("detail.until", lang, start=moment, end=end)
        when = app.t("detail.when", lang, when=moment)
    if notice.place:
        where = app.t("detail.where", lang, place=notice.place)
    return when, where


@lru_cache(maxsize=64)
def kivy_measure(px: int, bold: bool) -> Measure:
    """The width of a text as a Kivy label of Kivy's default font draws it."""
    label = CoreLabel(font_size=px, bold=bold)
    return lambda text: int(label.get_extents(text)[0]) if text else 0


class SignageOverlay(Panel):
    """The card. `show` lays a notice out and shows its first page; `next_page` the next."""

    title_text = StringProperty("")
    meta_text = StringProperty("")
    body_text = StringProperty("")
    title_px = NumericProperty(100)
    body_px = NumericProperty(75)
    page_text = StringProperty("")  # "" on a notice of one page
    pages: list[SignagePage]
    page_index = 0

    def show(self, item: SignageItem, panel: Screen, theme: Any) -> None:
        area = signage_area(
            panel.width_px, panel.height_px, theme.padding, theme.gap, theme.heading
        )
        sizes = title_sizes(theme.signage_title, reading_px(panel))
        self.pages = signage_pages(item.title, item.meta, item.body, area, sizes, kivy_measure)
        self.page_index = 0
        self._put(self.pages[0])

    def next_page(self) -> bool:
        """The notice's next page; False when its last page is on show."""
        if self.page_index + 1 >= len(self.pages):
            return False
        self.page_index += 1
        self._put(self.pages[self.page_index])
        return True

    def _put(self, page: SignagePage) -> None:
        from kivy.app import App

        app = App.get_running_app()
        self.title_text, self.meta_text, self.body_text = page.title, page.meta, page.body
        self.title_px, self.body_px = page.title_px, page.body_px
        self.page_text = ""
        if page.count > 1:
            mark = app.t("signage.page", app.lang, page=page.number, pages=page.count)
            self.page_text = f"  ·  {mark}"
