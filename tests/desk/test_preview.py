"""The live preview in the real browser: a notice's detail screen and signage card in German and
Leichte Sprache with the kiosk's colours and sizes (computed styles against content/kiosk_look.py),
a long title wrapped without a word cut, where the kiosk pages, the htmx fragment, and axe-core
on the page. The form is posted by the browser as the editor's "Vorschau in neuem Tab" does."""

from __future__ import annotations

import json
import re
from typing import Any

import requests
from playwright.sync_api import BrowserContext, Page, expect

from admin.desk.preview_layout import signage
from content.kiosk_look import DEFAULT, Screen, line_px, sizes
from tests.desk.conftest import HANS, DeskSite

SIZE = sizes(Screen())
LONG_TITLE = (
    "Seniorennachmittag mit Kaffee und Kuchen im Pfarrheim Perlesreut für alle Generationen "
    "und Nachbarn aus dem ganzen Ilzer Land"
)
FIELDS = {
    "title_de": LONG_TITLE,
    "body_de": "Wir laden alle Seniorinnen und Senioren herzlich ein.\nMit Musik der Blaskapelle.",
    "title_ls": "Treffen für Ältere im Pfarr·heim",
    "body_ls": "Wir trinken Kaffee.\nWir essen Kuchen.",
    "category": "veranstaltung",
    "event_start_date": "2026-12-12",
    "event_start_time": "14:00",
    "event_end_time": "17:00",
    "place": "Pfarrheim Perlesreut",
}
POST_FORM = """([url, fields]) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = url;
    for (const [name, value] of Object.entries(fields)) {
        const field = document.createElement("textarea");
        field.name = name;
        field.value = value;
        form.appendChild(field);
    }
    document.body.appendChild(form);
    form.submit();
}"""
STYLES = """(section) => {
    const style = (selector) => getComputedStyle(section.querySelector(selector));
    const pick = (selector) => {
        const s = style(selector);
        return {size: s.fontSize, line: s.lineHeight, weight: s.fontWeight, colour: s.color,
                background: s.backgroundColor, family: s.fontFamily};
    };
    return {window: pick(".k-detail"), title: pick(".k-title"), text: pick(".k-text"),
            when: pick(".k-when"), surface: pick(".k-surface"),
            button: pick(".k-buttons .k-button"),
            signage: pick(".k-signage"), signageTitle: pick(".k-signage-title"),
            signageBody: pick(".k-signage-body")};
}"""
OVERFLOWING = """(section) => [...section.querySelectorAll(".k-window *")]
    .filter((element) => element.scrollWidth > element.clientWidth)
    .map((element) => element.className)"""


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def csrf_of(page: Page) -> str:
    headers = page.locator("body").get_attribute("hx-headers")
    assert headers is not None
    token: str = json.loads(headers)["X-Desk-CSRF"]
    return token


def post_preview(desk: DeskSite, page: Page, fields: dict[str, str]) -> None:
    """Post the editor's fields from the browser, as its no-JavaScript button does."""
    with page.expect_navigation():
        page.evaluate(POST_FORM, [desk.url("/preview"), {**fields, "csrf": csrf_of(page)}])
    page.evaluate("document.fonts.ready.then(() => true)")
    desk.after_navigation(page)


def section(page: Page, language: str) -> Any:
    return page.locator(f"section.preview:has(#preview-{language}-heading)")


