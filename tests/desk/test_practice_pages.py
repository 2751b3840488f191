"""A practice's slots and calendar pages in Debian's chromium (axe-core on every page): its
series, publishing a new one (errors beside their fields and nothing stored first), withdrawing
a slot, and its feed link made anew and shown again from the copy sealed to the practice.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from admin.desk.accounts import USERS_DIR
from admin.desk.practice_feed import link_file
from content.clock import wall_clock_ms
from content.local_time import local
from tests.desk.conftest import AxeChecker, DeskSite
from tests.desk.practice_world import HUBER, add_practices, copy_home, practice_key, slots_of
from tests.sync.conftest import PeerProcess, running


@dataclass
class PracticeDesk:
    site: DeskSite
    home: Path
    practice: str

    @property
    def db(self) -> Path:
        return self.home / "dorfhub.db"


@pytest.fixture(scope="module")
def served(desk_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PeerProcess]:
    home = copy_home(desk_home, tmp_path_factory.mktemp("practice-pages") / "town")
    add_practices(home, [HUBER], days=2)
    with running(home) as server:
        yield server


@pytest.fixture
def desk(served: PeerProcess, axe_checker: AxeChecker) -> PracticeDesk:
    return PracticeDesk(
        DeskSite(served, axe_checker), served.home, practice_key(served.home, HUBER)
    )


def go(page: Page, site: DeskSite, click: Callable[[], object]) -> None:
    with page.expect_navigation():
        click()
    site.after_navigation(page)


def _today() -> date:
    return local(wall_clock_ms()).date()


def test_publish_a_series_after_its_errors_are_shown(page: Page, desk: PracticeDesk) -> None:
    site = desk.site
    site.log_in(page, HUBER.login)
    go(page, site, page.get_by_role("link", name="Termine", exact=True).click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Termine")
    expect(page.locator(".series-table")).to_contain_text("09:30 Uhr")
    before = len(slots_of(desk.db, desk.practice))

    go(page, site, page.get_by_role("link", name="Neue Terminserie veröffentlichen").click)
    page.get_by_label("Erster Tag").fill((_today() - timedelta(days=1)).isoformat())
    page.get_by_label("Letzter Tag").fill((_today() + timedelta(days=20)).isoformat())
    page.get_by_label("Uhrzeiten").fill("14:00, 14:10")
    go(page, site, page.get_by_role("button", name="Veröffentlichen").click)
    expect(page.locator("#error-weekdays")).to_have_text(
        "Bitte wählen Sie mindestens einen Wochentag."
    )
    expect(page.locator("#error-first")).to_have_text("Der erste Tag liegt in der Vergangenheit.")
    expect(page.locator("#error-times")).to_contain_text("mindestens 25 Minuten")
    expect(page.get_by_label("Uhrzeiten")).to_have_value("14:00, 14:10")  # kept as typed
    assert len(slots_of(desk.db, desk.practice)) == before  # nothing stored

    first = _today() + timedelta(days=7)
    last = first + timedelta(days=13)  # two whole weeks: each weekday twice
    page.get_by_label("Montag").check()
    page.get_by_label("Mittwoch").check()
    page.get_by_label("Erster Tag").fill(first.isoformat())
    page.get_by_label("Letzter Tag").fill(last.isoformat())
    page.get_by_label("Uhrzeiten").fill("14:00, 14:30")
    page.get_by_label("Telefonrückruf").check()
    go(page, site, page.get_by_role("button", name="Veröffentlichen").click)
    expect(page.get_by_role("status")).to_have_text("8 Termine sind veröffentlicht.")
    expect(page.locator(".series-table")).to_contain_text("Montag, 14:30 Uhr")
    published = [s for s in slots_of(desk.db, desk.practice) if s.service.id == "phone"]
    assert len(published) == 8
    assert {s.local_start().weekday() for s in published} == {0, 2}
    assert {f"{s.local_start():%H:%M}" for s in published} == {"14:00", "14:30"}


def test_withdraw_a_slot_with_a_reason(page: Page, desk: PracticeDesk) -> None:
    site = desk.site
    site.log_in(page, HUBER.login)
    site.visit(page, "/practice/slots")
    slot = slots_of(desk.db, desk.practice)[0]
    row = page.locator(f"#slot-{slot.id[-10:]}")
    go(page, site, row.get_by_role("link").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin zurückziehen")
    page.get_by_label("Grund (freiwillig)").fill("Urlaub")
    go(page, site, page.get_by_role("button", name="Endgültig zurückziehen").click)
    expect(page.get_by_role("status")).to_have_text("Der Termin ist zurückgezogen.")
    expect(page.locator(f"#slot-{slot.id[-10:]}")).to_contain_text("zurückgezogen")
    (after,) = [s for s in slots_of(desk.db, desk.practice) if s.id == slot.id]
    assert after.withdrawn


def test_a_new_feed_link_is_shown_and_works(page: Page, desk: PracticeDesk) -> None:
    site = desk.site
    site.log_in(page, HUBER.login)
    go(page, site, page.get_by_role("link", name="Kalender", exact=True).click)
    # `practice add` made the first token: only its hash is here, so the desk cannot show it.
    expect(page.locator("main")).to_contain_text("außerhalb des Schreibtischs erstellt")
    go(page, site, page.get_by_role("button", name="Neuen Link erstellen").click)
    expect(page.get_by_role("status")).to_contain_text("Der neue Link ist erstellt")
    url = page.locator("#feed-bookings").inner_text()
    assert url.startswith(f"{site.server.url}/feeds/")
    assert url.endswith("/bookings.ics")
    calendar = requests.get(url, timeout=30)
    assert calendar.status_code == 200
    assert calendar.text.startswith("BEGIN:VCALENDAR")

    # Shown again on the next visit, from the copy sealed to the practice alone: 0600, and the
    # token is nowhere in it in clear.
    site.visit(page, "/practice/feed")
    expect(page.locator("#feed-bookings")).to_have_text(url)
    token = url.split("/feeds/")[1].split("/")[0]
    sealed = link_file(desk.home / USERS_DIR, desk.practice)
    assert stat.S_IMODE(sealed.stat().st_mode) == 0o600
    assert token.encode() not in sealed.read_bytes()

    # Another new link: the old one stops working at once.
    go(page, site, page.get_by_role("button", name="Neuen Link erstellen").click)
    assert page.locator("#feed-bookings").inner_text() != url
    assert requests.get(url, timeout=30).status_code == 404


def test_the_practice_pages_in_english(page: Page, desk: PracticeDesk) -> None:
    site = desk.site
    site.log_in(page, HUBER.login)
    go(page, site, page.get_by_role("link", name="English").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bookings")
    for path, heading in (
        ("/practice/slots", "Slots"),
        ("/practice/slots/new", "Publish a series of slots"),
        ("/practice/feed", "Calendar"),
    ):
        site.visit(page, path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
