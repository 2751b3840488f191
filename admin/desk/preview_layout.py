"""Where the kiosk breaks and pages a notice's text, worked out on the server with the kiosk's
own font (Roboto, the files in static/ are Kivy's) and the kiosk's own rules:

- a label wraps at spaces, keeps every newline and space, and splits a word too long for a line
  between two letters (content.signage.wrap, Kivy's kivy.core.text.text_layout);
- the signage card fits its type to the notice and pages a long text: content.signage lays it
  out, for the kiosk measured by Kivy and here by Pillow;
- the detail screen scrolls its text by 85 % of the visible height per tap (kiosk.screens.base).

The browser draws the preview itself (CSS wraps the same way, see desk.css); these numbers say
how many pages the text has, which CSS cannot tell. Widths come from FreeType through Pillow,
Kivy's from SDL2_ttf over FreeType: they agree to a pixel or two on a line, so a line that only
just fits may break differently on the kiosk (the signage breaks its lines a few pixels short
of the card's width for that reason, content.signage.WRAP_MARGIN).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from content.kiosk_look import (
    DETAIL_BOX_GAPS,
    FONT_BOLD,
    FONT_REGULAR,
    PAGE_STEP,
    Screen,
    Sizes,
    line_px,
    reading_px,
)
from content.signage import (
    Measure,
    SignagePage,
    signage_area,
    signage_pages,
    title_sizes,
    too_long_words,
    wrap,
)

STATIC = Path(__file__).parent / "static"
# Title, meta, the official line (empty but for a warning: a gap all the same), when and where
# stand above the text panel.
DETAIL_LABELS = 5
__all__ = ["DetailGeometry", "detail_geometry", "measure", "pages", "signage", "wrap"]


@lru_cache(maxsize=32)
def _font(bold: bool, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(STATIC / (FONT_BOLD if bold else FONT_REGULAR)), px)


@lru_cache(maxsize=64)
def measure(px: int, bold: bool = False) -> Measure:
    """The width of a text in whole pixels at `px`, as one line.

    Remembered per font: the editor posts the whole text at every pause in typing, so the
    lines before the cursor are measured again and again, at the same few sizes."""
    font = _font(bold, px)

    @lru_cache(maxsize=4096)
    def width(text: str) -> int:
        return round(font.getlength(text))

    return width


# ---- the detail screen ------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailGeometry:
    """The detail screen's text panel for one notice, in the kiosk's pixels."""

    title_lines: int
    body_lines: int
    view_height: int  # the text panel's visible height
    text_height: int
    pages: int  # screenfuls the resident pages through with "Weiter unten"
    title_words_split: list[str]
    body_words_split: list[str]


def detail_geometry(
    screen: Screen, size: Sizes, texts: tuple[str, str, str, str, str]
) -> DetailGeometry:
    """`texts`: title, meta line, when line, where line and body, as the kiosk shows them."""
    title, meta, when, where, body = texts
    inner = _main_width(screen, size)
    title_measure = measure(size.title, bold=True)
    title_lines = wrap(title, inner, title_measure)
    labels = len(title_lines) * line_px(size.title)
    labels += _height(meta, inner, size.body) + _height(when, inner, size.heading)
    labels += _height(where, inner, size.heading)
    screen_height = screen.height_px - size.bar_height
    # Below the labels: the text panel, then the row of page (and print) buttons.
    box = screen_height - 2 * size.padding - (DETAIL_LABELS + 1) * size.gap - labels
    view = max(0, box - size.button_height - 2 * size.padding)
    # Reading text, in lines no wider than the measure (a padding fills the rest, as in Kivy).
    body_width = min(inner - 2 * size.padding, size.measure)
    body_measure = measure(size.reading)
    body_lines = wrap(body, body_width, body_measure) if body else []
    text_height = len(body_lines) * line_px(size.reading)
    return DetailGeometry(
        title_lines=len(title_lines),
        body_lines=len(body_lines),
        view_height=view,
        text_height=text_height,
        pages=pages(text_height, view),
        title_words_split=too_long_words(title, inner, title_measure),
        body_words_split=too_long_words(body, body_width, body_measure),
    )


def _main_width(screen: Screen, size: Sizes) -> int:
    """The labels and the text panel: the screen's width less the code's column (the full
    height beside them), their gaps and the paddings."""
    inner = screen.width_px - 2 * size.padding
    return inner - size.qr_column - DETAIL_BOX_GAPS * size.gap


def _height(text: str, width: int, px: int) -> int:
    if not text:
        return 0  # an empty label takes no height (its gap stays)
    return len(wrap(text, width, measure(px))) * line_px(px)


def pages(text_height: int, view_height: int) -> int:
    """How many screenfuls the kiosk's page buttons step through: the first, then one per
    PAGE_STEP of the visible height until the end of the text is in view."""
    if text_height <= view_height:
        return 1
    if view_height <= 0:
        return 0  # no room at all: the text cannot be read
    step = PAGE_STEP * view_height
    return 1 + math.ceil((text_height - view_height) / step)


# ---- the signage card ------------------------------------------------------------------------


def signage(
    screen: Screen, size: Sizes, title: str, meta: Sequence[str], body: str
) -> list[SignagePage]:
    """The card's pages as the kiosk shows them (kiosk/signage.py, the same layout)."""
    area = signage_area(screen.width_px, screen.height_px, size.padding, size.gap, size.heading)
    sizes = title_sizes(size.signage_title, reading_px(screen))
    return signage_pages(title, meta, body, area, sizes, measure)
