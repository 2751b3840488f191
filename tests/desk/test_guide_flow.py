"""A guide's one real flow (issue 16), with real processes only: a `dorfhub serve` town server
and a `dorfhub hub` daemon for Ringelai syncing with it, and Debian's chromium driving the desk
(axe-core on every page).

A resident asks for help at Ringelai's kiosk (the kiosk's own library call, on the hub's store
while its daemon runs). The guide, logged in already, sees the request appear in the open list
without reloading (htmx), with the name and phone opened in its session, and marks it done; the
hub's kiosk views see it done. The guide publishes an office hour, and the hub's help screen
lists it. On a phone's screen (390 × 844) no guide page scrolls sideways and every target is at
least 44 px.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Page, expect

from content import booking
from content.booking import Person
from content.clock import wall_clock_ms
from content.help import guide_office_hours, help_requests_for_hub
from content.identity import Identity
from content.local_time import local
from content.log import Log
from content.store import Store
from node.home import Home
from tests.booking.privacy import assert_files_clean
from tests.desk.conftest import WAIT_MS, AxeChecker, DeskSite
from tests.desk.guide_world import KERN, add_guides, ask_for_help
from tests.desk.practice_world import HUBER, add_practices, practice_key, slots_of, status_of
from tests.sync.conftest import PeerProcess, running
from tests.sync.procs import Node, make_hubs, wait_for

RESIDENT = Person("Walburga Kreuzeder", "1938-02-17", "08555 918273", consent=True)
T = TypeVar("T")
SYNC_WAIT_S = 90.0  # generous: the machine is shared, and a hub starts in a few seconds
PHONE = {"width": 390, "height": 844}


@dataclass
class Village:
    site: DeskSite
    town: Node
    hub: Node
    processes: dict[str, PeerProcess]

    def wait(self, check: Callable[[], T | None], what: str) -> T:
        try:
            return wait_for(check, SYNC_WAIT_S, what)
        except AssertionError as failure:
            logs = "\n".join(process.output() for process in self.processes.values())
            raise AssertionError(f"{failure}\n{logs}") from None

    @property
    def hub_key(self) -> Identity:
        return Home(self.hub.home).identity()


@pytest.fixture(scope="module")
def village(
    desk_home: Path, axe_checker: AxeChecker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Village]:
    """The desk's town with a practice and a guide for the group "Ilzer Land" (made by `desk
    user add --role guide --group`), one hub made by `node init` and granted into that group
    by `key grant`, the town served and the hub's daemon syncing with it."""
    directory = tmp_path_factory.mktemp("guide-flow")
    town = Node("Stadtserver", directory / "town")
    shutil.copytree(desk_home, town.home)
    (hub,) = make_hubs(town, Home(town.home).config.network_id, directory, ("Ringelai",))
    add_guides(town.home, [KERN])
    add_practices(town.home, [HUBER], days=3)
    with ExitStack() as stack:
        server = stack.enter_context(running(town.home))
        hub.set_server_url(server.url)
        daemon = stack.enter_context(running(hub.home, "hub"))
        site = DeskSite(server, axe_checker)
        yield Village(site, town, hub, {"town": server, "hub": daemon})


def go(page: Page, site: DeskSite, click: Callable[[], object]) -> None:
    with page.expect_navigation():
        click()
    site.after_navigation(page)


def _hub_state(village: Village, request_id: str) -> str | None:
    with sqlite3.connect(f"file:{village.hub.db}?mode=ro", uri=True) as conn:
        requests = help_requests_for_hub(conn, village.hub_key)
    found = [request.state for request in requests if request.id == request_id]
    return found[0] if found and found[0] == "done" else None


def _office_hours_at_hub(village: Village) -> list[str] | None:
    with sqlite3.connect(f"file:{village.hub.db}?mode=ro", uri=True) as conn:
        return guide_office_hours(conn, "Ringelai", wall_clock_ms()) or None


def test_a_guide_marks_a_request_made_at_a_hub_done(page: Page, village: Village) -> None:
    site = village.site
    site.log_in(page, KERN.login)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hilfeanfragen")
    expect(page.locator("main")).to_contain_text("Ihre Hubs: Ringelai")

    # A resident asks at the kiosk; the open list shows it without a reload.
    request_id = ask_for_help(village.hub.db, village.hub_key, RESIDENT.name, RESIDENT.phone)
    card = page.locator(f"#request-{request_id[-12:]}")
    expect(card).to_contain_text(RESIDENT.name, timeout=SYNC_WAIT_S * 1000)
    expect(card).to_contain_text(RESIDENT.phone)
    expect(card).to_contain_text("Ringelai")
    site.checker.check(page)

    go(page, site, card.get_by_role("button", name=f"Erledigt: {RESIDENT.name}").click)
    expect(page.get_by_role("status")).to_contain_text("als erledigt markiert")
    done = page.locator("section[aria-labelledby=requests-done]")
    expect(done).to_contain_text(RESIDENT.name)
    expect(done).to_contain_text("von Frau Kern")

    # The hub learns it: its guide mode lists the request as done.
    village.wait(partial(_hub_state, village, request_id), "the request done at the hub")
    # The person's name reached no file of the town in clear (the hub's own kiosk key and
    # erasure are tests/privacy's).
    assert_files_clean([village.town.home, village.processes["town"].log_path], [RESIDENT])


def test_a_guide_publishes_office_hours_that_the_hubs_kiosk_lists(
    page: Page, village: Village
) -> None:
    site = village.site
    site.log_in(page, KERN.login)
    go(page, site, page.get_by_role("link", name="Sprechstunden").click)
    go(page, site, page.get_by_role("link", name="Neue Sprechstunde").click)
    # Refused first: nothing typed.
    go(page, site, page.get_by_role("button", name="Sprechstunde veröffentlichen").click)
    expect(page.locator("#error-day")).to_have_text("Bitte geben Sie den Tag an.")
    expect(page.locator("#error-place")).to_have_text("Bitte geben Sie den Ort an.")
    tomorrow = local(wall_clock_ms()).date() + timedelta(days=1)
    page.locator("#field-day").fill(tomorrow.isoformat())
    page.locator("#field-start").fill("14:00")
    page.locator("#field-end").fill("16:00")
    page.get_by_label("Ort").fill("Dorfgemeinschaftshaus Ringelai")
    expect(page.get_by_label("Ilzer Land")).to_be_checked()  # the guide's one group
    go(page, site, page.get_by_role("button", name="Sprechstunde veröffentlichen").click)
    expect(page.get_by_role("status")).to_contain_text("Die Sprechstunde ist veröffentlicht")
    expect(page.locator("main")).to_contain_text("Dorfgemeinschaftshaus Ringelai")

    lines = village.wait(partial(_office_hours_at_hub, village), "the office hour at the hub")
    assert lines[0].startswith(f"{['Mo', 'Di', 'Mi', 'Do', 'Fr', 'Sa', 'So'][tomorrow.weekday()]} ")
    assert "14:00–16:00 Uhr, Dorfgemeinschaftshaus Ringelai" in lines[0]


def _book_on_behalf(village: Village) -> str:
    practice = practice_key(village.town.home, HUBER)
    slots = village.wait(lambda: slots_of(village.hub.db, practice) or None, "slots at the hub")
    with Store(village.hub.db) as store:
        request_id = booking.request_booking(
            Log(store), village.hub_key, slots[0].id, RESIDENT, on_behalf=True, guide="Frau Kern"
        )
    village.wait(lambda: status_of(village.town.db, request_id), "the booking at the town")
    return request_id


OVERSIZE_SCRIPT = """() => {
  const small = [];
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea')) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = document.querySelector(`label[for="${el.id}"]`) || el;
    }
    const box = target.getBoundingClientRect();
    if (box.width === 0 || box.bottom < 0) continue;  // not shown; the skip link until focused
    if (box.width < 44 || box.height < 44) {
      small.push(`${el.tagName} "${(el.textContent || el.name).trim().slice(0, 40)}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return {sideways: document.documentElement.scrollWidth - window.innerWidth, small};
}"""


def check_phone_layout(page: Page) -> None:
    found: dict[str, Any] = page.evaluate(OVERSIZE_SCRIPT)
    assert found["sideways"] <= 0, f"{page.url} scrolls sideways by {found['sideways']} px"
    assert not found["small"], f"{page.url}: targets under 44 px: {found['small']}"


def test_on_a_phone_no_guide_page_scrolls_sideways_and_targets_are_large(
    browser: Browser, village: Village
) -> None:
    site = village.site
    request_id = ask_for_help(village.hub.db, village.hub_key, "Xaver Obermeier", "08555 4711")
    _book_on_behalf(village)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        site.log_in(page, KERN.login)
        card = page.locator(f"#request-{request_id[-12:]}")
        expect(card).to_contain_text("Xaver Obermeier", timeout=SYNC_WAIT_S * 1000)
        site.visit(page, "/guide")
        check_phone_layout(page)
        site.visit(page, "/guide/bookings")
        expect(page.locator("main")).to_contain_text("im Lotsenmodus am Kiosk Ringelai")
        check_phone_layout(page)
        site.visit(page, "/guide/hours/new")
        check_phone_layout(page)
        go(page, site, page.get_by_role("button", name="Sprechstunde veröffentlichen").click)
        expect(page.locator("#error-day")).to_be_visible()
        check_phone_layout(page)
        site.visit(page, "/guide/hours")
        check_phone_layout(page)
        withdraw = page.get_by_role("link", name="Zurückziehen").first
        if withdraw.count():
            go(page, site, withdraw.click)
            check_phone_layout(page)
        go(page, site, page.get_by_role("link", name="English").click)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_phone_layout(page)
    finally:
        context.close()
