"""Where the kiosk breaks, cuts and pages a notice's text, worked out on the server with the
kiosk's own font (Roboto, the files in static/ are Kivy's) and Kivy's own rules:

- a label wraps at spaces, keeps every newline and space, and splits a word too long for a line
  between two letters (kivy.core.text.text_layout);
- a label with `shorten` (the signage card's title and text) is cut to one line, from the
  middle, with "..." between its start and its end (kivy.core.text.LabelBase.shorten,
  reimplemented below). A Label widget's `split_str` is "" unless set, and the kiosk's are not:
  the cut falls between letters, inside words;
- the detail screen scrolls its text by 85 % of the visible height per tap (kiosk.screens.base).

The browser draws the preview itself (CSS wraps the same way, see desk.css); these numbers say
how many pages the text has and what the kiosk cuts, which CSS cannot tell. Widths come from
FreeType through Pillow, Kivy's from SDL2_ttf over FreeType: they agree to a pixel or two on a
line, so a line that only just fits may break differently on the kiosk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from content.kiosk_look import (
    DETAIL_BOX_GAPS,
    DETAIL_QR_TARGETS,
    FONT_BOLD,
    FONT_REGULAR,
    PAGE_STEP,
    SIGNAGE_PADDINGS,
    Screen,
    Sizes,
    line_px,
)

STATIC = Path(__file__).parent / "static"
ELLIPSIS = "..."
SHORTEN_MARGIN = 2  # Kivy leaves two pixels free when it shortens a line
DETAIL_LABELS = 4  # title, meta, when and where stand above the text panel

Measure = Callable[[str], int]


@lru_cache(maxsize=32)
def _font(bold: bool, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(STATIC / (FONT_BOLD if bold else FONT_REGULAR)), px)


def measure(px: int, bold: bool = False) -> Measure:
    """The width of a text in whole pixels at `px`, as one line."""
    font = _font(bold, px)
    return lambda text: round(font.getlength(text))


# ---- wrapping ---------------------------------------------------------------------------------


def wrap(text: str, width: int, width_of: Measure) -> list[str]:
    """The lines of a Kivy label `width` pixels wide."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, width_of))
    return lines


def _wrap_paragraph(paragraph: str, width: int, width_of: Measure) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in paragraph.split(" "):
        candidate = f"{line} {word}" if line else word
        if width_of(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while width_of(line) > width and len(line) > 1:
            head = _longest_fitting_start(line, width, width_of)
            lines.append(line[:head])
            line = line[head:]
    lines.append(line)
    return lines


def _longest_fitting_start(word: str, width: int, width_of: Measure) -> int:
    """How many letters of a word too long for a line go on it (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if width_of(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def too_long_words(text: str, width: int, width_of: Measure) -> list[str]:
    """The words the kiosk splits between two letters because no line holds them."""
    words = dict.fromkeys(word for word in text.split() if width_of(word) > width)
    return list(words)


# ---- shortening -------------------------------------------------------------------------------


def shorten(text: str, width: int, width_of: Measure, split: str = "") -> str:
    """What Kivy shows of `text` in a shortened label `width` pixels wide (shorten_from
    "center"): the text itself if it fits on one line, else its start and end around "...",
    cut at `split` (the label's split_str) where whole pieces fit, else between letters."""
    room = max(0, width - SHORTEN_MARGIN)
    text = text.replace("\n", " ")
    if width_of(text) <= room:
        return text
    dots = width_of(ELLIPSIS)
    if dots > room:
        return ".." if width_of("..") <= room else "."
    room -= dots
    first_end, last_start = text.find(split), text.rfind(split)
    head = tail = 0
    if first_end != -1:
        head, tail = width_of(text[:first_end]), width_of(text[last_start + 1 :])
    if first_end == -1 or head + tail > room:
        # No two whole words fit: Kivy tries again between letters.
        return shorten(text, width, width_of, "") if split else ELLIPSIS
    if first_end == last_start:
        return f"{text[:first_end]}{ELLIPSIS}{text[last_start + 1 :]}"
    return _grow_from_both_ends(text, room, width_of, split, (first_end, last_start, head, tail))


def _grow_from_both_ends(
    text: str, room: int, width_of: Measure, split: str, start: tuple[int, int, int, int]
) -> str:
    """Kivy's loop: add a word (or letter) to the shorter side while both sides fit."""
    first_end, last_start, head, tail = start
    offset = 0 if split else 1
    while True:
        if head <= tail:
            next_end = text.find(split, first_end + 1)
            head = width_of(text[:next_end])
            if head + tail > room:
                break
            first_end = next_end
        else:
            next_start = text.rfind(split, 0, last_start - offset)
            tail = width_of(text[next_start + 1 :])
            if head + tail > room:
                break
            last_start = next_start
        if first_end == last_start:
            break
    return f"{text[:first_end]}{ELLIPSIS}{text[last_start + 1 :]}"


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
    inner = screen.width_px - 2 * size.padding
    title_measure = measure(size.title, bold=True)
    title_lines = wrap(title, inner, title_measure)
    labels = len(title_lines) * line_px(size.title)
    labels += _height(meta, inner, size.body) + _height(when, inner, size.heading)
    labels += _height(where, inner, size.heading)
    screen_height = screen.height_px - size.bar_height
    box = screen_height - 2 * size.padding - DETAIL_LABELS * size.gap - labels
    view = max(0, box - 2 * size.padding)
    body_width = _body_width(screen, size)
    body_measure = measure(size.body)
    body_lines = wrap(body, body_width, body_measure) if body else []
    text_height = len(body_lines) * line_px(size.body)
    return DetailGeometry(
        title_lines=len(title_lines),
        body_lines=len(body_lines),
        view_height=view,
        text_height=text_height,
        pages=pages(text_height, view),
        title_words_split=too_long_words(title, inner, title_measure),
        body_words_split=too_long_words(body, body_width, body_measure),
    )


def _body_width(screen: Screen, size: Sizes) -> int:
    """The text panel: the screen's width less the code's column, their gap and paddings."""
    inner = screen.width_px - 2 * size.padding
    column = size.target * DETAIL_QR_TARGETS
    return inner - column - DETAIL_BOX_GAPS * size.gap - 2 * size.padding


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


# ---- the signage card -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignageLines:
    title: str
    body: str
    title_cut: bool
    body_cut: bool


def signage_lines(screen: Screen, size: Sizes, title: str, body: str) -> SignageLines:
    """The card's title and text as the kiosk shows them: one line each."""
    width = screen.width_px - 2 * SIGNAGE_PADDINGS * size.padding
    shown_title = shorten(title, width, measure(size.signage_title, bold=True))
    shown_body = shorten(body, width, measure(size.signage_body))
    return SignageLines(
        title=shown_title,
        body=shown_body,
        title_cut=shown_title != title.replace("\n", " "),
        body_cut=shown_body != body.replace("\n", " "),
    )
