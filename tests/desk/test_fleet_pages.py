"""The fleet pages with real processes: a `dorfhub hub` daemon that synced with the desk's town
server and sent its kiosk's screenshot, a hub granted but never started, and a hub that reports
a forked key. The table in the browser (with htmx and without JavaScript), the hub's page and
its screenshot (to a logged-in admin only, never cached), the 404 page, and the desk's words
against content/fleet.py's. Times are read from what the processes recorded, never the hour."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from admin.desk.fleet_words import FleetWords
from admin.desk.i18n import Translator, Words
from content import grants
from content.bodies import encode_body
from content.clock import wall_clock_ms
from content.fleet import HubRow, fleet
from content.identity import Identity
from content.log import Log
from content.screenshots import KIOSK_FILE, latest, server_dir, write_atomically
from content.sensors import WINDOW_MS
from node import __version__
from node.home import Home
from node.setup import init_node
from tests.desk.conftest import ANNA, DeskSite
from tests.fleet import builder
from tests.fleet.pngs import kiosk_png
from tests.sync.conftest import PeerProcess, running
from tests.sync.procs import wait_for

SYNCED, NEVER, FORKED = "Thurmansbang", "Grainet", "Hohenau"
HUB_WAIT_S = 90


@dataclass(frozen=True)
class Hubs:
    synced: str  # key ids
    never: str
    forked: str
    taken_at: int  # when the synced hub's screenshot was taken


def grant_hub(town: Path, directory: Path, name: str, server_url: str = "") -> Identity:
    """A hub home that the town has granted the hub role, as `enroll approve` would."""
    town_home = Home(town)
    hub, identity = init_node(directory / name.lower(), "hub", name, town_home.config.network_id)
    with town_home.store() as store:
        grants.grant(Log(store), town_home.publisher(), identity.public, "hub", name)
    config = hub.config
    config.server_url = server_url
    hub.save_config(config)
    return identity


def report_fork(town: Path, hub: Identity, forked_key: str) -> None:
    """The hub's status op saying it quarantined `forked_key`, as its daemon would send it."""
    body = {
        "name": hub.name,
        "software": f"dorfhub {__version__}",
        "ops": 3,
        "quarantined": [forked_key],
        "disk_free_bytes": 20_000_000_000,
        "disk_total_bytes": 32_000_000_000,
        "clock_offset_s": 0,
    }
    with Home(town).store() as store:
        Log(store).append(hub, "hub.status", hub.key_id, encode_body(body))


def _current(town: Path, key: str, taken_at: int) -> HubRow | None:
    """The hub's row once its screenshot is kept, its disk reported and it holds all."""
    shot = latest(server_dir(town), key)
    with Home(town).store() as store:
        rows = [row for row in fleet(store.conn, wall_clock_ms()) if row.key == key]
    ready = shot is not None and shot.taken_at_ms == taken_at and rows
    return rows[0] if ready and rows[0].disk_free_bytes and rows[0].ops_text == "aktuell" else None


@pytest.fixture(scope="module")
def hubs(desk_server: PeerProcess, tmp_path_factory: pytest.TempPathFactory) -> Hubs:
    town, directory = desk_server.home, tmp_path_factory.mktemp("fleet-hubs")
    synced = grant_hub(town, directory, SYNCED, desk_server.url)
    never = grant_hub(town, directory, NEVER)
    forked = grant_hub(town, directory, FORKED)
    report_fork(town, forked, Identity.generate("Kopierter Schlüssel").key_id)
    taken = wall_clock_ms()
    write_atomically(directory / SYNCED.lower() / KIOSK_FILE, kiosk_png(taken))
    with running(directory / SYNCED.lower(), "hub"):
        wait_for(lambda: _current(town, synced.key_id, taken), HUB_WAIT_S, "the hub's report")
    return Hubs(synced.key_id, never.key_id, forked.key_id, taken)


def row_of(page: Page, key: str) -> dict[str, str]:
    cells = page.locator(f"#hub-{key[:12]}")
    headers = page.locator(".fleet-table thead th").all_inner_texts()
    texts = [cells.locator("th").inner_text(), *cells.locator("td").all_inner_texts()]
    return dict(zip(headers, texts, strict=True)) | {"class": cells.get_attribute("class") or ""}


