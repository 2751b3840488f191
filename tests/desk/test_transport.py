"""The desk needs TLS, except from the server's own machine; and each client address may fail
to log in only so often.

Tests may use no address but 127.0.0.1, so a client elsewhere is made two ways: the desk app
called with the ASGI scope of such a request (as uvicorn calls it), and real requests through
the real server that name another client in X-Forwarded-For, which the server believes from
loopback only, as it believes a reverse proxy on its own machine (docs/town-server.md).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, expect

from admin.desk import desk_app
from admin.desk.app import transport_refused
from tests.desk.conftest import ANNA, WAIT_MS, DeskSite, Login

REFUSED = "Der Dorfhub-Schreibtisch ist nur über eine verschlüsselte Verbindung (HTTPS)"
ELSEWHERE = ("203.0.113.9", 40000)


def scope(
    client: tuple[str, int] | None, scheme: str = "http", path: str = "/desk/login", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "/desk",
        "headers": [],
        "client": client,
        "server": ("127.0.0.1", 8470),
        **extra,
    }


@pytest.mark.parametrize(
    ("client", "scheme", "refused"),
    [
        (ELSEWHERE, "http", True),
        (ELSEWHERE, "https", False),
        (("127.0.0.1", 40000), "http", False),
        (("127.8.9.10", 40000), "http", False),
        (("::1", 40000), "http", False),
        (("192.168.1.20", 40000), "http", True),  # the town hall's LAN is "elsewhere" too
        (None, "http", True),  # nothing vouches for a client without an address
        (("unix-socket", 0), "http", True),
    ],
)
def test_only_tls_or_loopback_is_served(
    client: tuple[str, int] | None, scheme: str, refused: bool
) -> None:
    assert transport_refused(scope(client, scheme)) is refused


def _call(app: Any, request: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # A thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(request, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body.decode()


def test_the_desk_app_refuses_plain_http_from_elsewhere_and_ends_that_session(
    desk_home: Any,
) -> None:
    app = desk_app(desk_home, desk_home / "dorfhub.db")
    status, headers, body = _call(app, scope(ELSEWHERE, "http"))
    assert status == 403
    assert REFUSED in body
    assert "set-cookie" not in headers  # not even a login form's cookie goes out
    status, _headers, body = _call(app, scope(ELSEWHERE, "https"))
    assert status == 200
    assert 'name="passphrase"' in body

    # A session cookie that came in clear text over the network: that session is over.
    sessions = app.state.desk.sessions
    session = sessions.open(ANNA.name, "a" * 64, "admin", bytearray(b"k" * 64), 0.0)
    cookie = [(b"cookie", f"dorfhub_desk_session={session.id}".encode())]
    _call(app, scope(ELSEWHERE, "http", path="/desk/", headers=cookie))
    assert session.id not in sessions.sessions
    assert session.secret == bytearray(64)  # and its key bytes are wiped


def test_a_real_request_from_elsewhere_in_plain_http_is_refused(desk: DeskSite) -> None:
    answer = requests.get(
        desk.url("/login"), headers={"X-Forwarded-For": "203.0.113.9"}, timeout=30
    )
    assert answer.status_code == 403
    assert REFUSED in answer.text
    assert "set-cookie" not in answer.headers
    # The same client through a reverse proxy that speaks TLS to it (Caddy on this machine).
    proxied = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    answer = requests.get(desk.url("/login"), headers=proxied, timeout=30)
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def test_the_refusal_is_a_clear_page(browser: Browser, desk: DeskSite) -> None:
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        desk.visit(page, "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Nur über HTTPS")
        expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    finally:
        context.close()


def _login_attempt(desk: DeskSite, address: str, user: Login) -> requests.Response:
    """One login, as a browser at `address` behind a TLS proxy on the server's machine sends
    it (the cookies are Secure, so they are passed by hand over this test's plain HTTP)."""
    headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
    form = requests.get(desk.url("/login"), headers=headers, timeout=30)
    login_cookie = form.headers["set-cookie"].split(";")[0]
    token = form.text.split('name="csrf" value="')[1].split('"')[0]
    return requests.post(
        desk.url("/login"),
        headers={**headers, "Cookie": login_cookie},
        data={"csrf": token, "name": user.name, "passphrase": user.passphrase, "next": "/desk/"},
        allow_redirects=False,
        timeout=60,
    )


def test_each_address_may_fail_only_so_often(desk: DeskSite) -> None:
    address = "198.51.100.20"
    # Twenty different names: no name locks, only the address spends its failures.
    for attempt in range(20):
        answer = _login_attempt(desk, address, Login(f"Rate {attempt}", "x" * 12))
        assert answer.status_code == 401, answer.text
    # The bucket refills (one failure every 15 s), so on a slow machine it may take a few
    # more failures; a login that succeeds costs nothing. Then even the right passphrase waits.
    for attempt in range(20, 60):
        right = _login_attempt(desk, address, ANNA)
        if right.status_code == 429:
            break
        assert right.status_code == 303
        _login_attempt(desk, address, Login(f"Rate {attempt}", "x" * 12))
    else:
        raise AssertionError("the address was never refused")
    assert "Zu viele Fehlversuche von diesem Gerät" in right.text
    elsewhere = _login_attempt(desk, "198.51.100.21", ANNA)  # another address is not affected
    assert elsewhere.status_code == 303
    assert "Secure" in elsewhere.headers["set-cookie"]
