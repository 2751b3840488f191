"""One real flow through the desk and the network (issue 15), with real processes only: a
`dorfhub serve` town server and two `dorfhub hub` daemons, each with its own home, syncing with
the town over 127.0.0.1, and Debian's chromium driving the desk (axe-core on every page).

An administrator logs in, publishes a notice for one hub through the editor, and the notice is
on that hub's `dorfhub notice list` and not on the other hub's, although the other hub provably
holds everything the town held after the publish (so its absence is the targeting, not a lag).
The notice's poster is downloaded from the notice's page and read back: its title with
pdftotext, its QR code with zbarimg, holding the title and the text as the poster code puts
them. The notice is then retracted at the desk with a reason, and once the hub has synced past
the retraction it is gone from its `notice list` as well.

The poster is printed before retracting: the desk serves posters of live notices only, and the
retracted notice's poster is the 404 page (as `dorfhub notice poster` refuses it too). That is
what a town hall wants: a withdrawn notice must not go up on a paper board again.

Dates are typed relative to the town server's own clock in Europe/Berlin (yesterday until a
month on), so the test passes at any hour, on any day.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from content.local_time import local
from content.notice_qr import print_payload
from content.notices import get_notice
from node.home import Home
from tests.desk.conftest import ANNA, AxeChecker, DeskSite
from tests.print.readback import as_stored, flat, qr_codes, text
from tests.sync.conftest import PeerProcess, running
from tests.sync.procs import Node, make_hubs, notice_lists, wait_for

OURS, OTHER = "Ringelai", "Perlesreut"
TITLE = "Wasserleitung Ringelai: Spülung am Donnerstag"
BODY = "Das Wasser kann trüb sein. Bitte abkochen."
REASON = "Spülung verschoben"
SYNC_WAIT_S = 90  # generous: the machine is shared, and a hub starts in a few seconds

Vector = dict[str, int]


@dataclass
class Village:
    """The desk of a town server and two hub daemons syncing with it."""

    site: DeskSite
    town: Node
    ours: Node
    other: Node
    hub_processes: dict[str, PeerProcess]

    def today(self) -> date:
        """The town server's local date: what the editor's dates are typed relative to."""
        return local(int(self.site.server.hello()["time"])).date()

    def wait_until_synced(self, hub: Node, vector: Vector, after: str) -> None:
        """Wait until `hub` holds every op the town held at `vector` (later ops may exist:
        the hubs keep reporting their status)."""
        try:
            wait_for(lambda: holds(version_vector(hub), vector), SYNC_WAIT_S, f"{hub.name} {after}")
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{self.hub_processes[hub.name].output()}") from None


def version_vector(node: Node) -> Vector:
    """The node's version vector, read while its daemon runs (read-only, never in its way)."""
    with sqlite3.connect(f"file:{node.db}?mode=ro", uri=True) as conn:
        return {
            author: int(seq) for author, seq in conn.execute("SELECT author, seq FROM versions")
        }


def holds(vector: Vector, wanted: Vector) -> bool:
    return all(vector.get(author, 0) >= seq for author, seq in wanted.items())


@pytest.fixture
def village(desk_home: Path, axe_checker: AxeChecker, tmp_path: Path) -> Iterator[Village]:
    """A copy of the desk's town home (its desk users), two hubs made by `dorfhub node init`
    and granted by `dorfhub key grant` on the town, the town served, and each hub's daemon
    started with the served town as its server."""
    town = Node("Stadtserver", tmp_path / "town")
    shutil.copytree(desk_home, town.home)
    ours, other = make_hubs(town, Home(town.home).config.network_id, tmp_path, (OURS, OTHER))
    with ExitStack() as stack:
        server = stack.enter_context(running(town.home))
        for hub in (ours, other):
            hub.set_server_url(server.url)
        processes = {
            hub.name: stack.enter_context(running(hub.home, "hub")) for hub in (ours, other)
        }
        yield Village(DeskSite(server, axe_checker), town, ours, other, processes)


