"""The slip: what the resident takes home."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from content.booking.base import (
    HOW_TO_CANCEL,
    BookingError,
)
from content.booking.practices import get_practice
from content.booking.slots import get_slot
from content.booking.states import booking_status


@dataclass(frozen=True)
class Slip:
    """What the resident takes home, without personal data (the kiosk adds the name from its
    memory). `code` is None while the request waits for the server."""

    state: str
    code: str | None
    date: str  # "Di 02.12.2026"
    time: str  # "09:30"
    place: str
    practice: str
    practice_address: str
    practice_phone: str
    service: str
    bring: str
    how_to_cancel: str
    video_url: str
    # A cancelled booking's slip says so, with the reason the practice (or hub) gave.
    cancel_reason: str | None = None


SLIP_WEEKDAYS = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "de-LS": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def slip(conn: sqlite3.Connection, request_id: str, language: str = "de") -> Slip:
    status = booking_status(conn, request_id)
    slot = get_slot(conn, status.slot_id) if status else None
    if status is None or slot is None:
        raise BookingError(f"no booking {request_id} known here")
    practice = get_practice(conn, slot.practice)
    phone = practice.phone if practice else ""
    start = slot.local_start()
    weekday = SLIP_WEEKDAYS.get(language, SLIP_WEEKDAYS["de"])[start.weekday()]
    return Slip(
        state=status.state,
        code=status.code if status.state == "confirmed" else None,
        date=f"{weekday} {start:%d.%m.%Y}",
        time=f"{start:%H:%M}",
        place=slot.place,
        practice=practice.name if practice else slot.practice_name,
        practice_address=practice.address if practice else "",
        practice_phone=phone,
        service=slot.service.name.get(language) or slot.service.name["de"],  # type: ignore[call-overload]
        bring=slot.service.bring.get(language) or slot.service.bring.get("de", ""),  # type: ignore[call-overload]
        how_to_cancel=HOW_TO_CANCEL.get(language, HOW_TO_CANCEL["de"]).format(phone=phone),
        video_url=practice.video_url if practice else "",
        cancel_reason=status.cancel_reason if status.state == "cancelled" else None,
    )


def utc_text(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")
