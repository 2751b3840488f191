"""A4 posters for the physical noticeboard: one notice in large print, with a QR code.

Readers of 80 read it at a glance from a metre: the title in 48 pt, time and place in 26 pt
bold, the body in 28 pt shrinking to no less than 20 pt to fit one page, then going on to a
second page (page one says so) rather than being cut. A coloured band names the priority and
category in words. The QR code takes the notice home (content.notice_qr.print_payload) and its
caption says what the phone gets. The foot names the publisher and whom the notice is for.

Pure: a notice (and its targets' names) in, PDF bytes out; `poster_from_store` reads those from
a store. The desk, the `dorfhub notice poster` command and the kiosk's print button share it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from content import print_text
from content.bodies import LANGUAGES
from content.grants import key_info
from content.notice_qr import modules, print_payload
from content.notices import Notice, NoticeError, get_notice
from content.print_layout import (
    MARGIN,
    PAGE_H,
    WHITE,
    Band,
    Item,
    Page,
    QrBlock,
    Spacer,
    Style,
    TextLine,
    band_colour,
    draw_footer,
    footer_height,
    footer_lines,
    paginate,
    qr_block,
    stack_height,
    text_lines,
)
from content.print_text import label

TITLE_PT = 48
TITLE_MIN_PT = 32  # only for a word too long for the line at 48 pt
BAND = Style(24, bold=True, colour=WHITE)
META = Style(26, bold=True)
BODY_SIZES = (28, 26, 24, 22, 20)
CAPTION = Style(18)
FOOTER = Style(16)
CONTINUED = Style(28, bold=True)
BODY_GAP = 6.0  # mm between the time and place and the body, and above the code
FOOTER_GAP = 4.0  # mm of air above a page's footer


@dataclass(frozen=True)
class Origin:
    """Who published a notice and whom it is for, by name."""

    publisher: str
    hubs: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Printout:
    pdf: bytes
    pages: int
    label: str  # what was printed, for a message: „Titel“, or the hub and the week


def origin_of(conn: sqlite3.Connection, notice: Notice) -> Origin:
    hubs = []
    for key in notice.target_hubs:
        info = key_info(conn, key)
        hubs.append(info.name if info is not None else key[:12])
    return Origin(notice.author_name, tuple(hubs), tuple(notice.target_groups))


def poster_from_store(conn: sqlite3.Connection, notice_id: str, language: str = "de") -> Printout:
    """The poster of a live notice (NoticeError for an unknown or retracted one)."""
    check_language(language)
    notice = get_notice(conn, notice_id)
    if notice is None:
        raise NoticeError(f"no notice {notice_id}")
    if notice.retracted:
        raise NoticeError(f"notice {notice_id} was retracted")
    return render_poster(notice, language, origin_of(conn, notice))


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r} (one of {', '.join(LANGUAGES)})")


def render_poster(notice: Notice, language: str, origin: Origin) -> Printout:
    check_language(language)
    title = notice.text("title", language)
    page = Page(title, print_text.LANGUAGE_TAGS[language])
    parts = _Parts(
        header=_header(page, notice, language),
        body=notice.text("body", language),
        notes=_foot(origin, language),
        continued=text_lines(page, label("continued", language, title=title), CONTINUED),
    )
    payload = print_payload(notice, language)
    key = "qr_event" if payload.event else "qr_whole" if payload.whole else "qr_start"
    code = _Code(modules(payload.text), label(key, language))
    layout = _fit(page, parts, code, language)
    total = len(layout.pages)
    for index, items in enumerate(layout.pages):
        page.new_page()
        y = MARGIN
        if index > 0:
            y = _draw(page, [*parts.continued, Spacer(BODY_GAP)], y)
        y = _draw(page, items, y)
        if index + 1 < total:
            TextLine(label("continues", language, n=index + 2), CAPTION, 2.0).draw(page, y)
        numbered = [label("page", language, n=index + 1, total=total)] if total > 1 else []
        if index == 0 and layout.code_at_foot:
            block = code.block(page, [*parts.notes, *numbered])
            block.draw(page, PAGE_H - MARGIN - block.foot_height)
        else:
            draw_footer(page, footer_lines(page, [*parts.notes, *numbered], FOOTER), FOOTER)
    return Printout(page.output(), total, f"„{title}“")


@dataclass(frozen=True)
class _Parts:
    header: list[Item]
    body: str
    notes: list[str]  # publisher and audience: beside the code on page one, else at the foot
    continued: list[TextLine]  # the heading of every further page


@dataclass(frozen=True)
class _Code:
    rows: list[list[bool]]
    caption: str

    def block(self, page: Page, notes: Sequence[str] = ()) -> QrBlock:
        return qr_block(page, self.rows, self.caption, CAPTION, notes, FOOTER)


def _foot(origin: Origin, language: str) -> list[str]:
    texts = [label("publisher", language, name=origin.publisher)] if origin.publisher else []
    texts.append(print_text.audience(list(origin.hubs), list(origin.groups), language))
    return texts


def _header(page: Page, notice: Notice, language: str) -> list[Item]:
    band = Band(
        print_text.kind_line(notice, language), band_colour(notice.category, notice.priority), BAND
    )
    title = notice.text("title", language)
    items: list[Item] = [band, *text_lines(page, title, _title_style(page, title))]
    items += text_lines(page, print_text.time_line(notice, language), META, space_before=4.0)
    if notice.place:
        place = label("where", language, place=notice.place)
        items += text_lines(page, place, META, space_before=2.0)
    return items


def _title_style(page: Page, title: str) -> Style:
    """48 pt, or smaller down to 32 pt when a single word would not fit the line otherwise."""
    longest = max(title.split(), key=len, default="")
    for size in range(TITLE_PT, TITLE_MIN_PT - 1, -2):
        style = Style(size, bold=True)
        if page.measure(style)(longest) <= page.width:
            return style
    return Style(TITLE_MIN_PT, bold=True)


@dataclass(frozen=True)
class Layout:
    pages: list[list[Item]]
    code_at_foot: bool  # the code sits at the foot of page one; else it follows the body


def _fit(page: Page, parts: _Parts, code: _Code, language: str) -> Layout:
    """The largest body size at which everything fits on one page; else the smallest, going on
    to further pages. The code stays at the foot of page one while a few body lines fit above
    it; a header too tall for that pushes it after the body."""
    whole = PAGE_H - 2 * MARGIN
    above_code = whole - stack_height(parts.header) - code.block(page, parts.notes).foot_height
    for size in BODY_SIZES:
        lines = text_lines(page, parts.body, Style(size), space_before=BODY_GAP)
        if stack_height(lines) <= above_code:
            return Layout([[*parts.header, *lines]], code_at_foot=True)
    smallest = Style(BODY_SIZES[-1])
    reserve = CAPTION.line_mm + 2.0  # "Weiter auf Seite 2" under a page's last line
    numbered = [*parts.notes, label("page", language, n=1, total=2)]
    first = whole - code.block(page, numbered).foot_height - reserve
    at_foot = first - stack_height(parts.header) >= BODY_GAP + 3 * smallest.line_mm
    footer = footer_height(footer_lines(page, numbered, FOOTER), FOOTER) + FOOTER_GAP
    items: list[Item] = [*parts.header, *lines]
    if not at_foot:
        items += [Spacer(BODY_GAP), code.block(page)]

    def capacity(index: int) -> float:
        if index == 0:
            return first if at_foot else whole - footer - reserve
        return whole - footer - reserve - stack_height(parts.continued) - BODY_GAP

    return Layout(paginate(items, capacity), code_at_foot=at_foot)


def _draw(page: Page, items: Sequence[Item], y: float) -> float:
    for item in items:
        item.draw(page, y)
        y += item.height
    return y
