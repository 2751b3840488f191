"""Large-print A4 pages with fpdf2: fonts, line breaking, pagination, coloured bands, footers and
QR codes. Shared by the poster (content.posters), the weekly sheet (content.week_sheet) and the
kiosk's appointment slip (kiosk.slip, which uses the font helpers).

Text is set ragged right and broken only between words; a word wider than the whole line (a long
compound in a narrow column) is the one thing split, after a middle dot or hyphen if it has one.
Nothing is ever cut: what does not fit goes on the next page.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fpdf import FPDF

MM_PER_PT = 25.4 / 72
LINE_SPACING = 1.2
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 15.0
BLACK = "#000000"
WHITE = "#FFFFFF"
# Every colour carries white text at 7:1 or more (WCAG AAA), and is as dark on white paper.
CATEGORY_COLOURS = {
    "allgemein": "#2B3A4A",
    "veranstaltung": "#5B2A86",
    "gesundheit": "#0B5E3C",
    "mobilitaet": "#0A4A7A",
    "verwaltung": "#3D3D3D",
    "warnung": "#7A1F00",
    "digitales": "#00566B",
    "verein": "#6B3A00",
}
PRIORITY_COLOURS = {"emergency": "#B00000", "important": "#7A3E00"}
MIN_MODULE_MM = 2.0  # an old phone's camera reads it from arm's length
MAX_MODULE_MM = 3.0
QR_TARGET_MM = 80.0  # small codes get larger modules, up to this side
QR_MAX_MM = PAGE_W - 10.0  # with its quiet zone, a code never runs off the paper
QUIET_ZONE = 4


def band_colour(category: str, priority: str) -> str:
    return PRIORITY_COLOURS.get(priority) or CATEGORY_COLOURS[category]


# ---- fonts -----------------------------------------------------------------------------------


def font_dir() -> Path | None:
    """Kivy's Roboto, which has every character notices and catalogs use (– · „ ü ß). Only the
    font files are read; Kivy itself is not imported."""
    spec = importlib.util.find_spec("kivy")
    if spec is None or not spec.submodule_search_locations:
        return None
    fonts = Path(next(iter(spec.submodule_search_locations))) / "data" / "fonts"
    return fonts if (fonts / "Roboto-Regular.ttf").exists() else None


@dataclass(frozen=True)
class Fonts:
    family: str
    unicode: bool

    def printable(self, value: str) -> str:
        # The PDF core fonts know Latin-1 only: without Roboto, other characters are replaced.
        if self.unicode:
            return value
        return (
            value.replace("–", "-")
            .replace("„", '"')
            .replace("“", '"')
            .encode("latin-1", "replace")
            .decode("latin-1")
        )


def register_fonts(pdf: FPDF) -> Fonts:
    """Roboto regular and bold when Kivy's fonts are there, else Helvetica."""
    fonts = font_dir()
    if fonts is None:
        return Fonts("Helvetica", unicode=False)
    pdf.add_font("Roboto", "", str(fonts / "Roboto-Regular.ttf"))
    pdf.add_font("Roboto", "B", str(fonts / "Roboto-Bold.ttf"))
    return Fonts("Roboto", unicode=True)


# ---- lines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    size: float  # points
    bold: bool = False
    colour: str = BLACK

    @property
    def line_mm(self) -> float:
        return self.size * MM_PER_PT * LINE_SPACING


Measure = Callable[[str], float]


def wrap(text: str, width: float, measure: Measure, max_lines: int | None = None) -> list[str]:
    """Lines of at most `width` (as `measure` counts), broken between words; paragraphs (blank
    lines in the text) stay apart by one empty line. With `max_lines`, only the first lines:
    a short entry need not lay out a long text to its end.

    A line's width is the sum of its words' and spaces' widths: each word is measured once, not
    every line each time a word is added (the weekly sheet's thousand entries measured 41,000
    strings that way). Fonts here have no kerning, so the sum is the line's width."""
    lines: list[str] = []
    for paragraph in paragraphs(text):
        if lines:
            lines.append("")
        lines += _wrap_paragraph(paragraph, width, measure)
        if max_lines is not None and len(lines) >= max_lines:
            return lines[:max_lines]
    return lines


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs, each a run of non-empty lines joined by spaces. Only spaces and
    tabs separate words: a no-break space keeps its neighbours on one line."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip(_SPACES):
            blocks[-1].append(_BLANKS.sub(" ", line.strip(_SPACES)))
        elif blocks[-1]:
            blocks.append([])
    return [" ".join(block) for block in blocks if block]


