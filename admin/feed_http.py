"""The feed endpoints of admin/feed.py as a FastAPI router, mounted by `dorfhub serve`.

A feed goes out only over TLS or to this machine (admin/transport.py): a request in plain HTTP
from elsewhere gets 403 before its token is even looked at, and is told that its link went over
the network unencrypted. A wrong token gets 404 and nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from admin.feed import MEDIA_TYPE, practice_calendar, practice_for_token
from admin.transport import private_data_allowed
from content.identity import Identity

NOT_OVER_TLS = (
    "Kalender-Feeds gibt es nur über HTTPS. Der Feed-Link ging unverschlüsselt über das Netz: "
    "bitte einen neuen erstellen lassen (dorfhub practice feed-token)."
)


@contextmanager
def _read_only(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def feed_routes(db_path: Path, server: Identity) -> APIRouter:
    """The feed endpoints over the town server's database, opened read-only per request."""
    router = APIRouter()

    def answer(request: Request, token: str, method: str) -> Response:
        if not private_data_allowed(request.scope):
            raise HTTPException(403, NOT_OVER_TLS)
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
    def bookings(token: str, request: Request) -> Response:
        return answer(request, token, "PUBLISH")

    @router.get("/feeds/{token}/cancellations.ics", include_in_schema=False)
    def cancellations(token: str, request: Request) -> Response:
        return answer(request, token, "CANCEL")

    return router
