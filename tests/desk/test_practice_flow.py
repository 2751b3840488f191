"""A practice's one real flow (issue 16), with real processes only: a `dorfhub serve` town
server and a `dorfhub hub` daemon for Ringelai syncing with it, and Debian's chromium driving
the desk (axe-core on every page).

A resident books at Ringelai's kiosk (the kiosk's own library call, on the hub's store while
its daemon runs); the town server confirms it. The practice logs in to the desk with its own
key's passphrase, finds the booking with the person's name, and cancels it with a reason. The
cancellation reaches the hub: its kiosk's views say "cancelled" with the practice's reason, and
so does a new slip. The town server tells the guides: a help request that a guide's key opens,
with the resident's name and phone and the practice's reason.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import msgspec
import pytest
from playwright.sync_api import Page, expect

from content import booking, grants
from content.booking import Person
from content.help import HelpRequestBody
from content.identity import Identity
from content.log import Log
from content.sealing import open_sealed
from content.store import Store
from node.home import Home
from tests.booking.privacy import assert_files_clean
from tests.desk.conftest import AxeChecker, DeskSite
from tests.desk.practice_world import HUBER, add_practices, book, practice_key, slots_of, status_of
from tests.sync.conftest import PeerProcess, running
from tests.sync.procs import Node, make_hubs, wait_for

RESIDENT = Person("Walburga Kreuzeder", "1938-02-17", "08555 918273", consent=True)
REASON = "Die Praxis ist an diesem Tag wegen Fortbildung geschlossen."
T = TypeVar("T")
SYNC_WAIT_S = 90.0  # generous: the machine is shared, and a hub starts in a few seconds


@dataclass
class Village:
    site: DeskSite
    town: Node
    hub: Node
    guide: Identity
    processes: dict[str, PeerProcess]

    def wait(self, check: Callable[[], T | None], what: str) -> T:
        try:
            return wait_for(check, SYNC_WAIT_S, what)
        except AssertionError as failure:
            logs = "\n".join(process.output() for process in self.processes.values())
            raise AssertionError(f"{failure}\n{logs}") from None


@pytest.fixture
def village(desk_home: Path, axe_checker: AxeChecker, tmp_path: Path) -> Iterator[Village]:
    """The desk's town with a practice (its key written by `practice add --key-out`, its desk
    login made from that key) and a guide, one hub made by `node init` and granted by `key
    grant`, the town served and the hub's daemon syncing with it."""
    town = Node("Stadtserver", tmp_path / "town")
    shutil.copytree(desk_home, town.home)
    add_practices(town.home, [HUBER], days=3)
    guide = Identity.generate("Frau Kern")
    with Store(town.db) as store:
        grants.grant(Log(store), Home(town.home).publisher(), guide.public, "guide", guide.name)
    (hub,) = make_hubs(town, Home(town.home).config.network_id, tmp_path, ("Ringelai",))
    with ExitStack() as stack:
        server = stack.enter_context(running(town.home))
        hub.set_server_url(server.url)
        daemon = stack.enter_context(running(hub.home, "hub"))
        site = DeskSite(server, axe_checker)
        yield Village(site, town, hub, guide, {"town": server, "hub": daemon})


def go(page: Page, site: DeskSite, click: Callable[[], object]) -> None:
    with page.expect_navigation():
        click()
    site.after_navigation(page)


def _slots_at(db: Path, practice: str) -> list[booking.Slot] | None:
    return slots_of(db, practice) or None


def _state(db: Path, request_id: str, state: str) -> booking.BookingStatus | None:
    status = status_of(db, request_id)
    return status if status is not None and status.state == state else None


def _guides_told(town_db: Path, guide: Identity, name: str) -> HelpRequestBody | None:
    """The help request the town server raised for the guides, opened with a guide's key."""
    with sqlite3.connect(f"file:{town_db}?mode=ro", uri=True) as conn:
        boxes = conn.execute(
            "SELECT body FROM ops WHERE kind = 'help.request' AND body IS NOT NULL"
        ).fetchall()
    for (box,) in boxes:
        body = msgspec.json.decode(open_sealed(box, guide), type=HelpRequestBody)
        if body.name == name:
            return body
    return None


def test_a_practice_cancels_a_booking_made_at_a_hub(page: Page, village: Village) -> None:
    site, hub = village.site, village.hub
    practice = practice_key(village.town.home, HUBER)
    slots = village.wait(partial(_slots_at, hub.db, practice), "the practice's slots at the hub")
    request_id = book(hub.db, Home(hub.home).identity(), slots[0].id, RESIDENT)
    confirmed = village.wait(partial(_state, hub.db, request_id, "confirmed"), "the decision")

    # The practice logs in and lands on its bookings, the person's data opened in its session.
    site.log_in(page, HUBER.login)
    expect(page.get_by_role("heading", level=1)).to_have_text("Buchungen")
    row = page.locator(f"#booking-{request_id[-8:]}")
    expect(row).to_contain_text(RESIDENT.name)
    expect(row).to_contain_text("geb. 17.02.1938")
    expect(row).to_contain_text(RESIDENT.phone)
    expect(row).to_contain_text(f"Code {confirmed.code}")
    expect(row).to_contain_text("Ringelai")

    # Cancel it: a page of its own asks for the reason first, and says who learns of it.
    go(page, site, row.get_by_role("link", name=f"Absagen: {RESIDENT.name}").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Buchung absagen")
    go(page, site, page.get_by_role("button", name="Buchung absagen").click)
    expect(page.locator("#error-reason")).to_have_text("Bitte geben Sie einen Grund an.")
    page.get_by_label("Grund").fill(REASON)
    go(page, site, page.get_by_role("button", name="Buchung absagen").click)
    expect(page.get_by_role("status")).to_contain_text("Die Buchung ist abgesagt.")
    cancelled = page.locator("section[aria-labelledby=bookings-cancelled]")
    expect(cancelled).to_contain_text(RESIDENT.name)
    expect(cancelled).to_contain_text(f"Grund: {REASON}")

    # The hub learns it: what its kiosk reads says cancelled, with the practice's reason.
    status = village.wait(partial(_state, hub.db, request_id, "cancelled"), "the cancel at the hub")
    assert status.cancel_reason == REASON
    with sqlite3.connect(f"file:{hub.db}?mode=ro", uri=True) as conn:
        slip = booking.slip(conn, request_id, "de")
    assert (slip.state, slip.cancel_reason, slip.code) == ("cancelled", REASON, None)

    # The guides are told: a call-back with the name, the phone and the practice's reason.
    told = village.wait(
        partial(_guides_told, village.town.db, village.guide, RESIDENT.name), "the call-back"
    )
    assert told.phone == RESIDENT.phone
    assert told.hub.startswith("Ringelai: Arzttermin abgesagt (Die Praxis ist an diesem Tag")

    # Nothing of the person reached a file of the hub, nor the town's disk or log in clear.
    assert_files_clean([hub.home], [RESIDENT])
    assert_files_clean([village.town.home, village.processes["town"].log_path], [RESIDENT])
