"""Alert state machines (hysteresis, minimum duration, stale readings), their board texts, the
threshold table, and who may write sensor ops: checked at ingest on every node."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content import notices, sensors
from content.bodies import encode_body
from content.identity import Identity
from content.log import AppendRefused, Log
from content.ops import RawOp
from content.thresholds import (
    CO2,
    HEAT,
    PM2_5,
    RULES,
    TABLE_VERSION,
    felt_temperature,
    heat_index_c,
    level_now,
)
from hardware.alerts import AlertChange, AlertMachine, alert_texts
from hardware.readings import DISCONNECTED, OK, STALE, WARMING
from tests.content.helpers import next_position, notice_bytes, sign_op
from tests.hardware.room import MINUTE, T0, Room, make_room

STEP = 10_000  # a reading every 10 s
GAP = 2 * STEP
D = HEAT.min_duration_ms


def _machine(rule=HEAT) -> AlertMachine:  # type: ignore[no-untyped-def]
    return AlertMachine(rule, "bme280-1", max_gap_ms=GAP)


def _run(
    machine: AlertMachine, values: list[float], start: int = T0, status: str = OK
) -> list[AlertChange]:
    changes = []
    for i, value in enumerate(values):
        change = machine.observe(start + i * STEP, value, status)
        if change is not None:
            changes.append(change)
    return changes


def _steps(duration_ms: int) -> int:
    return duration_ms // STEP


# ---- the state machine ------------------------------------------------------------------------


def test_heat_raises_only_after_the_minimum_duration() -> None:
    machine = _machine()
    assert _run(machine, [33.0] * _steps(D)) == []  # 10 minutes minus one step
    (change,) = _run(machine, [33.0], start=T0 + D)
    assert (change.change, change.level and change.level.name) == ("raised", "strong")
    assert change.raised_at == T0 + D
    assert change.level is not None
    assert change.level.priority == "important"


def test_a_short_hot_spell_raises_nothing() -> None:
    machine = _machine()
    values = ([33.0] * (_steps(D) - 2) + [30.0]) * 5
    assert _run(machine, values) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=31.01, max_value=37.9), min_size=1, max_size=600))
def test_a_temperature_wobbling_around_the_threshold_raises_one_alert(
    wobble: list[float],
) -> None:
    """Within the hysteresis band below 32 °C and up to the extreme level: at most one raise,
    never a clear, whatever the wobble."""
    machine = _machine()
    changes = _run(machine, [33.0] * (_steps(D) + 1) + wobble)
    assert [c.change for c in changes] == ["raised"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=20.0, max_value=45.0), min_size=1, max_size=800))
def test_changes_never_flap(values: list[float]) -> None:
    """Whatever the readings: raises and clears alternate, every change was held for the
    minimum duration, and level and changes agree."""
    machine = _machine()
    changes = _run(machine, values)
    times = [T0] + [c.time_ms for c in changes]
    assert all(later - earlier >= D for earlier, later in pairwise(times))
    active = False
    for change in changes:
        if not active:
            assert change.change == "raised"
        else:
            assert change.change == ("cleared" if change.level is None else "updated")
        active = change.level is not None
    assert (machine.level > 0) == active


def test_the_alert_clears_only_below_the_band_for_the_minimum_duration() -> None:
    machine = _machine()
    _run(machine, [33.0] * (_steps(D) + 1))
    assert _run(machine, [31.2] * 100, start=T0 + 2 * D) == []  # inside the band: stays
    assert _run(machine, [30.5] * _steps(D), start=T0 + 5 * D) == []
    (cleared,) = _run(machine, [30.5] * 2, start=T0 + 5 * D + D)
    assert (cleared.change, cleared.level, cleared.raised_at) == ("cleared", None, T0 + D)
    assert machine.level == 0


def test_extreme_heat_escalates_and_settles_back() -> None:
    machine = _machine()
    (raised,) = _run(machine, [39.0] * (_steps(D) + 1))
    assert raised.level is not None
    assert (raised.change, raised.level.name, raised.level.priority) == (
        "raised",
        "extreme",
        "emergency",
    )
    (down,) = _run(machine, [35.0] * (_steps(D) + 1), start=T0 + 2 * D)
    assert down.level is not None
    assert (down.change, down.level.name, down.raised_at) == ("updated", "strong", raised.raised_at)


@pytest.mark.parametrize("status", [STALE, WARMING, DISCONNECTED])
def test_stale_readings_neither_raise_nor_clear(status: str) -> None:
    machine = _machine()
    assert _run(machine, [45.0] * 500, status=status) == []
    assert machine.level == 0
    _run(machine, [33.0] * (_steps(D) + 1), start=T0 + 600 * STEP)
    assert machine.level == 1
    assert _run(machine, [15.0] * 500, start=T0 + 700 * STEP, status=status) == []
    assert machine.level == 1


def test_a_gap_restarts_a_pending_change_and_silence_is_unknown() -> None:
    machine = _machine()
    _run(machine, [33.0] * (_steps(D) // 2))
    # Silence longer than the gap: nobody knows whether it stayed hot.
    assert _run(machine, [33.0] * (_steps(D) // 2 + 2), start=T0 + D) == []
    _run(machine, [33.0] * (_steps(D) + 1), start=T0 + 3 * D)
    assert machine.level == 1
    assert machine.check_silence(T0 + 10 * D) is True
    assert machine.unknown
    assert machine.level == 1  # reported, not withdrawn
    assert machine.check_silence(T0 + 11 * D) is False
    _run(machine, [33.0], start=T0 + 12 * D)
    assert not machine.unknown


def test_co2_levels_follow_the_umweltbundesamt() -> None:
    machine = _machine(CO2)
    steps = _steps(CO2.min_duration_ms) + 1
    assert _run(machine, [999.0] * steps) == []
    (ventilate,) = _run(machine, [1000.0] * steps, start=T0 + D)
    (worse,) = _run(machine, [2100.0] * steps, start=T0 + 3 * D)
    assert ventilate.level is not None
    assert worse.level is not None
    assert (ventilate.level.name, worse.level.name) == ("ventilate", "unacceptable")
    assert _run(machine, [1950.0] * steps, start=T0 + 5 * D) == []  # within 100 ppm of 2000


# ---- the table and the texts ------------------------------------------------------------------


def test_every_rule_names_its_source_and_its_levels_ascend() -> None:
    assert {r.name for r in RULES} == {"heat", "co2", "pm2_5", "pm10"}
    for rule in RULES:
        assert rule.source
        assert rule.hysteresis > 0
        assert rule.min_duration_ms > 0
        assert [lv.threshold for lv in rule.levels] == sorted(lv.threshold for lv in rule.levels)
    assert "WHO" in PM2_5.source
    assert "Umweltbundesamt" in CO2.source
    assert "Deutscher Wetterdienst" in HEAT.source


def test_felt_temperature_uses_humidity_when_there_is_some() -> None:
    assert felt_temperature(33.0, None) == 33.0
    # Values from the NWS heat index chart (°F, % relative humidity -> °F).
    for air, humidity, chart in ((90, 60, 100), (100, 40, 109), (86, 85, 102), (92, 50, 99)):
        felt = heat_index_c((air - 32) * 5 / 9, humidity) * 9 / 5 + 32
        assert felt == pytest.approx(chart, abs=1.0)
    assert felt_temperature(30.0, 60.0) > 32.0
    assert felt_temperature(20.0, 50.0) == pytest.approx(19.4, abs=0.2)


def _change(rule, level_index: int, value: float) -> AlertChange:  # type: ignore[no-untyped-def]
    level = rule.levels[level_index] if level_index >= 0 else None
    return AlertChange(rule, "s-1", "raised", level, None, value, T0, T0)


def test_texts_in_german_english_and_easy_language() -> None:
    title, text = alert_texts(_change(HEAT, 0, 33.2), "Ringelai")
    assert set(title) == set(text) == {"de", "en", "de-LS"}
    assert "Es ist zu warm im Dorfgemeinschaftshaus (33 °C gefühlt)" in text["de"]
    assert "Bitte trinken Sie Wasser und lüften Sie." in text["de"]
    assert "Ringelai" in title["de"]
    assert "Dorf·gemeinschafts·haus" in text["de-LS"]
    assert all(len(sentence.split()) <= 10 for sentence in text["de-LS"].split(". "))
    co2_title, _ = alert_texts(_change(CO2, 0, 1450.0), "Ringelai")
    assert co2_title["de"] == "Lüften bitte: Die Luft ist verbraucht (1.450 ppm CO2)"
    assert "1,450 ppm" in co2_title["en"]
    _, pm_text = alert_texts(_change(PM2_5, 0, 18.44), "Ringelai")
    assert "18,4 µg/m³" in pm_text["de"]
    assert "Fein·staub" in pm_text["de-LS"]
    cleared_title, _ = alert_texts(_change(HEAT, -1, 30.0), "Ringelai")
    assert "wieder in Ordnung" in cleared_title["de"]


# ---- who may write sensor ops ---------------------------------------------------------------


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    made = make_room(tmp_path)
    yield made
    made.close()


def _alert_body(sensor: str = "bme280-1", raised_at: int = T0, state: str = "active") -> bytes:
    texts = {"de": "Zu warm", "en": "Too warm", "de-LS": "Es ist zu warm"}
    return encode_body(
        {
            "sensor": sensor,
            "rule": "heat",
            "quantity": "temperature",
            "level": "strong",
            "state": state,
            "priority": "important",
            "value": 33.0,
            "unit": "°C",
            "raised_at": raised_at,
            "title": texts,
            "text": texts,
            "table_version": TABLE_VERSION,
            "source": HEAT.source,
        }
    )


def _rollup_body(start: int = T0) -> bytes:
    series = {
        "sensor": "bme280-1",
        "quantity": "temperature",
        "unit": "°C",
        "mean": 21.0,
        "min": 20.5,
        "max": 21.5,
        "count": 58,
        "samples": 60,
    }
    return encode_body(
        {"window_start": start, "window_end": start + 10 * MINUTE, "series": [series]}
    )


def _forged(room: Room, author: Identity, kind: str, entity: str, body: bytes) -> RawOp:
    return sign_op(
        author,
        room.network_id,
        **next_position(room.town, author),
        kind=kind,
        entity=entity,
        body=body,
        time_ms=T0,
    )


def _fresh_copy(room: Room, name: str) -> Log:
    log = room.fresh_log(name)
    log.ingest(list(room.town.ops_missing_from({})))
    return log


def test_a_hub_writing_about_another_hubs_sensors_is_rejected_everywhere(room: Room) -> None:
    victim = room.hub.key_id
    attempts = [
        ("sensor.alert", sensors.alert_entity(victim, "bme280-1", "heat", T0), _alert_body()),
        ("sensor.rollup", sensors.rollup_entity(victim, T0), _rollup_body()),
    ]
    for number, (kind, entity, body) in enumerate(attempts):
        forged = _forged(room, room.other_hub, kind, entity, body)
        for log in (room.town, _fresh_copy(room, f"node-{number}")):
            vector = log.version_vector()
            report = log.ingest([forged])
            assert report.applied == []
            assert [op for op, _ in report.rejected] == [forged.op_id]
            assert "entity must be <author>" in report.rejected[0][1]
            assert log.version_vector() == vector
    assert sensors.alerts(room.town.store.conn) == []
    assert sensors.rollups(room.town.store.conn) == []
    assert notices.active_notices(room.town.store.conn, at_ms=T0 + 1) == []


def test_a_body_that_disagrees_with_its_entity_is_rejected(room: Room) -> None:
    own = room.other_hub.key_id
    entity = sensors.alert_entity(own, "bme280-1", "heat", T0)
    forged = _forged(room, room.other_hub, "sensor.alert", entity, _alert_body(raised_at=T0 + 1))
    assert room.town.ingest([forged]).applied == []
    with pytest.raises(AppendRefused, match="entity must be"):
        room.town.append(room.other_hub, "sensor.rollup", f"{own}:rollup:1", _rollup_body())


def test_a_hub_writing_about_its_own_sensors_is_accepted(room: Room) -> None:
    own = room.other_hub.key_id
    entity = sensors.alert_entity(own, "bme280-1", "heat", T0)
    op = _forged(room, room.other_hub, "sensor.alert", entity, _alert_body())
    assert room.town.ingest([op]).applied == [op.op_id]
    (alert,) = sensors.alerts(room.town.store.conn)
    assert (alert.hub, alert.level, alert.state) == (own, "strong", "active")


def test_a_hub_still_cannot_write_a_notice(room: Room) -> None:
    forged = _forged(room, room.hub, "notice.put", "n-vom-hub", notice_bytes())
    report = room.town.ingest([forged])
    assert report.applied == []
    assert "notice.put needs another role than hub" in report.rejected[0][1]
    with pytest.raises(AppendRefused, match="needs another role"):
        room.hub_log.append(room.hub, "notice.put", "n-vom-hub", notice_bytes())


def test_an_alert_needs_all_three_languages(room: Room) -> None:
    body = msgspec.json.decode(_alert_body())
    del body["text"]["de-LS"]
    entity = sensors.alert_entity(room.hub.key_id, "bme280-1", "heat", T0)
    with pytest.raises(AppendRefused, match="de, en and de-LS"):
        room.hub_log.append(room.hub, "sensor.alert", entity, encode_body(body))


@pytest.mark.parametrize(
    ("quantity", "value", "level"),
    [
        ("co2", 720.0, "good"),
        ("co2", 1000.0, "ventilate"),
        ("co2", 2400.0, "unacceptable"),
        ("temperature", 31.9, "good"),
        ("temperature", 32.0, "strong"),
        ("temperature", 38.5, "extreme"),
        ("pm2_5", 16.0, "exceeded"),
        ("pm10", 45.0, "good"),
        ("humidity", 95.0, "good"),  # no rule
    ],
)
def test_the_level_a_current_value_reaches(quantity: str, value: float, level: str) -> None:
    assert level_now(quantity, value) == level
