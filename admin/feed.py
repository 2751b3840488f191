"""The practices' booking feeds, served by the town server (mounted next to the peer API).

    GET /feeds/{token}/bookings.ics        confirmed bookings (cancelled ones as CANCELLED)
    GET /feeds/{token}/cancellations.ics   the cancelled ones as METHOD:CANCEL

Calendar apps cannot sign requests, so each practice has a secret token in its feed URL. The
server keeps only the token's SHA-256 (a token has 192 random bits, so a fast hash suffices); a
wrong token gets 404 and nothing else. The server opens each request's sealed part with its own
key to write what the practice needs in the summary: service, name and date of birth.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from content.booking import get_practice, open_bookings
from content.ical import CalendarEvent, calendar
from content.identity import Identity
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
    conn: sqlite3.Connection, server: Identity, practice: str, method: str
) -> str:
    """The practice's bookings as iCalendar text: PUBLISH (all) or CANCEL (cancelled only)."""
    record = get_practice(conn, practice)
    name = record.name if record else practice[:12]
    states = ("cancelled",) if method == "CANCEL" else ("confirmed", "cancelled")
    events = []
    for opened in open_bookings(conn, server, practice, states):
        status, slot, person = opened.status, opened.slot, opened.person
        if slot is None or status.decided_at is None or status.code is None:
            continue  # cancelled before the server decided: never in the practice's calendar
        cancelled = status.state == "cancelled"
        born = date.fromisoformat(person.birth_date).strftime("%d.%m.%Y")
        service = slot.service.name["de"]
        guide = " (mit Digitallotse)" if status.on_behalf else ""
        events.append(
            CalendarEvent(
                uid=f"{status.request_id}@dorfhub",
                stamp_ms=(status.cancelled_at or status.decided_at)
                if cancelled
                else status.decided_at,
                start_ms=slot.start,
                end_ms=slot.end,
                summary=f"{service}: {person.name} (geb. {born}){guide}",
                location=f"{slot.place} ({person.hub})" if person.hub else slot.place,
                description=f"Buchungscode {status.code}",
                cancelled=cancelled,
            )
        )
    return calendar(events, f"Dorfhub – {name}", f"urn:dorfhub:practice:{practice}", method)


@contextmanager
def _read_only(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def feed_router(db_path: Path, server: Identity) -> APIRouter:
    """The feed endpoints over the town server's database, opened read-only per request."""
    # Imported here: the CLI (and so the kiosk's start) loads this module for the tokens only,
    # and FastAPI costs half a second to import.
    from fastapi import APIRouter, HTTPException, Response

    router = APIRouter()

    def answer(token: str, method: str) -> Response:
        with _read_only(db_path) as conn:
            practice = practice_for_token(conn, token)
            if practice is None:
                raise HTTPException(404, "no such feed")
            text = practice_calendar(conn, server, practice, method)
        return Response(
            text.encode(),
            media_type=MEDIA_TYPE,
            headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
        )

    @router.get("/feeds/{token}/bookings.ics", include_in_schema=False)
    def bookings(token: str) -> Response:
        return answer(token, "PUBLISH")

    @router.get("/feeds/{token}/cancellations.ics", include_in_schema=False)
    def cancellations(token: str) -> Response:
        return answer(token, "CANCEL")

    return router
