"""The Raumklima screen and the sensors in guide mode's hub status.

The pure part (kiosk/climate_data.py, kiosk/hub_status.py) against real SQLite stores filled
the way the hub daemon fills them; then the real app under Xvfb (one process per scenario, see
driver.py): words for values in every level, stale and disconnected sensors, the chart's drawn
points, the active alert, the language switch, read-aloud, and guide mode's sensor lines.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from content import notices
from content.identity import load_identity
from content.local_time import LOCAL_TIME
from content.log import Log
from content.sensors import RECENT_MS, WINDOW_MS, current_readings, insert_readings
from content.store import Store
from content.thresholds import HUMIDITY_LIMIT, RULES
from hardware.readings import Reading
from hardware.recorder import Recorder
from kiosk import climate_data as cd
from kiosk.hub_status import SENSOR_STATUS_FILE, sensor_service
from kiosk.i18n import LANGUAGES, load_catalog
from node.home import Home, NodeConfig
from tests.kiosk.climate_scenarios import (
    HISTORY_WINDOWS,
    PERIOD_SENSORS,
    configure_period_sensors,
    history_co2,
    write_sensor_status,
)
from tests.kiosk.hubhome import VILLAGE, HubHome, make_hub_home
from tests.kiosk.run import run_scenario

MINUTE = 60_000
NOW = 1_780_000_000_000 - 1_780_000_000_000 % WINDOW_MS + 7 * MINUTE  # 7 min into a window


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(tmp_path / "hub.db") as opened:
        yield opened


def _put(store: Store, rows: list[tuple[Any, ...]]) -> None:
    with store.write() as conn:
        insert_readings(conn, rows)


def _series(
    sensor: str, quantity: str, value: float, unit: str, last_ms: int, status: str = "ok"
) -> list[tuple[Any, ...]]:
    """A minute apart, the last one at `last_ms` with `status`."""
    return [
        (last_ms - MINUTE, sensor, quantity, value, unit, "ok"),
        (last_ms, sensor, quantity, value, unit, status),
    ]


def _by_quantity(store: Store, now: int = NOW) -> dict[str, cd.ClimateValue]:
    return {value.quantity: value for value in cd.current_values(store.conn, now)}


# ---- levels and staleness --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "value", "unit", "level"),
    [
        ("co2", 999, "ppm", "good"),
        ("co2", 1000, "ppm", "ventilate"),  # 1000-2000 ppm: ventilate (inclusive)
        ("co2", 2000, "ppm", "ventilate"),
        ("co2", 2001, "ppm", "unacceptable"),
        ("pm2_5", 15.0, "µg/m³", "good"),
        ("pm2_5", 15.1, "µg/m³", "exceeded"),
        ("pm10", 45.0, "µg/m³", "good"),
        ("pm10", 45.5, "µg/m³", "exceeded"),
        ("temperature", 31.9, "°C", "good"),  # no humidity: the air temperature is judged
        ("temperature", 32.0, "°C", "strong"),
        ("temperature", 38.1, "°C", "extreme"),
    ],
)
def test_each_value_gets_the_level_of_the_threshold_table(
    store: Store, quantity: str, value: float, unit: str, level: str
) -> None:
    _put(store, _series("s", quantity, value, unit, NOW - 1000))
    shown = _by_quantity(store)[quantity]
    assert (shown.status, shown.value, shown.level) == ("ok", value, level)
    assert shown.word_key == f"climate.level.{level}"


def test_heat_is_judged_on_the_felt_temperature_when_humidity_is_known(store: Store) -> None:
    _put(store, _series("klima", "temperature", 31.0, "°C", NOW - 1000))
    _put(store, _series("klima", "humidity", 60.0, "%", NOW - 1000))
    temperature = _by_quantity(store)["temperature"]
    assert temperature.value == 31.0
    assert temperature.felt == pytest.approx(34.8, abs=0.1)
    assert temperature.level == "strong"  # 31 °C air, but it feels like 35 °C
    humidity = _by_quantity(store)["humidity"]
    assert (humidity.level, humidity.word_key) == (None, None)  # the table has no humidity rule


def test_damp_air_flags_particulate_values(store: Store) -> None:
    _put(store, _series("feinstaub", "pm2_5", 8.0, "µg/m³", NOW - 1000))
    _put(store, _series("klima", "humidity", HUMIDITY_LIMIT, "%", NOW - 1000))
    assert not _by_quantity(store)["pm2_5"].damp
    _put(store, _series("klima", "humidity", HUMIDITY_LIMIT + 1, "%", NOW))
    assert _by_quantity(store, NOW + 1)["pm2_5"].damp


def test_stale_disconnected_warming_and_missing_are_never_shown_as_current(
    store: Store,
) -> None:
    lag = cd.STORE_LAG_MS  # the daemon stores readings every 5 s
    _put(store, _series("co2-saal", "co2", 2500.0, "ppm", NOW - 2 * MINUTE - lag - 1))
    _put(store, _series("feinstaub", "pm2_5", 30.0, "µg/m³", NOW - 1000, "disconnected"))
    _put(store, _series("feinstaub", "pm10", 0.0, "µg/m³", NOW - 1000, "warming"))
    _put(store, _series("klima", "temperature", 22.0, "°C", NOW - 2 * MINUTE - lag))  # just
    shown = _by_quantity(store)
    assert {q: (v.status, v.value, v.level) for q, v in shown.items()} == {
        "co2": ("stale", None, None),
        "pm2_5": ("disconnected", None, None),
        "pm10": ("warming", None, None),
        "temperature": ("ok", 22.0, "good"),
        "humidity": ("missing", None, None),
    }
    assert shown["co2"].word_key == "climate.status.stale"
    assert [v.quantity for v in cd.current_values(store.conn, NOW)] == list(cd.QUANTITIES)


def test_of_two_sensors_the_current_one_is_shown(store: Store) -> None:
    _put(store, _series("co2-alt", "co2", 2500.0, "ppm", NOW - 10 * MINUTE))
    _put(store, _series("co2-neu", "co2", 700.0, "ppm", NOW - 1000))
    _put(store, [(NOW - 500, "co2-alt", "co2", 0.0, "ppm", "disconnected")])
    co2 = _by_quantity(store)["co2"]
    assert (co2.sensor_id, co2.status, co2.value) == ("co2-neu", "ok", 700.0)


@pytest.mark.parametrize("seed", range(5))
def test_the_recent_look_up_keeps_the_staleness_rule(store: Store, seed: int) -> None:
    """The screen's fast look-up (an index range of the last hour) gives what the whole-table
    current_readings gives for every series read in that hour (older ones are never current)."""
    rng = random.Random(seed)
    rows = []
    for number in range(6):
        interval = rng.choice([2_000, 30_000, 60_000, 300_000])
        time_ms = NOW - rng.choice([0, 1000, 50_000, 100_000, 200_000, 700_000, 40 * MINUTE])
        for _ in range(rng.randrange(1, 12)):
            status = rng.choice(["ok", "ok", "ok", "warming", "disconnected"])
            rows.append((time_ms, f"s{number}", "co2", rng.uniform(400, 3000), "ppm", status))
            time_ms -= interval
    _put(store, rows)
    for now in (NOW, NOW + MINUTE, NOW + 9 * MINUTE):
        since = now - RECENT_MS
        expected = [r for r in current_readings(store.conn, now) if r.time_ms > since]
        assert current_readings(store.conn, now, since_ms=since) == expected


def test_a_quantity_silent_for_an_hour_is_stale_if_this_hub_measured_it(tmp_path: Path) -> None:
    home = make_hub_home(tmp_path)
    with Store(home.path / "dorfhub.db") as store:
        recorder = _recorder(home, store)
        start = NOW - 3 * 60 * MINUTE
        _co2_minutes(recorder, start, 25, 600.0)  # closes two windows into rollups
        hub = home.hub.key_id
        shown = {v.quantity: v.status for v in cd.current_values(store.conn, NOW, hub)}
        assert shown["co2"] == "stale"  # last read two and a half hours ago
        assert shown["pm10"] == "missing"  # never measured here
        assert {v.status for v in cd.current_values(store.conn, NOW)} == {"missing"}


def test_numbers_follow_the_language() -> None:
    assert cd.format_value("co2", 1450.4, "de") == "1.450 ppm"
    assert cd.format_value("co2", 1450.4, "en") == "1,450 ppm"
    assert cd.format_value("temperature", 22.46, "de-LS") == "22,5 °C"
    assert cd.format_value("pm2_5", 3.0, "en") == "3.0 µg/m³"


def test_every_level_status_and_quantity_has_words_in_every_language() -> None:
    levels = {level.name for rule in RULES for level in rule.levels} | {"good"}
    assert cd.level_names() == levels
    keys = {f"climate.level.{name}" for name in levels}
    keys |= {f"climate.status.{s}" for s in ("stale", "disconnected", "warming", "missing")}
    for quantity in cd.QUANTITIES:
        keys |= {f"climate.{part}.{quantity}" for part in ("name", "name_spoken", "spoken")}
    for language in LANGUAGES:
        catalog = load_catalog(language)
        assert keys - set(catalog) == set(), language
    assert load_catalog("de")["climate.level.ventilate"] == "lüften bitte"
    assert load_catalog("de")["climate.level.strong"] == "zu warm"


# ---- the chart -------------------------------------------------------------------------------


def _recorder(home: HubHome, store: Store) -> Recorder:
    return Recorder(store, Log(store), load_identity(home.path / "node.key"), VILLAGE)


def test_chart_uses_rollups_for_closed_windows_and_raw_readings_for_the_open_one(
    tmp_path: Path,
) -> None:
    home = make_hub_home(tmp_path)
    with Store(home.path / "dorfhub.db") as store:
        recorder = _recorder(home, store)
        start = NOW - NOW % WINDOW_MS - 3 * WINDOW_MS  # three closed windows, then the open one
        for minute in range(37):
            time_ms = start + minute * MINUTE
            recorder.record(Reading(time_ms, "co2-saal", "co2", 500.0 + minute, "ppm", "ok"))
            recorder.tick(time_ms)
        hub = home.hub.key_id
        rolled = store.conn.execute("SELECT count(*) FROM sensor_rollups").fetchone()[0]
        assert rolled == 3
        points = cd.chart_series(store.conn, hub, "co2", start + 37 * MINUTE)
        # Windows of ten samples: the mean without the lowest and highest is the middle value.
        assert points == [
            (start, 504.5),
            (start + WINDOW_MS, 514.5),
            (start + 2 * WINDOW_MS, 524.5),
            (start + 3 * WINDOW_MS, 533.0),  # raw: minutes 30-36, 531-535 kept
        ]
        # The raw readings of closed windows may be gone (7-day retention): rollups remain.
        with store.write() as conn:
            conn.execute("DELETE FROM sensor_readings WHERE time_ms < ?", (start + 3 * WINDOW_MS,))
        assert cd.chart_series(store.conn, hub, "co2", start + 37 * MINUTE) == points
        # Only this hub's rollups, and only the last 24 hours.
        assert cd.chart_series(store.conn, "someone-else", "co2", start + 37 * MINUTE) == [
            points[-1]
        ]
        assert cd.chart_series(store.conn, hub, "co2", start + 2 * 24 * 60 * MINUTE) == []


def test_chart_geometry_breaks_at_gaps_and_keeps_inside_the_box() -> None:
    box = cd.Box(100, 50, 1440, 300)
    start, end = 0, 24 * 60 * MINUTE
    points = [(i * WINDOW_MS, 400.0 + i) for i in range(10)]
    points += [(50 * WINDOW_MS, 5000.0)]  # after a gap; far above the axis
    segments = cd.to_screen(points, start, end, 400.0, 1400.0, box)
    assert len(segments) == 2
    first, lone = segments
    assert len(first) == 20
    assert first[0] == pytest.approx(100 + 1440 * (WINDOW_MS / 2) / end)
    assert first[1] == pytest.approx(50.0)
    assert lone[1] == lone[3] == 350  # clamped to the top, drawn as a short dash
    assert lone[0] < lone[2]
    assert all(100 <= x <= 1540 for x in first[0::2] + lone[0::2])


def test_axes_hold_the_values_and_the_co2_thresholds() -> None:
    assert cd.value_range("co2", [600.0, 1305.0]) == (400.0, 1400.0)
    assert cd.value_range("co2", []) == (400.0, 1200.0)
    assert cd.value_range("co2", [2600.0]) == (400.0, 2600.0)
    assert cd.threshold_lines("co2", 400.0, 2600.0) == [1000.0, 2000.0]
    assert cd.threshold_lines("temperature", 10.0, 45.0) == []  # heat is on felt temperature
    assert cd.value_range("temperature", [17.3, 30.2]) == (16.0, 32.0)


def test_hour_ticks_are_local_full_hours_also_on_the_day_the_clocks_change() -> None:
    # 29 March 2026: Central European Summer Time begins at 02:00.
    start = int(datetime(2026, 3, 28, 22, 30, tzinfo=LOCAL_TIME).timestamp() * 1000)
    ticks = cd.hour_ticks(start, start + 24 * 60 * MINUTE)
    local = [datetime.fromtimestamp(t / 1000, LOCAL_TIME) for t in ticks]
    assert [(m.day, m.hour) for m in local] == [(29, 0), (29, 6), (29, 12), (29, 18)]


# ---- alerts ----------------------------------------------------------------------------------


def _co2_minutes(recorder: Recorder, start: int, minutes: int, ppm: float) -> int:
    for minute in range(minutes):
        time_ms = start + minute * MINUTE
        recorder.record(Reading(time_ms, "co2-saal", "co2", ppm, "ppm", "ok"))
        recorder.tick(time_ms)
    return start + minutes * MINUTE


def test_active_alert_in_the_chosen_language_until_cleared_or_retracted(tmp_path: Path) -> None:
    home = make_hub_home(tmp_path)
    admin = load_identity(home.admin_key)
    with Store(home.path / "dorfhub.db") as store:
        recorder = _recorder(home, store)
        hub = home.hub.key_id
        later = _co2_minutes(recorder, NOW, 7, 1500.0)
        (alert,) = cd.active_alerts(store.conn, hub, "en")
        assert alert.level == "ventilate"
        assert alert.title == "Please air the room: the air is stale (1,500 ppm CO2)"
        german = cd.active_alerts(store.conn, hub, "de")[0]
        assert german.title.startswith("Lüften bitte")
        assert cd.active_alerts(store.conn, "another-hub", "de") == []
        _co2_minutes(recorder, later, 7, 600.0)
        assert cd.active_alerts(store.conn, hub, "de") == []  # cleared by the hub
        later = _co2_minutes(recorder, later + 7 * MINUTE, 7, 1500.0)
        (again,) = cd.active_alerts(store.conn, hub, "de")
        notices.retract(Log(store), admin, again.id, "Fehlalarm")
        assert cd.active_alerts(store.conn, hub, "de") == []  # taken down by an administrator


# ---- the sensor service in guide mode --------------------------------------------------------


def test_sensor_status_file_fresh_stale_missing_and_broken(tmp_path: Path) -> None:
    now = NOW
    assert sensor_service(tmp_path, now).running is False  # no file
    write_sensor_status(tmp_path, now - 30_000)
    service = sensor_service(tmp_path, now)
    assert service.running
    assert [(s.sensor_id, s.connected, s.frames_ok, s.reconnects) for s in service.sensors] == [
        ("co2-saal", True, 1234, 0),
        ("feinstaub", False, 56, 2),
        ("klima", True, 789, 0),
    ]
    assert service.sensors[1].last_error == "port /dev/ttyUSB1 vanished"
    write_sensor_status(tmp_path, now - 61_000)
    assert sensor_service(tmp_path, now).running is False  # older than a minute
    path = tmp_path / SENSOR_STATUS_FILE
    for broken in ("{not json", json.dumps({"updated_ms": "soon", "counters": {}}), "[]"):
        path.write_text(broken)
        assert sensor_service(tmp_path, now) == cd_not_running()


def cd_not_running() -> Any:
    from kiosk.hub_status import SensorService

    return SensorService(False, None, ())


# ---- the real app ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def climate_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the climate scenario, looked at by the tests below."""
    import os

    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display: run under xvfb-run (make test does)")
    tmp = tmp_path_factory.mktemp("climate")
    home = make_hub_home(tmp)
    result: dict[str, Any] = run_scenario("climate_scenarios:climate", home.path, tmp)["results"]
    return result