def go(page: Page, site: DeskSite, action: Callable[[], object]) -> None:
    """Click something that loads a page, and have the page it loads checked."""
    with page.expect_navigation():
        action()
    site.after_navigation(page)


def titles(listed: list[dict[str, Any]]) -> list[str]:
    return [str(notice["title"]) for notice in listed]


def test_publish_for_one_hub_print_and_retract(
    page: Page, village: Village, tmp_path: Path
) -> None:
    site = village.site
    site.log_in(page, ANNA)

    # Publish for Ringelai alone, as a person fills the editor.
    today = village.today()
    site.visit(page, "/notices/new")
    page.get_by_label("Titel (Deutsch)").fill(TITLE)
    page.get_by_label("Text (Deutsch)").fill(BODY)
    page.get_by_label("Anzeigen ab: Datum").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("Bis zu einem Datum").check()
    page.get_by_label("Anzeigen bis: Datum").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("Nur ausgewählte Gruppen und Hubs").check()
    page.get_by_role("checkbox", name=f"{OURS} (Ilzer Land)", exact=True).check()
    go(page, site, page.get_by_role("button", name="Veröffentlichen", exact=True).click)
    # Only German was written: the desk says so once, and publishing anyway is the user's call.
    expect(page.locator("#warnings")).to_contain_text("Es fehlt: Englisch, Leichte Sprache.")
    go(page, site, page.get_by_role("button", name="Trotzdem veröffentlichen").click)
    expect(page.get_by_role("status")).to_have_text("Der Aushang ist veröffentlicht.")
    expect(page.locator("#fact-targets")).to_have_text(OURS)
    notice_id = urlsplit(page.url).path.rsplit("/", 1)[1]
    published = version_vector(village.town)

    # Both hubs hold everything the town held after the publish; only Ringelai shows it.
    for hub in (village.ours, village.other):
        village.wait_until_synced(hub, published, "synced past the publish")
    ours, other = notice_lists([village.ours, village.other])
    assert [(n["id"], n["title"], n["author_name"]) for n in ours] == [
        (notice_id, TITLE, ANNA.name)
    ]
    assert TITLE not in titles(other)

    # The poster, from the notice's page: the browser sends the session cookie along.
    with page.expect_download() as download:
        page.get_by_role("button", name="Aushang als PDF herunterladen").click()
    poster = download.value
    address = urlsplit(poster.url)
    assert address.path == f"/desk/notices/{notice_id}/poster.pdf"
    assert parse_qs(address.query) == {"lang": ["de"]}
    path = tmp_path / "poster.pdf"
    poster.save_as(path)
    assert TITLE in flat(text(path))
    # A notice without an event: the code holds its title and text, whole (short enough).
    with sqlite3.connect(f"file:{village.town.db}?mode=ro", uri=True) as conn:
        notice = get_notice(conn, notice_id)
    assert notice is not None
    payload = print_payload(notice, "de")
    assert (payload.text, payload.event, payload.whole) == (f"{TITLE}\n\n{BODY}", False, True)
    assert qr_codes(path, 1, tmp_path) == as_stored(payload.text)

    # Retract it with a reason; once Ringelai has synced past that, its board no longer has it.
    go(page, site, page.get_by_role("link", name="Zurückziehen").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Aushang zurückziehen")
    page.get_by_label("Grund").fill(REASON)
    go(page, site, page.get_by_role("button", name="Endgültig zurückziehen").click)
    expect(page.get_by_role("status")).to_have_text("Der Aushang ist zurückgezogen.")
    expect(page.locator("ol.history > li").first).to_contain_text(f"Grund: {REASON}")
    retracted = version_vector(village.town)
    village.wait_until_synced(village.ours, retracted, "synced past the retraction")
    (ours,) = notice_lists([village.ours])
    assert TITLE not in titles(ours)

    # A retracted notice is printed no more: no button on its page, the 404 page at its address.
    expect(page.get_by_role("button", name="Aushang als PDF herunterladen")).to_have_count(0)
    answer = page.goto(site.url(f"/notices/{notice_id}/poster.pdf?lang=de"))
    assert answer is not None
    assert answer.status == 404
    site.after_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
