"""The noticeboard view: targeting, categories, search, last writer wins, tombstones, display
windows and attachments (ARCHITECTURE.md section 2, rule 5)."""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content import grants, notices
from content import log as log_module
from content import store as store_module
from content.bodies import MAX_ATTACHMENT_BYTES, Attachment, Event, Targets, encode_body
from content.clock import wall_clock_ms
from content.identity import Identity, network_id_for
from content.log import AppendRefused, Log
from content.log_audit import verify_store
from content.notices import Notice, NoticeError, active_notices, get_notice
from content.ops import body_hash
from content.schema import MIGRATIONS
from content.store import Store
from tests.content.conftest import Network
from tests.content.helpers import (
    DAY,
    GROUP,
    HOUR,
    all_ops,
    notice,
    notice_bytes,
    snapshot,
    sync,
)


def _shown(
    log: Log,
    hub: str | None = None,
    at_ms: int | None = None,
    category: str | None = None,
    search: str | None = None,
) -> list[str]:
    found = active_notices(log.store.conn, hub, at_ms, category, search)
    return sorted(n.id for n in found)


def _title(log: Log, notice_id: str) -> str:
    found = get_notice(log.store.conn, notice_id)
    assert found is not None
    return found.title["de"]


def _lamport(log: Log, op_id: str) -> int:
    return int(
        log.store.conn.execute("SELECT lamport FROM ops WHERE id = ?", (op_id,)).fetchone()[0]
    )


def _last_op(log: Log) -> str:
    return all_ops(log)[-1].op_id


# ---- targeting and filters -------------------------------------------------------------------


@pytest.fixture
def three_hubs(network: Network) -> tuple[Identity, Identity, Identity]:
    """The fixture's hub (in GROUP), one in another group and one in no group."""
    sonnenwald = Identity.generate("Sonnenwald")
    lone = Identity.generate("Einöde")
    grants.grant(network.log, network.admin, sonnenwald.public, "hub", "S", groups=["Sonnenwald"])
    grants.grant(network.log, network.admin, lone.public, "hub", "E")
    return network.hub, sonnenwald, lone


def test_notices_reach_all_hubs_a_named_hub_or_a_group(
    network: Network, three_hubs: tuple[Identity, Identity, Identity]
) -> None:
    in_group, sonnenwald, lone = (hub.key_id for hub in three_hubs)
    log, admin = network.log, network.admin
    notices.publish(log, admin, notice("Für alle"), "n-all")
    notices.publish(log, admin, notice("Nur Sonnenwald", hubs=[sonnenwald]), "n-named")
    notices.publish(log, admin, notice("Ilzer Land", groups=[GROUP]), "n-group")
    notices.publish(log, admin, notice("Beides", hubs=[lone], groups=[GROUP]), "n-both")

    assert _shown(log, hub=in_group) == ["n-all", "n-both", "n-group"]
    assert _shown(log, hub=sonnenwald) == ["n-all", "n-named"]
    assert _shown(log, hub=lone) == ["n-all", "n-both"]
    assert _shown(log) == ["n-all", "n-both", "n-group", "n-named"]