_SPACES = " \t\f\v"
_BLANKS = re.compile(f"[{_SPACES}]+")


def _wrap_paragraph(paragraph: str, width: float, measure: Measure) -> list[str]:
    space = measure(" ")
    lines: list[str] = []
    line, used = "", 0.0
    for word in paragraph.split(" "):
        word_width = measure(word)
        added = used + space + word_width if line else word_width
        if added <= width:
            line, used = (f"{line} {word}" if line else word), added
            continue
        if line:
            lines.append(line)
        *whole, line = split_word(word, width, measure)
        lines += whole
        used = measure(line)
    lines.append(line)
    return lines


def split_word(word: str, width: float, measure: Measure) -> list[str]:
    """`word` as pieces that fit: whole if it fits; else after its middle dots or hyphens
    (Leichte Sprache's Bürger·bus); else, as a last resort, between letters with a hyphen."""
    if measure(word) <= width:
        return [word]
    for mark in ("·", "-", "/"):
        if mark in word.rstrip(mark):
            head, _, tail = word.partition(mark)
            pieces = _greedy([f"{head}{mark}", *_marked(tail, mark)], width, measure)
            if all(measure(piece) <= width for piece in pieces):
                return pieces
    return _letters(word, width, measure)


def _marked(text: str, mark: str) -> list[str]:
    parts = text.split(mark)
    return [f"{part}{mark}" for part in parts[:-1]] + [parts[-1]]


def _greedy(parts: list[str], width: float, measure: Measure) -> list[str]:
    pieces = [parts[0]]
    for part in parts[1:]:
        if measure(pieces[-1] + part) <= width:
            pieces[-1] += part
        else:
            pieces.append(part)
    return pieces


def _letters(word: str, width: float, measure: Measure) -> list[str]:
    pieces: list[str] = []
    rest = word
    while measure(rest) > width and len(rest) > 1:
        cut = len(rest) - 1
        while cut > 1 and measure(rest[:cut] + "-") > width:
            cut -= 1
        pieces.append(rest[:cut] + "-")
        rest = rest[cut:]
    return [*pieces, rest]


# ---- pages -----------------------------------------------------------------------------------


class Item(Protocol):
    """Something that goes down a page: a line of text, a band, a QR block."""

    @property
    def height(self) -> float: ...

    def draw(self, page: Page, y: float) -> None: ...


def paginate(items: Sequence[Item], capacity: Callable[[int], float]) -> list[list[Item]]:
    """Items in order onto pages of `capacity(page_index)` millimetres; an item taller than a
    whole page gets a page of its own rather than being cut."""
    pages: list[list[Item]] = [[]]
    used = 0.0
    for item in items:
        if pages[-1] and used + item.height > capacity(len(pages) - 1):
            pages.append([])
            used = 0.0
        pages[-1].append(item)
        used += item.height
    return pages


def stack_height(items: Sequence[Item]) -> float:
    return sum(item.height for item in items)