def test_the_preview_in_german_and_leichte_sprache(page: Page, desk: DeskSite) -> None:
    desk.log_in(page, HANS)
    post_preview(desk, page, FIELDS)
    assert page.evaluate("document.fonts.check('24px \"Dorfhub Kiosk\"')")
    german, easy = section(page, "de"), section(page, "de-LS")
    detail = german.locator(".k-detail")
    assert detail.locator(".k-title").inner_text() == LONG_TITLE
    assert "Mit Musik der Blaskapelle." in detail.locator(".k-text").inner_text()
    assert detail.locator(".k-when").inner_text() == (
        "Wann: Samstag, 12. Dezember 2026, 14:00 Uhr bis 17:00 Uhr"
    )
    assert detail.locator(".k-where").inner_text() == "Wo: Pfarrheim Perlesreut"
    easy_detail = easy.locator(".k-detail")
    assert easy_detail.locator(".k-title").inner_text() == "Treffen für Ältere im Pfarr·heim"
    assert easy_detail.locator(".k-text").inner_text() == "Wir trinken Kaffee.\nWir essen Kuchen."
    assert easy_detail.locator(".k-where").inner_text() == "Wo: Pfarrheim Perlesreut"
    assert "Halten Sie Ihr Handy auf das Bild" in easy_detail.locator(".k-caption").inner_text()
    for part, (title, body, where) in (
        (german, (LONG_TITLE, FIELDS["body_de"], "Wo: Pfarrheim Perlesreut")),
        (easy, (FIELDS["title_ls"], FIELDS["body_ls"], "Wo: Pfarrheim Perlesreut")),
    ):
        when = part.locator(".k-detail .k-when").inner_text()
        (card,) = signage(Screen(), SIZE, title, (when, where), body)
        _has_the_kiosks_look(part.evaluate(STYLES), card.title_px, card.body_px)
    # English has no text of its own: the kiosk falls back to German, and the page says so.
    english = section(page, "en")
    assert english.locator(".k-title").inner_text() == LONG_TITLE
    assert "Noch keine englische Fassung" in english.locator(".preview-notes").inner_text()


def _has_the_kiosks_look(styles: dict[str, dict[str, str]], title_px: int, body_px: int) -> None:
    assert styles["window"]["background"] == rgb(DEFAULT.background)
    assert styles["window"]["family"].startswith('"Dorfhub Kiosk"')
    assert styles["title"] == styles["title"] | {
        "size": f"{SIZE.title}px",
        "line": f"{line_px(SIZE.title)}px",
        "weight": "700",
        "colour": rgb(DEFAULT.text),
    }
    assert styles["text"]["size"] == f"{SIZE.reading}px"  # reading text, as the kiosk sets it
    assert styles["text"]["colour"] == rgb(DEFAULT.surface_text)
    assert styles["when"]["size"] == f"{SIZE.heading}px"
    assert styles["surface"]["background"] == rgb(DEFAULT.surface)
    assert styles["button"]["background"] == rgb(DEFAULT.button)
    assert styles["button"]["colour"] == rgb(DEFAULT.button_text)
    assert styles["signage"]["background"] == rgb(DEFAULT.tile)
    # The signage's type is fitted to the notice, as the kiosk fits it (content/signage.py).
    assert styles["signageTitle"]["size"] == f"{title_px}px"
    assert styles["signageTitle"]["line"] == f"{line_px(title_px)}px"
    assert styles["signageTitle"]["colour"] == rgb(DEFAULT.tile_text)
    assert styles["signageBody"]["size"] == f"{body_px}px"


def test_a_long_title_wraps_without_a_word_cut(page: Page, desk: DeskSite) -> None:
    desk.log_in(page, HANS)
    post_preview(desk, page, FIELDS)
    german = section(page, "de")
    title = german.locator(".k-detail .k-title")
    assert german.evaluate(OVERFLOWING) == []
    # Every word whole, on more than one line of the kiosk's title size.
    shown = title.inner_text()
    assert shown.split() == LONG_TITLE.split()
    height = title.evaluate("(element) => element.getBoundingClientRect().height")
    width = german.locator(".k-detail").evaluate("(e) => e.getBoundingClientRect().width")
    scale = width / Screen().width_px
    assert height / scale >= 2 * line_px(SIZE.title) - 1
    # The signage card shows it whole too, in the lines the kiosk breaks it into: no word cut.
    card = german.locator(".k-signage-title").inner_text()
    assert card.split() == LONG_TITLE.split()
    assert len(card.split("\n")) >= 2
    assert "Seniorennach..." not in german.inner_text()
    assert german.locator(".preview-notes").count() == 0  # nothing cut, nothing paged


