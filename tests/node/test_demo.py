"""`dorfhub demo` builds a network whose nodes converge and verify, and serves the desk."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.node.cli import DORFHUB, REPO, run_dorfhub
from tests.sync.procs import wait_for

SERVING = "Probieren Sie:"  # the last line before the demo waits for Ctrl+C


@contextmanager
def demo_serving(directory: Path) -> Iterator[list[str]]:
    """`dorfhub demo --serve`, its output lines as they come; SIGTERM (as Ctrl+C) at the end,
    after which the list holds all of it."""
    process = subprocess.Popen(
        [*DORFHUB, "demo", "--dir", str(directory), "--serve", "--no-kiosk"],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(SERVING in line for line in lines) or process.poll(), 240, "demo")
        assert process.poll() is None, "".join(lines)
        yield lines
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, "".join(lines)
        reader.join(timeout=30)


def log_in_to_desk(out: str) -> str:
    """Log in with the login the demo printed; the start page's HTML."""
    found = re.search(
        r"Schreibtisch: (http://127\.0\.0\.1:\d+/desk/)  \(Anmeldung: (.+) / (\S+)\)", out
    )
    assert found, out
    url, name, passphrase = found.groups()
    with requests.Session() as browser:
        form = browser.get(f"{url}login", timeout=30)
        assert form.status_code == 200
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        data = {"csrf": token, "name": name, "passphrase": passphrase, "next": "/desk/"}
        today = browser.post(f"{url}login", data=data, timeout=60)
    assert today.status_code == 200
    assert today.url == url
    return today.text


def test_demo_runs_and_all_nodes_agree(tmp_path: Path) -> None:
    with demo_serving(tmp_path / "demo") as lines:
        today = log_in_to_desk("".join(lines))
    assert "Guten Tag, Maria Hofbauer." in today
    assert '<th scope="row">Ringelai</th>' in today  # the hubs the demo enrolled
    assert '<th scope="row">Perlesreut</th>' in today
    out = "".join(lines)
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