def test_a_retargeted_notice_reaches_its_new_audience_only(
    network: Network, three_hubs: tuple[Identity, Identity, Identity]
) -> None:
    """Who a notice is for is kept beside it (notice_audience); an update that changes its
    targets moves it."""
    in_group, sonnenwald, lone = (hub.key_id for hub in three_hubs)
    log, admin = network.log, network.admin
    notices.publish(log, admin, notice("Wandert", hubs=[sonnenwald]), "n-moves")
    assert [_shown(log, hub=hub) for hub in (in_group, sonnenwald, lone)] == [[], ["n-moves"], []]
    notices.update(log, admin, "n-moves", targets=Targets(groups=[GROUP]))
    assert [_shown(log, hub=hub) for hub in (in_group, sonnenwald, lone)] == [["n-moves"], [], []]
    notices.update(log, admin, "n-moves", targets=Targets())
    assert [_shown(log, hub=hub) for hub in (in_group, sonnenwald, lone)] == [["n-moves"]] * 3
    notices.update(log, admin, "n-moves", targets=Targets(hubs=[lone, sonnenwald]))
    assert [_shown(log, hub=hub) for hub in (in_group, sonnenwald, lone)] == [
        [],
        ["n-moves"],
        ["n-moves"],
    ]
    audience = network.store.conn.execute(
        "SELECT audience FROM notice_audience WHERE id = 'n-moves' ORDER BY audience"
    )
    assert [row[0] for row in audience] == sorted([f"h:{lone}", f"h:{sonnenwald}"])
    # For a hub both by name and through its group: shown and counted once.
    notices.update(log, admin, "n-moves", targets=Targets(hubs=[in_group], groups=[GROUP]))
    assert _shown(log, hub=in_group) == ["n-moves"]
    assert notices.count_notices(network.store.conn, hub=in_group) == 1
    notices.retract(log, admin, "n-moves")
    assert [_shown(log, hub=hub) for hub in (in_group, sonnenwald, lone)] == [[], [], []]
    assert network.store.conn.execute("SELECT count(*) FROM notice_audience").fetchone()[0] == 0


