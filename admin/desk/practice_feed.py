"""The practice's calendar feed in the desk: its address, and a new token on request.

The server keeps only a token's hash (admin/feed.py), so the address could be shown once only.
The desk keeps one more copy, sealed to the practice's own seal key: a file in the server's
home that the practice's session opens to show the address again, and that the server cannot
read (it holds no practice key outside a practice's session). A token made elsewhere (`dorfhub
practice feed-token`) does not match that copy: the page says the link exists and that a new
one made here can be shown.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.desk.policy import DeskUser, allow
from admin.desk.web import desk_of
from admin.feed import feed_path, new_feed_token, token_hash
from content.identity import Identity
from content.private_files import make_private_dir, write_private
from content.sealing import SealError, open_sealed, seal
from content.store import Store

router = APIRouter()
PracticeUser = Annotated[DeskUser, Depends(allow("practice"))]
LINKS_DIR = "feed-links"  # below the desk users' directory
MAX_LINK_FILE_BYTES = 4096


@dataclass(frozen=True)
class FeedState:
    created: int | None  # when the current token was made; None: the practice has none
    token: str | None  # the current token, when the practice's sealed copy matches it


def link_file(users_dir: Path, practice: str) -> Path:
    return users_dir / LINKS_DIR / f"{practice}.sealed"


def feed_state(conn: sqlite3.Connection, users_dir: Path, identity: Identity) -> FeedState:
    """The practice's feed token as far as its own session can see it."""
    row = conn.execute(
        "SELECT token_hash, created FROM feed_tokens WHERE practice = ?", (identity.key_id,)
    ).fetchone()
    if row is None:
        return FeedState(None, None)
    current, created = str(row[0]), int(row[1])
    token = _sealed_token(link_file(users_dir, identity.key_id), identity)
    matches = token is not None and token_hash(token) == current
    return FeedState(created, token if matches else None)


def rotate(store: Store, users_dir: Path, identity: Identity) -> str:
    """A new token for the practice (the old one stops working at once), its copy sealed to
    the practice alone; returns the token."""
    token = new_feed_token(store, identity.key_id)
    path = link_file(users_dir, identity.key_id)
    make_private_dir(path.parent)
    write_private(path, seal(token.encode(), [identity.public.seal_key]))
    return token


def _sealed_token(path: Path, identity: Identity) -> str | None:
    try:
        box = path.read_bytes()[: MAX_LINK_FILE_BYTES + 1]
        if len(box) > MAX_LINK_FILE_BYTES:
            return None
        return open_sealed(box, identity).decode()
    except (OSError, SealError, UnicodeDecodeError):
        return None  # none yet, or not this practice's: the page offers a new one


def feed_urls(request: Request, token: str) -> dict[str, str]:
    """The feed's addresses on this server, as the browser reached it (scheme and host)."""
    base = f"{request.url.scheme}://{request.url.netloc}"
    return {kind: base + feed_path(token, kind) for kind in ("bookings", "cancellations")}


@router.get("/practice/feed")
def feed_page(request: Request, user: PracticeUser, done: str = "") -> Response:
    desk = desk_of(request)
    with desk.read() as conn, user.signing() as identity:
        state = feed_state(conn, desk.users_dir, identity)
    return desk.render(
        request,
        "practice_feed.html",
        session=user.session,
        title_key="practice.feed.title",
        state=state,
        urls=feed_urls(request, state.token) if state.token else {},
        done="practice.feed.done" if done == "rotated" else "",
    )


@router.post("/practice/feed")
async def rotate_token(request: Request, user: PracticeUser) -> Response:
    desk = desk_of(request)

    def make() -> None:
        with desk.store() as store, user.signing() as identity:
            rotate(store, desk.users_dir, identity)

    await run_in_threadpool(make)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/practice/feed?done=rotated", status_code=303)
