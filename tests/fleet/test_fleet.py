"""content/fleet.py on a real town store: what each hub reports, what the server recorded of its
pulls, and the words the desk and `dorfhub fleet` show. Every "now" is explicit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from content import grants
from content.bodies import encode_body
from content.fleet import (
    ALERTS_QUERY,
    OFFLINE_AFTER_MS,
    SENSORS_QUERY,
    SERIES_QUERY,
    HubRow,
    fleet,
    hub_detail,
    span_words,
)
from content.identity import Identity
from content.log import AppendRefused
from content.log_audit import verify_store
from content.sensors import QUANTITIES, WINDOW_MS
from sync.server import _remember_peer
from tests.fleet.builder import Town, alert, make_town, pulled, report, rollup

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Town]:
    made = make_town(tmp_path / "town.db", ["Ringelai", "Perlesreut", "Grainet"])
    yield made
    made.store.close()


def _seen(town: Town, name: str) -> int:
    row = town.store.conn.execute(
        "SELECT last_success FROM peers WHERE node = (SELECT key FROM keys WHERE name = ?)",
        (name,),
    ).fetchone()
    return int(row[0])


def _rows(town: Town, now: int) -> dict[str, HubRow]:
    return {row.name: row for row in fleet(town.store.conn, now)}


def test_a_hub_that_reports_and_syncs(town: Town) -> None:
    ringelai = town.hubs[0]
    report(town, ringelai)
    start = 1_800_000_000_000
    for window in range(6):  # an hour of rollups; the particulate sensor stopped after 20 min
        series = [("s8-1", "co2"), ("bme280-1", "temperature"), ("bme280-1", "humidity")]
        rollup(
            town,
            ringelai,
            start + window * WINDOW_MS,
            series + [("sds011-1", "pm2_5")] * (window < 2),
        )
    alert(town, ringelai, raised_at=start + 30 * MINUTE)
    pulled(town, ringelai)
    seen = _seen(town, "Ringelai")
    row = _rows(town, seen + 3 * MINUTE)["Ringelai"]
    assert (row.state, row.seen_text, row.ops_text) == ("online", "vor 3 Min.", "aktuell")
    assert (row.ops_behind, row.ops_ahead) == (0, 0)
    assert row.version == "0.9.0"
    assert row.clock_text == "Uhr stimmt"
    assert row.disk_text == "12,3 GB frei (38 %)"
    assert [(s.sensor, s.quantities) for s in row.sensors] == [
        ("bme280-1", ("humidity", "temperature")),
        ("s8-1", ("co2",)),
        ("sds011-1", ("pm2_5",)),
    ]
    last_window_end = start + 6 * WINDOW_MS
    assert row.sensors[0].last_ms == last_window_end
    assert row.sensors[2].last_ms == start + 2 * WINDOW_MS
    assert [alert.title for alert in row.alerts] == ["Lüften bitte"]
    assert row.alerts_text == "1 Warnung offen: Lüften bitte"
    assert row.forks_text == "keine"
    assert not row.red
    # Seen from the moment the newest rollup was 5 minutes old: the particulates are still.
    words = _rows(town, last_window_end + 5 * MINUTE)["Ringelai"]
    assert words.sensors_text == "3 Sensoren, zuletzt vor 5 Min., 1 still"
    assert [s.still for s in words.sensors] == [False, False, True]


def test_offline_after_two_status_intervals_and_ops_behind(town: Town) -> None:
    perlesreut = town.hubs[1]
    report(town, perlesreut)
    for name in ("Frau Kern", "Herr Aydin", "Frau Huber"):  # three ops of the admin's
        grants.grant(town.log, town.admin, Identity.generate(name).public, "guide", name)
    pulled(town, perlesreut, behind=3)
    seen = _seen(town, "Perlesreut")
    at_limit = _rows(town, seen + OFFLINE_AFTER_MS)["Perlesreut"]
    assert at_limit.state == "online"
    assert at_limit.ops_text == "3 Ops zurück"
    assert "Rückstand" in at_limit.problems
    hour = _rows(town, seen + HOUR)["Perlesreut"]
    assert (hour.state, hour.state_text) == ("offline", "offline")
    assert hour.seen_text == "seit 1 Std. nicht gesehen"
    assert hour.problems[:2] == ("offline", "Rückstand")
    days = _rows(town, seen + 2 * DAY + 5 * HOUR)["Perlesreut"]
    assert days.seen_text == "seit 2 Tagen nicht gesehen"
    # A hub that never pulled here: nothing is known of what it holds.
    grainet = _rows(town, seen)["Grainet"]
    assert (grainet.state, grainet.seen_text, grainet.ops_text) == (
        "never",
        "nie gesehen",
        "unbekannt",
    )
    assert (grainet.version, grainet.disk_text, grainet.clock_text) == (
        None,
        "unbekannt",
        "unbekannt",
    )


def test_the_server_lacking_a_hubs_ops_and_a_wrong_clock(town: Town) -> None:
    grainet = town.hubs[2]
    report(town, grainet, clock_offset_s=-3 * 3600, disk_free_bytes=400_000_000)
    # What the hub holds beyond the server: as a pull before its push records it.
    vector = town.log.wanted_vector()
    vector[grainet.key_id] += 4
    _remember_peer(town.store, grainet.key_id, vector, pulled=True)
    row = _rows(town, _seen(town, "Grainet"))["Grainet"]
    assert row.ops_text == "4 nicht beim Server"
    assert row.clock_text == "Uhr geht 3 Std. vor"
    assert row.disk_text == "0,4 GB frei (1 %)"
    assert {"Uhr", "Speicher knapp", "Rückstand"} <= set(row.problems)


def test_forks_are_red(town: Town) -> None:
    ringelai, perlesreut = town.hubs[0], town.hubs[1]
    report(town, ringelai, quarantined=[town.admin.key_id])
    row = _rows(town, 0)["Ringelai"]
    assert row.red
    assert row.forks_text == "meldet Fork: Verwaltung"
    assert row.problems[0] == "Fork"
    # Once the admin's key is revoked the report is settled: no longer red.
    grants.revoke(town.log, town.root, town.admin.key_id)
    row = _rows(town, 0)["Ringelai"]
    assert not row.red
    assert row.forks_text == "widerrufen: Verwaltung"
    # The hub's own key quarantined here: its home was copied or restored.
    with town.store.write() as conn:
        conn.execute(
            "INSERT INTO quarantine VALUES (?, 'x', x'00', x'00', 'two ops for seq 2')",
            (perlesreut.key_id,),
        )
    assert _rows(town, 0)["Perlesreut"].forks_text == "Schlüssel des Hubs geforkt"


def test_old_status_bodies_stay_valid_and_new_fields_are_checked(town: Town) -> None:
    ringelai = town.hubs[0]
    old = {
        "name": "Ringelai",
        "software": "dorfhub 0.3.0",
        "ops": 4,
        "clock_skew_s": 7200,
        "clock_suspect": True,
        "quarantined": [],
    }
    town.log.append(ringelai, "hub.status", ringelai.key_id, encode_body(old))
    row = _rows(town, 0)["Ringelai"]
    assert (row.version, row.disk_text) == ("0.3.0", "unbekannt")
    assert row.clock_text == "Uhr geht 2 Std. nach"  # the lag behind signed time, from old hubs
    for bad in (
        {"disk_free_bytes": 5, "disk_total_bytes": 4},
        {"disk_free_bytes": 5},
        {"disk_free_bytes": -1, "disk_total_bytes": 4},
        {"clock_offset_s": "3"},
        {"disk_free_bytes": True, "disk_total_bytes": 4},
    ):
        with pytest.raises(AppendRefused):
            town.log.append(ringelai, "hub.status", ringelai.key_id, encode_body(old | bad))
    assert verify_store(town.store).ok


def test_revoked_hubs_leave_the_fleet_but_keep_their_page(town: Town) -> None:
    report(town, town.hubs[0])
    grants.revoke(town.log, town.admin, town.hubs[0].key_id)
    assert [row.name for row in fleet(town.store.conn, 0)] == ["Grainet", "Perlesreut"]
    detail = hub_detail(town.store.conn, town.hubs[0].key_id, 0)
    assert detail is not None
    assert detail.revoked
    assert detail.status["software"] == "dorfhub 0.9.0"
    assert hub_detail(town.store.conn, town.admin.key_id, 0) is None


def test_the_detail_lists_each_series_newest_value(town: Town) -> None:
    ringelai = town.hubs[0]
    start = 1_800_000_000_000
    for window in range(3):
        rollup(town, ringelai, start + window * WINDOW_MS, [("s8-1", "co2")])
    detail = hub_detail(town.store.conn, ringelai.key_id, start + HOUR)
    assert detail is not None
    assert [(s.sensor, s.quantity, s.window_end_ms) for s in detail.series] == [
        ("s8-1", "co2", start + 3 * WINDOW_MS)
    ]
    assert detail.screenshot is None


def test_the_fleet_queries_seek_by_index(town: Town) -> None:
    """No query reads a whole table of rollups or alerts: each is an index seek per hub."""
    conn = town.store.conn
    keys = '["' + town.hubs[0].key_id + '"]'
    plans = [
        row[3]
        for query, args in (
            (SENSORS_QUERY, (keys, json.dumps(QUANTITIES))),
            (ALERTS_QUERY, (keys,)),
            (SERIES_QUERY, (town.hubs[0].key_id, json.dumps(QUANTITIES), 0)),
        )
        for row in conn.execute("EXPLAIN QUERY PLAN " + query, args)
    ]
    # Scans only of the JSON lists of hubs and quantities the queries are given.
    assert not [plan for plan in plans if plan.startswith("SCAN") and "VIRTUAL TABLE" not in plan]
    assert any("sensor_rollups_series (hub=? AND quantity=? AND window_end=?)" in p for p in plans)
    assert any("sensor_alerts_hub (hub=? AND state=?)" in p for p in plans)
    assert any("(hub=? AND quantity=? AND window_end>?)" in p for p in plans)


@pytest.mark.parametrize(
    ("ms", "dative", "words"),
    [
        (30_000, True, "1 Min."),
        (59 * MINUTE, True, "59 Min."),
        (61 * MINUTE, True, "1 Std."),
        (DAY, True, "1 Tag"),
        (3 * DAY, True, "3 Tagen"),
        (3 * DAY, False, "3 Tage"),
        (800 * DAY, False, "2 Jahre"),
    ],
)
def test_spans_in_words(ms: int, dative: bool, words: str) -> None:
    assert span_words(ms, dative) == words
