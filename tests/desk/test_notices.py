"""The desk's notices in a real browser against a real `dorfhub serve` with three hubs in two
groups: publishing for a hub and for a group, the list by state with its filters (htmx and
without JavaScript), an edit by another person and the history that names both, the date-only
rule, errors beside their fields with nothing stored, attachments, and retraction with a
reason. Every page passes axe-core (WCAG 2.2 AA). Windows are set relative to the server's own
clock, so no test depends on the date or the hour."""

from __future__ import annotations

import io
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from content.identity import Identity
from content.local_time import local, whole_day
from tests.desk.conftest import ANNA, HANS, WAIT_MS, AxeChecker, DeskSite
from tests.node.cli import notices_json, run_dorfhub
from tests.sync.conftest import StoreState, running, store_state

HUBS = {"Ringelai": "Ilzer Land", "Perlesreut": "Ilzer Land", "Schönberg": "Sonnenwald"}


@dataclass
class NoticeDesk:
    site: DeskSite
    home: Path

    def day(self, offset: int) -> date:
        """The server's local date, `offset` days on: what windows are typed relative to."""
        return local(int(self.site.server.hello()["time"])).date() + timedelta(days=offset)

    def state(self) -> StoreState:
        return store_state(self.home)

    def notice_row(self, notice_id: str) -> tuple[int, int | None, str]:
        with sqlite3.connect(f"file:{self.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT valid_from, valid_until, attachments FROM notices WHERE id = ?",
                (notice_id,),
            ).fetchone()
        return int(row[0]), row[1], str(row[2])

    def blob(self, digest: str) -> bytes:
        with sqlite3.connect(f"file:{self.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT o.body FROM blobs b JOIN ops o ON o.id = b.op_id WHERE b.hash = ?",
                (digest,),
            ).fetchone()
        return bytes(row[0])


@pytest.fixture(scope="module")
def notice_desk(
    desk_home: Path, axe_checker: AxeChecker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NoticeDesk]:
    """A server of its own (the notices it gets stay out of other tests' lists) whose network
    has three hubs, granted through the real CLI."""
    home = tmp_path_factory.mktemp("desk-notices") / "town"
    shutil.copytree(desk_home, home)
    for name, group in HUBS.items():
        token = Identity.generate(name).public.token
        run_dorfhub(
            "key", "grant", "--role", "hub", "--name", name, "--public-key", token,
            "--group", group, home=home,
        )  # fmt: skip
    with running(home) as server:
        yield NoticeDesk(DeskSite(server, axe_checker), home)


# ---- driving the editor -------------------------------------------------------------------


def go(page: Page, site: DeskSite, action: Callable[[], object]) -> None:
    """Click something that loads a page, and check the page it loads."""
    with page.expect_navigation():
        action()
    site.after_navigation(page)


def fill_notice(
    page: Page,
    title: str,
    start: date,
    end: date | None,
    *,
    text: str = "Mehr dazu im Rathaus.",
    hubs: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
) -> None:
    page.get_by_label("Titel (Deutsch)").fill(title)
    page.get_by_label("Text (Deutsch)").fill(text)
    page.get_by_label("Anzeigen ab: Datum").fill(start.isoformat())
    if end is None:
        page.get_by_label("Unbefristet, bis er zurückgezogen wird").check()
    else:
        page.get_by_label("Bis zu einem Datum").check()
        page.get_by_label("Anzeigen bis: Datum").fill(end.isoformat())
    if hubs or groups:
        page.get_by_label("Nur ausgewählte Gruppen und Hubs").check()
    for hub in hubs:
        page.get_by_role("checkbox", name=f"{hub} ({HUBS[hub]})", exact=True).check()
    for group in groups:
        page.get_by_role("checkbox", name=f"{group} (", exact=False).check()


def publish(page: Page, site: DeskSite, button: str = "Veröffentlichen") -> str:
    """Send the editor, confirm its warnings (a language is always missing here), and return
    the id of the notice whose page the browser lands on."""
    go(page, site, page.get_by_role("button", name=button, exact=True).click)
    expect(page.locator("#warnings")).to_be_visible()
    go(page, site, page.get_by_role("button", name="Trotzdem veröffentlichen").click)
    expect(page.get_by_role("status")).to_be_visible()
    return page.url.split("/notices/")[1].split("?")[0]


def new_notice(page: Page, desk: NoticeDesk, title: str, hubs: tuple[str, ...] = ()) -> str:
    desk.site.visit(page, "/notices/new")
    fill_notice(page, title, desk.day(-1), desk.day(30), hubs=hubs)
    return publish(page, desk.site)