def test_an_older_store_gets_the_audience_of_its_notices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 16 fills notice_audience from the notices a store already holds."""
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:15])
    root, admin = Identity.generate("Wurzel"), Identity.generate("Verwaltung")
    hubs = [Identity.generate(name) for name in ("Ringelai", "Perlesreut")]
    with Store(tmp_path / "old.db") as old:
        old.set_network(network_id_for(root.key_id))
        log = Log(old)
        grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
        grants.grant(log, admin, hubs[0].public, "hub", hubs[0].name, groups=[GROUP])
        grants.grant(log, admin, hubs[1].public, "hub", hubs[1].name)
        notices.publish(log, admin, notice("Alle"), "n-all")
        notices.publish(log, admin, notice("Gruppe", groups=[GROUP]), "n-group")
        notices.publish(log, admin, notice("Perlesreut", hubs=[hubs[1].key_id]), "n-named")
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with Store(tmp_path / "old.db") as reopened:
        log = Log(reopened)
        assert _shown(log, hub=hubs[0].key_id) == ["n-all", "n-group"]
        assert _shown(log, hub=hubs[1].key_id) == ["n-all", "n-named"]


def test_a_hub_joins_a_group_through_a_new_grant(
    network: Network, three_hubs: tuple[Identity, Identity, Identity]
) -> None:
    lone = three_hubs[2]
    notices.publish(network.log, network.admin, notice("Ilzer Land", groups=[GROUP]), "n-group")
    assert _shown(network.log, hub=lone.key_id) == []
    grants.grant(network.log, network.admin, lone.public, "hub", lone.name, groups=[GROUP])
    assert _shown(network.log, hub=lone.key_id) == ["n-group"]


def test_the_category_filter(network: Network) -> None:
    notices.publish(network.log, network.admin, notice("Impfung", category="gesundheit"), "n-h")
    notices.publish(network.log, network.admin, notice("Bus", category="mobilitaet"), "n-m")
    assert _shown(network.log, category="gesundheit") == ["n-h"]
    assert _shown(network.log, category="mobilitaet") == ["n-m"]
    assert _shown(network.log, category="verein") == []


def test_emergencies_come_first_then_the_newest(network: Network) -> None:
    now = wall_clock_ms()
    published = (("n-sos", "emergency", 3), ("n-old", "normal", 2), ("n-new", "normal", 1))
    for notice_id, priority, hours_ago in published:
        body = notice_bytes(priority=priority, valid_from=now - DAY)
        network.log.append(
            network.admin, "notice.put", notice_id, body, time_ms=now - hours_ago * HOUR
        )
    assert [n.id for n in active_notices(network.store.conn)] == ["n-sos", "n-new", "n-old"]


def test_a_list_without_bodies_is_the_same_list(searchable: Network) -> None:
    """A list of titles reads no bodies; everything else about each notice is the same."""
    conn = searchable.store.conn
    for search in (None, "Grafenau"):
        full = active_notices(conn, search=search)
        titles_only = active_notices(conn, search=search, bodies=False)
        assert [n.body for n in titles_only] == [{} for _ in full]
        assert [dataclasses.replace(n, body={}) for n in full] == titles_only
        assert full[0].body["en"]  # the full list does carry them


@pytest.fixture
def mixed_board(network: Network) -> Network:
    """Thirty notices: three priorities, two categories, some with past or coming events, some
    published in the same millisecond (the order must still be total)."""
    now = wall_clock_ms()
    priorities = ("normal", "important", "normal", "emergency", "normal")
    for number in range(30):
        event = None
        if number % 3 == 0:
            start = now + (number - 10) * HOUR  # the first few have ended, the rest are coming
            end = None if number % 9 == 0 else start + HOUR  # an event may have no end
            event = {"start": start, "end": end, "place": "Pfarrheim"}
        elif number == 1:  # running now
            event = {"start": now - HOUR, "end": now + HOUR, "place": "Kirche"}
        body = notice_bytes(
            f"Aushang {number}",
            priority=priorities[number % len(priorities)],
            category=("verein", "gesundheit")[number % 2],
            valid_from=now - DAY,
            event=msgspec.convert(event, Event) if event else None,
        )
        network.log.append(
            network.admin, "notice.put", f"n-{number:02}", body, time_ms=now - number // 2
        )
    return network


@pytest.mark.parametrize("category", [None, "verein"])
@pytest.mark.parametrize("upcoming", [False, True])
def test_pages_put_together_are_the_whole_list(
    mixed_board: Network, category: str | None, upcoming: bool
) -> None:
    conn = mixed_board.store.conn
    whole = active_notices(conn, category=category, upcoming=upcoming)
    pages = [
        active_notices(conn, category=category, limit=7, offset=offset, upcoming=upcoming)
        for offset in range(0, len(whole) + 7, 7)
    ]
    assert [n.id for page in pages for n in page] == [n.id for n in whole]
    assert pages[-1] == []
    found = notices.count_notices(conn, category=category, upcoming=upcoming)
    assert found == len(whole) > 0


def _unended(conn: sqlite3.Connection, at: int) -> list[str]:
    """The events not ended at `at`, soonest first, filtered and sorted here."""
    unended = [
        n
        for n in active_notices(conn, at_ms=at)
        if n.event_start is not None and (n.event_end or n.event_start) >= at
    ]
    return [n.id for n in sorted(unended, key=lambda n: (n.event_start or 0, n.id))]


def test_upcoming_events_are_the_unended_ones_soonest_first(mixed_board: Network) -> None:
    conn = mixed_board.store.conn
    now = wall_clock_ms()
    upcoming = [n.id for n in active_notices(conn, at_ms=now, upcoming=True)]
    assert upcoming == _unended(conn, now)
    assert "n-01" in upcoming  # running now
    assert "n-18" in upcoming  # no end, starts in eight hours
    assert "n-09" not in upcoming  # no end, started an hour ago
    assert 0 < len(upcoming) < len([n for n in active_notices(conn) if n.event_start])
    # An event is upcoming up to the very millisecond it ends.
    ends = get_notice(conn, "n-01")
    assert ends is not None
    assert ends.event_end is not None
    for at in (ends.event_end, ends.event_end + 1):
        found = [n.id for n in active_notices(conn, at_ms=at, upcoming=True)]
        assert found == _unended(conn, at)
        assert ("n-01" in found) == (at == ends.event_end)


# ---- search ----------------------------------------------------------------------------------

BUS = {
    "de": ("Bürgerbus nach Grafenau", "Jeden Dienstag ab dem Rathaus."),
    "en": ("Community shuttle to Grafenau", "Every Tuesday from the town hall."),
    "de-LS": ("Der Bürger·bus fährt nach Grafenau", "Sie können Ihren Rollator mitnehmen."),
}
FLU = {
    "de": ("Grippeimpfung", "In der Praxis Dr. Huber."),
    "en": ("Flu vaccination", "At Dr Huber's practice."),
    "de-LS": ("Impfung gegen Grippe", "Rufen Sie an."),
}


@pytest.fixture
def searchable(network: Network) -> Network:
    for notice_id, texts in (("n-bus", BUS), ("n-flu", FLU)):
        body = notice(texts["de"][0], text=texts["de"][1], translations=texts)
        notices.publish(network.log, network.admin, body, notice_id)
    return network


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Bürgerbus", ["n-bus"]),
        ("Burgerbus", ["n-bus"]),  # typed without the umlaut
        ("Buergerbus", ["n-bus"]),  # the umlaut spelt out
        ("faehrt Grafenau", ["n-bus"]),
        ("Feuerwehr", []),  # "ue" that is no umlaut still asks for the word as typed
        ("bürgerbus grafenau", ["n-bus"]),
        ("shuttle", ["n-bus"]),  # English only
        ("Tuesday", ["n-bus"]),
        ("Rollator", ["n-bus"]),  # Leichte Sprache only
        ("Bürger·bus", ["n-bus"]),
        ("Impf", ["n-flu"]),  # prefix of the Leichte Sprache word
        ("vaccination", ["n-flu"]),
        ("Huber", ["n-flu"]),
        ("Grafenau Huber", []),  # every word must match
        ("Freibier", []),
        ('"*)(', []),  # FTS syntax typed by a person is not syntax
    ],
)
def test_search_covers_every_language_and_ignores_umlauts(
    searchable: Network, query: str, expected: list[str]
) -> None:
    assert _shown(searchable.log, search=query) == expected


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=40))
def test_any_typed_text_is_a_valid_query(searchable: Network, query: str) -> None:
    _shown(searchable.log, search=query)  # raises on an FTS5 syntax error


def test_an_older_store_gets_the_new_search_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 4 rebuilds the index from the notices a store already holds."""
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:3])
    root, admin = Identity.generate("Wurzel"), Identity.generate("Verwaltung")
    with Store(tmp_path / "old.db") as old:
        old.set_network(network_id_for(root.key_id))
        grants.grant(Log(old), root, admin.public, "admin", admin.name, may_grant=True)
        body = notice(BUS["de"][0], text=BUS["de"][1], translations=BUS)
        notices.publish(Log(old), admin, body, "n-bus")
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with Store(tmp_path / "old.db") as reopened:
        assert reopened.schema_version == len(MIGRATIONS)
        assert _shown(Log(reopened), search="Buergerbus shuttle") == ["n-bus"]
        assert verify_store(reopened).ok