def test_the_table_shows_each_hub_as_the_town_knows_it(
    page: Page, desk: DeskSite, hubs: Hubs
) -> None:
    desk.log_in(page, ANNA)
    desk.visit(page, "/hubs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hubs")
    synced = row_of(page, hubs.synced)
    assert synced["Hub"] == SYNCED
    assert synced["Version"] == __version__
    assert synced["Ops"] == "aktuell"
    assert synced["Zustand"] == "online"
    assert synced["Speicher"].endswith("%)")
    assert "GB frei" in synced["Speicher"]
    assert synced["Uhr"] == "Uhr stimmt"
    assert synced["Forks"] == "keine"
    assert row_of(page, hubs.never)["Zuletzt gesehen"] == "nie gesehen"
    # A fork is red, and says so in words: a class, "Fork" first among the problems.
    forked = row_of(page, hubs.forked)
    assert "red" in forked["class"].split()
    assert forked["Probleme"].startswith("Fork")
    assert forked["Forks"].startswith("meldet Fork: ")
    assert "red" not in row_of(page, hubs.synced)["class"].split()
    # Problems first: the fork heads the table.
    first = page.locator(".fleet-table tbody tr").first
    assert "red" in (first.get_attribute("class") or "").split()
    colour = first.locator("th").evaluate("(e) => getComputedStyle(e).color")
    assert colour == "rgb(164, 22, 26)"  # the desk's error red


def test_the_table_refreshes_in_place_and_sorts(
    page: Page, context: BrowserContext, desk: DeskSite, hubs: Hubs
) -> None:
    desk.log_in(page, ANNA)
    desk.visit(page, "/hubs")
    page.evaluate("window.deskTestMarker = 'same page'")
    with page.expect_response(lambda answer: "/hubs/table" in answer.url):
        page.get_by_role("button", name="Aktualisieren").click()
    assert page.evaluate("window.deskTestMarker") == "same page"  # no reload: a fragment
    desk.after_navigation(page)
    fragment = page.locator("#fleet").get_attribute("hx-get")
    assert fragment is not None
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    unchanged = requests.get(
        f"{desk.server.url}{fragment}", cookies=cookies, headers={"HX-Request": "true"}, timeout=30
    )
    assert unchanged.status_code in (200, 204)  # 200 only if a minute passed ("vor 2 Min.")
    with page.expect_navigation():
        page.get_by_role("link", name="Hub", exact=True).click()
    desk.after_navigation(page)
    names = page.locator(".fleet-table tbody th").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    assert page.locator("th[aria-sort]").inner_text() == "Hub"


