"""The feed poller's line on the desk's fleet page (admin/desk/warnings_line.py), read from the
status file the poller writes: counts when all is well; "state unknown" when a feed fails or the
poller has stopped writing, never "no warnings"."""

from __future__ import annotations

import json
from pathlib import Path

from admin.desk.fleet_words import FleetWords
from admin.desk.i18n import Translator, Words
from admin.desk.warnings_line import STALE_MS, warnings_line

NOW = 1_780_000_000_000


def _status(home: Path, failures: int = 0, written: int = NOW) -> None:
    feed = {"url": "http://127.0.0.1:9/w.xml", "interval_s": 60, "last_ok_ms": NOW - 5_000}
    feed |= {"failures": failures, "last_error": "timeout" if failures else "", "next_in_s": 3}
    counts = {"published": 2, "updated": 1, "retracted": 1, "unmatched": 0, "errors": 0}
    status = {"written_ms": written, "feeds": [feed], "counts": counts, "last": ""}
    (home / "warnings-status.json").write_text(json.dumps(status))


def test_the_fleet_line_says_what_the_poller_did(tmp_path: Path) -> None:
    translator = Translator()
    german = FleetWords(Words(translator, "de"), NOW)
    assert warnings_line(tmp_path, german) is None  # no poller: no line
    _status(tmp_path)
    text, problem = warnings_line(tmp_path, german) or ("", True)
    assert text.startswith("Amtliche Warnungen: 1 Quelle(n), zuletzt abgerufen gerade eben")
    assert "3 veröffentlicht, 1 aufgehoben, 0 ohne Hub" in text
    assert not problem
    english = FleetWords(Words(translator, "en"), NOW)
    assert (warnings_line(tmp_path, english) or ("",))[0].startswith("Official warnings: 1 feed")
    _status(tmp_path, failures=3)
    text, problem = warnings_line(tmp_path, german) or ("", False)
    assert "Stand unbekannt" in text
    assert "3× gescheitert (timeout)" in text
    assert problem
    _status(tmp_path, written=NOW - STALE_MS - 60_000)
    text, problem = warnings_line(tmp_path, german) or ("", False)
    assert text.startswith("Amtliche Warnungen: Stand unbekannt – der Abruf hat sich zuletzt")
    assert problem