def test_retracted_notices_are_not_found(searchable: Network) -> None:
    notices.retract(searchable.log, searchable.admin, "n-bus")
    assert _shown(searchable.log, search="Grafenau") == []
    assert verify_store(searchable.store).ok


def test_search_follows_an_update(searchable: Network) -> None:
    notices.update(searchable.log, searchable.admin, "n-bus", title={"en": "Village bus"})
    assert _shown(searchable.log, search="village") == ["n-bus"]
    assert _shown(searchable.log, search="shuttle") == []
    assert _shown(searchable.log, search="Bürgerbus") == ["n-bus"]  # German title kept


def test_one_ingest_indexes_updates_and_retractions_of_earlier_notices(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is brought in step in steps during a batch: an update or retraction of a
    notice indexed in an earlier step must replace its entry, not add a second one."""
    monkeypatch.setattr(log_module, "FLUSH_VIEWS_EVERY", 2)
    for number in range(6):
        notices.publish(
            network.log, network.admin, notice(f"Aushang {number} Dorfladen"), f"n{number}"
        )
    notices.update(network.log, network.admin, "n1", title={"de": "Kirchenchor probt"})
    notices.retract(network.log, network.admin, "n3")
    notices.publish(network.log, network.admin, notice("Aushang Kirchenchor"), "n6")
    notices.update(network.log, network.admin, "n6", title={"de": "Aushang Posaunenchor"})

    hub = network.fresh_log("hub")
    report = hub.ingest(all_ops(network.log))  # one batch, indexed 2 ops at a time
    assert report.rejected == []
    assert report.held == []

    assert _shown(hub, search="Dorfladen") == ["n0", "n2", "n4", "n5"]
    assert _shown(hub, search="Kirchenchor") == ["n1"]
    assert _shown(hub, search="Posaunenchor") == ["n6"]
    conn = hub.store.conn
    conn.execute("INSERT INTO notices_fts (notices_fts) VALUES ('integrity-check')")
    assert conn.execute("SELECT count(*) FROM notices_fts").fetchone()[0] == 6
    assert verify_store(hub.store).ok


# ---- last writer wins and tombstones ---------------------------------------------------------


@pytest.fixture
def two_offices(network: Network) -> tuple[Network, Identity, Log]:
    """The town hall (network.log, admin) and a second office (its own store, admin 2), both
    holding notice n-1."""
    second = Identity.generate("Zweite Verwaltung")
    grants.grant(network.log, network.root, second.public, "admin", second.name)
    notices.publish(network.log, network.admin, notice("Erste Fassung"), "n-1")
    office = network.fresh_log("office")
    sync(network.log, office)
    return network, second, office


def _exchange(first: Log, second: Log) -> None:
    sync(first, second)
    sync(second, first)


def test_concurrent_updates_converge_on_the_higher_author_key(
    two_offices: tuple[Network, Identity, Log],
) -> None:
    network, second, office = two_offices
    town = network.log
    notices.update(town, network.admin, "n-1", title={"de": "Fassung Rathaus"})
    notices.update(office, second, "n-1", title={"de": "Fassung Büro"})
    assert _lamport(town, _last_op(town)) == _lamport(office, _last_op(office))  # a true tie
    _exchange(town, office)

    winner = "Fassung Rathaus" if network.admin.key_id > second.key_id else "Fassung Büro"
    assert _title(town, "n-1") == _title(office, "n-1") == winner
    assert snapshot(town.store) == snapshot(office.store)


def test_a_later_lamport_wins_whatever_the_wall_clock_says(
    two_offices: tuple[Network, Identity, Log],
) -> None:
    network, second, office = two_offices
    town = network.log
    notices.update(town, network.admin, "n-1", title={"de": "Fassung Rathaus"})
    notices.update(office, second, "n-1", title={"de": "Fassung Büro"})
    _exchange(town, office)
    loser, loser_log = (
        (second, office) if network.admin.key_id > second.key_id else (network.admin, town)
    )
    current = notices.current_body(loser_log, "n-1")
    changed = msgspec.structs.replace(current, title={"de": "Nachgebessert"})
    # The loser's clock is a day behind: order still follows the Lamport clock.
    loser_log.append(
        loser, "notice.put", "n-1", encode_body(changed), time_ms=wall_clock_ms() - DAY
    )
    _exchange(town, office)
    assert _title(town, "n-1") == _title(office, "n-1") == "Nachgebessert"


def test_a_retract_is_not_undone_by_a_later_put(network: Network) -> None:
    notices.publish(network.log, network.admin, notice("Sperrung Kirchweg"), "n-1")
    notices.retract(network.log, network.admin, "n-1", "Sperrung aufgehoben")
    network.log.append(network.admin, "notice.put", "n-1", notice_bytes("Wieder da?"))
    assert _shown(network.log) == []
    found = get_notice(network.store.conn, "n-1")
    assert found is not None
    assert found.retracted
    with pytest.raises(NoticeError, match="retracted"):
        notices.update(network.log, network.admin, "n-1", category="verwaltung")


def test_a_concurrent_put_with_a_higher_lamport_does_not_revive_a_retracted_notice(
    two_offices: tuple[Network, Identity, Log],
) -> None:
    network, second, office = two_offices
    town = network.log
    retract_id = town.append(network.admin, "notice.retract", "n-1", b"{}")
    for version in ("a", "b", "c"):  # the office keeps editing, not knowing of the retract
        notices.update(office, second, "n-1", title={"de": f"Fassung {version}"})
    assert _lamport(office, _last_op(office)) > _lamport(town, retract_id)
    _exchange(town, office)
    for log in (town, office):
        assert _shown(log) == []
        assert verify_store(log.store).ok
    assert snapshot(town.store) == snapshot(office.store)


def test_a_retract_that_arrives_before_the_put_still_wins(
    two_offices: tuple[Network, Identity, Log],
) -> None:
    network, second, office = two_offices
    base = all_ops(office)
    notices.publish(network.log, network.admin, notice("Spät"), "n-2")
    put = all_ops(network.log)[-1]
    office.append(second, "notice.retract", "n-2", b"{}")  # retracting what it has not seen
    retract = all_ops(office)[-1]
    fresh = network.fresh_log("fresh")
    fresh.ingest(base)
    fresh.ingest([retract])
    fresh.ingest([put])
    assert "n-2" not in _shown(fresh)
    found = get_notice(fresh.store.conn, "n-2")
    assert found is not None
    assert found.retracted


# ---- display window --------------------------------------------------------------------------


def test_expired_and_not_yet_valid_notices_are_hidden(network: Network) -> None:
    now = wall_clock_ms()
    publish = notices.publish
    publish(network.log, network.admin, notice(valid_from=now - HOUR), "n-now")
    publish(
        network.log,
        network.admin,
        notice(valid_from=now - 2 * DAY, valid_until=now - DAY),
        "n-expired",
    )
    publish(network.log, network.admin, notice(valid_from=now + DAY), "n-upcoming")
    assert _shown(network.log) == ["n-now"]
    assert _shown(network.log, at_ms=now - 2 * DAY) == ["n-expired"]
    assert _shown(network.log, at_ms=now + 2 * DAY) == ["n-now", "n-upcoming"]
    # The window is half-open: shown from the very millisecond of valid_from (asserted above
    # for n-expired), gone from the millisecond of valid_until.
    assert "n-expired" in _shown(network.log, at_ms=now - DAY - 1)
    assert "n-expired" not in _shown(network.log, at_ms=now - DAY)


def _lists(conn: sqlite3.Connection, hub: str, at: int) -> tuple[list[str], list[str]]:
    """The board and the events list at `hub` at `at`, as the kiosk reads them."""
    return (
        [n.id for n in active_notices(conn, hub, at)],
        [n.id for n in active_notices(conn, hub, at, upcoming=True)],
    )


@pytest.fixture
def timed_board(network: Network) -> tuple[Network, Identity, int]:
    """Forty notices starting and ending over half a day, with and without events, for this
    hub's group, for another hub or for every hub; a few retracted. Seeded: the same each run."""
    rng = random.Random(20261126)
    other = Identity.generate("Sonnenwald")
    grants.grant(network.log, network.admin, other.public, "hub", "S", groups=["Sonnenwald"])
    start = wall_clock_ms()
    minute = 60_000
    for number in range(40):
        valid_from = start + rng.randrange(-60, 600) * minute
        valid_until = valid_from + rng.randrange(1, 240) * minute if rng.random() < 0.8 else None
        event = None
        if rng.random() < 0.5:
            event_start = valid_from + rng.randrange(-60, 300) * minute
            event_end = event_start + rng.randrange(0, 120) * minute if rng.random() < 0.7 else None
            event = Event(start=event_start, end=event_end, place="Pfarrheim")
        targets = rng.choice([{"groups": [GROUP]}, {"hubs": [other.key_id]}, {}])
        body = notice(
            f"Aushang {number}",
            valid_from=valid_from,
            valid_until=valid_until,
            event=event,
            **targets,
        )
        notice_id = notices.publish(network.log, network.admin, body, f"t-{number:02}")
        if number % 13 == 5:
            notices.retract(network.log, network.admin, notice_id)
    return network, other, start - 2 * HOUR


@pytest.mark.parametrize("for_other_hub", [False, True])
def test_the_lists_change_exactly_at_the_moments_announced(
    timed_board: tuple[Network, Identity, int], for_other_hub: bool
) -> None:
    """Walk the day from moment to moment: between two announced moments neither list changes
    (checked at both ends and at random points), and at each moment one of them does."""
    network, other, at = timed_board
    conn = network.store.conn
    hub = other.key_id if for_other_hub else network.hub.key_id
    rng = random.Random(7)
    moments = 0
    while (moment := notices.next_list_change(conn, hub, at)) is not None:
        assert moment > at
        before = _lists(conn, hub, at)
        for probe in (moment - 1, *(rng.randrange(at, moment) for _ in range(3))):
            assert _lists(conn, hub, probe) == before, (at, probe, moment)
        assert _lists(conn, hub, moment) != before, moment
        at, moments = moment, moments + 1
    assert moments >= 10
    # Nothing announced after the last moment: ten years on, the lists are the same.
    assert _lists(conn, hub, at + 10 * 365 * DAY) == _lists(conn, hub, at)


@pytest.mark.parametrize("for_other_hub", [False, True])
def test_shown_during_is_every_notice_the_board_shows_in_the_interval(
    timed_board: tuple[Network, Identity, int], for_other_hub: bool
) -> None:
    """The one query of the weekly sheet against its definition: the union of the lists at the
    interval's start and at every moment the board changes inside it."""
    network, other, start = timed_board
    conn = network.store.conn
    hub = other.key_id if for_other_hub else network.hub.key_id
    rng = random.Random(11)
    sizes: list[int] = []
    for _ in range(12):
        begin = start + rng.randrange(0, 30 * HOUR)
        end = begin + rng.randrange(1, 12 * HOUR)
        walked: set[str] = set()
        moment: int | None = begin
        while moment is not None and moment < end:
            walked |= {n.id for n in active_notices(conn, hub=hub, at_ms=moment)}
            moment = notices.next_list_change(conn, hub, moment)
        found = notices.notices_shown_during(conn, hub, begin, end)
        assert sorted(n.id for n in found) == sorted(walked), (begin, end)
        sizes.append(len(walked))
    # The intervals cut the board differently.
    assert max(sizes) >= 5
    assert min(sizes) < max(sizes)


@pytest.mark.parametrize("for_other_hub", [False, True])
def test_a_hubs_board_is_the_live_notices_targeted_at_it(
    timed_board: tuple[Network, Identity, int], for_other_hub: bool
) -> None:
    """The board read from notice_audience against its definition, at every moment the board
    changes: the network's live notices, in their order, kept when they are for every hub, for
    this hub or for one of its groups; likewise by category, as upcoming events, and counted."""
    network, other, at = timed_board
    conn = network.store.conn
    hub = other.key_id if for_other_hub else network.hub.key_id
    info = grants.key_info(conn, hub)
    assert info is not None
    groups = set(info.groups)

    def targeted(found: list[Notice]) -> list[str]:
        return [
            n.id
            for n in found
            if (not n.target_hubs and not n.target_groups)
            or hub in n.target_hubs
            or groups & set(n.target_groups)
        ]

    moment: int | None = at
    shown = 0
    while moment is not None:
        for category, upcoming in ((None, False), ("allgemein", False), ("verein", True)):
            filters = {"at_ms": moment, "category": category, "upcoming": upcoming}
            board = active_notices(conn, hub=hub, **filters)  # type: ignore[arg-type]
            every = active_notices(conn, **filters)  # type: ignore[arg-type]
            assert [n.id for n in board] == targeted(every), (moment, filters)
            assert notices.count_notices(conn, hub=hub, **filters) == len(board)  # type: ignore[arg-type]
            page = active_notices(conn, hub=hub, limit=2, offset=1, **filters)  # type: ignore[arg-type]
            assert [n.id for n in page] == [n.id for n in board][1:3]
            shown += len(board)
        moment = notices.next_list_change(conn, hub, moment)
    assert shown > 20


def test_a_retracted_or_expired_notice_announces_nothing(network: Network) -> None:
    now = wall_clock_ms()
    publish = notices.publish
    publish(network.log, network.admin, notice(valid_from=now - DAY, valid_until=now - HOUR))
    gone = publish(network.log, network.admin, notice(valid_from=now + HOUR))
    notices.retract(network.log, network.admin, gone)
    assert notices.next_list_change(network.store.conn, network.hub.key_id, now) is None
    publish(network.log, network.admin, notice(valid_from=now + 2 * HOUR))
    assert notices.next_list_change(network.store.conn, network.hub.key_id, now) == now + 2 * HOUR


def test_a_window_that_ends_before_it_starts_is_refused(network: Network) -> None:
    with pytest.raises(AppendRefused, match="ends before it starts"):
        network.log.append(
            network.admin, "notice.put", "n-1", notice_bytes(valid_from=10, valid_until=10)
        )


# ---- attachments -----------------------------------------------------------------------------

TIMETABLE = b"Haltestelle;Abfahrt\nRingelai Rathaus;08:15\nPerlesreut Marktplatz;08:35\n"


def test_an_attachment_round_trips_to_another_node(network: Network) -> None:
    attachment = notices.attach(network.log, network.admin, TIMETABLE, "fahrplan.csv", "text/csv")
    assert attachment.blob == body_hash(TIMETABLE)
    notices.publish(network.log, network.admin, notice(attachments=[attachment]), "n-bus")
    hub = network.fresh_log("hub")
    sync(network.log, hub)
    shown = get_notice(hub.store.conn, "n-bus")
    assert shown is not None
    assert shown.attachments == [msgspec.structs.asdict(attachment)]
    assert notices.blob(hub.store.conn, attachment.blob) == TIMETABLE
    assert notices.blob(hub.store.conn, body_hash(b"anything else")) is None


def test_the_same_file_is_stored_once(network: Network) -> None:
    notices.attach(network.log, network.admin, TIMETABLE, "fahrplan.csv", "text/csv")
    count = network.log.count()
    again = notices.attach(network.log, network.admin, TIMETABLE, "kopie.csv", "text/csv")
    assert network.log.count() == count
    assert again.name == "kopie.csv"


def test_attachment_size_is_limited(network: Network) -> None:
    largest = b"x" * MAX_ATTACHMENT_BYTES
    assert notices.attach(network.log, network.admin, largest, "a.bin", "application/pdf")
    too_large = largest + b"x"
    count = network.log.count()
    with pytest.raises(NoticeError, match="larger than"):
        notices.attach(network.log, network.admin, too_large, "b.bin", "application/pdf")
    # The log enforces the limit too, for ops that do not come through attach().
    with pytest.raises(AppendRefused, match="attachment too large"):
        network.log.append(network.admin, "blob.put", body_hash(too_large), too_large)
    assert network.log.count() == count
    # A notice may not claim an attachment beyond the limit either.
    claimed = Attachment(blob=body_hash(too_large), name="b", mime="a/b", size=len(too_large))
    with pytest.raises(AppendRefused, match="size"):
        network.log.append(network.admin, "notice.put", "n-1", notice_bytes(attachments=[claimed]))


def test_files_and_their_notice_are_stored_together_or_not_at_all(network: Network) -> None:
    reference = Attachment(
        blob=body_hash(TIMETABLE), name="f.csv", mime="text/csv", size=len(TIMETABLE)
    )
    body = notice(attachments=[reference])
    count = network.log.count()
    # A hub may write neither: nothing is stored, not even the file that went first.
    with pytest.raises(AppendRefused):
        notices.publish_with_files(network.log, network.hub, body, [TIMETABLE])
    assert network.log.count() == count
    assert notices.blob(network.store.conn, reference.blob) is None
    # The same file twice is stored once; the notice names it.
    made = notices.publish_with_files(network.log, network.admin, body, [TIMETABLE, TIMETABLE])
    assert network.log.count() == count + 2
    assert notices.blob(network.store.conn, reference.blob) == TIMETABLE
    # An edit of a retracted notice stores nothing either.
    notices.retract(network.log, network.admin, made)
    count = network.log.count()
    with pytest.raises(NoticeError, match="retracted"):
        notices.publish_with_files(network.log, network.admin, body, [b"neu"], made)
    assert network.log.count() == count


def test_a_blob_must_be_named_by_its_hash(network: Network) -> None:
    with pytest.raises(AppendRefused, match="content hash"):
        network.log.append(network.admin, "blob.put", body_hash(b"other"), TIMETABLE)
