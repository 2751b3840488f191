"""iCalendar text (RFC 5545): the practices' booking feeds and the kiosk's event QR codes. Pure
functions, no I/O.

Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character); TEXT values are
escaped. A feed is METHOD:PUBLISH; cancelled bookings appear in it with STATUS:CANCELLED and a
higher SEQUENCE, and in the cancellation feed as METHOD:CANCEL with the same UID (RFC 5546).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Dorfhub//Arzttermine 1.0//DE"
MAX_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    stamp_ms: int  # DTSTAMP: when this version of the event was decided (or cancelled)
    start_ms: int
    end_ms: int
    summary: str
    location: str
    description: str
    cancelled: bool


def utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """RFC 5545 section 3.3.11: backslash, semicolon, comma and newline are escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def quote_param(value: str) -> str:
    """A parameter value in DQUOTEs (it may hold , ; :); DQUOTE itself cannot appear."""
    return '"' + value.replace('"', "'") + '"'


def fold(line: str) -> str:
    """Split a content line into CRLF-joined pieces of at most 75 octets; continuation lines
    begin with one space (RFC 5545 section 3.1)."""
    data = line.encode()
    pieces: list[bytes] = []
    limit = MAX_OCTETS
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            cut -= 1
        pieces.append(data[:cut])
        data = data[cut:]
        limit = MAX_OCTETS - 1  # the leading space counts
    pieces.append(data)
    return (CRLF + " ").join(piece.decode() for piece in pieces)


def calendar(
    events: Iterable[CalendarEvent], name: str, organizer: str, method: str = "PUBLISH"
) -> str:
    """A whole VCALENDAR. `method` PUBLISH lists every event; CANCEL is meant for cancelled ones
    only (the caller passes just those)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += _event(event, name, organizer)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def _event(event: CalendarEvent, name: str, organizer: str) -> Sequence[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{utc(event.stamp_ms)}",
        f"DTSTART:{utc(event.start_ms)}",
        f"DTEND:{utc(event.end_ms)}",
        f"SEQUENCE:{1 if event.cancelled else 0}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        f"ORGANIZER;CN={quote_param(name)}:{organizer}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"LOCATION:{escape_text(event.location)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
