"""What a notice's QR code holds: an iCalendar event a phone can add, or the notice's text.

A QR code of version 10-15 is still read reliably from a screen by an old phone, so payloads are
kept to a few hundred bytes: long texts are cut with an ellipsis.
"""

from __future__ import annotations

import io
from typing import Any

from content.ical import CRLF, escape_text, fold, utc
from content.notices import Notice

MAX_TEXT_CHARS = 400
MAX_DESCRIPTION_CHARS = 300
HOUR_MS = 3_600_000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def vevent(notice: Notice, language: str, stamp_ms: int) -> str:
    """A VCALENDAR with one VEVENT for a notice that has an event."""
    if notice.event_start is None:
        raise ValueError("this notice has no event")
    end = notice.event_end or notice.event_start + HOUR_MS
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Dorfhub//Kiosk//DE",
        "BEGIN:VEVENT",
        f"UID:{notice.id}@dorfhub",
        f"DTSTAMP:{utc(stamp_ms)}",
        f"DTSTART:{utc(notice.event_start)}",
        f"DTEND:{utc(end)}",
        f"SUMMARY:{escape_text(notice.text('title', language))}",
    ]
    if notice.place:
        lines.append(f"LOCATION:{escape_text(notice.place)}")
    description = _cut(notice.text("body", language), MAX_DESCRIPTION_CHARS)
    lines += [f"DESCRIPTION:{escape_text(description)}", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)


def payload(notice: Notice, language: str, stamp_ms: int) -> str:
    if notice.event_start is not None:
        return vevent(notice, language, stamp_ms)
    title = notice.text("title", language)
    return _cut(f"{title}\n\n{notice.text('body', language)}", MAX_TEXT_CHARS)


QUIET_ZONE = 4  # modules of light border around the code, as the standard asks


def _code(text: str) -> Any:
    import segno  # loaded with the first QR code, not before the kiosk's first frame

    return segno.make(text, error="m", micro=False)


def luminance(text: str) -> tuple[int, bytes]:
    """The QR code as one byte per module (0 dark, 255 light), the quiet zone included, rows
    from the top; and its side in modules. The screen draws it scaled up without smoothing:
    sharp edges, and a texture of a few kilobytes instead of a picture of 350 KB."""
    code = _code(text)
    rows = code.matrix_iter(scale=1, border=QUIET_ZONE)
    pixels = b"".join(bytes(0 if dark else 255 for dark in row) for row in rows)
    side = int(code.symbol_size(scale=1, border=QUIET_ZONE)[0])
    return side, pixels


def png(text: str, scale: int = 6) -> bytes:
    """The QR code as PNG bytes (for the printed slip): dark modules on white with the quiet
    zone."""
    buffer = io.BytesIO()
    _code(text).save(
        buffer, kind="png", scale=scale, border=QUIET_ZONE, dark="#000000", light="#FFFFFF"
    )
    return buffer.getvalue()