def test_a_text_longer_than_the_screen_shows_where_the_kiosk_pages(
    page: Page, desk: DeskSite
) -> None:
    desk.log_in(page, HANS)
    long_text = "\n".join(f"Zeile {number}: Fahrplan des Bürgerbusses." for number in range(40))
    post_preview(desk, page, {"title_de": "Bürgerbus", "body_de": long_text})
    german = section(page, "de")
    assert german.locator(".k-cut").inner_text() == (
        "Hier blättert der Kiosk: Seite 1 von 3, weiter mit „Weiter unten“"
    )
    assert "am Kiosk sind es 3 Seiten" in german.locator(".preview-notes").inner_text()
    # The signage pages it as well: the first of its pages, marked, and said beside it.
    pages = signage(Screen(), SIZE, "Bürgerbus", ("", ""), long_text)
    assert len(pages) > 1
    assert german.locator(".k-signage-body").inner_text() == pages[0].body
    assert german.locator(".k-village").inner_text().endswith(f"Seite 1 von {len(pages)}")
    notes = german.locator(".preview-notes").inner_text()
    assert f"Auf der Signage zeigt der Kiosk diesen Aushang auf {len(pages)} Seiten" in notes
    post_preview(desk, page, {"title_de": "Bürgerbus", "body_de": "Jeden Dienstag."})
    assert section(page, "de").locator(".k-cut").count() == 0


def test_the_fragment_for_htmx(context: BrowserContext, page: Page, desk: DeskSite) -> None:
    desk.log_in(page, HANS)
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    headers = {"HX-Request": "true", "X-Desk-CSRF": csrf_of(page)}
    answer = requests.post(
        desk.url("/preview?lang=de-LS"), data=FIELDS, cookies=cookies, headers=headers, timeout=30
    )
    assert answer.status_code == 200
    assert "<html" not in answer.text
    assert re.findall(r'id="preview-([a-zA-Z-]+)-heading"', answer.text) == ["de-LS"]
    assert "Treffen für Ältere im Pfarr·heim" in answer.text
    # A preview changes nothing, but it is a POST: without the form's token it is refused.
    refused = requests.post(
        desk.url("/preview?lang=de"),
        data=FIELDS,
        cookies=cookies,
        headers={"HX-Request": "true"},
        timeout=30,
    )
    assert refused.status_code == 403
    unknown = requests.post(
        desk.url("/preview?lang=fr"), data=FIELDS, cookies=cookies, headers=headers, timeout=30
    )
    assert unknown.status_code == 400
    assert "Ungültige Anfrage" in unknown.text


def test_the_editor_shows_its_own_preview_as_one_types(page: Page, desk: DeskSite) -> None:
    """Each language tab of the editor carries its preview, which htmx refreshes after a pause
    in typing; the page, preview included, passes axe-core."""
    desk.log_in(page, HANS)
    desk.visit(page, "/notices/new")
    german = page.locator("#preview-de")
    expect(german.locator(".k-detail .k-title")).to_have_count(1)
    page.get_by_label("Titel (Deutsch)").fill("Bürgerbus nach Grafenau")
    page.get_by_label("Text (Deutsch)").fill("Abfahrt 8:15 Uhr am Rathaus.")
    expect(german.locator(".k-detail .k-title")).to_have_text("Bürgerbus nach Grafenau")
    expect(german.locator(".k-detail .k-text")).to_have_text("Abfahrt 8:15 Uhr am Rathaus.")
    # English has no text yet: its tab's preview shows the German, as the kiosk would.
    english = page.locator("#preview-en")
    expect(english.locator(".k-detail .k-title")).to_have_text("Bürgerbus nach Grafenau")
    expect(english.locator(".preview-notes")).to_contain_text("Noch keine englische Fassung")
    desk.checker.check(page, javascript=True)