def test_raumklima_screen_in_the_running_kiosk(climate_run: dict[str, Any]) -> None:
    out = climate_run
    assert out["screen"] == "climate"
    stale, good, warm, disconnected = out["cases"]
    assert stale == {
        "temperature": ["40,0 °C", "viel zu warm · gefühlt 48,3 °C"],
        "humidity": ["40 %", ""],
        "co2": ["2.500 ppm", "sofort lüften"],
        "pm2_5": ["–", "keine aktuellen Werte"],  # its value 5 µg/m³ is ten minutes old
        "pm10": ["–", "keine aktuellen Werte"],
    }
    assert good == {
        "temperature": ["22,0 °C", "gut · gefühlt 22,2 °C"],
        "humidity": ["75 %", ""],
        "co2": ["800 ppm", "gut"],
        "pm2_5": ["5,0 µg/m³", "gut · ungenau wegen feuchter Luft"],
        "pm10": ["12,0 µg/m³", "gut · ungenau wegen feuchter Luft"],
    }
    assert warm == {
        "temperature": ["31,0 °C", "zu warm · gefühlt 34,8 °C"],
        "humidity": ["60 %", ""],
        "co2": ["1.500 ppm", "lüften bitte"],
        "pm2_5": ["30,0 µg/m³", "Feinstaub erhöht"],
        "pm10": ["60,0 µg/m³", "Feinstaub erhöht"],
    }
    assert disconnected["co2"] == ["–", "Sensor getrennt: keine aktuellen Werte"]
    assert disconnected["temperature"] == warm["temperature"]

    # The alert raised by the recorder's ticks, in German, then in English.
    title, text, opacity = out["alert"]
    assert title == "Lüften bitte: Die Luft ist verbraucht (1.500 ppm CO2)"
    assert "Fenster" in text
    assert opacity == 1
    assert out["english_alert"][0] == "Please air the room: the air is stale (1,500 ppm CO2)"

    assert out["english_heading"] == "Room climate"
    assert out["english_chart_caption"] == "CO2 over the last 24 hours (ppm)"
    assert out["english"]["co2"] == ["1,500 ppm", "please air the room"]
    assert out["english"]["temperature"] == ["31.0 °C", "too warm · feels like 34.8 °C"]
    assert out["english"]["pm10"] == ["60.0 µg/m³", "particles high"]

    (said_de, language_de, personal_de), shown_de = out["read_de"]
    assert said_de == shown_de
    assert (language_de, personal_de) == ("de", False)
    assert said_de.startswith("Raumklima. Temperatur: 31,0 Grad, zu warm, gefühlt 34,8 Grad.")
    assert "Kohlendioxid: 1.500 ppm, lüften bitte." in said_de
    assert "Warnung: Lüften bitte" in said_de
    (said_en, language_en, personal_en), shown_en = out["read_en"]
    assert said_en == shown_en
    assert (language_en, personal_en) == ("en", False)
    assert "Carbon dioxide: 1,500 parts per million, please air the room." in said_en
    assert "Warning: Please air the room" in said_en


