"""A how-to article in large print on A4: what the kiosk's "Groß drucken" and the desk print.

Readers of 80 take it home and follow it at the kitchen table: the title in 32 pt, each step
headed "Schritt 2 von 5" in 22 pt bold, its picture beside its text of 20 pt, ragged right; a
step is never split over two pages. Pure: an article and its pictures' bytes in, PDF bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

from content.articles import Article
from content.print_layout import register_fonts

TITLE_PT = 32
SUMMARY_PT = 22
STEP_PT = 22
TEXT_PT = 20
MARGIN_MM = 18
PICTURE_MM = 70  # wide
MAX_PICTURE_MM = 90  # high: a tall photo is made narrower
GAP_MM = 6
LINE = 1.25  # line height as a multiple of the type size


def _line_mm(points: float) -> float:
    return points * 25.4 / 72 * LINE


def _picture_size(data: bytes | None) -> tuple[float, float]:
    """Width and height in mm a picture is printed at (0, 0 for none or a broken one)."""
    from PIL import Image, UnidentifiedImageError

    if data is None:
        return 0.0, 0.0
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        return 0.0, 0.0
    scale = min(PICTURE_MM / width, MAX_PICTURE_MM / height)
    return width * scale, height * scale


def render_article(
    article: Article,
    language: str,
    pictures: Mapping[str, bytes],
    step_label: Callable[[int, int], str],
) -> bytes:
    """The article in `language` (German where a text lacks it). `pictures`: the files by hash
    (a missing one leaves its place empty); `step_label(2, 5)` gives "Schritt 2 von 5"."""
    from fpdf import FPDF  # loaded only when something is printed (0.4 s, tens of MB)

    pdf = FPDF(format="A4")
    pdf.set_creator("Dorfhub")
    title = article.title(language)
    pdf.set_title(title)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, MARGIN_MM)
    fonts = register_fonts(pdf)

    def put(text: str, points: float, bold: bool = False, width: float = 0) -> None:
        pdf.set_font(fonts.family, "B" if bold else "", points)
        pdf.multi_cell(
            width,
            _line_mm(points),
            fonts.printable(text),
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    pdf.add_page()
    put(title, TITLE_PT, bold=True)
    pdf.ln(2)
    put(article.summary(language), SUMMARY_PT)
    pdf.ln(GAP_MM)
    steps = article.body.steps
    text_width = pdf.epw - PICTURE_MM - GAP_MM
    for index, step in enumerate(steps):
        text = article.step_text(index, language)
        data = pictures.get(step.picture.blob)
        width, height = _picture_size(data)
        pdf.set_font(fonts.family, "", TEXT_PT)
        printable = fonts.printable(text)
        lines = pdf.multi_cell(
            text_width, _line_mm(TEXT_PT), printable, dry_run=True, output="LINES"
        )
        assert isinstance(lines, list)  # output="LINES" gives the lines alone
        needed = _line_mm(STEP_PT) + max(height, len(lines) * _line_mm(TEXT_PT))
        if pdf.get_y() + needed > pdf.h - MARGIN_MM and pdf.get_y() > MARGIN_MM + 1:
            pdf.add_page()  # a step stays whole on its page
        put(step_label(index + 1, len(steps)), STEP_PT, bold=True)
        top = pdf.get_y()
        if data is not None and width:
            alt = fonts.printable(article.alt(index, language))
            pdf.image(io.BytesIO(data), x=MARGIN_MM, y=top, w=width, h=height, alt_text=alt)
        pdf.set_xy(MARGIN_MM + PICTURE_MM + GAP_MM, top)
        pdf.set_font(fonts.family, "", TEXT_PT)
        pdf.multi_cell(text_width, _line_mm(TEXT_PT), printable, align="L", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), top + height) + GAP_MM)
    return bytes(pdf.output())
