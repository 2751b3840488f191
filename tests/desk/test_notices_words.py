"""How the desk says what a notice is, and what changed in it: words from both catalogs for
every key the notice pages use, windows and targets in words, and a history read from a real
op log (a publication, an edit by someone else, a retraction, a pruned version)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from admin.desk import notices
from admin.desk.i18n import LANGUAGES, Translator, Words, load_catalog
from admin.desk.notices_history import history
from admin.desk.notices_words import targets_words, window_words
from content import grants
from content import notices as board
from content.bodies import CATEGORIES, PRIORITIES
from content.identity import Identity, network_id_for
from content.log import Log
from content.notices import NOTICE_STATES, notice_body
from content.store import Store

DESK = Path(notices.__file__).parent
BERLIN = ZoneInfo("Europe/Berlin")
GERMAN = Words(Translator(), "de")
ENGLISH = Words(Translator(), "en")
KEY = r"(?:notices|nav)\.[a-z_.0-9]+"
# Keys the code puts together from a value, each with every value it can take.
MADE_KEYS = (
    {f"notices.category.{c}" for c in CATEGORIES}
    | {f"notices.priority.{p}" for p in PRIORITIES}
    | {f"notices.priority_hint.{p}" for p in PRIORITIES}
    | {f"notices.states.{s}" for s in NOTICE_STATES}
    | {f"notices.state.{s}" for s in NOTICE_STATES}
    | {f"notices.weekday.{day}" for day in range(7)}
    | {f"notices.language.{field}" for field in ("de", "en", "ls")}
    | {f"notices.history.{kind}" for kind in ("published", "changed", "retracted", "ignored")}
    | {f"notices.done.{done}" for done in notices.DONE}
)


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=BERLIN).timestamp() * 1000)


def used_keys() -> set[str]:
    sources = [*DESK.glob("notices*.py")]
    sources += [*(DESK / "templates").glob("notices*.html")]
    sources += [*(DESK / "templates" / "partials").glob("notice_*.html")]
    found = set()
    for source in sources:
        found |= set(re.findall(rf"""["']({KEY})["']""", source.read_text()))
    # Prefixes completed at run time ("notices.category." ~ value) are covered by MADE_KEYS;
    # template names are no keys.
    return {key for key in found if not key.endswith((".", ".html"))} | MADE_KEYS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_of_the_notice_pages_has_a_text(language: str) -> None:
    catalog = load_catalog(language)
    assert sorted(key for key in used_keys() if not catalog.get(key)) == []


def test_windows_and_targets_in_words() -> None:
    names = {"a" * 64: "Ringelai", "b" * 64: "Perlesreut"}
    assert window_words(GERMAN, ms(2026, 12, 7), None) == "ab Mo 07.12.2026 · unbefristet"
    assert window_words(ENGLISH, ms(2026, 12, 7, 8), ms(2026, 12, 12, 18)) == (
        "from Mon 7 Dec 2026, 08:00 · until Sat 12 Dec 2026, 18:00"
    )
    assert targets_words(GERMAN, [], [], names) == "alle Hubs"
    assert targets_words(GERMAN, ["b" * 64, "a" * 64], ["Ilzer Land"], names) == (
        "Perlesreut, Ringelai, Gruppe Ilzer Land"
    )
    assert targets_words(ENGLISH, ["c" * 64], [], names) == "unknown hub cccccccccccc"


def test_the_history_names_who_changed_what_and_when(tmp_path: Path) -> None:
    root, anna, hans = (Identity.generate(n) for n in ("Wurzel", "Anna Berger", "Hans Sprache"))
    store = Store(tmp_path / "town.db")
    store.set_network(network_id_for(root.key_id))
    log = Log(store)
    grants.grant(log, root, anna.public, "admin", anna.name, may_grant=True)
    grants.grant(log, anna, hans.public, "admin", hans.name)
    first = notice_body(
        "Bürgerbus", "Dienstags", valid_from=ms(2026, 12, 1), valid_until=ms(2027, 1, 1)
    )
    notice_id = board.publish(log, anna, first)
    board.update(
        log,
        hans,
        notice_id,
        title={"en": "Community bus"},
        body={"en": "Tuesdays"},
        category="mobilitaet",
        valid_until=None,
    )
    board.retract(log, anna, notice_id, "Fährt nicht mehr")
    names = {key.key: key.name for key in grants.list_keys(store.conn)}
    entries = history(store.conn, notice_id, GERMAN, names)
    assert [(e.kind, e.author) for e in entries] == [
        ("retracted", "Anna Berger"),
        ("changed", "Hans Sprache"),
        ("published", "Anna Berger"),
    ]
    assert entries[0].changes == ["Grund: Fährt nicht mehr"]
    assert entries[1].changes == [
        "Titel (Englisch) hinzugefügt: „Community bus“",
        "Text (Englisch) hinzugefügt",
        "Kategorie: Allgemein → Mobilität",
        "Ende: bis Do 31.12.2026, 24:00 Uhr → unbefristet",
    ]
    assert entries[2].changes == [
        "Titel (Deutsch): „Bürgerbus“",
        "Zeitraum: ab Di 01.12.2026 · bis Do 31.12.2026, 24:00 Uhr",
        "Für: alle Hubs",
    ]
    # A superseded body pruned on this node: the version is still there, its content is not.
    store.conn.execute(
        "UPDATE ops SET body = NULL WHERE entity = ? AND author = ? AND kind = 'notice.put'",
        (notice_id, anna.key_id),
    )
    entries = history(store.conn, notice_id, ENGLISH, names)
    assert entries[2].changes == ["This or the previous version's content is no longer stored."]
    assert entries[1].changes == ["This or the previous version's content is no longer stored."]
    store.close()