def test_chart_draws_the_last_24_hours(climate_run: dict[str, Any]) -> None:
    out = climate_run
    chart = out["chart_co2"]
    assert chart["in_canvas"]
    x, y, width, height = chart["box"]
    segments = chart["segments"]
    points = [(s[i], s[i + 1]) for s in segments for i in range(0, len(s), 2)]
    # 142 windows of history, then the alert's readings in the newest windows.
    assert HISTORY_WINDOWS <= len(points) <= HISTORY_WINDOWS + 3
    xs = [p[0] for p in points]
    assert xs == sorted(xs)
    assert x <= xs[0] < x + width * 0.02  # a day ago at the left edge ...
    assert x + width * 0.97 < xs[-1] <= x + width  # ... now at the right
    # The history rises from 600 ppm on an axis from 400 to 1600 ppm (the alert's 1500 ppm
    # and round numbers): every drawn point sits at its value's height.
    for index, (_, point_y) in enumerate(points[:HISTORY_WINDOWS]):
        expected = y + height * (history_co2(index) - 400) / 1200
        assert point_y == pytest.approx(expected, abs=0.5)
    assert points[-1][1] == pytest.approx(y + height * (1500 - 400) / 1200, abs=0.5)
    hours = [label for label in chart["labels"] if label.endswith(":00")]
    assert len(hours) == 4
    assert {"400", "1.000", "1.600"} <= set(chart["labels"])
    assert len(out["chart_temperature"]["segments"][0]) >= 2 * HISTORY_WINDOWS
    # Every line (axes, the 1000 ppm line, the series) has 3:1 against the chart in both themes.
    assert min(chart["lines"]) >= 3
    assert min(out["chart_co2_high_contrast"]["lines"]) >= 3
    assert len(chart["lines"]) >= 1 + 2 + 4  # series, two axes, four hour marks (+ threshold)