class Page:
    """An A4 document being drawn: fonts, measuring and the primitives items use."""

    def __init__(self, title: str, language_tag: str) -> None:
        # fpdf with fontTools and PIL takes about half a second to load: only when printing.
        from fpdf import FPDF

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_creator("Dorfhub")
        self.pdf.set_lang(language_tag)
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.fonts = register_fonts(self.pdf)
        self.pdf.set_title(self.fonts.printable(title))
        self.left = MARGIN
        self.width = PAGE_W - 2 * MARGIN
        self.widths: dict[Style, dict[str, float]] = {}

    def use(self, style: Style) -> None:
        self.pdf.set_font(self.fonts.family, "B" if style.bold else "", style.size)
        self.pdf.set_text_color(style.colour)

    def measure(self, style: Style) -> Measure:
        # Words repeat across a sheet's entries: each is measured once per style.
        widths = self.widths.setdefault(style, {})

        def width(text: str) -> float:
            known = widths.get(text)
            if known is None:
                self.use(style)
                known = widths[text] = float(self.pdf.get_string_width(self.fonts.printable(text)))
            return known

        return width

    def lines(self, text: str, style: Style, width: float | None = None) -> list[str]:
        return wrap(text, self.width if width is None else width, self.measure(style))

    def text(self, text: str, style: Style, x: float, y: float, width: float) -> None:
        """One line in a box `width` wide and a line high at (x, y), on the baseline fpdf's
        cell() would use. fpdf's text() takes a seventh of cell()'s time, which lays out styled
        fragments these lines never have: the weekly sheet draws thousands of lines."""
        del width  # lines come wrapped to their box; text() needs only where to start
        self.use(style)
        baseline = y + 0.5 * style.line_mm + 0.3 * self.pdf.font_size
        self.pdf.text(x + self.pdf.c_margin, baseline, self.fonts.printable(text))

    def fill(self, x: float, y: float, width: float, height: float, colour: str) -> None:
        self.pdf.set_fill_color(colour)
        self.pdf.rect(x, y, width, height, style="F")

    def qr(self, rows: list[list[bool]], x: float, y: float, module: float) -> None:
        """Dark modules as one filled vector path: sharp at any resolution, and with no seams
        where neighbouring squares meet when a printer or a viewer rasterises it."""
        from fpdf.drawing import PaintedPath
        from fpdf.enums import PathPaintRule

        path = PaintedPath()
        path.style.paint_rule = PathPaintRule.FILL_NONZERO
        path.style.fill_color = BLACK
        for row_index, row in enumerate(rows):
            for start, length in dark_runs(row):
                path.rectangle(x + start * module, y + row_index * module, length * module, module)
        # Not cloned: fpdf's default deep copy of a path of a thousand squares takes 0.1 s.
        with self.pdf.drawing_context() as context:
            context.add_item(path, clone=False)

    def new_page(self) -> None:
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def dark_runs(row: list[bool]) -> Iterator[tuple[int, int]]:
    """(first column, length) of each run of dark modules in a row."""
    start = None
    for column, dark in enumerate([*row, False]):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            yield start, column - start
            start = None


def module_mm(side: int) -> float:
    """Module size for a code `side` modules wide: at least 2 mm, larger for small codes. Only
    a code too wide for the paper at 2 mm (a calendar entry with a 200-character title) gets
    smaller modules, as large as the paper allows."""
    preferred = max(MIN_MODULE_MM, min(MAX_MODULE_MM, round(QR_TARGET_MM / side, 1)))
    return min(preferred, QR_MAX_MM / (side + 2 * QUIET_ZONE))


# ---- items -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextLine:
    text: str
    style: Style
    space_before: float = 0.0
    indent: float = 0.0

    @property
    def height(self) -> float:
        return self.space_before + self.style.line_mm

    def draw(self, page: Page, y: float) -> None:
        x = page.left + self.indent
        page.text(self.text, self.style, x, y + self.space_before, page.width - self.indent)


def text_lines(
    page: Page, text: str, style: Style, space_before: float = 0.0, indent: float = 0.0
) -> list[TextLine]:
    """A text wrapped to the page (less `indent`), the first line `space_before` lower."""
    wrapped = page.lines(text, style, page.width - indent)
    return [
        TextLine(line, style, space_before if index == 0 else 0.0, indent)
        for index, line in enumerate(wrapped)
    ]


@dataclass(frozen=True)
class Band:
    """A full-width coloured band with white bold words: category and priority."""

    text: str
    colour: str
    style: Style
    padding: float = 3.0

    @property
    def height(self) -> float:
        return self.style.line_mm + 2 * self.padding + 4.0  # 4 mm of air below

    def draw(self, page: Page, y: float) -> None:
        page.fill(page.left, y, page.width, self.style.line_mm + 2 * self.padding, self.colour)
        inner = page.width - 2 * self.padding
        page.text(self.text, self.style, page.left + self.padding, y + self.padding, inner)


@dataclass(frozen=True)
class Spacer:
    height: float

    def draw(self, page: Page, y: float) -> None:
        return None


