"""`dorfhub demo` builds a network whose nodes converge and verify."""

from __future__ import annotations

import re
from pathlib import Path

from tests.node.cli import run_dorfhub


def test_demo_runs_and_all_nodes_agree(tmp_path: Path) -> None:
    out = run_dorfhub("demo", "--dir", tmp_path / "demo", "--no-kiosk").stdout
    assert "Aushänge – Ringelai" in out
    assert "Aus·hänge – Perlesreut" in out  # Leichte Sprache board
    assert "Notices – Ringelai (English)" in out
    perlesreut = out.split("Aus·hänge – Perlesreut")[1].split("Notices –")[0]
    assert "ACHTUNG, GEFAHR" in perlesreut  # the water-main emergency is shown there ...
    ringelai = out.split("Aushänge – Ringelai")[1].split("Aus·hänge")[0]
    assert "Wasserrohrbruch" not in ringelai  # ... and only there
    assert "Sperrmüll" not in out  # expired
    assert "Christkindlmarkt" not in out  # not yet shown
    assert "Kirchweg" not in out  # retracted
    assert "Bäckerwagen am Dorfplatz" in ringelai  # shown for the demo's first ten minutes
    assert re.search(r"»Bäckerwagen am Dorfplatz« endet um \d\d:\d\d", out)
    assert "15:00–18:00" in perlesreut  # the updated time of the seniors' afternoon wins
    digests = re.findall(r"Digest ([0-9a-f]{32})\s+ok", out)
    assert len(digests) == 3
    assert len(set(digests)) == 1
    climate = out.split("Raumklima (emulierte Sensoren):")[1]
    assert re.search(r"Ringelai\s+2\d,\d °C, \d\d % rel\. Feuchte, CO₂ \d{3} ppm", climate)
    assert re.search(r"Perlesreut\s+2\d,\d °C, .*CO₂ 1\d{3} ppm", climate)  # stuffy


def test_demo_refuses_a_foreign_directory(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    result = run_dorfhub("demo", "--dir", precious, "--no-kiosk", check=False)
    assert result.returncode == 1
    assert (precious / "thesis.txt").exists()