def test_the_fleet_page_works_without_javascript(
    page_without_javascript: Page, desk: DeskSite, hubs: Hubs
) -> None:
    page = page_without_javascript
    desk.visit(page, "/hubs")
    desk.log_in(page, ANNA)
    expect(page).to_have_url(desk.url("/hubs"))
    assert row_of(page, hubs.synced)["Ops"] == "aktuell"
    with page.expect_navigation():  # a plain GET form: the whole page comes again
        page.get_by_role("button", name="Aktualisieren").click()
    desk.after_navigation(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Zuletzt gesehen").click()
    desk.after_navigation(page)
    # Longest unseen first: every hub never seen comes before the one that synced.
    seen = page.locator(".fleet-table tbody td:nth-child(4)").all_inner_texts()
    never = [text == "nie gesehen" for text in seen]
    assert never == sorted(never, reverse=True)
    assert never[0]
    assert row_of(page, hubs.never)["Zuletzt gesehen"] == "nie gesehen"
    with page.expect_navigation():
        page.get_by_role("link", name=SYNCED).click()
    desk.after_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hub {SYNCED}")


def test_the_hub_page_shows_its_screenshot_to_an_admin_only(
    page: Page, context: BrowserContext, desk: DeskSite, hubs: Hubs
) -> None:
    desk.log_in(page, ANNA)
    desk.visit(page, f"/hubs/{hubs.synced}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hub {SYNCED}")
    picture = page.get_by_role("img", name=f"Der Bildschirm des Kiosks in {SYNCED}")
    expect(picture).to_be_visible()
    assert picture.evaluate("(image) => image.complete && image.naturalWidth") == 960
    caption = page.locator("#screen-caption").inner_text()
    assert caption.startswith("Bildschirm von ")
    assert "(Startseite)" in caption
    assert caption.split(" (Startseite)")[0].removeprefix("Bildschirm von ") in (
        "gerade eben",
        *(f"vor {minutes} Min." for minutes in range(1, 60)),
    )
    address = picture.get_attribute("src")
    assert address is not None
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    shot = requests.get(f"{desk.server.url}{address}", cookies=cookies, timeout=30)
    assert shot.status_code == 200
    assert shot.headers["content-type"] == "image/png"
    assert "no-store" in shot.headers["cache-control"]
    assert shot.content == latest(server_dir(desk.server.home), hubs.synced).png  # type: ignore[union-attr]
    # No session: the login page, never the picture.
    stranger = requests.get(f"{desk.server.url}{address}", timeout=30, allow_redirects=False)
    assert stranger.status_code == 303
    assert stranger.headers["location"].startswith("/desk/login?")
    assert not stranger.content.startswith(b"\x89PNG")
    # A hub that never sent one says so.
    desk.visit(page, f"/hubs/{hubs.never}")
    expect(page.locator("#screen-caption")).to_have_text("noch kein Bild")
    assert page.get_by_role("img").count() == 0


@pytest.mark.parametrize(
    "path", ["/hubs/" + "0" * 64, "/hubs/Thurmansbang", "/hubs/" + "0" * 64 + "/screenshot.png"]
)
def test_an_unknown_hub_is_the_german_404_page(page: Page, desk: DeskSite, path: str) -> None:
    desk.log_in(page, ANNA)
    answer = page.goto(desk.url(path))
    assert answer is not None
    assert answer.status == 404
    desk.after_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")


# ---- the words: German as content/fleet.py has them, English from the catalogs ---------------


@pytest.fixture
def town(tmp_path: Path) -> builder.Town:
    return builder.make_town(tmp_path / "town.db", ["Ringelai", "Perlesreut", "Grainet"])


def _rows(town: builder.Town, now_ms: int) -> list[HubRow]:
    return fleet(town.store.conn, now_ms)


def test_the_desks_german_is_content_fleets(town: builder.Town) -> None:
    ringelai, perlesreut, _grainet = town.hubs
    builder.pulled(town, ringelai, behind=1)
    builder.pulled(town, perlesreut, behind=1234)
    # Every moment below is counted from when the town recorded the pulls: words depend on
    # spans, never on the date.
    seen = next(row.last_seen_ms for row in _rows(town, 0) if row.name == "Ringelai") or 0
    builder.report(town, ringelai, quarantined=[town.admin.key_id], clock_offset_s=-400)
    builder.rollup(town, ringelai, seen - 2 * WINDOW_MS, builder.SERIES[:3])
    builder.alert(town, ringelai, seen - 60_000)
    builder.alert(town, ringelai, seen - 120_000)
    builder.report(town, perlesreut, disk_free_bytes=500_000_000, clock_offset_s=90_000)
    for later in (0, 90_000, 3 * 3_600_000, 2 * 86_400_000, 400 * 86_400_000):
        now = seen + later
        words = FleetWords(Words(Translator(), "de"), now)
        for row in _rows(town, now):
            said = [
                words.seen(row),
                words.ops(row),
                words.clock(row),
                words.disk(row),
                words.sensors(row.sensors),
                words.alerts(row.alerts),
                words.forks(row.forked, row.forks),
                words.state(row),
            ]
            assert said == [
                row.seen_text,
                row.ops_text,
                row.clock_text,
                row.disk_text,
                row.sensors_text,
                row.alerts_text,
                row.forks_text,
                row.state_text,
            ]
            assert words.problems(row) == list(row.problems)


def test_the_fleet_in_english(town: builder.Town) -> None:
    ringelai = town.hubs[0]
    builder.report(town, ringelai, clock_offset_s=-400)
    builder.pulled(town, ringelai, behind=2)
    row = next(row for row in _rows(town, 0) if row.name == "Ringelai")
    three_days_on = (row.last_seen_ms or 0) + 3 * 86_400_000
    row = next(row for row in _rows(town, three_days_on) if row.name == "Ringelai")
    words = FleetWords(Words(Translator(), "en"), three_days_on)
    assert words.seen(row) == "not seen for 3 days"
    assert words.ops(row) == "2 ops behind"
    assert words.clock(row) == "clock 6 min fast"
    assert words.disk(row) == "12.3 GB free (38%)"
    assert words.problems(row)[:2] == ["offline", "behind"]
