"""`dorfhub article …` (node/cli_article.py) on a real town's home, through the real command:
the demo's four articles seeded into a new network for one group, listed, printed large and
retracted; an unknown group refused in one line with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

from tests.node.cli import grant_hub, run_dorfhub
from tests.print import readback


def test_seed_list_print_and_retract(tmp_path: Path) -> None:
    town = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=town)
    grant_hub(town, tmp_path, "Ringelai", "Ilzer Land")
    refused = run_dorfhub("article", "seed", "--group", "Dreiburgenland", home=town, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith("dorfhub: error: no group 'Dreiburgenland'")
    assert json.loads(run_dorfhub("article", "list", "--json", home=town).stdout) == []

    seeded = run_dorfhub("article", "seed", "--group", "ilzer land", home=town).stdout
    assert seeded.count("published for Ilzer Land") == 4
    listed = json.loads(
        run_dorfhub("article", "list", "--hub", "Ringelai", "--json", home=town).stdout
    )
    assert [a["title"] for a in listed] == [
        "Das E-Rezept",
        "Sicher telefonieren – Betrug erkennen",
        "So benutzen Sie den Bildschirm",
        "Videosprechstunde im Dorfhub",
    ]
    assert {a["steps"] for a in listed} == {5, 6, 7}
    assert all(a["groups"] == ["Ilzer Land"] for a in listed)

    out = tmp_path / "telefon.pdf"
    run_dorfhub("article", "print", "a-demo-telefon", "--out", out, "--lang", "de-LS", home=town)
    printed = readback.flat(readback.text(out))
    assert "Schritt 1 von 6" in printed
    assert "Die Polizei ruft nie mit 110 an." in printed

    run_dorfhub("article", "retract", "a-demo-telefon", "--reason", "veraltet", home=town)
    left = run_dorfhub("article", "list", home=town).stdout
    assert "a-demo-telefon" not in left
    assert left.count("for Ilzer Land)") == 3
    again = run_dorfhub("article", "retract", "a-demo-telefon", home=town, check=False)
    assert again.returncode == 1
    assert "was retracted" in again.stderr
