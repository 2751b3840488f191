"""Submissions and moderation (issue 16) with real processes only: a `dorfhub serve` town server,
two `dorfhub hub` daemons syncing with it (Ringelai and Perlesreut, both in "Ilzer Land"), a
club made by `dorfhub desk user add --role editor --group "Ilzer Land"`, and Debian's chromium
driving the desk (axe-core on every page).

The club submits a notice for Ringelai alone in the admin's editor; nothing reaches any hub
while it waits. An admin sees it counted on Today and on the fleet page, opens the queue,
publishes it: it reaches Ringelai, and Perlesreut, which provably holds everything the town held
after the acceptance, does not show it. The club's second notice is rejected with a reason:
the club reads the reason, and no hub shows the notice. A resident's offer made at Ringelai's
kiosk waits in the same queue, and once published shows at Ringelai alone. One module-scoped
world for both tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from content.local_time import local
from content.log import Log
from content.notices import active_notices
from content.store import Store
from content.submission_rules import notice_id_for
from content.submissions import submit_from_hub
from node.home import Home
from tests.desk.conftest import ANNA, AxeChecker, DeskSite, Login
from tests.desk.test_flow import holds, version_vector
from tests.node.cli import DORFHUB, REPO
from tests.sync.conftest import PeerProcess, running, start_peer
from tests.sync.procs import Node, make_hubs, wait_for

OURS, OTHER = "Ringelai", "Perlesreut"
CLUB = Login("Schützenverein Ringelai", "Vogelschießen-im-Mai-2027")
ACCEPTED = "Schützenfest am Sonntag"
REJECTED = "Vereinsausflug zum Lusen"
REASON = "Bitte mit Abfahrtszeit und Treffpunkt neu einreichen."
CONTACT = ("Kassier Xaver Huber", "08555 4711")
RESIDENT = (
    "biete",
    "Mitfahrgelegenheit nach Grafenau",
    "Dienstags um 9 Uhr.",
    "Anton Brunner",
    "08555 3141",
)
SYNC_WAIT_S = 90  # generous: the machine is shared, and a hub starts in a few seconds


@dataclass
class World:
    site: DeskSite
    town: Node
    ours: Node
    other: Node
    processes: dict[str, PeerProcess]
    club: Page  # logged in once for both tests, as are the admin's
    admin: Page

    def wait_until_synced(self, hub: Node, after: str) -> None:
        """Wait until `hub` holds every op the town holds now."""
        wanted = version_vector(self.town)
        try:
            wait_for(lambda: holds(version_vector(hub), wanted), SYNC_WAIT_S, f"{hub.name} {after}")
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{self.processes[hub.name].output()}") from None


def add_club(home: Path) -> None:
    env = {**os.environ, "DORFHUB_DESK_PASSPHRASE": CLUB.passphrase}
    args = [*DORFHUB, "desk", "user", "add", CLUB.name, "--role", "editor"]
    args += ["--group", "Ilzer Land", "--home", home]
    done = subprocess.run(
        [str(a) for a in args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "(editor) added" in done.stdout
    assert "groups Ilzer Land" in done.stdout


@pytest.fixture(scope="module")
def world(
    desk_home: Path,
    axe_checker: AxeChecker,
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("moderation")
    town = Node("Stadtserver", directory / "town")
    shutil.copytree(desk_home, town.home)
    ours, other = make_hubs(town, Home(town.home).config.network_id, directory, (OURS, OTHER))
    add_club(town.home)
    with ExitStack() as stack:
        server = stack.enter_context(running(town.home))
        for hub in (ours, other):
            hub.set_server_url(server.url)
        # Both hubs start side by side: each waits seconds for its own ready file.
        with ThreadPoolExecutor(2) as starting:
            started = list(starting.map(lambda hub: start_peer(hub.home, "hub"), (ours, other)))
        processes = {}
        for hub, process in zip((ours, other), started, strict=True):
            stack.callback(_stop, process)
            processes[hub.name] = process
        site = DeskSite(server, axe_checker)
        club, admin = browser.new_page(), browser.new_page()  # a context, cookies, each
        stack.callback(club.context.close)
        stack.callback(admin.context.close)
        site.log_in(club, CLUB)
        expect(club.get_by_role("heading", level=1)).to_have_text("Meine Einreichungen")
        site.log_in(admin, ANNA)
        yield World(site, town, ours, other, processes, club, admin)


def _stop(process: PeerProcess) -> None:
    status = process.stop()
    assert status in (0, -signal.SIGTERM), f"exit status {status}:\n{process.output()}"


def go(page: Page, site: DeskSite, action: Callable[[], object]) -> None:
    with page.expect_navigation():
        action()
    site.after_navigation(page)


def submit(page: Page, world: World, title: str) -> str:
    """The club fills the editor for Ringelai alone and submits; the submission's id."""
    site = world.site
    go(page, site, page.get_by_role("link", name="Neuen Aushang einreichen").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Aushang einreichen")
    # Only the club's group's hubs are offered, and no "every hub".
    expect(page.get_by_label("Alle Hubs des Netzes", exact=False)).to_have_count(0)
    today = local(int(site.server.hello()["time"])).date()
    page.get_by_label("Titel (Deutsch)").fill(title)
    page.get_by_label("Text (Deutsch)").fill("Beginn um 10 Uhr am Schützenheim.")
    page.get_by_label("Anzeigen ab: Datum").fill(today.isoformat())
    page.get_by_label("Bis zu einem Datum").check()
    page.get_by_label("Anzeigen bis: Datum").fill((today + timedelta(days=10)).isoformat())
    page.get_by_role("checkbox", name=f"{OURS} (Ilzer Land)", exact=True).check()
    page.get_by_label("Name").fill(CONTACT[0])
    page.get_by_label("Telefon").fill(CONTACT[1])
    go(page, site, page.get_by_role("button", name="Zur Prüfung einreichen").click)
    expect(page.locator("#warnings")).to_contain_text("Es fehlt: Englisch, Leichte Sprache.")
    go(page, site, page.get_by_role("button", name="Trotzdem einreichen").click)
    expect(page.get_by_role("status")).to_contain_text("Eingereicht.")
    card = page.locator("li.request", has_text=title)
    expect(card).to_contain_text("wartet")
    with sqlite3.connect(f"file:{world.town.db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT entity FROM ops WHERE kind = 'submission.put' ORDER BY lamport DESC LIMIT 1"
        ).fetchone()
    return str(row[0])


def _held(node: Node, submission: str) -> bool:
    with sqlite3.connect(f"file:{node.db}?mode=ro", uri=True) as conn:
        return (
            conn.execute(
                "SELECT 1 FROM ops WHERE kind = 'submission.put' AND entity = ?", (submission,)
            ).fetchone()
            is not None
        )


def shown_at(world: World) -> tuple[list[str], list[str]]:
    """The titles each hub's board shows now, read as its kiosk reads them (read-only, while
    its daemon runs)."""
    shown = []
    for hub in (world.ours, world.other):
        with sqlite3.connect(f"file:{hub.db}?mode=ro", uri=True) as conn:
            key = Home(hub.home).identity().key_id
            shown.append([notice.title["de"] for notice in active_notices(conn, hub=key)])
    return shown[0], shown[1]


def test_a_club_submits_an_admin_publishes_and_it_reaches_the_targeted_hub_only(
    world: World,
) -> None:
    site, club, admin = world.site, world.club, world.admin
    submission = submit(club, world, ACCEPTED)
    # A resident offers a lift at Ringelai's kiosk (its own library call, on the hub's store
    # while its daemon runs), once the hub knows the admins it seals to.
    world.wait_until_synced(world.ours, "synced with the town")
    with Store(world.ours.db) as store:
        offer = submit_from_hub(Log(store), Home(world.ours.home).identity(), *RESIDENT)
    wait_for(lambda: _held(world.town, offer), SYNC_WAIT_S, "the offer at the town")

    site.visit(admin, "/")
    expect(admin.locator("#count-submissions")).to_have_text("2 warten auf Prüfung")
    site.visit(admin, "/hubs")
    expect(admin.locator("#moderation-count")).to_have_text("2 warten auf Prüfung")
    go(admin, site, admin.get_by_role("link", name="Einreichungen", exact=True).click)
    card = admin.locator("li.request", has_text=RESIDENT[1])
    expect(card).to_contain_text(f"einer Person am Hub {OURS}")
    expect(card).to_contain_text(f"{RESIDENT[3]}, {RESIDENT[4]}")
    go(admin, site, card.get_by_role("button", name="Veröffentlichen").click)
    card = admin.locator("li.request", has_text=ACCEPTED)
    expect(card).to_contain_text(CLUB.name)
    expect(card.locator("dd.targets")).to_have_text(OURS)  # Ringelai alone
    expect(card).to_contain_text(f"{CONTACT[0]}, {CONTACT[1]}")
    go(admin, site, card.get_by_role("button", name="Veröffentlichen").click)
    expect(admin.get_by_role("status")).to_contain_text("Veröffentlicht")
    expect(admin.locator("li.request", has_text=ACCEPTED)).to_have_count(0)

    # Both hubs hold everything the town held after the acceptance; only Ringelai shows it.
    for hub in (world.ours, world.other):
        world.wait_until_synced(hub, "synced past the acceptance")
    ours, other = shown_at(world)
    assert ACCEPTED in ours
    assert ACCEPTED not in other
    assert f"Biete: {RESIDENT[1]}" in ours  # a resident's offer: its own hub's board only
    assert f"Biete: {RESIDENT[1]}" not in other
    with sqlite3.connect(f"file:{world.ours.db}?mode=ro", uri=True) as conn:
        author = conn.execute(
            "SELECT k.name FROM notices n JOIN keys k ON k.key = n.author WHERE n.id = ?",
            (notice_id_for(submission),),
        ).fetchone()
    assert author == (ANNA.name,)  # the admin's own notice, never the club's
    go(club, site, lambda: club.reload())
    expect(club.locator("li.request", has_text=ACCEPTED)).to_contain_text("angenommen")


def test_a_rejection_is_seen_by_the_club_and_reaches_no_hub(world: World) -> None:
    site, club, admin = world.site, world.club, world.admin
    submission = submit(club, world, REJECTED)

    site.visit(admin, "/moderation")
    card = admin.locator("li.request", has_text=REJECTED)
    # No reason: refused on the card, nothing recorded.
    go(admin, site, card.get_by_role("button", name="Ablehnen").click)
    card = admin.locator("li.request", has_text=REJECTED)
    expect(card.get_by_role("alert")).to_contain_text("Begründung")
    card.get_by_label("Begründung für eine Ablehnung").fill(REASON)
    go(admin, site, card.get_by_role("button", name="Ablehnen").click)
    expect(admin.get_by_role("status")).to_contain_text("Abgelehnt")

    go(club, site, lambda: club.reload())
    mine = club.locator("li.request", has_text=REJECTED)
    expect(mine).to_contain_text("abgelehnt")
    expect(mine).to_contain_text(REASON)
    for hub in (world.ours, world.other):
        world.wait_until_synced(hub, "synced past the rejection")
    ours, other = shown_at(world)
    assert REJECTED not in ours + other
    for hub in (world.ours, world.other):
        with sqlite3.connect(f"file:{hub.db}?mode=ro", uri=True) as conn:
            assert conn.execute(
                "SELECT count(*) FROM notices WHERE id = ?", (notice_id_for(submission),)
            ).fetchone() == (0,)
    # The club cannot reach the queue; an admin has no club's page.
    answer = club.goto(site.url("/moderation"))
    assert answer is not None
    assert answer.status == 403
    site.after_navigation(club)
    answer = admin.goto(site.url("/submissions"))
    assert answer is not None
    assert answer.status == 403
    site.after_navigation(admin)