@dataclass(frozen=True)
class Kept:
    """Items that stay together on one page (a sheet's entry)."""

    items: tuple[Item, ...]

    @property
    def height(self) -> float:
        return stack_height(self.items)

    def draw(self, page: Page, y: float) -> None:
        for item in self.items:
            item.draw(page, y)
            y += item.height


@dataclass(frozen=True)
class QrBlock:
    """A QR code with its quiet zone, its caption and optional notes (the poster's publisher
    and audience) in a column beside it, or below it when the code leaves too little room.
    The quiet zone reaches into the white left margin, so the modules line up with the text."""

    rows: tuple[tuple[bool, ...], ...]
    caption: tuple[str, ...]
    notes: tuple[str, ...]
    caption_style: Style
    notes_style: Style
    column_width: float
    below: bool

    @property
    def module(self) -> float:
        return module_mm(len(self.rows))

    @property
    def quiet(self) -> float:
        return QUIET_ZONE * self.module

    @property
    def side(self) -> float:
        return len(self.rows) * self.module + 2 * self.quiet

    @property
    def column_height(self) -> float:
        gap = NOTES_GAP if self.notes else 0.0
        notes = len(self.notes) * self.notes_style.line_mm
        return len(self.caption) * self.caption_style.line_mm + gap + notes

    @property
    def height(self) -> float:
        if self.below:
            return self.side + self.column_height
        return max(self.side, self.column_height + self.quiet)

    @property
    def foot_height(self) -> float:
        """Its height at the foot of a page, its lower quiet zone in the bottom margin."""
        return self.height - (0.0 if self.below else self.quiet)

    def draw(self, page: Page, y: float) -> None:
        x = page.left - self.quiet  # the quiet zone's left edge, in the margin
        page.qr([list(row) for row in self.rows], page.left, y + self.quiet, self.module)
        if self.below:
            column_x, top, bottom = page.left, y + self.side, y + self.height
        else:
            column_x, top = x + self.side, y + self.quiet
            bottom = top + len(self.rows) * self.module
        for index, line in enumerate(self.caption):
            line_y = top + index * self.caption_style.line_mm
            page.text(line, self.caption_style, column_x, line_y, self.column_width)
        # The notes sit at the bottom, where a page's foot is read.
        notes_top = bottom - len(self.notes) * self.notes_style.line_mm
        for index, line in enumerate(self.notes):
            line_y = notes_top + index * self.notes_style.line_mm
            page.text(line, self.notes_style, column_x, line_y, self.column_width)


NOTES_GAP = 4.0
MIN_COLUMN_MM = 50.0


def qr_block(
    page: Page,
    rows: list[list[bool]],
    caption: str,
    caption_style: Style,
    notes: Sequence[str] = (),
    notes_style: Style | None = None,
) -> QrBlock:
    """The block for a code of `rows`; `notes` are texts, each wrapped to the column."""
    module = module_mm(len(rows))
    beside = page.width - (len(rows) + QUIET_ZONE) * module
    below = beside < MIN_COLUMN_MM
    width = page.width if below else beside
    note_style = notes_style or caption_style
    note_lines = [line for text in notes for line in page.lines(text, note_style, width)]
    return QrBlock(
        rows=tuple(tuple(row) for row in rows),
        caption=tuple(page.lines(caption, caption_style, width)),
        notes=tuple(note_lines),
        caption_style=caption_style,
        notes_style=note_style,
        column_width=width,
        below=below,
    )


def footer_lines(page: Page, texts: Sequence[str], style: Style) -> list[str]:
    return [line for text in texts for line in page.lines(text, style)]


def draw_footer(page: Page, lines: Sequence[str], style: Style) -> None:
    """Lines at the foot of the current page, under a thin rule: the publisher or the hub, the
    page number."""
    y = PAGE_H - MARGIN - footer_height(lines, style)
    page.fill(page.left, y, page.width, 0.4, BLACK)
    y += 2.0
    for line in lines:
        page.text(line, style, page.left, y, page.width)
        y += style.line_mm


def footer_height(lines: Sequence[str], style: Style) -> float:
    return 2.0 + len(lines) * style.line_mm