def rows(page: Page) -> list[list[str]]:
    table = page.locator("table.notice-list tbody tr")
    return [
        [cell.strip() for cell in table.nth(i).locator("th, td").all_inner_texts()]
        for i in range(table.count())
    ]


def row_of(page: Page, title: str) -> list[str]:
    found = [row for row in rows(page) if row[0].startswith(title)]
    assert len(found) == 1, (title, rows(page))
    return found[0]


# ---- publishing, the list, editing, history ----------------------------------------------------


def test_publish_for_a_hub_and_for_a_group_and_see_them_listed(
    page: Page, notice_desk: NoticeDesk
) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    site.visit(page, "/notices/new")
    fill_notice(
        page, "Glasfaser-Sprechstunde", notice_desk.day(-1), notice_desk.day(30), hubs=("Ringelai",)
    )
    go(page, site, page.get_by_role("button", name="Veröffentlichen", exact=True).click)
    expect(page.locator("#warnings")).to_contain_text(
        "Es fehlt: Englisch, Leichte Sprache. Der Kiosk zeigt dort den deutschen Text."
    )
    go(page, site, page.get_by_role("button", name="Trotzdem veröffentlichen").click)
    expect(page.get_by_role("status")).to_have_text("Der Aushang ist veröffentlicht.")
    expect(page.locator("#fact-targets")).to_have_text("Ringelai")

    site.visit(page, "/notices/new")
    fill_notice(page, "Seniorennachmittag", notice_desk.day(-1), None, groups=("Ilzer Land",))
    page.get_by_label("Beginn: Datum").fill(notice_desk.day(3).isoformat())
    page.get_by_label("Beginn: Uhrzeit").fill("15:00")
    page.get_by_label("Ort", exact=True).fill("Pfarrheim Perlesreut")
    page.get_by_label("Bis die Veranstaltung vorbei ist").check()
    group_id = publish(page, site)
    expect(page.locator("#fact-targets")).to_have_text("Gruppe Ilzer Land")
    # No end given: it leaves at the end of the event's day.
    expect(page.locator("#fact-window")).to_contain_text(
        f"{notice_desk.day(3):%d.%m.%Y}, 24:00 Uhr"
    )

    site.visit(page, "/notices")
    hub_row = row_of(page, "Glasfaser-Sprechstunde")
    assert hub_row[1:6] == [
        "wird gezeigt",
        f"ab {weekday(notice_desk.day(-1))} {notice_desk.day(-1):%d.%m.%Y}"
        f" · bis {weekday(notice_desk.day(30))} {notice_desk.day(30):%d.%m.%Y}, 24:00 Uhr",
        "Ringelai",
        "Deutsch",
        "Anna Berger",
    ]
    assert row_of(page, "Seniorennachmittag")[3] == "Gruppe Ilzer Land"

    # The hubs see it the same way: Perlesreut (in the group) has the group's notice only.
    shown = [n["title"] for n in notices_json(notice_desk.home, "--hub", "Perlesreut")]
    assert "Seniorennachmittag" in shown
    assert "Glasfaser-Sprechstunde" not in shown

    # A filter swaps the results only (htmx), and the address follows it.
    page.evaluate("window.deskTestMarker = 'same page'")
    page.get_by_label("Für", exact=True).select_option(label="Gruppe Ilzer Land")
    expect(page.locator("table.notice-list tbody tr")).to_have_count(1, timeout=WAIT_MS)
    assert row_of(page, "Seniorennachmittag")[0].startswith("Seniorennachmittag")
    assert page.evaluate("window.deskTestMarker") == "same page"
    assert parse_qs(urlsplit(page.url).query)["target"] == ["group:Ilzer Land"]
    site.after_navigation(page)
    assert group_id


def weekday(day: date) -> str:
    return ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")[day.weekday()]


