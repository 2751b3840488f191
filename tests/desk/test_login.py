"""Logging in and out of the desk in a real browser, against a real `dorfhub serve`: the right
passphrase, a wrong one, the lockout after five, a form without its CSRF token, and a user
disabled by another process while logged in. Every page visited passes axe-core."""

from __future__ import annotations

import json

from playwright.sync_api import BrowserContext, Page, expect

from tests.desk.conftest import ANNA, DIETER, LENA, DeskSite, Login
from tests.node.cli import run_dorfhub

WRONG = "Name oder Passphrase stimmen nicht. Bitte versuchen Sie es noch einmal."
LOCKED = "Zu viele Fehlversuche: Die Anmeldung mit diesem Namen ist für 15 Minuten gesperrt."


def alert_text(page: Page) -> str:
    return page.locator(".problem[role=alert] p").inner_text()


def session_cookie(context: BrowserContext) -> dict[str, object]:
    cookies = [c for c in context.cookies() if c["name"] == "dorfhub_desk_session"]
    assert len(cookies) == 1, cookies
    return dict(cookies[0])


def test_log_in_and_out(page: Page, context: BrowserContext, desk: DeskSite) -> None:
    desk.visit(page, "/")
    assert "/desk/login" in page.url  # no session: the login form, and back here after it
    desk.log_in(page, ANNA)
    assert page.url == desk.url("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Heute")
    expect(page.locator(".who")).to_have_text("Angemeldet als Anna Berger")
    cookie = session_cookie(context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # plain HTTP on loopback; Secure under TLS (test_transport)
    assert cookie["path"] == "/desk/"

    with page.expect_navigation():
        page.get_by_role("button", name="Abmelden").click()
    desk.after_navigation(page)
    expect(page.get_by_role("status")).to_have_text("Sie haben sich abgemeldet.")
    # The session ended on the server: its cookie, sent again, opens nothing.
    context.add_cookies(
        [{"name": "dorfhub_desk_session", "value": str(cookie["value"]), "url": desk.url("/")}]
    )
    desk.visit(page, "/")
    assert "/desk/login" in page.url


def test_a_wrong_passphrase_and_an_unknown_name_get_the_same_answer(
    page: Page, desk: DeskSite
) -> None:
    desk.log_in(page, ANNA, passphrase="Sonnenblume-am-Dorfplatz-8")
    assert "/desk/login" in page.url
    assert alert_text(page) == WRONG
    expect(page.get_by_label("Name")).to_have_value("Anna Berger")  # kept
    expect(page.get_by_label("Passphrase")).to_have_value("")  # never sent back
    desk.log_in(page, Login("Niemand Bekanntes", ANNA.passphrase))
    assert alert_text(page) == WRONG
    desk.log_in(page, ANNA)
    expect(page.get_by_role("heading", level=1)).to_have_text("Heute")


def test_errors_stand_beside_their_fields_in_german(page: Page, desk: DeskSite) -> None:
    desk.log_in(page, Login("", ""), passphrase="")
    name, passphrase = page.get_by_label("Name"), page.get_by_label("Passphrase")
    for field, text in (
        (name, "Bitte geben Sie Ihren Namen ein."),
        (passphrase, "Bitte geben Sie Ihre Passphrase ein."),
    ):
        expect(field).to_have_attribute("aria-invalid", "true")
        error = page.locator(f"#{field.get_attribute('aria-describedby')}")
        expect(error).to_have_text(text)
        expect(error).to_have_attribute("role", "alert")


def test_five_wrong_passphrases_lock_the_name(page: Page, desk: DeskSite) -> None:
    for attempt in range(1, 6):
        desk.log_in(page, LENA, passphrase=f"falsch-geraten-{attempt}")
        assert alert_text(page) == (LOCKED if attempt == 5 else WRONG)
    desk.log_in(page, LENA)  # the right passphrase, while locked
    assert alert_text(page) == LOCKED
    assert "/desk/login" in page.url
    # A name nobody has locks the same way: the lock says nothing about who exists.
    for attempt in range(1, 6):
        desk.log_in(page, Login("Gibt Es Nicht", f"falsch-geraten-{attempt}"))
    assert alert_text(page) == LOCKED
    # The lock's end (15 minutes) is tested with an explicit clock: test_sessions.py.


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    page: Page, context: BrowserContext, desk: DeskSite
) -> None:
    desk.log_in(page, ANNA)
    page.locator("form.logout input[name=csrf]").evaluate("input => input.remove()")
    with page.expect_navigation():
        page.get_by_role("button", name="Abmelden").click()
    desk.after_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Formular abgelehnt")
    assert "Es wurde nichts geändert." in page.get_by_role("alert").inner_text()
    desk.visit(page, "/")  # still logged in: the logout did not happen
    expect(page.get_by_role("heading", level=1)).to_have_text("Heute")

    # A token of another session is no better.
    page.locator("form.logout input[name=csrf]").evaluate(
        "input => input.value = 'x' + input.value"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Abmelden").click()
    desk.after_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Formular abgelehnt")

    # The login form carries one too (bound to a cookie of this browser).
    other = context.browser.new_context() if context.browser else None
    assert other is not None
    try:
        fresh = other.new_page()
        desk.visit(fresh, "/login")
        fresh.locator("form.login input[name=csrf]").evaluate("input => input.remove()")
        desk.log_in(fresh, ANNA)
        assert "nicht mehr gültig" in alert_text(fresh)
        assert not [c for c in other.cookies() if c["name"] == "dorfhub_desk_session"]
    finally:
        other.close()


def test_a_user_disabled_mid_session_is_logged_out_at_the_next_click(
    page: Page, desk: DeskSite
) -> None:
    desk.log_in(page, DIETER)
    expect(page.locator(".who")).to_have_text("Angemeldet als Dieter Weggang")
    done = run_dorfhub("desk", "user", "disable", DIETER.name, home=desk.server.home)
    assert "disabled desk user Dieter Weggang" in done.stdout
    with page.expect_navigation():
        page.get_by_role("link", name="Heute").click()
    desk.after_navigation(page)
    assert "/desk/login" in page.url
    expect(page.get_by_role("status")).to_have_text(
        "Ihr Zugang wurde deaktiviert. Sie wurden abgemeldet."
    )
    desk.log_in(page, DIETER)  # the right passphrase no longer opens the desk
    assert alert_text(page).startswith("Dieser Zugang ist deaktiviert.")
    listed = json.loads(run_dorfhub("desk", "user", "list", "--json", home=desk.server.home).stdout)
    assert {row["name"]: row["state"] for row in listed}[DIETER.name] == "disabled"


def test_the_language_switch_is_kept_per_browser(
    page: Page, context: BrowserContext, desk: DeskSite
) -> None:
    desk.visit(page, "/login")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    desk.after_navigation(page)
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    desk.log_in(page, ANNA)
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    expect(page.locator(".who")).to_have_text("Signed in as Anna Berger")
    expect(page.locator("#figures h2")).to_have_text("At a glance")
    second = context.new_page()  # the same browser: still English
    desk.visit(second, "/")
    expect(second.get_by_role("heading", level=1)).to_have_text("Today")
    with second.expect_navigation():
        second.get_by_role("link", name="Deutsch").click()
    desk.after_navigation(second)
    assert second.url == desk.url("/")  # back where the switch was clicked
    expect(second.get_by_role("heading", level=1)).to_have_text("Heute")
    assert second.locator("html").get_attribute("lang") == "de"
    languages = [c["value"] for c in context.cookies() if c["name"] == "dorfhub_desk_lang"]
    assert languages == ["de"]