@pytest.mark.usefixtures("display")
def test_guide_mode_lists_the_sensors_and_notices_a_stopped_service(
    hub_home: HubHome, tmp_path: Path
) -> None:
    out = run_scenario("climate_scenarios:climate_guide", hub_home.path, tmp_path)["results"]
    screen, fresh = out["fresh"]
    assert screen == "guide"
    assert "Sensor co2-saal: verbunden" in fresh
    assert "Messungen 1.234 · Prüfsummenfehler 3 · Neu verbunden 0" in fresh
    assert "Sensor feinstaub: getrennt" in fresh
    assert "Messungen 56 · Prüfsummenfehler 0 · Neu verbunden 2" in fresh
    assert "Letzter Fehler: port /dev/ttyUSB1 vanished" in fresh
    assert "Sensordienst läuft nicht" not in fresh
    assert "Sensordienst läuft nicht" in out["stale"]
    assert "co2-saal" not in out["stale"]
    assert "Sensor klima: verbunden" in out["fresh_again"]
    assert "Sensordienst läuft nicht" in out["missing"]


# ---- staleness by each sensor's configured period (issue 17) --------------------------------


def _streamed(store: Store, sensor: str, quantity: str, last_ms: int) -> None:
    """Three readings a second apart, as a bridge streams them faster than it is stored."""
    _put(store, [(last_ms - s * 1000, sensor, quantity, 21.0, "°C", "ok") for s in range(3)])


