"""The weekly sheet per hub ("Aushang der Woche"): every notice the hub shows during an ISO week,
on A4 pages in large print, for the physical board beside the kiosk.

First the week's events, soonest first, then the other notices by date; each with its kind
(priority and category in words and colour), title, time, place and the start of its text. One
QR code for the whole list (day, time and title of each entry) sits at the end: a code per
entry at 2 mm per module would leave room for two entries a page. Its caption says how many
entries it holds when the list is longer than a code can carry.

Which notices: those targeted at the hub (directly, through one of its groups, or at every hub)
that show at any moment from the start of the week (or from now, if the week has begun) to its
end.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from content import print_text
from content.grants import GrantError, KeyInfo, list_keys
from content.local_time import LOCAL_TIME, local
from content.notice_qr import modules
from content.notices import Notice, notices_shown_during
from content.posters import Printout, check_language
from content.print_layout import (
    MARGIN,
    PAGE_H,
    QUIET_ZONE,
    Item,
    Kept,
    Measure,
    Page,
    Spacer,
    Style,
    TextLine,
    band_colour,
    draw_footer,
    footer_height,
    footer_lines,
    module_mm,
    paginate,
    stack_height,
    text_lines,
    wrap,
)
from content.print_text import label

HEADING = Style(32, bold=True)
WEEK_LINE = Style(20)
SECTION = Style(26, bold=True)
KIND = 16
TITLE = Style(24, bold=True)
LINE = Style(20)
CAPTION = Style(18)
FOOTER = Style(16)
SHORT_TEXT_LINES = 2
ENTRY_GAP = 6.0
INDENT = 7.0  # the entry's text, right of its colour bar
BAR_MM = 3.0
LIST_PAYLOAD_BYTES = 180  # a code of version 9 at most: 10.6 cm at 2 mm per module
FOOTER_GAP = 4.0
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    """An ISO week (Monday to Sunday) in Europe/Berlin."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        found = _WEEK.match(text.strip())
        if found is None:
            raise ValueError(f"not an ISO week (YYYY-Www, e.g. 2026-W50): {text!r}")
        week = cls(int(found[1]), int(found[2]))
        try:
            week.monday()
        except ValueError:
            raise ValueError(f"{text}: {week.year} has no week {week.number}") from None
        return week

    @classmethod
    def containing(cls, ms: int) -> Week:
        year, number, _ = local(ms).isocalendar()
        return cls(year, number)

    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def start_ms(self) -> int:
        return _midnight_ms(self.monday())

    @property
    def end_ms(self) -> int:
        return _midnight_ms(self.monday() + timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def _midnight_ms(day: date) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TIME)
    return int(moment.timestamp() * 1000)


def find_hub(conn: sqlite3.Connection, text: str) -> KeyInfo:
    """A hub by exact name or key id (or its prefix); revoked hubs are gone."""
    hubs = [k for k in list_keys(conn) if "hub" in k.roles and not k.revoked]
    found = [k for k in hubs if k.name == text] or [
        k for k in hubs if text and k.key.startswith(text.lower())
    ]
    if len(found) != 1:
        raise GrantError(f"no hub {text!r}" if not found else f"{len(found)} hubs match {text!r}")
    return found[0]


def week_notices(conn: sqlite3.Connection, hub: str, week: Week, now_ms: int) -> list[Notice]:
    """The notices the hub `hub` (key id) shows at some moment of `week` from `now_ms` on, in
    sheet order: the week's events by start, then the rest by date. An event that has ended
    is left out even if its notice still hangs."""
    start = max(week.start_ms, now_ms)
    if start >= week.end_ms:
        raise ValueError(f"week {week} is over")
    during = notices_shown_during(conn, hub, start, week.end_ms)
    shown = [n for n in during if not _event_over(n, start)]
    events = sorted((n for n in shown if _in_week(n, week)), key=_event_order)
    rest = sorted((n for n in shown if not _in_week(n, week)), key=_date_order)
    return events + rest


def _event_over(notice: Notice, start: int) -> bool:
    if notice.event_start is None:
        return False
    return (notice.event_end or notice.event_start) < start


def _in_week(notice: Notice, week: Week) -> bool:
    return notice.event_start is not None and notice.event_start < week.end_ms


def _event_order(notice: Notice) -> tuple[int, str]:
    return (notice.event_start or 0, notice.id)


def _date_order(notice: Notice) -> tuple[int, str]:
    return (notice.event_start or notice.valid_from, notice.id)


# ---- the list's QR code ----------------------------------------------------------------------