def test_an_edit_by_someone_else_shows_in_the_history(
    page: Page, browser: Browser, notice_desk: NoticeDesk
) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    notice_id = new_notice(page, notice_desk, "Bürgerbus nach Grafenau", hubs=("Schönberg",))

    stale = page.context.new_page()  # Anna opens the editor before Hans saves his change
    site.visit(stale, f"/notices/{notice_id}/edit")
    other = browser.new_context()
    other.set_default_timeout(WAIT_MS)
    try:
        hans = other.new_page()
        site.log_in(hans, HANS)
        site.visit(hans, f"/notices/{notice_id}")
        go(hans, site, hans.get_by_role("link", name="Bearbeiten").click)
        hans.get_by_role("link", name="Englisch (fehlt)").click()  # the tab: no reload
        hans.get_by_label("Titel (Englisch)").fill("Community bus to Grafenau")
        hans.get_by_label("Text (Englisch)").fill("Every Tuesday at 8:15 from the village square.")
        hans.get_by_label("Anzeigen bis: Datum").fill(notice_desk.day(40).isoformat())
        publish(hans, site, button="Änderungen veröffentlichen")
        expect(hans.get_by_role("status")).to_have_text("Die Änderungen sind veröffentlicht.")
    finally:
        other.close()

    site.visit(page, f"/notices/{notice_id}")
    entries = page.locator("ol.history > li")
    expect(entries).to_have_count(2)
    newest, first = entries.nth(0), entries.nth(1)
    expect(newest.locator(".history-head strong")).to_have_text("Geändert von Hans Sprache")
    expect(newest.locator("li")).to_have_text(
        [
            "Titel (Englisch) hinzugefügt: „Community bus to Grafenau“",
            "Text (Englisch) hinzugefügt",
            f"Ende: bis {weekday(notice_desk.day(30))} {notice_desk.day(30):%d.%m.%Y}, 24:00 Uhr"
            f" → bis {weekday(notice_desk.day(40))} {notice_desk.day(40):%d.%m.%Y}, 24:00 Uhr",
        ]
    )
    expect(first.locator(".history-head strong")).to_have_text("Veröffentlicht von Anna Berger")
    expect(first).to_contain_text("Titel (Deutsch): „Bürgerbus nach Grafenau“")
    site.visit(page, "/notices?q=Grafenau")
    assert row_of(page, "Bürgerbus nach Grafenau")[4:6] == ["Deutsch, Englisch", "Hans Sprache"]

    # Anna's editor still shows the notice without English: saving it is said first.
    before = notice_desk.state()
    go(stale, site, stale.get_by_role("button", name="Änderungen veröffentlichen").click)
    expect(stale.locator("#warnings")).to_contain_text("Hans Sprache hat den Aushang am ")
    expect(stale.locator("#warnings")).to_contain_text(
        "geändert, nachdem Sie ihn geöffnet haben. Ihre Fassung ersetzt diese Änderung."
    )
    assert notice_desk.state() == before


def test_a_date_alone_means_until_the_end_of_that_day(page: Page, notice_desk: NoticeDesk) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    last = notice_desk.day(20)
    site.visit(page, "/notices/new")
    fill_notice(page, "Christbaumversteigerung", notice_desk.day(-2), last)
    notice_id = publish(page, site)
    start, until, _ = notice_desk.notice_row(notice_id)
    assert (start, until) == (whole_day(notice_desk.day(-2))[0], whole_day(last)[1])
    expect(page.locator("#fact-window")).to_contain_text(
        f"bis {weekday(last)} {last:%d.%m.%Y}, 24:00 Uhr"
    )
    go(page, site, page.get_by_role("link", name="Bearbeiten").click)
    expect(page.get_by_label("Anzeigen bis: Datum")).to_have_value(last.isoformat())
    expect(page.get_by_label("Anzeigen bis: Uhrzeit")).to_have_value("")


# ---- errors, refusals -----------------------------------------------------------------------


