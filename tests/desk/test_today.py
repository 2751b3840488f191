"""The start page ("Heute"): its figures come from the log, htmx refreshes them as a fragment
without reloading the page, and the whole page works with JavaScript off."""

from __future__ import annotations

import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.desk.conftest import ANNA, WAIT_MS, DeskSite
from tests.node.cli import run_dorfhub


def count(page: Page, what: str) -> int:
    return int(page.locator(f"#count-{what}").inner_text())


def publish_notice(desk: DeskSite, title: str) -> None:
    run_dorfhub("notice", "publish", "--title", title, "--body", "Text", home=desk.server.home)


def ask_to_enroll(desk: DeskSite, name: str) -> None:
    """A new hub asks the town server to enroll it (a real `node init --server`)."""
    home = desk.server.home.parent / name.lower()
    out = run_dorfhub(
        "node", "init", "--role", "hub", "--name", name, "--server", desk.server.url, home=home
    ).stdout
    assert "pairing code" in out


def test_the_figures_refresh_in_place(page: Page, context: BrowserContext, desk: DeskSite) -> None:
    desk.log_in(page, ANNA)
    notices, waiting = count(page, "notices"), count(page, "enrollments")
    page.evaluate("window.deskTestMarker = 'same page'")
    publish_notice(desk, "Seniorennachmittag im Pfarrheim")
    ask_to_enroll(desk, "Schönberg")
    page.get_by_role("button", name="Aktualisieren").click()
    expect(page.locator("#count-notices")).to_have_text(str(notices + 1), timeout=WAIT_MS)
    expect(page.locator("#count-enrollments")).to_have_text(str(waiting + 1))
    assert page.evaluate("window.deskTestMarker") == "same page"  # no reload: a fragment
    expect(page.get_by_role("button", name="Aktualisieren")).to_be_focused()
    desk.after_navigation(page)  # the page as htmx left it passes axe too
    # Unchanged figures are not sent again (and a screen reader hears nothing).
    fragment = page.locator("#figures").get_attribute("hx-get")
    assert fragment is not None
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    answer = requests.get(
        f"{desk.server.url}{fragment}", cookies=cookies, headers={"HX-Request": "true"}, timeout=30
    )
    assert answer.status_code == 204
    changed = requests.get(
        f"{desk.server.url}/desk/today/figures?seen=0",
        cookies=cookies,
        headers={"HX-Request": "true"},
        timeout=30,
    )
    assert changed.status_code == 200
    assert changed.text.lstrip().startswith('<section id="figures"')
    assert "<html" not in changed.text


def test_a_fragment_without_a_session_sends_htmx_to_the_login_page(desk: DeskSite) -> None:
    answer = requests.get(
        desk.url("/today/figures?seen=0"), headers={"HX-Request": "true"}, timeout=30
    )
    # No session: htmx is told to load the login page whole, not to swap it into the figures.
    assert answer.status_code == 200
    assert answer.headers["HX-Redirect"].startswith("/desk/login?")
    assert answer.text == ""


def test_the_start_page_works_without_javascript(
    page_without_javascript: Page, desk: DeskSite
) -> None:
    page = page_without_javascript
    desk.visit(page, "/")
    desk.log_in(page, ANNA)
    expect(page.get_by_role("heading", level=1)).to_have_text("Heute")
    notices = count(page, "notices")
    publish_notice(desk, "Christbaumversteigerung")
    with page.expect_navigation():  # a plain GET form: the whole page comes again
        page.get_by_role("button", name="Aktualisieren").click()
    desk.after_navigation(page)
    assert count(page, "notices") == notices + 1
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    desk.after_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    desk.after_navigation(page)
    expect(page.get_by_role("status")).to_have_text("You have logged out.")
