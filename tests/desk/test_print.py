"""Print from the desk: a notice's poster and a hub's weekly sheet downloaded as PDFs made on
request, read back as a person and a phone would (pdftotext, zbarimg), with what the desk
refuses (a week that is over, an unknown or withdrawn notice, no session) and nothing left on
the server's disk."""

from __future__ import annotations

import sqlite3
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from content.clock import wall_clock_ms
from content.local_time import LOCAL_TIME
from content.notice_qr import print_payload
from content.notices import Notice, get_notice
from content.week_sheet import Week
from tests.desk.conftest import ERIKA, DeskSite
from tests.desk.test_fleet_pages import grant_hub
from tests.node.cli import run_dorfhub
from tests.print.readback import as_stored, flat, qr_codes, save, text
from tests.sync.conftest import PeerProcess

HUB, OTHER = "Saldenburg", "Zenting"
OURS = "Adventsmarkt am Dorfplatz Saldenburg"
THEIRS = "Flohmarkt in der Turnhalle Zenting"


def next_week() -> Week:
    """The week after this one: never over while a test runs, whatever the day."""
    return Week.containing(wall_clock_ms() + 7 * 86_400_000)


def wednesday_afternoon(week: Week) -> str:
    day = week.monday() + timedelta(days=2)
    return datetime.combine(day, time(15, 0), LOCAL_TIME).isoformat()


def publish(home: Path, title: str, hub: str, week: Week) -> str:
    return run_dorfhub(
        *("notice", "publish", "--title", title, "--body", f"{title}: alle sind eingeladen."),
        *("--category", "veranstaltung", "--hub", hub, "--place", "Dorfplatz"),
        *("--event-start", wednesday_afternoon(week)),
        home=home,
    ).stdout.split()[0]


@pytest.fixture(scope="module")
def printed(desk_server: PeerProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two hubs, and a notice for each next week."""
    town, directory = desk_server.home, tmp_path_factory.mktemp("print-hubs")
    keys = {name: grant_hub(town, directory, name).key_id for name in (HUB, OTHER)}
    week = next_week()
    return {
        "hub": keys[HUB],
        "ours": publish(town, OURS, HUB, week),
        "theirs": publish(town, THEIRS, OTHER, week),
        "week": str(week),
    }


def notice_of(desk: DeskSite, notice_id: str) -> Notice:
    with sqlite3.connect(f"file:{desk.server.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        found = get_notice(conn, notice_id)
    assert found is not None
    return found


def files_of(home: Path) -> set[str]:
    """The server's files, but for SQLite's own (its WAL grows as others write)."""
    return {
        str(path.relative_to(home))
        for path in home.rglob("*")
        if path.is_file() and not path.name.endswith(("-wal", "-shm", "-journal"))
    }


def cookies_of(context: BrowserContext) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies()}


def test_the_poster_download_reads_back_with_its_code(
    page: Page, context: BrowserContext, desk: DeskSite, printed: dict[str, str], tmp_path: Path
) -> None:
    desk.log_in(page, ERIKA)
    before = files_of(desk.server.home)
    url = desk.url(f"/notices/{printed['ours']}/poster.pdf?lang=de")
    answer = requests.get(url, cookies=cookies_of(context), timeout=60)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="aushang-adventsmarkt-am-dorfplatz-saldenburg.pdf"'
    )
    path = save(answer.content, tmp_path, "poster.pdf")
    assert OURS in flat(text(path))
    code = print_payload(notice_of(desk, printed["ours"]), "de").text
    assert qr_codes(path, 1, tmp_path) == as_stored(code)
    english = requests.get(
        url.replace("lang=de", "lang=en"), cookies=cookies_of(context), timeout=60
    )
    assert english.headers["content-disposition"].endswith('-saldenburg-en.pdf"')
    assert files_of(desk.server.home) == before  # made in memory, nothing written


def test_the_week_sheet_from_the_hubs_page(
    page: Page, desk: DeskSite, printed: dict[str, str], tmp_path: Path
) -> None:
    desk.log_in(page, ERIKA)
    before = files_of(desk.server.home)
    desk.visit(page, f"/hubs/{printed['hub']}")
    expect(page.get_by_role("heading", name="Aushang der Woche")).to_be_visible()
    page.get_by_label("Kalenderwoche").fill(printed["week"])
    page.get_by_label("Sprache").select_option("de")
    with page.expect_download() as download:
        page.get_by_role("button", name="Aushang der Woche herunterladen (PDF)").click()
    sheet = download.value
    assert sheet.suggested_filename == f"aushang-der-woche-saldenburg-{printed['week'].lower()}.pdf"
    path = tmp_path / "sheet.pdf"
    sheet.save_as(path)
    words = flat(text(path))
    assert "Aushang der Woche" in words
    assert OURS in words
    assert THEIRS not in words  # another hub's notice
    assert files_of(desk.server.home) == before


@pytest.mark.parametrize(
    ("week", "error"),
    [
        ("2000-W01", "Diese Woche ist schon vorbei."),
        ("nächste Woche", "Bitte geben Sie eine Kalenderwoche an"),
    ],
)
def test_a_week_the_sheet_cannot_have_is_said_beside_the_field(
    page: Page, desk: DeskSite, printed: dict[str, str], week: str, error: str
) -> None:
    desk.log_in(page, ERIKA)
    answer = page.goto(desk.url(f"/hubs/{printed['hub']}/sheet.pdf?week={week}&lang=de"))
    assert answer is not None
    assert answer.status == 400
    desk.after_navigation(page)
    expect(page.get_by_role("alert")).to_contain_text(error)
    field = page.get_by_label("Kalenderwoche")
    assert field.get_attribute("aria-invalid") == "true"


def test_what_cannot_be_printed_is_the_404_page(
    page: Page, context: BrowserContext, desk: DeskSite, printed: dict[str, str]
) -> None:
    desk.log_in(page, ERIKA)
    withdrawn = publish(desk.server.home, "Schon wieder vorbei", HUB, next_week())
    run_dorfhub("notice", "retract", withdrawn, home=desk.server.home)
    for path in (
        "/notices/n-gibt-es-nicht/poster.pdf",
        f"/notices/{withdrawn}/poster.pdf",
        f"/hubs/{'0' * 64}/sheet.pdf?week={printed['week']}",
    ):
        answer = page.goto(desk.url(path))
        assert answer is not None
        assert answer.status == 404, path
        desk.after_navigation(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    unknown_language = requests.get(
        desk.url(f"/notices/{printed['ours']}/poster.pdf?lang=fr"),
        cookies=cookies_of(context),
        timeout=30,
    )
    assert unknown_language.status_code == 400
    # No session: the login page, never the PDF.
    stranger = requests.get(
        desk.url(f"/notices/{printed['ours']}/poster.pdf"), timeout=30, allow_redirects=False
    )
    assert stranger.status_code == 303
    assert stranger.headers["location"].startswith("/desk/login?")