def test_errors_stand_beside_their_fields_and_nothing_is_stored(
    page: Page, notice_desk: NoticeDesk, tmp_path: Path
) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    before = notice_desk.state()
    site.visit(page, "/notices/new")
    page.get_by_label("Text (Deutsch)").fill("Der Text bleibt, wie er getippt wurde.")
    page.get_by_label("Anzeigen ab: Datum").fill(notice_desk.day(5).isoformat())
    page.get_by_label("Anzeigen bis: Datum").fill(notice_desk.day(2).isoformat())
    big = tmp_path / "plakat.pdf"
    big.write_bytes(pdf(600 * 1024))
    page.get_by_label("Dateien hinzufügen").set_input_files(big)
    go(page, site, page.get_by_role("button", name="Veröffentlichen", exact=True).click)

    expect_error(page, "title_de", "Bitte geben Sie einen Titel ein.")
    expect_error(page, "until", "Das Ende muss nach dem Beginn liegen.")
    expect_error(page, "files", "„plakat.pdf“ ist zu groß: 600 KiB, höchstens 512 KiB.")
    expect(page.get_by_label("Text (Deutsch)")).to_have_value(
        "Der Text bleibt, wie er getippt wurde."
    )
    expect(page.get_by_label("Anzeigen ab: Datum")).to_have_value(notice_desk.day(5).isoformat())
    expect(page.locator("#problems")).to_contain_text("Bitte prüfen Sie diese Angaben")

    text = tmp_path / "fahrplan.png"
    text.write_bytes("Abfahrt 8:15 Uhr am Dorfplatz, Rückfahrt 12:30 Uhr".encode("latin-1"))
    page.get_by_label("Titel (Deutsch)").fill("Fahrplan")
    page.get_by_label("Dateien hinzufügen").set_input_files(text)
    go(page, site, page.get_by_role("button", name="Veröffentlichen", exact=True).click)
    expect_error(
        page,
        "files",
        "„fahrplan.png“ ist weder ein Bild (JPEG, PNG, GIF, WebP) noch ein PDF, wie sein Inhalt"
        " zeigt.",
    )
    assert notice_desk.state() == before  # no notice and no blob stored

    go(page, site, page.get_by_role("link", name="English").click)  # the desk in English
    page.get_by_label("Title (German)").fill("")
    go(page, site, page.get_by_role("button", name="Publish", exact=True).click)
    expect_error(page, "title_de", "Please enter a title.")
    assert notice_desk.state() == before


def expect_error(page: Page, field: str, text: str) -> None:
    """The error stands beside its field, and the field names it."""
    expect(page.locator(f"#error-{field}")).to_have_text(text)
    described = page.locator(f"#field-{field}").get_attribute("aria-describedby") or ""
    assert f"error-{field}" in described.split()