@dataclass(frozen=True)
class ListPayload:
    text: str
    count: int  # entries it holds
    total: int  # entries on the sheet


def list_line(notice: Notice, language: str) -> str:
    title = notice.text("title", language)
    if notice.event_start is None:
        return title
    moment = local(notice.event_start)
    day = print_text.short_date(moment, language)
    if (moment.hour, moment.minute) == (0, 0):
        return f"{day} {title}"
    return f"{day} {print_text.clock(moment)} {title}"


def list_payload(
    hub_name: str, week: Week, notices: Sequence[Notice], language: str
) -> ListPayload:
    """The sheet's code: a heading and one line per entry, as many as fit LIST_PAYLOAD_BYTES;
    when some do not, a last line says how many more the sheet holds."""
    heading = f"{hub_name}, {_week_word(week, language)}"
    lines = [list_line(notice, language) for notice in notices]
    count = len(lines)
    while count and _size([heading, *lines[:count], _more(len(lines) - count, language)]) > (
        LIST_PAYLOAD_BYTES
    ):
        count -= 1
    chosen = [heading, *lines[:count], _more(len(lines) - count, language)]
    return ListPayload("\n".join(line for line in chosen if line), count, len(lines))


def _more(count: int, language: str) -> str:
    return label("sheet_more", language, count=count) if count else ""


def _size(lines: list[str]) -> int:
    return len("\n".join(line for line in lines if line).encode())


def _week_word(week: Week, language: str) -> str:
    return f"{'Week' if language == 'en' else 'KW'} {week.number}/{week.year}"


# ---- the sheet -------------------------------------------------------------------------------


def sheet_from_store(
    conn: sqlite3.Connection,
    hub: str,
    week: Week | None,
    now_ms: int,
    language: str = "de",
) -> Printout:
    """The sheet of the hub named (or with key id) `hub` for `week` (default: the week of
    `now_ms`). Errors: an unknown hub, a week that is over, an unknown language."""
    check_language(language)
    info = find_hub(conn, hub)
    chosen = week or Week.containing(now_ms)
    notices = week_notices(conn, info.key, chosen, now_ms)
    return render_sheet(info.name, chosen, notices, language, now_ms)


@dataclass(frozen=True)
class Entry:
    """One notice on the sheet: a colour bar beside its lines, kept on one page."""

    lines: tuple[TextLine, ...]
    colour: str

    @property
    def height(self) -> float:
        return stack_height(self.lines) + ENTRY_GAP

    def draw(self, page: Page, y: float) -> None:
        page.fill(page.left, y, BAR_MM, stack_height(self.lines), self.colour)
        Kept(self.lines).draw(page, y)


def render_sheet(
    hub_name: str, week: Week, notices: Sequence[Notice], language: str, as_of_ms: int
) -> Printout:
    check_language(language)
    title = f"{label('sheet_title', language)} – {hub_name}"
    page = Page(title, print_text.LANGUAGE_TAGS[language])
    heading = _heading(page, title, week, language)
    first: Item = heading
    if notices:
        first = _HeadRow.of(page, (hub_name, title), week, notices, language)
    as_of = label("sheet_as_of", language, when=print_text.date_time(as_of_ms, language))
    entries = _entries(page, notices, (week, max(week.start_ms, as_of_ms)), language)
    # One page needs no page number under it: try that first.
    pages = _paginate(page, entries, [as_of], (first, heading))
    if len(pages) > 1:
        numbered = [as_of, label("page", language, n=1, total=2)]
        pages = _paginate(page, entries, numbered, (first, heading))
    for index, items in enumerate(pages):
        page.new_page()
        _draw(page, [first if index == 0 else heading, *items], MARGIN)
        numbers = [label("page", language, n=index + 1, total=len(pages))] if len(pages) > 1 else []
        draw_footer(page, footer_lines(page, [as_of, *numbers], FOOTER), FOOTER)
    return Printout(page.output(), len(pages), f"{hub_name}, {_week_word(week, language)}")


def _paginate(
    page: Page, entries: list[Item], foot: list[str], headings: tuple[Item, Item]
) -> list[list[Item]]:
    footer = footer_height(footer_lines(page, foot, FOOTER), FOOTER)
    room = PAGE_H - 2 * MARGIN - footer - FOOTER_GAP
    first, later = headings
    return paginate(entries, lambda index: room - (first if index == 0 else later).height)


def _heading(page: Page, title: str, week: Week, language: str) -> Kept:
    lines: list[Item] = [*text_lines(page, title, HEADING)]
    lines += text_lines(page, _week_line(week, language), WEEK_LINE, space_before=1.0)
    return Kept((*lines, Spacer(5.0)))


