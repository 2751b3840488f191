"""What a notice's QR code holds: an iCalendar event a phone can add, or the notice's text.

Shared by everything that shows a notice's code: the kiosk's detail screen, the printed poster
and weekly sheet (content.posters, content.week_sheet), and through them the desk and the
`dorfhub` command. Pure text building; segno is loaded only when a code is drawn.

On the kiosk's panel every module is at least 2 mm (content.kiosk_look), so its code is at most
SCREEN_MAX_VERSION: `screen_payload` holds only the essentials and never cuts a text: a
calendar entry of title, time and place (without the place if it is too long), else the whole
notice, else its title alone, and `ScreenPayload.kind` names which, for the caption to say what
the phone gets. Paper asks for less: modules of at least 2 mm (content.print_layout) make a
version 12 code 15 cm wide, so a printed code carries only the essentials and its caption says
which (`PrintPayload`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from content.ical import CRLF, escape_text, fold, utc
from content.notices import Notice

MAX_TEXT_CHARS = 400
MAX_DESCRIPTION_CHARS = 300
# On paper the text is printed beside the code: the phone gets the title and a start, in a
# code of version 6-7 (41-45 modules: 8-9 cm at 2 mm); a compact event is about version 10.
PRINT_TEXT_CHARS = 100
HOUR_MS = 3_600_000
QUIET_ZONE = 4  # modules of light border around the code, as the standard asks
ERROR_LEVEL = "m"
CALENDAR_HEAD = ("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Dorfhub//Kiosk//DE")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def vevent(
    notice: Notice,
    language: str,
    stamp_ms: int,
    description_chars: int = MAX_DESCRIPTION_CHARS,
    *,
    compact: bool = False,
) -> str:
    """A VCALENDAR with one VEVENT for a notice that has an event; `description_chars` 0
    leaves the description out. `compact` leaves out what phones never show (product id, UID,
    time stamp): a third fewer bytes, so a printed code stays smaller at 2 mm per module. The
    calendar wrapper and its version stay, as some phones want them."""
    if notice.event_start is None:
        raise ValueError("this notice has no event")
    end = notice.event_end or notice.event_start + HOUR_MS
    lines = [
        "BEGIN:VEVENT",
        f"DTSTART:{utc(notice.event_start)}",
        f"DTEND:{utc(end)}",
        f"SUMMARY:{escape_text(notice.text('title', language))}",
    ]
    if not compact:
        lines[1:1] = [f"UID:{notice.id}@dorfhub", f"DTSTAMP:{utc(stamp_ms)}"]
    if notice.place:
        lines.append(f"LOCATION:{escape_text(notice.place)}")
    if description_chars > 0:
        description = cut(notice.text("body", language), description_chars)
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    head = CALENDAR_HEAD[:2] if compact else CALENDAR_HEAD
    lines = [*head, *lines, "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)


def full_text(notice: Notice, language: str) -> str:
    return f"{notice.text('title', language)}\n\n{notice.text('body', language)}"


def payload(
    notice: Notice,
    language: str,
    stamp_ms: int,
    *,
    text_chars: int = MAX_TEXT_CHARS,
    description_chars: int = MAX_DESCRIPTION_CHARS,
    compact: bool = False,
) -> str:
    if notice.event_start is not None:
        return vevent(notice, language, stamp_ms, description_chars, compact=compact)
    return cut(full_text(notice, language), text_chars)


@dataclass(frozen=True)
class PrintPayload:
    """A printed notice's code: `event` a calendar entry (title, time and place, no text),
    else the notice's text, `whole` when nothing of it was cut."""

    text: str
    event: bool
    whole: bool


def print_payload(notice: Notice, language: str) -> PrintPayload:
    """What a poster's code holds: a compact calendar entry, or the title and as much of the
    text as keeps the code small. It depends on the notice alone, so the same notice always
    prints the same code."""
    text = payload(
        notice,
        language,
        notice.updated_at,
        text_chars=PRINT_TEXT_CHARS,
        description_chars=0,
        compact=True,
    )
    if notice.event_start is not None:
        return PrintPayload(text, event=True, whole=False)
    return PrintPayload(text, event=False, whole=text == full_text(notice, language))


# Version 13 (69 modules) at 2 mm a module is 17 cm with its quiet zone: the largest code the
# kiosk's detail screen makes room for (content.kiosk_look.qr_column), still read from a screen
# by an old phone.
SCREEN_MAX_VERSION = 13
SCREEN_KINDS = ("event", "event_no_place", "whole", "title")


@dataclass(frozen=True)
class ScreenPayload:
    """What the kiosk's code holds, whole: `kind` is one of SCREEN_KINDS."""

    text: str
    kind: str


def screen_payload(notice: Notice, language: str) -> ScreenPayload | None:
    """The most of the notice that fits a code of at most SCREEN_MAX_VERSION, in whole parts;
    None when not even its title does (the screen then says there is no code)."""
    candidates: list[ScreenPayload] = []
    if notice.event_start is not None:
        stamp = notice.updated_at  # unused by a compact entry; it depends on the notice alone
        candidates.append(ScreenPayload(vevent(notice, language, stamp, 0, compact=True), "event"))
        if notice.place:
            placeless = replace(notice, place=None)
            candidates.append(
                ScreenPayload(vevent(placeless, language, stamp, 0, compact=True), "event_no_place")
            )
    else:
        candidates.append(ScreenPayload(full_text(notice, language), "whole"))
        candidates.append(ScreenPayload(notice.text("title", language), "title"))
    for candidate in candidates:
        if version(candidate.text) <= SCREEN_MAX_VERSION:
            return candidate
    return None


@lru_cache(maxsize=256)
def version(text: str) -> int:
    """The smallest QR version that holds `text` at the kiosk's error level (41: none does).

    The version is fixed before a mask is chosen: with the mask given, segno skips scoring all
    eight, most of a code's cost. Cached, as a screen asks for the same text's version twice
    (the payload's choice and the code's size) and the desk's preview on every keystroke."""
    import segno

    try:
        made = segno.make(text, error=ERROR_LEVEL, micro=False, boost_error=False, mask=0)
    except segno.DataOverflowError:
        return 41
    return int(made.version)


def side_modules(text: str) -> int:
    """The code's side in modules, its quiet zone included."""
    return 17 + 4 * version(text) + 2 * QUIET_ZONE


def code(text: str) -> Any:
    import segno  # loaded with the first QR code, not before the kiosk's first frame

    return segno.make(text, error=ERROR_LEVEL, micro=False)


def modules(text: str) -> list[list[bool]]:
    """The code's dark (True) and light modules, rows from the top, without the quiet zone."""
    return [[bool(cell) for cell in row] for row in code(text).matrix_iter(scale=1, border=0)]
