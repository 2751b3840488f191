"""The desk's catalogs: every key in both languages, every key the desk uses in a catalog."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from admin.desk import auth
from admin.desk.i18n import LANGUAGES, Translator, load_catalog
from content.attachments import FILE_PROBLEMS
from content.local_time import whole_day

DESK = Path(auth.__file__).parent
KEY = r"(?:desk|page|skip|nav|lang|user|format|field|login|today|error|refused)(?:\.[a-z_]+)*"
ERROR_KINDS = ("forbidden", "csrf", "not_found", "bad_request")


def used_keys() -> set[str]:
    """Keys named in templates (t("…")) and Python (catalog keys as string literals)."""
    found: set[str] = set()
    for template in (DESK / "templates").rglob("*.html"):
        found |= set(re.findall(rf"""t\(\s*["']({KEY})["']""", template.read_text()))
    for module in DESK.glob("*.py"):
        literals = re.findall(rf"""["']({KEY}\.[a-z_.]+)["']""", module.read_text())
        found |= {key for key in literals if not key.endswith(".html")}
    found |= {f"error.{kind}.{part}" for kind in ERROR_KINDS for part in ("title", "text")}
    found |= {f"login.ended.{reason}" for reason in auth.ENDED_REASONS}
    found |= {f"notices.error.{reason}" for reason in FILE_PROBLEMS}  # notices_edit.py
    return found


def test_both_catalogs_have_the_same_keys() -> None:
    keys = [set(load_catalog(language)) for language in LANGUAGES]
    assert keys[0] == keys[1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_the_desk_uses_has_a_text(language: str) -> None:
    catalog = load_catalog(language)
    missing = sorted(key for key in used_keys() if not catalog.get(key))
    assert not missing


def test_times_are_shown_in_berlin_time() -> None:
    words = Translator()
    start, _end = whole_day(date(2026, 7, 1))
    noon = start + 12 * 3600 * 1000
    assert words.moment("de", noon) == "01.07.2026, 12:00 Uhr"  # CEST, not UTC's 10:00
    assert words.moment("en", noon) == "1 Jul 2026, 12:00"
    assert words.day("de", start) == "01.07.2026"  # local midnight is still that day
