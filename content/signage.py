"""The signage card's text: wrapped as a Kivy label wraps it, never cut, the type fitted to the
text, and paged when even the smallest readable type cannot hold it.

One home for the rule: the kiosk's signage (kiosk/signage.py, measuring with Kivy's text
renderer) and the desk's preview of it (admin/desk/preview*.py, measuring with Pillow over the
same Roboto files) both lay a notice out here. Pure: the width of a text comes in as a function,
so tests can use any font.

The card (kiosk/screens/signage.kv) stacks the village line, the title, the time and place, the
text, a filler and the touch hint, SIGNAGE_PADDINGS paddings from the edges and SIGNAGE_GAPS gaps
apart. The title, time and place and text share what the village line and hint leave.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from content.kiosk_look import (
    SIGNAGE_BODY_FACTOR,
    SIGNAGE_GAPS,
    SIGNAGE_MAX_FACTOR,
    SIGNAGE_PADDINGS,
    line_px,
)

Measure = Callable[[str], int]  # the width of a text on one line, in whole pixels
Fonts = Callable[[int, bool], Measure]  # a Measure for a font size and boldness
SIGNAGE_ROWS = 6  # village, title, time and place, text, filler, hint: five gaps between them
# Lines are broken this much narrower than the label: a line that only just fits by one
# renderer's widths must not be broken again by the other's (they differ by a pixel or two).
WRAP_MARGIN = 4


# ---- wrapping ---------------------------------------------------------------------------------


def wrap(text: str, width: int, width_of: Measure) -> list[str]:
    """The lines of a Kivy label `width` pixels wide: broken at spaces, every newline and space
    kept, and only a word no line can hold split, between two letters
    (kivy.core.text.text_layout)."""
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
    """The words split between two letters because no line holds them."""
    return list(dict.fromkeys(word for word in text.split() if width_of(word) > width))


# ---- the card ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """Where the title, time and place and text go, in the panel's pixels."""

    width: int
    height: int


def signage_area(width_px: int, height_px: int, padding: int, gap: int, heading_px: int) -> Area:
    """The card's room for the notice: the window less its paddings, the village line and the
    hint (one heading line each) and the gaps between the card's rows."""
    inner = 2 * SIGNAGE_PADDINGS * padding
    rows = 2 * line_px(heading_px) + (SIGNAGE_ROWS - 1) * SIGNAGE_GAPS * gap
    return Area(width_px - inner, max(0, height_px - inner - rows))


def title_sizes(two_metre_px: int, floor_px: int) -> list[int]:
    """Title sizes to try, largest first: from SIGNAGE_MAX_FACTOR times the size read from two
    metres down to the one whose text (SIGNAGE_BODY_FACTOR of it) is still reading size."""
    largest = round(two_metre_px * SIGNAGE_MAX_FACTOR)
    sizes = [px for px in range(largest, 0, -1) if body_px(px) >= floor_px]
    return sizes or [largest]


def body_px(title_px: int) -> int:
    return round(title_px * SIGNAGE_BODY_FACTOR)


@dataclass(frozen=True)
class SignagePage:
    """One screenful of a notice on the card."""

    title: str  # its lines, joined by newlines
    meta: str  # time and place
    body: str
    title_px: int
    body_px: int
    number: int  # from 1
    count: int

    @property
    def words(self) -> list[str]:
        return f"{self.title} {self.meta} {self.body}".split()


@dataclass(frozen=True)
class _Laid:
    title: list[str]
    meta: list[str]
    body: list[str]
    title_px: int
    body_px: int
    split: bool  # a word had to be split between letters


def _lay_out(
    title: str, meta: Sequence[str], body: str, width: int, px: int, fonts: Fonts
) -> _Laid:
    small = body_px(px)
    bold_title, bold_small, plain = fonts(px, True), fonts(small, True), fonts(small, False)
    title_lines = wrap(title, width, bold_title) if title else []
    meta_lines = [line for part in meta if part for line in wrap(part, width, bold_small)]
    body_lines = wrap(body, width, plain) if body else []
    split = bool(
        too_long_words(title, width, bold_title)
        or any(too_long_words(part, width, bold_small) for part in meta)
        or too_long_words(body, width, plain)
    )
    return _Laid(title_lines, meta_lines, body_lines, px, small, split)


def _height(laid: _Laid, body_lines: int) -> int:
    head = len(laid.title) * line_px(laid.title_px)
    return head + (len(laid.meta) + body_lines) * line_px(laid.body_px)


def signage_pages(
    title: str,
    meta: Sequence[str],
    body: str,
    area: Area,
    sizes: Sequence[int],
    fonts: Fonts,
) -> list[SignagePage]:
    """The notice on the card: at the largest of `sizes` (title sizes, largest first) at which
    it all fits on one screen with no word split, else at the smallest, over as many pages as
    it takes, each with the title and the time and place above the next part of the text.

    The sizes are searched by halves (about eight layouts instead of a hundred and more), so
    the size found fits and the next larger one does not; wrapping is not strictly monotone,
    so a size larger still may fit too, which nobody at two metres can tell."""
    if not sizes:
        raise ValueError("no sizes to try")
    width = max(1, area.width - WRAP_MARGIN)

    def fitting(index: int) -> _Laid | None:
        laid = _lay_out(title, meta, body, width, sizes[index], fonts)
        fits = not laid.split and _height(laid, len(laid.body)) <= area.height
        return laid if fits else None

    found = fitting(0)
    if found is not None:
        return [_page(found, found.body, 1, 1)]
    smallest = len(sizes) - 1
    found = fitting(smallest)
    if found is not None:
        failing, fits = 0, smallest  # sizes[failing] does not fit, sizes[fits] does
        while fits - failing > 1:
            middle = (failing + fits) // 2
            candidate = fitting(middle)
            if candidate is None:
                failing = middle
            else:
                fits, found = middle, candidate
        return [_page(found, found.body, 1, 1)]
    laid = _lay_out(title, meta, body, width, sizes[smallest], fonts)
    per_page = max(1, (area.height - _height(laid, 0)) // line_px(laid.body_px))
    chunks = [laid.body[i : i + per_page] for i in range(0, len(laid.body), per_page)] or [[]]
    return [_page(laid, chunk, n + 1, len(chunks)) for n, chunk in enumerate(chunks)]


def _page(laid: _Laid, body: list[str], number: int, count: int) -> SignagePage:
    return SignagePage(
        title="\n".join(laid.title),
        meta="\n".join(laid.meta),
        body="\n".join(body),
        title_px=laid.title_px,
        body_px=laid.body_px,
        number=number,
        count=count,
    )