def test_a_crafted_post_with_an_unknown_hub_is_refused(
    page: Page, context: BrowserContext, notice_desk: NoticeDesk
) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    site.visit(page, "/notices/new")
    csrf = page.locator("form#notice-form input[name=csrf]").get_attribute("value")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    before = notice_desk.state()
    fields = {
        "csrf": csrf,
        "title_de": "Wasserrohrbruch",
        "body_de": "Bitte Wasser abkochen.",
        "category": "warnung",
        "priority": "normal",
        "from_date": notice_desk.day(0).isoformat(),
        "until_mode": "retracted",
        "target_mode": "some",
    }
    for hubs in (["Schönbrunn"], ["ab" * 32], ["Ringelai", "Perlesreut; DROP"]):
        answer = requests.post(
            site.url("/notices/new"),
            data={**fields, "hubs": hubs},
            cookies=cookies,
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 400
        assert "Unbekannter Hub: " in answer.text
        assert "Im Netz sind: Perlesreut, Ringelai, Schönberg." in answer.text
    tiny = ("punkt.pdf", pdf(100), "application/pdf")
    answer = requests.post(
        site.url("/notices/new"),
        data=fields,
        files=[("files", tiny)] * 17,
        cookies=cookies,
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 400
    assert "Höchstens 8 Anhänge je Aushang." in answer.text
    answer = requests.post(
        site.url("/notices/new"),
        data={**fields, "groups": "Bayerwald"},
        cookies=cookies,
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 400
    assert "Unbekannte Gruppe: Bayerwald. Im Netz gibt es: Ilzer Land, Sonnenwald." in answer.text
    assert notice_desk.state() == before


def test_a_post_without_its_csrf_token_is_refused(
    page: Page, context: BrowserContext, notice_desk: NoticeDesk
) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    before = notice_desk.state()
    fields = {"title_de": "Ohne Formular", "body_de": "…", "from_date": "2026-01-01"}
    for path in ("/notices/new", "/notices/n-0000/retract"):
        answer = requests.post(
            site.url(path), data=fields, cookies=cookies, allow_redirects=False, timeout=30
        )
        assert answer.status_code == 403
        assert "Formular abgelehnt" in answer.text
    assert notice_desk.state() == before


# ---- attachments ----------------------------------------------------------------------------


def test_a_photo_waits_through_an_error_and_is_stored_scaled_and_stripped(
    page: Page, notice_desk: NoticeDesk, tmp_path: Path
) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 49.0, 12.5)}  # where the photo was taken
    photo = tmp_path / "Pfarrfest.jpeg"
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((3000, 2000)).convert("RGB").save(
        buffer, "JPEG", quality=80, exif=exif.tobytes()
    )
    photo.write_bytes(buffer.getvalue())
    site.visit(page, "/notices/new")
    fill_notice(page, "", notice_desk.day(0), notice_desk.day(10))
    page.get_by_label("Dateien hinzufügen").set_input_files(photo)
    go(page, site, page.get_by_role("button", name="Veröffentlichen", exact=True).click)
    expect_error(page, "title_de", "Bitte geben Sie einen Titel ein.")
    # The photo was checked and waits for the notice; nothing is stored yet.
    waiting = page.get_by_role("checkbox", name="Pfarrfest.jpg")
    expect(waiting).to_be_checked()
    page.get_by_label("Titel (Deutsch)").fill("Pfarrfest in Ringelai")
    notice_id = publish(page, site)
    expect(page.locator("dl.facts")).to_contain_text("Pfarrfest.jpg")
    _, _, attachments = notice_desk.notice_row(notice_id)
    digest = attachments.split('"blob":"')[1][:64]
    stored = Image.open(io.BytesIO(notice_desk.blob(digest)))
    assert stored.size == (1620, 1080)  # fitted into the kiosk's 1920 x 1080, aspect kept
    assert not stored.getexif()


def pdf(size: int) -> bytes:
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"%" + b"x" * (size - len(head) - len(tail) - 1) + tail


# ---- retraction -----------------------------------------------------------------------------


def test_retract_with_a_reason_from_the_list(page: Page, notice_desk: NoticeDesk) -> None:
    site = notice_desk.site
    site.log_in(page, ANNA)
    notice_id = new_notice(page, notice_desk, "Straßensperrung Hauptstraße")
    site.visit(page, "/notices?q=Straßensperrung")
    go(page, site, page.get_by_role("link", name="Zurückziehen: Straßensperrung Hauptstraße").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Aushang zurückziehen")
    go(page, site, page.get_by_role("button", name="Endgültig zurückziehen").click)
    expect_error(page, "reason", "Bitte geben Sie einen Grund an.")
    page.get_by_label("Grund").fill("Sperrung aufgehoben")
    go(page, site, page.get_by_role("button", name="Endgültig zurückziehen").click)
    expect(page.get_by_role("status")).to_have_text("Der Aushang ist zurückgezogen.")
    newest = page.locator("ol.history > li").first
    expect(newest.locator("strong")).to_have_text("Zurückgezogen von Anna Berger")
    expect(newest).to_contain_text("Grund: Sperrung aufgehoben")
    expect(page.get_by_role("link", name="Bearbeiten")).to_have_count(0)

    site.visit(page, "/notices?state=retracted&q=Straßensperrung")
    assert row_of(page, "Straßensperrung Hauptstraße")[1].startswith("zurückgezogen am ")
    site.visit(page, "/notices?q=Straßensperrung")
    expect(page.locator("table.notice-list")).to_have_count(0)
    assert "Straßensperrung Hauptstraße" not in [n["title"] for n in notices_json(notice_desk.home)]
    assert notice_id


# ---- without JavaScript -------------------------------------------------------------------------


def test_the_list_and_the_editor_work_without_javascript(
    browser: Browser, notice_desk: NoticeDesk
) -> None:
    site = notice_desk.site
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    site.without_javascript.append(context)
    try:
        page = context.new_page()
        site.log_in(page, ANNA)
        site.visit(page, "/notices/new")
        fill_notice(page, "Kräuterwanderung", notice_desk.day(-1), notice_desk.day(9))
        page.get_by_label("Kategorie").select_option(label="Vereine")
        page.get_by_role("link", name="Englisch (fehlt)").click()  # a plain anchor: :target
        page.get_by_label("Titel (Englisch)").fill("Herb walk")
        page.get_by_label("Text (Englisch)").fill("Meet at the church.")
        notice_id = publish(page, site)
        expect(page.locator("#fact-window")).to_contain_text(f"{notice_desk.day(9):%d.%m.%Y}")

        site.visit(page, "/notices")
        page.get_by_label("Kategorie").select_option(label="Vereine")
        go(page, site, page.get_by_role("button", name="Filtern").click)
        assert "category=verein" in page.url
        assert [row[0] for row in rows(page)] == ["Kräuterwanderung"]
        go(page, site, page.get_by_role("link", name="Geplant").click)
        expect(page.get_by_text("Keine Aushänge in dieser Auswahl.")).to_be_visible()
        go(page, site, page.get_by_role("link", name="Aktuell").click)
        go(page, site, page.get_by_role("link", name="Kräuterwanderung", exact=True).click)
        assert notice_id in page.url
    finally:
        context.close()
