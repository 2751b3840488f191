"""So funktioniert's at the kiosk (issue 16): the home tile opens the how-to library, an article
is stepped through one step per page with its picture, each step read aloud once the resident
asked for it, the buttons never move, and "Groß drucken" prints the whole article in large
print with its pictures through the kiosk's printer command. One kiosk run for all of it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from content.articles import get_article
from content.store import Store
from node.demo_articles import ARTICLES
from node.home import Home
from tests.kiosk.howto_scenarios import ARTICLE
from tests.kiosk.hubhome import HubHome
from tests.kiosk.run import run_scenario
from tests.print import readback

pytestmark = pytest.mark.usefixtures("display")


def test_the_library_an_article_step_by_step_read_aloud_and_printed_large(
    hub_home: HubHome, tmp_path: Path
) -> None:
    out_pdf = tmp_path / "printed.pdf"
    # The printer keeps the PDF it is given, as `lp` would spool it (test_take_home.py).
    command = ["sh", "-c", 'cp "$1" "$0"', str(out_pdf)]
    Home.open(hub_home.path).save_table("printer", {"command": command})
    with Store(hub_home.path / "dorfhub.db") as store:
        article = get_article(store.conn, ARTICLE)
        assert article is not None
        # The third step's picture has not reached this hub yet: it holds the file's header
        # alone, as a hub may (content/relay.py).
        missing = article.body.steps[2].picture.blob
        store.conn.execute("UPDATE ops SET body = NULL WHERE entity = ?", (missing,))
        store.conn.commit()
    out = run_scenario("howto_scenarios:howto", hub_home.path, tmp_path)["results"]
    steps = article.body.steps
    # The tile opens the library: one row per article, its title in bold over its summary.
    assert out["library"] == ["howto", len(ARTICLES)]
    assert out["rows"][0].startswith(
        "[b]Das E-Rezept[/b]\n"
    )  # alphabetical: Das, Sicher, So, Video
    assert out["library_speech"].startswith("So funktioniert’s. Schritt für Schritt erklärt")
    # The article opens at its first step, with its picture.
    assert out["opened"] == ["howto_article", "Das E-Rezept", "Schritt 1 von 5"]
    assert out["picture"] == [800, 500]
    # The speaker button reads the title and the first step; from then on every step turned
    # to is read as it opens.
    assert out["first_spoken"] == [f"Das E-Rezept. Schritt 1 von 5. {article.step_text(0, 'de')}"]
    assert len(out["steps"]) == len(steps) - 1
    for number, (position, text, spoken, pictured, note) in enumerate(out["steps"], start=2):
        assert position == f"Schritt {number} von {len(steps)}"
        assert text == article.step_text(number - 1, "de")
        assert spoken == [f"{position}. {text}"]
        # A picture not here yet is said in words (its alt text) in its place.
        assert (pictured, note) == ((False, article.alt(2, "de")) if number == 3 else (True, ""))
    assert out["last_button"] == "Fertig"
    assert out["back_one"] == f"Schritt {len(steps) - 1} von {len(steps)}"
    # Nothing moved under a finger: not on a step, not with the print message.
    assert out["moved"] == []
    # Groß drucken: the whole article in large print, with a picture per step.
    assert out["print_button"] == [True, 1, "Groß drucken"]
    assert out["while_printing"] == ["Einen Moment bitte: Die Anleitung wird gedruckt …", True]
    assert out["printed"] == ["Gedruckt. Bitte nehmen Sie die Blätter aus dem Drucker."] * 2
    printed = readback.flat(readback.text(out_pdf))
    for index in range(len(steps)):
        assert f"Schritt {index + 1} von {len(steps)}" in printed
        assert readback.flat(article.step_text(index, "de")) in printed
    sizes = readback.word_sizes(out_pdf)
    assert sizes["E-Rezept"] >= 32  # the title
    assert sizes["Apotheke"] >= 19.5  # the steps' text, 20 pt
    listed = subprocess.run(
        ["pdfimages", "-list", str(out_pdf)], capture_output=True, text=True, check=True
    )
    assert len(listed.stdout.splitlines()[2:]) == len(steps) - 1  # every picture held here
    # In English, the article and the layout rules in high contrast and large text; Weiter on
    # the last step goes back to the library.
    assert out["english"] == ["The e-prescription", f"Step {len(steps) - 1} of {len(steps)}"]
    assert out["finished"] == "howto"
    for state in ("library_layout", "article_layout", "article_layout_large"):
        assert out[state]["problems"] == [], state
        assert out[state]["targets"] >= 6, state
    assert out["library_layout_large"]["problems"] == []