def _week_line(week: Week, language: str) -> str:
    monday = datetime.combine(week.monday(), datetime.min.time(), LOCAL_TIME)
    dates = print_text.date_range(monday, monday + timedelta(days=6), language)
    return label("sheet_week", language, number=week.number, dates=dates)


@dataclass(frozen=True)
class _HeadRow:
    """Page one's heading: title, week and the code's caption in a column beside the list's
    QR code, whose quiet zone lies in the top and right margins."""

    column: tuple[TextLine, ...]
    rows: list[list[bool]]

    @classmethod
    def of(
        cls,
        page: Page,
        names: tuple[str, str],
        week: Week,
        notices: Sequence[Notice],
        language: str,
    ) -> _HeadRow:
        hub_name, title = names
        payload = list_payload(hub_name, week, notices, language)
        rows = modules(payload.text)
        width = page.width - (len(rows) + QUIET_ZONE) * module_mm(len(rows))
        caption = label("sheet_qr_whole", language)
        if payload.count < payload.total:
            caption = label("sheet_qr_part", language, count=payload.count, total=payload.total)
        column: list[TextLine] = []
        for text, style, space in (
            (title, HEADING, 0.0),
            (_week_line(week, language), WEEK_LINE, 1.0),
            (caption, CAPTION, 5.0),
        ):
            lines = page.lines(text, style, width)
            column += [
                TextLine(line, style, space if i == 0 else 0.0) for i, line in enumerate(lines)
            ]
        return cls(tuple(column), rows)

    @property
    def module(self) -> float:
        return module_mm(len(self.rows))

    @property
    def height(self) -> float:
        code = (len(self.rows) + QUIET_ZONE) * self.module  # its lower quiet zone
        return max(code, stack_height(self.column)) + 3.0

    def draw(self, page: Page, y: float) -> None:
        side = len(self.rows) * self.module
        page.qr(self.rows, page.left + page.width - side, y, self.module)
        Kept(self.column).draw(page, y)


def _entries(
    page: Page, notices: Sequence[Notice], span: tuple[Week, int], language: str
) -> list[Item]:
    """The entries under their section headings; `span` is the week and the sheet's start."""
    week, start = span
    if not notices:
        return list(text_lines(page, label("sheet_empty", language), LINE, space_before=4.0))
    items: list[Item] = []
    section = None
    for notice in notices:
        entry = _entry(page, notice, start, language)
        this = "sheet_events" if _in_week(notice, week) else "sheet_notices"
        if this == section:
            items.append(entry)
            continue
        # A section's heading stays on the page of its first entry.
        heading = text_lines(page, label(this, language), SECTION)
        items.append(Kept((*heading, Spacer(2.0), entry)))
        section = this
    return items


def _entry(page: Page, notice: Notice, start: int, language: str) -> Entry:
    colour = band_colour(notice.category, notice.priority)
    kind = Style(KIND, bold=True, colour=colour)
    parts = [
        (print_text.kind_line(notice, language), kind),
        (notice.text("title", language), TITLE),
        (print_text.time_line(notice, language, showing_at=start), LINE),
    ]
    if notice.place:
        parts.append((label("where", language, place=notice.place), LINE))
    lines: list[TextLine] = []
    for text, style in parts:
        lines += text_lines(page, text, style, indent=INDENT)
    width = page.width - INDENT
    short = short_text(notice.text("body", language), width, page.measure(LINE))
    lines += [TextLine(line, LINE, indent=INDENT) for line in short]
    return Entry(tuple(lines), colour)


def short_text(text: str, width: float, measure: Measure) -> list[str]:
    """The first SHORT_TEXT_LINES lines of a text; when there is more, the last of them ends
    between two words with an ellipsis (the poster and the kiosk have the whole text)."""
    lines = wrap(" ".join(text.split()), width, measure, max_lines=SHORT_TEXT_LINES + 1)
    if len(lines) <= SHORT_TEXT_LINES:
        return lines
    words = lines[SHORT_TEXT_LINES - 1].split(" ")
    while len(words) > 1 and measure(" ".join([*words, "…"])) > width:
        words.pop()
    last = " ".join(words).rstrip(",;:–-")
    return [*lines[: SHORT_TEXT_LINES - 1], f"{last} …"]


def _draw(page: Page, items: Sequence[Item], y: float) -> None:
    for item in items:
        item.draw(page, y)
        y += item.height
