"""Sessions, CSRF tokens, the lockout and the login rate, with an explicit clock (seconds)."""

from __future__ import annotations

import pytest

from admin.desk.sessions import (
    IDLE_S,
    LOCK_S,
    MAX_AGE_S,
    LoginGuard,
    SessionBook,
    csrf_matches,
    login_token,
    login_token_ok,
)
from admin.desk.web import SteadyClock, safe_next
from content.rate_limit import RateLimiter

T0 = 1_000_000.0
KEY = "ab" * 32


def secret() -> bytearray:
    return bytearray(range(64))


def test_a_session_lives_while_used_and_ends_after_30_idle_minutes() -> None:
    book = SessionBook()
    session = book.open("Anna Berger", KEY, "admin", secret(), T0)
    assert book.look_up(session.id, T0 + IDLE_S - 1).session is session
    # Used just now: another 30 minutes from here.
    assert book.look_up(session.id, T0 + 2 * IDLE_S - 2).session is session
    ended = book.look_up(session.id, T0 + 3 * IDLE_S - 2)
    assert ended.session is None
    assert ended.expired
    assert session.secret == bytearray(64)  # the key bytes are overwritten
    assert not book.look_up(session.id, T0 + 3 * IDLE_S).expired  # gone, not expired again


def test_a_session_ends_after_twelve_hours_however_busy() -> None:
    book = SessionBook()
    session = book.open("Anna Berger", KEY, "admin", secret(), T0)
    now = T0
    while now + 600 < T0 + MAX_AGE_S:
        now += 600
        assert book.look_up(session.id, now).session is session
    assert book.look_up(session.id, T0 + MAX_AGE_S).expired


def test_ending_sessions_wipes_their_keys() -> None:
    book = SessionBook(capacity=2)
    first = book.open("A", KEY, "admin", secret(), T0)
    second = book.open("B", "cd" * 32, "admin", secret(), T0 + 1)
    third = book.open("C", KEY, "admin", secret(), T0 + 2)  # over capacity: the oldest goes
    assert first.secret == bytearray(64)
    assert book.look_up(first.id, T0 + 3).session is None
    assert book.end_key(KEY) == 1  # the user disabled: every session of that key
    assert third.secret == bytearray(64)
    book.end(second.id)  # logout
    assert second.secret == bytearray(64)
    assert len(book) == 0


def test_sweep_ends_idle_sessions_without_a_request() -> None:
    book = SessionBook()
    idle = book.open("A", KEY, "admin", secret(), T0)
    book.open("B", KEY, "admin", secret(), T0 + IDLE_S - 10)
    assert book.sweep(T0 + IDLE_S + 1) == 1
    assert idle.secret == bytearray(64)
    assert len(book) == 1


def test_a_login_never_continues_an_older_session() -> None:
    book = SessionBook()
    ids = {book.open("A", KEY, "admin", secret(), T0).id for _ in range(3)}
    assert len(ids) == 3


def test_csrf_tokens() -> None:
    book = SessionBook()
    session, other = (book.open(n, KEY, "admin", secret(), T0) for n in ("A", "B"))
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, other.csrf)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, "")
    server = b"s" * 32
    token = login_token(server, "cookie-1")
    assert login_token_ok(server, "cookie-1", token)
    assert not login_token_ok(server, "cookie-2", token)  # another browser's cookie
    assert not login_token_ok(b"t" * 32, "cookie-1", token)  # from before a restart
    assert not login_token_ok(server, None, token)
    assert not login_token_ok(server, "cookie-1", None)


def test_five_failures_lock_a_name_for_fifteen_minutes() -> None:
    guard = LoginGuard()
    for attempt in range(4):
        assert not guard.failed("Lena Sperr", T0 + attempt)
    assert not guard.locked("Lena Sperr", T0 + 4)
    assert guard.failed("lena sperr", T0 + 4)  # names count case-insensitively
    assert guard.locked("LENA SPERR", T0 + 5)
    assert guard.locked("Lena Sperr", T0 + 4 + LOCK_S - 1)
    assert not guard.locked("Lena Sperr", T0 + 4 + LOCK_S)  # the lock ends ...
    assert not guard.failed("Lena Sperr", T0 + 4 + LOCK_S)  # ... and the count starts again


def test_failures_are_forgotten_after_success_or_a_quiet_quarter_hour() -> None:
    guard = LoginGuard()
    for attempt in range(4):
        guard.failed("Anna", T0 + attempt)
    guard.succeeded("Anna")
    assert not guard.failed("Anna", T0 + 10)
    for attempt in range(3):
        guard.failed("Bert", T0 + attempt)
    later = T0 + 2 + LOCK_S  # five typos spread over a week lock nobody
    assert not guard.failed("Bert", later)
    assert not guard.failed("Bert", later + 1)


def test_the_table_of_failures_is_bounded() -> None:
    guard = LoginGuard(capacity=100)
    for attempt in range(1000):
        guard.failed(f"name {attempt}", T0)
    assert len(guard.failures) == 100


def test_failed_logins_per_address_cost_a_token_successes_do_not() -> None:
    limiter = RateLimiter(rate=1 / 15, burst=3)
    for _ in range(10):
        assert limiter.ready("192.0.2.1", T0)  # looking takes nothing
    for _ in range(3):
        assert limiter.allow("192.0.2.1", T0)
    assert not limiter.ready("192.0.2.1", T0)
    assert limiter.ready("192.0.2.2", T0)  # per address
    assert limiter.ready("192.0.2.1", T0 + 15)  # one more every 15 s


def test_the_desk_clock_never_runs_back(monkeypatch: pytest.MonkeyPatch) -> None:
    wall, monotonic = [T0], [50.0]
    monkeypatch.setattr("admin.desk.web.time.time", lambda: wall[0])
    monkeypatch.setattr("admin.desk.web.time.monotonic", lambda: monotonic[0])
    clock = SteadyClock()
    assert clock() == T0
    wall[0], monotonic[0] = T0 - 3600, 60.0  # the wall clock set back an hour
    assert clock() == T0 + 10  # still runs as real time does: a session cannot last longer
    wall[0], monotonic[0] = T0 + 7200, 61.0  # NTP (or libfaketime) sets it forward
    assert clock() == T0 + 7200


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/desk/today/figures", "/desk/today/figures"),
        ("/desk/", "/desk/"),
        ("https://evil.example/desk/", "/desk/"),
        ("//evil.example/desk/", "/desk/"),
        ("/desk/\\evil", "/desk/"),
        ("/elsewhere", "/desk/"),
        ("/desk/\nSet-Cookie: x", "/desk/"),
        ("", "/desk/"),
        (None, "/desk/"),
    ],
)
def test_after_login_only_desk_pages(given: str | None, kept: str) -> None:
    assert safe_next("/desk", given) == kept