def test_staleness_is_judged_on_each_sensors_configured_period(
    store: Store, tmp_path: Path
) -> None:
    from hardware.config import parse_sensors

    configs = parse_sensors({"sensors": PERIOD_SENSORS})
    periods = cd.configured_periods_ms(tmp_path)  # no config.toml: estimated, as before
    assert periods == {}
    Home.create(tmp_path / "hub", NodeConfig(name=VILLAGE, role="hub", network_id="n" * 64))
    configure_period_sensors(tmp_path / "hub")
    periods = cd.configured_periods_ms(tmp_path / "hub")
    assert periods == {"klima": 10_000, "co2-saal": 10_000, "feinstaub": periods["feinstaub"]}
    # The duty-cycled laser is read far less often than its interval says.
    assert periods["feinstaub"] == round(configs[2].period_s * 1000) > 60_000
    _streamed(store, "klima", "temperature", NOW - 8000)
    _streamed(store, "co2-saal", "co2", NOW - 26_000)
    _streamed(store, "feinstaub", "pm2_5", NOW - 90_000)
    judged = {v.quantity: v.status for v in cd.current_values(store.conn, NOW, "", periods)}
    # 8 s: within 2 x 10 s (+ the 5 s the daemon may hold a reading); 26 s is past it.
    assert (judged["temperature"], judged["co2"], judged["pm2_5"]) == ("ok", "stale", "ok")
    # Estimated from one second between readings, the same 8 s looked stale.
    estimated = {v.quantity: v.status for v in cd.current_values(store.conn, NOW)}
    assert estimated["temperature"] == "stale"


def test_the_running_kiosk_judges_staleness_by_the_configured_period(
    tmp_path: Path,
) -> None:
    import os

    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display: run under xvfb-run (make test does)")
    home = make_hub_home(tmp_path)
    configure_period_sensors(home.path)
    out = run_scenario("climate_scenarios:climate_by_interval", home.path, tmp_path)["results"]
    rows = out["rows"]
    assert rows["temperature"][0] == "21,0 °C"  # 8 s old, read every 10 s
    assert rows["humidity"][0] == "21 %"  # 1.8 s old
    assert rows["co2"] == ["–", "keine aktuellen Werte"]  # 26 s old, read every 10 s
    assert rows["pm2_5"][0] == "21,0 µg/m³"  # 90 s old, read about every 110 s
