"""The noticeboard as plain text: for the terminal, and the printout for the physical board.

Notices are written by other keys: every line goes through `terminal_safe`, so a title with a
line break or an escape sequence shows as what it is.

Times are Berlin time in the German way the desk writes them ("Do 31.12.2026, 18:00 Uhr"): a
start at local midnight is that day ("ab Di 01.12.2026"), an end at local midnight closes the
day before ("bis Do 31.12.2026, 24:00 Uhr"), as a date typed alone means (content/local_time.py).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

# Re-exported: the demo (node/demo.py) takes the zone from here.
from content.local_time import LOCAL_TIME as LOCAL_TIME
from content.local_time import is_midnight
from content.local_time import local as local_moment
from content.notices import Notice
from content.print_text import CATEGORY, event_time, short_weekday
from node.terminal import terminal_safe

WIDTH = 78
KIB = 1024

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
# How a notice's window and targets read in the admin's lines (the desk's words).
WORDS: dict[str, dict[str, str]] = {
    "de": {
        "moment": "{day}, {time} Uhr",
        "from": "ab {moment}",
        "until": "bis {moment}",
        "until_retracted": "unbefristet",
        "everywhere": "für alle Hubs",
        "for": "für {names}",
        "group": "Gruppe {name}",
        "unknown_hub": "unbekannter Hub {id}",
        "retracted": "ZURÜCKGEZOGEN",
        "attachment": "Anhang",
    },
    "en": {
        "moment": "{day}, {time}",
        "from": "from {moment}",
        "until": "until {moment}",
        "until_retracted": "until retracted",
        "everywhere": "for all hubs",
        "for": "for {names}",
        "group": "group {name}",
        "unknown_hub": "unknown hub {id}",
        "retracted": "RETRACTED",
        "attachment": "Attachment",
    },
}
# What a write says it did, in the words of the notice commands' other lines (German).
DONE = {"publish": "veröffentlicht", "update": "geändert", "retract": "zurückgezogen"}


def local(ms: int) -> str:
    return local_moment(ms).strftime("%d.%m.%Y %H:%M")


def _words(language: str) -> dict[str, str]:
    return WORDS["en" if language == "en" else "de"]


def day_words(ms: int, language: str = "de") -> str:
    """Do 31.12.2026 / Thu 31.12.2026: the weekday first, as people plan by it."""
    moment = local_moment(ms)
    return f"{short_weekday(moment, language)} {moment:%d.%m.%Y}"


def moment_words(ms: int, language: str = "de") -> str:
    """Do 31.12.2026, 18:00 Uhr / Thu 31.12.2026, 18:00."""
    return _words(language)["moment"].format(day=day_words(ms, language), time=local(ms)[-5:])


def window_words(valid_from: int, valid_until: int | None, language: str = "de") -> str:
    """ab Di 01.12.2026 · bis Do 31.12.2026, 24:00 Uhr; no end is "unbefristet"."""
    words = _words(language)
    start = day_words(valid_from, language) if is_midnight(valid_from) else None
    start = words["from"].format(moment=start or moment_words(valid_from, language))
    if valid_until is None:
        return f"{start} · {words['until_retracted']}"
    return f"{start} · {words['until'].format(moment=end_words(valid_until, language))}"


def end_words(ms: int, language: str = "de") -> str:
    """An end at local midnight closes the day before: Do 31.12.2026, 24:00 Uhr."""
    if is_midnight(ms):
        return _words(language)["moment"].format(day=day_words(ms - 1, language), time="24:00")
    return moment_words(ms, language)


def targets_words(notice: Notice, names: Mapping[str, str], language: str = "de") -> str:
    """für Ringelai, Gruppe Ilzer Land; no targets at all is every hub of the network."""
    words = _words(language)
    if not notice.target_hubs and not notice.target_groups:
        return words["everywhere"]
    hubs = sorted(
        names.get(key) or words["unknown_hub"].format(id=key[:12]) for key in notice.target_hubs
    )
    groups = [words["group"].format(name=group) for group in notice.target_groups]
    return words["for"].format(names=", ".join(hubs + groups))


def facts(notice: Notice, names: Mapping[str, str], language: str = "de") -> str:
    """n-… · für alle Hubs · ab … · bis …: which notice, for whom, and when it shows."""
    return f"{notice.id} · {_for_and_when(notice, names, language)}"


def done_line(action: str, notice: Notice, names: Mapping[str, str], reason: str = "") -> str:
    """The one line a notice write prints: its id first (for scripts), then what happened."""
    title = notice.text("title", "de")
    line = f"{notice.id} {DONE[action]}: „{title}“ · {_for_and_when(notice, names, 'de')}"
    return terminal_safe(line + (f" · Grund: {reason}" if reason else ""))


def _for_and_when(notice: Notice, names: Mapping[str, str], language: str) -> str:
    window = window_words(notice.valid_from, notice.valid_until, language)
    return f"{targets_words(notice, names, language)} · {window}"


def render_notice(
    notice: Notice, language: str = "de", names: Mapping[str, str] | None = None
) -> str:
    """The notice as the board shows it; with the network's `names`, also its id, targets
    and window, and its attachments (what an admin checks)."""
    tags = [CATEGORY_LABELS[notice.category][language]]
    if notice.priority in PRIORITY_LABELS:
        tags.insert(0, PRIORITY_LABELS[notice.priority][language])
    if notice.retracted:
        tags.insert(0, _words(language)["retracted"])
    lines = [f"[{' · '.join(tags)}] {notice.text('title', language)}"]
    if names is not None:
        lines.append(f"    {facts(notice, names, language)}")
    for paragraph in notice.text("body", language).splitlines():
        lines += _indented(paragraph)
    if notice.event_start is not None:
        when = event_time(notice.event_start, notice.event_end, language)
        lines.append(f"    {WHEN_LABEL[language]}: {when}")
    if notice.place:
        lines.append(f"    {WHERE_LABEL[language]}: {notice.place}")
    if names is not None:
        lines += [f"    {_attachment_line(file, language)}" for file in notice.attachments]
    return "\n".join(terminal_safe(line) for line in lines)


def _indented(paragraph: str) -> list[str]:
    return textwrap.wrap(paragraph, WIDTH - 4, initial_indent="    ", subsequent_indent="    ")


def _attachment_line(file: Mapping[str, object], language: str) -> str:
    size = int(str(file["size"]))
    return (
        f"{_words(language)['attachment']}: {file['name']} ({file['mime']}, {-(-size // KIB)} KiB)"
    )


def render_board(
    title: str, notices: list[Notice], language: str = "de", names: Mapping[str, str] | None = None
) -> str:
    heading = terminal_safe(f"{HEADINGS[language]} – {title}")
    parts = [f"{heading}\n{'=' * len(heading)}"]
    parts += [render_notice(notice, language, names) for notice in notices] or [EMPTY[language]]
    return "\n\n".join(parts)
