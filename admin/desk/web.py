"""What every desk page shares: the `Desk` (sessions, lockout, accounts, templates, the clock,
the database), how a page is rendered, and the refusals a page can end in."""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.types import Scope

from admin.desk.accounts import USERS_DIR, AccountError, Unlocker, find_user
from admin.desk.i18n import Translator, Words, language_of
from admin.desk.sessions import LoginGuard, Session, SessionBook
from admin.transport import over_tls
from content.grants import roles_of
from content.rate_limit import RateLimiter
from content.store import Store

PACKAGE = Path(__file__).parent
SESSION_COOKIE = "dorfhub_desk_session"
LOGIN_COOKIE = "dorfhub_desk_login"
# Failed logins per client address: 20 at once, then one every 15 s (240 an hour). A login
# that succeeds costs nothing, so people at one town hall's address never meet it.
LOGIN_FAILURE_BURST = 20
LOGIN_FAILURE_RATE = 1 / 15
# Argon2id takes 64 MiB for a quarter second: at most this many run at once, whatever
# number of login forms arrive together.
KDF_SLOTS = 2
HTMX_HEADER = "hx-request"
SWEEP_S = 60.0


class LoginNeeded(Exception):
    """No live session: the browser goes to the login page, told why (`reason`)."""

    def __init__(self, reason: str = "needed") -> None:
        super().__init__(reason)
        self.reason = reason


class DeskRefusal(Exception):
    """A request the desk answers with an error page; nothing was changed. `kind` names the
    page's words (error.<kind>.title / .text)."""

    def __init__(self, status: int, kind: str) -> None:
        super().__init__(kind)
        self.status = status
        self.kind = kind


@dataclass(frozen=True)
class NavItem:
    key: str  # catalog key of its label
    path: str  # below the desk's root
    roles: tuple[str, ...]


# The main menu: each page module that belongs in it adds one item (app.py).
NAV: list[NavItem] = [
    NavItem("nav.today", "/", ("admin",)),
    NavItem("nav.notices", "/notices", ("admin",)),
    NavItem("nav.hubs", "/hubs", ("admin",)),
    NavItem("nav.moderation", "/moderation", ("admin",)),
    NavItem("nav.practice.bookings", "/practice", ("practice",)),
    NavItem("nav.practice.slots", "/practice/slots", ("practice",)),
    NavItem("nav.practice.feed", "/practice/feed", ("practice",)),
    NavItem("nav.guide.queue", "/guide", ("guide",)),
    NavItem("nav.guide.hours", "/guide/hours", ("guide",)),
    NavItem("nav.guide.bookings", "/guide/bookings", ("guide",)),
    NavItem("nav.articles", "/articles", ("admin", "guide")),
    NavItem("nav.submissions", "/submissions", ("editor",)),
    NavItem("nav.submissions.new", "/submissions/new", ("editor",)),
]
# Where each role starts (after login, the brand link, error pages): "/" is the admins' page.
HOMES: dict[str, str] = {
    "admin": "/",
    "practice": "/practice",
    "guide": "/guide",
    "editor": "/submissions",
}


