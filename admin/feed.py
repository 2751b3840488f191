"""The practices' booking feeds, served by the town server (mounted next to the peer API).

    GET /feeds/{token}/bookings.ics        confirmed bookings (cancelled ones as CANCELLED)
    GET /feeds/{token}/cancellations.ics   the cancelled ones as METHOD:CANCEL

Calendar apps cannot sign requests, so each practice has a secret token in its feed URL. The
server keeps only the token's SHA-256 (a token has 192 random bits, so a fast hash suffices); a
wrong token gets 404 and nothing else. A feed goes out only over TLS or to this machine
(admin/transport.py): a request in plain HTTP from elsewhere gets 403, before the token is
even looked at.

The server opens each request's sealed part with its own key. The person (name, date of birth)
stands only in DESCRIPTION: SUMMARY is what lock screens and notifications show, so it says
only the service and the hub. An entry leaves the feed when its booking's personal data falls
due (content/retention.py), the same moment every node erases it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from content.booking import OpenedBooking, get_practice, open_bookings
from content.ical import CalendarEvent, calendar
from content.identity import Identity
from content.pruning import within_retention
from content.store import Store

if TYPE_CHECKING:
    from fastapi import APIRouter

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
MEDIA_TYPE = "text/calendar; charset=utf-8"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(store: Store, practice: str) -> str:
    """Create (or replace) the practice's feed token; returns it. Only its hash is kept, so a
    lost token is replaced, never shown again."""
    token = secrets.token_urlsafe(24)
    with store.write() as conn:
        conn.execute(
            "INSERT INTO feed_tokens VALUES (?, ?, ?) ON CONFLICT (practice) DO UPDATE SET "
            "token_hash = excluded.token_hash, created = excluded.created",
            (practice, token_hash(token), int(time.time() * 1000)),
        )
    return token


def feed_path(token: str, kind: str = "bookings") -> str:
    return f"/feeds/{token}/{kind}.ics"


def practice_for_token(conn: sqlite3.Connection, token: str) -> str | None:
    if not TOKEN_PATTERN.match(token):
        return None
    row = conn.execute(
        "SELECT practice FROM feed_tokens WHERE token_hash = ?", (token_hash(token),)
    ).fetchone()
    return None if row is None else str(row[0])


def practice_calendar(
    conn: sqlite3.Connection,
    server: Identity,
    practice: str,
    method: str,
    now_ms: int | None = None,
) -> str:
    """The practice's bookings as iCalendar text: PUBLISH (all) or CANCEL (cancelled only),
    without the ones whose personal data has fallen due by `now_ms` (default: trusted now)."""
    record = get_practice(conn, practice)
    name = record.name if record else practice[:12]
    states = ("cancelled",) if method == "CANCEL" else ("confirmed", "cancelled")
    # Due by this moment's rules: the daily erasure may not have run yet.
    kept = within_retention(conn, open_bookings(conn, server, practice, states), now_ms)
    events = [_event(opened) for opened in kept if _decided(opened)]
    return calendar(events, f"Dorfhub – {name}", f"urn:dorfhub:practice:{practice}", method)


def _decided(opened: OpenedBooking) -> bool:
    # Cancelled before the server decided: never in the practice's calendar.
    status = opened.status
    return opened.slot is not None and status.decided_at is not None and status.code is not None


def _event(opened: OpenedBooking) -> CalendarEvent:
    status, slot, person = opened.status, opened.slot, opened.person
    assert slot is not None  # _decided
    assert status.decided_at is not None
    cancelled = status.state == "cancelled"
    born = date.fromisoformat(person.birth_date).strftime("%d.%m.%Y")
    service = slot.service.name["de"]
    who = f"{person.name} (geb. {born})" + (", mit Digitallotse" if status.on_behalf else "")
    return CalendarEvent(
        uid=f"{status.request_id}@dorfhub",
        stamp_ms=(status.cancelled_at or status.decided_at) if cancelled else status.decided_at,
        start_ms=slot.start,
        end_ms=slot.end,
        summary=f"{service} (Dorfhub {person.hub})" if person.hub else f"{service} (Dorfhub)",
        location=f"{slot.place} ({person.hub})" if person.hub else slot.place,
        description=f"{who}\nBuchungscode {status.code}",
        cancelled=cancelled,
    )


def feed_router(db_path: Path, server: Identity) -> APIRouter:
    """The feed endpoints over the town server's database (admin/feed_http.py)."""
    # Imported here: the CLI (and so the kiosk's start) loads this module for the tokens only,
    # and FastAPI costs half a second to import.
    from admin.feed_http import feed_routes

    return feed_routes(db_path, server)
