"""Desk sessions, CSRF tokens and the login lockout: pure, with the clock passed in (seconds).

Sessions live in the server process's memory only: a restart logs everyone out, and nothing a
session holds (above all the user's unlocked key) is ever written anywhere. A session ends
after IDLE_S without a request or MAX_AGE_S after login, whichever comes first; its key bytes
are overwritten when it ends, however it ends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from admin.desk.accounts import name_key, wipe

IDLE_S = 30 * 60
MAX_AGE_S = 12 * 60 * 60
MAX_SESSIONS = 1000  # only people who know a passphrase make them; still bounded
MAX_FAILURES = 5
LOCK_S = 15 * 60
MAX_TRACKED_NAMES = 10_000  # names anyone may try: the table of failures is capped


@dataclass(eq=False)
class Session:
    id: str
    name: str
    key: str  # the user's Ed25519 public key, hex
    role: str
    csrf: str
    secret: bytearray  # the user's private keys; zeroed when the session ends
    started: float
    seen: float

    def wipe(self) -> None:
        wipe(self.secret)


@dataclass(frozen=True)
class Lookup:
    session: Session | None
    expired: bool = False  # there was a session under that id, and it timed out just now


@dataclass
class SessionBook:
    idle_s: float = IDLE_S
    max_age_s: float = MAX_AGE_S
    capacity: int = MAX_SESSIONS
    sessions: OrderedDict[str, Session] = field(default_factory=OrderedDict)

    def open(self, name: str, key: str, role: str, secret: bytearray, now: float) -> Session:
        """A new session (always a new id: a login never continues an older one)."""
        self.sweep(now)
        session = Session(
            id=secrets.token_urlsafe(32),
            name=name,
            key=key,
            role=role,
            csrf=secrets.token_urlsafe(32),
            secret=secret,
            started=now,
            seen=now,
        )
        self.sessions[session.id] = session
        while len(self.sessions) > self.capacity:
            _id, oldest = self.sessions.popitem(last=False)
            oldest.wipe()
        return session

    def look_up(self, session_id: str | None, now: float) -> Lookup:
        """The live session under `session_id`, marked as used now; an expired one ends."""
        session = self.sessions.get(session_id or "")
        if session is None:
            return Lookup(None)
        if self._expired(session, now):
            self.end(session.id)
            return Lookup(None, expired=True)
        session.seen = max(session.seen, now)
        self.sessions.move_to_end(session.id)
        return Lookup(session)

    def end(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            session.wipe()

    def end_key(self, key: str) -> int:
        """End every session of a key (the user was disabled); returns how many."""
        ended = [s.id for s in self.sessions.values() if s.key == key]
        for session_id in ended:
            self.end(session_id)
        return len(ended)

    def sweep(self, now: float) -> int:
        """End the sessions that timed out, so their keys do not wait for a request."""
        expired = [s.id for s in self.sessions.values() if self._expired(s, now)]
        for session_id in expired:
            self.end(session_id)
        return len(expired)

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.seen >= self.idle_s or now - session.started >= self.max_age_s

    def __len__(self) -> int:
        return len(self.sessions)


def csrf_matches(session: Session, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(session.csrf.encode(), token.encode())


# ---- the login form's CSRF token (before there is a session) ---------------------------------


def login_token(secret: bytes, cookie: str) -> str:
    """The login form's token: bound to a random cookie of the same browser, so another site
    cannot post a login (and log the browser in to an account of its choosing). Nothing is
    kept on the server: a flood of login pages costs no memory."""
    mac = hmac.new(secret, b"dorfhub desk login\n" + cookie.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def login_token_ok(secret: bytes, cookie: str | None, token: str | None) -> bool:
    if not cookie or not token:
        return False
    return hmac.compare_digest(login_token(secret, cookie).encode(), token.encode())


# ---- lockout --------------------------------------------------------------------------------


@dataclass
class Failures:
    count: int
    last: float
    locked_until: float = 0.0


@dataclass
class LoginGuard:
    """After MAX_FAILURES failed logins in a row a name is locked for LOCK_S. Names are
    counted whether or not a user has them, so a lock says nothing about who exists."""

    max_failures: int = MAX_FAILURES
    lock_s: float = LOCK_S
    capacity: int = MAX_TRACKED_NAMES
    failures: OrderedDict[str, Failures] = field(default_factory=OrderedDict)

    def locked(self, name: str, now: float) -> bool:
        entry = self._current(name_key(name), now)
        return entry is not None and entry.locked_until > now

    def failed(self, name: str, now: float) -> bool:
        """Count a failed login; returns whether the name is locked now."""
        key = name_key(name)
        entry = self._current(key, now) or Failures(0, now)
        entry.count += 1
        entry.last = now
        if entry.count >= self.max_failures:
            entry.locked_until = now + self.lock_s
        self.failures[key] = entry
        self.failures.move_to_end(key)
        while len(self.failures) > self.capacity:
            self.failures.popitem(last=False)
        return entry.locked_until > now

    def succeeded(self, name: str) -> None:
        self.failures.pop(name_key(name), None)

    def _current(self, key: str, now: float) -> Failures | None:
        """The name's failures, forgotten once a lock has ended or LOCK_S passed without one:
        five typos spread over a week lock nobody."""
        entry = self.failures.get(key)
        if entry is None:
            return None
        since_last = now - entry.last
        over = entry.locked_until <= now if entry.locked_until else since_last >= self.lock_s
        if over:
            del self.failures[key]
            return None
        return entry