class SteadyClock:
    """Seconds for sessions and locks: never runs backwards and never slower than real time
    (a clock set back does not lengthen a session), and follows the wall clock when it jumps
    forward (NTP catching up; libfaketime in the tests)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_monotonic = time.monotonic()
        self.now = time.time()

    def __call__(self) -> float:
        with self.lock:
            monotonic, wall = time.monotonic(), time.time()
            self.now = max(wall, self.now + (monotonic - self.last_monotonic))
            self.last_monotonic = monotonic
            return self.now


class Desk:
    """The desk's state in the server process. Sessions and counters are in memory only; the
    lock guards them, as pages run in worker threads."""

    def __init__(self, home: Path, db_path: Path) -> None:
        self.home = home
        self.db_path = db_path
        self.users_dir = home / USERS_DIR
        self.lock = threading.Lock()
        self.clock = SteadyClock()
        self.sessions = SessionBook()
        self.guard = LoginGuard()
        self.failures_by_address = RateLimiter(rate=LOGIN_FAILURE_RATE, burst=LOGIN_FAILURE_BURST)
        self.kdf_slots = threading.BoundedSemaphore(KDF_SLOTS)
        self.unlocker = Unlocker(self.users_dir)
        self.login_secret = secrets.token_bytes(32)  # login forms from before a restart fail
        self.translator = Translator()
        self.templates = Environment(
            loader=FileSystemLoader(PACKAGE / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._network_id: str | None = None
        self.sweeper = threading.Thread(target=self._sweep, name="dorfhub-desk-sweep", daemon=True)
        self.sweeper.start()

    def _sweep(self) -> None:
        """End expired sessions every minute, so a key left in a session nobody comes back to
        is wiped within a minute of its expiry, not at the next login."""
        while True:
            time.sleep(SWEEP_S)
            with self.lock:
                self.sessions.sweep(self.clock())

    # ---- the database ---------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for one request."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store for a request that appends ops (signed with the user's key)."""
        store = Store(self.db_path)
        try:
            yield store
        finally:
            store.close()

    def network_id(self, conn: sqlite3.Connection) -> str:
        if self._network_id is None:
            row = conn.execute("SELECT id FROM network").fetchone()
            self._network_id = str(row[0]) if row else ""
        return self._network_id

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # ---- sessions -------------------------------------------------------------------------

    def session_for(self, request: Request) -> Session:
        """The request's live session, or LoginNeeded. A session whose key no longer holds its
        role in the log (disabled by any process, or its grant ran out) ends here."""
        with self.lock:
            lookup = self.sessions.look_up(request.cookies.get(SESSION_COOKIE), self.clock())
        session = lookup.session
        if session is None:
            raise LoginNeeded("expired" if lookup.expired else "needed")
        if not self.holds_role(session.key, session.role):
            with self.lock:
                self.sessions.end_key(session.key)
            raise LoginNeeded("revoked")
        if not self.file_holds(session):
            # Removed by `desk user disable` (a practice's login, whose key stays granted).
            self.end_session(session.id)
            raise LoginNeeded("revoked")
        return session

    def file_holds(self, session: Session) -> bool:
        """Whether the session's user still has its file, with the session's key."""
        try:
            file = find_user(self.users_dir, session.name)
        except (AccountError, OSError):
            return False
        return file is not None and file.key == session.key

    def current_session(self, request: Request) -> Session | None:
        """The request's live session if it has one, for pages any visitor may see (errors)."""
        with self.lock:
            return self.sessions.look_up(request.cookies.get(SESSION_COOKIE), self.clock()).session

    def holds_role(self, key: str, role: str) -> bool:
        with self.read() as conn:
            return role in roles_of(conn, self.network_id(conn), key, at_ms=self.now_ms())

    def end_session(self, session_id: str | None) -> None:
        if session_id:
            with self.lock:
                self.sessions.end(session_id)

    # ---- pages ----------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        *,
        session: Session | None = None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        language = language_of(request.cookies)
        return self.page(request.scope, language, template, session, status, context)

    def page(
        self,
        scope: Scope,
        language: str,
        template: str,
        session: Session | None,
        status: int,
        context: dict[str, Any],
    ) -> HTMLResponse:
        root = str(scope.get("root_path", ""))
        here = root + str(scope.get("path", "/")).removeprefix(root)
        words = Words(self.translator, language)
        page_context = {
            "lang": language,
            "t": words,
            "user": session,
            "nav": _nav(root, here, session),
            "home": root + home_of(session),
            "url": lambda path: root + path,
            "static": lambda name: f"{root}/static/{name}",
            "switch_url": _switch_url(root, here, words("lang.other_code")),
            **context,
        }
        html = self.templates.get_template(template).render(page_context)
        return HTMLResponse(html, status_code=status)

    def cookie_options(self, scope: Scope) -> dict[str, Any]:
        """HttpOnly, SameSite=Strict, only below the desk's root, and Secure under TLS."""
        return {
            "path": f"{scope.get('root_path', '')}/",
            "httponly": True,
            "samesite": "strict",
            "secure": over_tls(scope),
        }


def _nav(root: str, here: str, session: Session | None) -> list[dict[str, Any]]:
    if session is None:
        return []
    return [
        {"key": item.key, "href": root + item.path, "current": here == root + item.path}
        for item in NAV
        if session.role in item.roles
    ]


def home_of(session: Session | None) -> str:
    """The start page of the session's role, below the desk's root."""
    return HOMES.get(session.role, "/") if session is not None else "/"


def _switch_url(root: str, here: str, language: str) -> str:
    from urllib.parse import quote

    return f"{root}/language/{language}?next={quote(here, safe='/')}"


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def is_htmx(request: Request) -> bool:
    return request.headers.get(HTMX_HEADER) == "true"


def safe_next(root: str, text: str | None) -> str:
    """Where to go after login or a language switch: a desk path, never another site."""
    if (
        not text
        or len(text) > 500
        or not text.startswith(root + "/")
        or text.startswith("//")
        or "\\" in text
        or any(ord(char) < 32 for char in text)
    ):
        return root + "/"
    return text
