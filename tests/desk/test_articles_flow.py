"""The how-to library in the desk (issue 16), with a real `dorfhub serve` and Debian's chromium
(axe-core on every page): a guide writes an article for its hub, with a picture per step,
adding and moving steps on the way (the picture sent once is kept); the article is stored for
the guide's hub only, its pictures with it. Another guide can neither open it nor write for a
group that is not its own; the guide changes it (a step removed) and retracts it.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from content.articles import all_articles, articles_for_hub, picture
from content.identity import Identity
from content.relay import needed_blobs
from content.roles import guide_article_prefix
from node.demo_articles import PICTURES
from tests.desk.conftest import AxeChecker, DeskSite
from tests.desk.guide_world import KERN, LANG, add_guides, grant_hub
from tests.sync.conftest import running

FIRST = PICTURES / "erezept-3.png"
SECOND = PICTURES / "erezept-5.png"


@dataclass
class Town:
    site: DeskSite
    home: Path
    ringelai: Identity  # in KERN's group
    tittling: Identity  # in LANG's group

    def articles(self) -> list[tuple[str, list[str]]]:
        """Every live article: its id and the hubs (of the two) that show it."""
        with sqlite3.connect(f"file:{self.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
            shown = {
                hub.name: {a.id for a in articles_for_hub(conn, hub.key_id)}
                for hub in (self.ringelai, self.tittling)
            }
            return [
                (a.id, [name for name, ids in shown.items() if a.id in ids])
                for a in all_articles(conn)
            ]


@pytest.fixture(scope="module")
def town(
    desk_home: Path, axe_checker: AxeChecker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Town]:
    home = tmp_path_factory.mktemp("articles") / "town"
    shutil.copytree(desk_home, home)
    ringelai = grant_hub(home, "Ringelai", KERN.groups)
    tittling = grant_hub(home, "Tittling", LANG.groups)
    add_guides(home, [KERN, LANG])  # a guide's groups must exist: the hubs' grants name them
    with running(home) as server:
        yield Town(DeskSite(server, axe_checker), home, ringelai, tittling)


def go(page: Page, site: DeskSite, click: Callable[[], object]) -> None:
    with page.expect_navigation():
        click()
    site.after_navigation(page)


def test_a_guide_writes_an_article_with_pictures_for_its_hub(page: Page, town: Town) -> None:
    site = town.site
    site.log_in(page, KERN.login)
    go(page, site, page.get_by_role("link", name="So funktioniert’s").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("So funktioniert’s: Anleitungen")
    go(page, site, page.get_by_role("link", name="Neue Anleitung").click)
    # Refused first: nothing typed; each problem beside its field, nothing stored.
    go(page, site, page.get_by_role("button", name="Speichern und veröffentlichen").click)
    expect(page.locator("#error-title_de")).to_have_text(
        "Bitte geben Sie einen deutschen Titel an."
    )
    expect(page.locator("#error-step0_upload")).to_have_text(
        "Bitte wählen Sie ein Bild für den Schritt."
    )
    assert town.articles() == []
    page.get_by_label("Titel (Deutsch)").fill("Das Rezept in der Apotheke")
    page.get_by_label("Titel (Leichte Sprache)").fill("Rezept holen")
    page.get_by_label("Kurzbeschreibung (Deutsch)").fill("So holen Sie Ihr E-Rezept ab.")
    page.get_by_label("Schritt 1: Text (Deutsch)").fill("Zeigen Sie den Zettel mit dem Code.")
    page.get_by_label("Schritt 1: Was das Bild zeigt (Deutsch)").fill("Ein Zettel mit Code.")
    page.get_by_label("Bild für Schritt 1").set_input_files(FIRST)
    expect(page.get_by_label("Ilzer Land")).to_be_checked()  # the guide's one group
    # A second step: the form comes back with the first step's picture kept.
    go(page, site, page.get_by_role("button", name="Schritt hinzufügen").click)
    expect(page.get_by_role("img", name="Ein Zettel mit Code.")).to_be_visible()
    page.get_by_label("Schritt 2: Text (Deutsch)").fill("Stecken Sie die Karte ein.")
    page.get_by_label("Schritt 2: Was das Bild zeigt (Deutsch)").fill("Eine Karte im Lesegerät.")
    page.get_by_label("Bild für Schritt 2").set_input_files(SECOND)
    # The card first: step 2 moves up, with its picture.
    go(page, site, page.get_by_role("button", name="Schritt 2 nach oben").click)
    expect(page.get_by_label("Schritt 1: Text (Deutsch)")).to_have_value(
        "Stecken Sie die Karte ein."
    )
    expect(page.get_by_role("img", name="Eine Karte im Lesegerät.")).to_be_visible()
    go(page, site, page.get_by_role("button", name="Speichern und veröffentlichen").click)
    expect(page.get_by_role("status")).to_contain_text("Die Anleitung ist gespeichert")
    expect(page.locator("main")).to_contain_text("Das Rezept in der Apotheke")

    # Stored under an id that names the guide, for Ringelai (its group) and not Tittling.
    ((article_id, hubs),) = town.articles()
    assert hubs == ["Ringelai"]
    with sqlite3.connect(f"file:{town.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        (kern,) = conn.execute("SELECT key FROM keys WHERE name = ?", (KERN.name,)).fetchone()
        assert article_id.startswith(guide_article_prefix(kern))
        (article,) = articles_for_hub(conn, town.ringelai.key_id)
        assert [article.step_text(i, "de") for i in range(2)] == [
            "Stecken Sie die Karte ein.",
            "Zeigen Sie den Zettel mit dem Code.",
        ]
        assert article.title("de-LS") == "Rezept holen"
        assert article.title("en") == "Das Rezept in der Apotheke"  # German where none
        digests = [step.picture.blob for step in article.body.steps]
        assert all(picture(conn, digest) is not None for digest in digests)
        # The pictures travel to Ringelai with the article, and not to Tittling.
        assert needed_blobs(conn, town.ringelai.key_id) == set(digests)
        assert needed_blobs(conn, town.tittling.key_id) == frozenset()

    # Another guide can neither open it nor write for a group that is not its own.
    other = page.context.browser.new_context() if page.context.browser else None
    assert other is not None
    try:
        intruder = other.new_page()
        site.log_in(intruder, LANG.login)
        response = intruder.goto(site.url(f"/articles/{article_id}/edit"))
        assert response is not None
        assert response.status == 404
        csrf = re.search(r'name="csrf" value="([^"]+)"', intruder.content())
        assert csrf is not None
        sent = intruder.request.post(
            site.url("/articles/new"),
            multipart={
                "csrf": csrf.group(1),
                "steps": "1",
                "groups": "Ilzer Land",
                "title_de": "Fremde Anleitung",
                "summary_de": "Für einen fremden Hub.",
                "step0_text_de": "Ein Schritt.",
                "step0_alt_de": "Ein Bild.",
                "step0_upload": {
                    "name": "bild.png",
                    "mimeType": "image/png",
                    "buffer": FIRST.read_bytes(),
                },
                "action": "save",
            },
        )
        assert sent.status == 400
        assert "Diese Gruppe können Sie nicht wählen." in sent.text()
    finally:
        other.close()
    assert [found for found, _ in town.articles()] == [article_id]

    # The guide changes it: the card step goes, the code step is all that is left.
    go(
        page,
        site,
        page.get_by_role("link", name="Anleitung „Das Rezept in der Apotheke“ ändern").click,
    )
    expect(page.get_by_role("img", name="Eine Karte im Lesegerät.")).to_be_visible()
    go(page, site, page.get_by_role("button", name="Schritt 1 entfernen").click)
    expect(page.get_by_label("Schritt 1: Text (Deutsch)")).to_have_value(
        "Zeigen Sie den Zettel mit dem Code."
    )
    go(page, site, page.get_by_role("button", name="Speichern und veröffentlichen").click)
    expect(page.get_by_role("status")).to_contain_text("Die Anleitung ist gespeichert")
    with sqlite3.connect(f"file:{town.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        (article,) = articles_for_hub(conn, town.ringelai.key_id)
        assert article.id == article_id
        assert [step.picture.blob for step in article.body.steps] == digests[1:]

    # The guide retracts it: the kiosks take it out.
    go(
        page,
        site,
        page.get_by_role("link", name="Anleitung „Das Rezept in der Apotheke“ zurückziehen").click,
    )
    go(page, site, page.get_by_role("button", name="Endgültig zurückziehen").click)
    expect(page.get_by_role("status")).to_contain_text("Die Anleitung ist zurückgezogen.")
    assert town.articles() == []
