"""The noticeboard as plain text: for the terminal, and the printout for the physical board.

Notices are written by other keys: every line goes through `terminal_safe`, so a title with a
line break or an escape sequence shows as what it is.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from content.notices import Notice
from content.print_text import CATEGORY
from node.terminal import terminal_safe

LOCAL_TIME = ZoneInfo("Europe/Berlin")
WIDTH = 78

# The words the posters use too (content/print_text.py), so a category reads the same on paper
# and in a terminal.
CATEGORY_LABELS = CATEGORY
PRIORITY_LABELS: dict[str, dict[str, str]] = {
    "emergency": {"de": "NOTFALL", "en": "EMERGENCY", "de-LS": "ACHTUNG, GEFAHR"},
    "important": {"de": "Wichtig", "en": "Important", "de-LS": "Wichtig"},
}
HEADINGS = {
    "de": "Aushänge",
    "en": "Notices",
    "de-LS": "Aus·hänge",
}
EMPTY = {
    "de": "Zurzeit keine Aushänge.",
    "en": "No notices at the moment.",
    "de-LS": "Im Moment gibt es keine Aus·hänge.",
}
WHEN_LABEL = {"de": "Wann", "en": "When", "de-LS": "Wann"}
WHERE_LABEL = {"de": "Wo", "en": "Where", "de-LS": "Wo"}


def local(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def render_notice(notice: Notice, language: str = "de") -> str:
    tags = [CATEGORY_LABELS[notice.category][language]]
    if notice.priority in PRIORITY_LABELS:
        tags.insert(0, PRIORITY_LABELS[notice.priority][language])
    lines = [f"[{' · '.join(tags)}] {notice.text('title', language)}"]
    lines += textwrap.wrap(
        notice.text("body", language), WIDTH - 4, initial_indent="    ", subsequent_indent="    "
    )
    if notice.event_start is not None:
        until = f"–{local(notice.event_end)[-5:]}" if notice.event_end else ""
        lines.append(f"    {WHEN_LABEL[language]}: {local(notice.event_start)}{until}")
    if notice.place:
        lines.append(f"    {WHERE_LABEL[language]}: {notice.place}")
    return "\n".join(terminal_safe(line) for line in lines)


def render_board(title: str, notices: list[Notice], language: str = "de") -> str:
    heading = terminal_safe(f"{HEADINGS[language]} – {title}")
    parts = [f"{heading}\n{'=' * len(heading)}"]
    parts += [render_notice(notice, language) for notice in notices] or [EMPTY[language]]
    return "\n\n".join(parts)
