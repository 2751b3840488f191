"""The room climate in a hub's real store, and the scenarios that look at it in the live kiosk.

Readings go into the hub's SQLite file the way the hub daemon puts them there: raw rows with
`content.sensors.insert_readings`, and an alert through `hardware.recorder.Recorder` ticks (which
also closes the 10-minute windows of the history into `sensor.rollup` ops, so the chart reads
rollups for the old windows and raw readings for the newest ones). The kiosk sees each change
through `PRAGMA data_version`, as it would see the daemon's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from content.clock import wall_clock_ms
from content.log import Log
from content.sensors import WINDOW_MS, insert_readings
from content.store import Store
from hardware.readings import Reading
from hardware.recorder import Recorder
from node.home import Home
from tests.kiosk.driver import Context, Step
from tests.kiosk.hubhome import VILLAGE
from tests.kiosk.scenarios import settled
from tests.kiosk.ui import tap, widget

DAY_MS = 24 * 3600 * 1000
UNITS = {"temperature": "°C", "humidity": "%", "co2": "ppm", "pm2_5": "µg/m³", "pm10": "µg/m³"}
SENSOR = {
    "temperature": "klima",
    "humidity": "klima",
    "co2": "co2-saal",
    "pm2_5": "feinstaub",
    "pm10": "feinstaub",
}
# The history: CO2 rises steadily from 600 ppm a day ago (window i: 600 + 5 i), temperature
# from 20 °C; it stops 20 minutes ago, where the alert's readings take over.
HISTORY_WINDOWS = 142
CASE_STEP_MS = 15 * 60_000


def history_co2(index: int) -> float:
    return 600.0 + 5 * index


def put_history(home: Path, now_ms: int) -> None:
    """Three samples in each 10-minute window of the last day (rule 6 needs at least three)."""
    first = now_ms - DAY_MS - now_ms % WINDOW_MS + WINDOW_MS
    rows = []
    for index in range(HISTORY_WINDOWS):
        start = first + index * WINDOW_MS
        for sample, offset in enumerate((60_000, 240_000, 420_000)):
            wobble = (sample - 1) * 2.0  # the middle sample is the window's mean
            rows.append((start + offset, "co2-saal", "co2", history_co2(index) + wobble, "ppm"))
            temperature = 20.0 + index * 0.03 + wobble / 10
            rows.append((start + offset, "klima", "temperature", temperature, "°C"))
            rows.append((start + offset, "klima", "humidity", 45.0 + wobble, "%"))
    with Store(home / "dorfhub.db") as store, store.write() as conn:
        insert_readings(conn, [(*row, "ok") for row in rows])


def raise_co2_alert(home: Path, now_ms: int, ppm: float = 1500.0) -> None:
    """Six minutes of CO2 above 1000 ppm through the hub's recorder: one `sensor.alert` op."""
    hub = Home.open(home)
    with Store(home / "dorfhub.db") as store:
        recorder = Recorder(store, Log(store), hub.identity(), VILLAGE, {"co2-saal": 30_000})
        for step in range(13):
            time_ms = now_ms - (12 - step) * 30_000
            recorder.record(Reading(time_ms, "co2-saal", "co2", ppm, "ppm", "ok"))
            recorder.tick(time_ms)


def put_current(
    home: Path, now_ms: int, values: dict[str, float], stale: tuple[str, ...] = ()
) -> None:
    """Two readings a minute apart per quantity, the last one a second ago (so the kiosk
    estimates an interval of a minute); `stale` quantities were last read ten minutes ago."""
    rows = []
    for quantity, value in values.items():
        last = now_ms - (600_000 if quantity in stale else 1000)
        sensor = SENSOR[quantity]
        rows += [(t, sensor, quantity, value, UNITS[quantity], "ok") for t in (last - 60_000, last)]
    with Store(home / "dorfhub.db") as store, store.write() as conn:
        insert_readings(conn, rows)


def write_sensor_status(home: Path, updated_ms: int, more_sensors: int = 0) -> None:
    """sensor-status.json as node.sensing.write_status writes it (three sensors, and
    `more_sensors` further climate sensors)."""
    counters: dict[str, dict[str, Any]] = {
        "co2-saal": {"frames_ok": 1234, "checksum_errors": 3, "resyncs": 3, "timeouts": 0},
        "feinstaub": {"frames_ok": 56, "checksum_errors": 0, "resyncs": 0, "timeouts": 4},
        "klima": {"frames_ok": 789, "checksum_errors": 0, "resyncs": 1, "timeouts": 0},
    }
    for number in range(more_sensors):
        counters[f"klima-raum-{number + 2}"] = {
            "frames_ok": 100 + number,
            "checksum_errors": 0,
            "resyncs": 0,
            "timeouts": 0,
        }
    for values in counters.values():
        values.update({"reconnects": 0, "connected": True, "last_error": "", "bytes_skipped": 0})
    counters["feinstaub"].update(
        {"connected": False, "reconnects": 2, "last_error": "port /dev/ttyUSB1 vanished"}
    )
    document = {"updated_ms": updated_ms, "counters": counters, "readings": [], "dropped": 0}
    (home / "sensor-status.json").write_text(json.dumps(document), encoding="utf-8")


def fill_climate(home: Path) -> None:
    """A day of history, an active CO2 alert, current values and a sensor status file: the
    fullest the Raumklima screen and guide mode get (for the layout walk)."""
    now = wall_clock_ms()
    put_history(home, now)
    raise_co2_alert(home, now)
    values = {"temperature": 31.0, "humidity": 60.0, "co2": 1500.0, "pm2_5": 30.0, "pm10": 60.0}
    put_current(home, now, values)
    write_sensor_status(home, now)


# ---- scenarios ----------------------------------------------------------------------------------

# The stale case comes first: a newer particulate reading would make the stale one history.
CASES: list[dict[str, Any]] = [
    {  # the particulate sensor stopped ten minutes ago; the rest is at its worst
        "values": {"temperature": 40.0, "humidity": 40.0, "co2": 2500.0, "pm2_5": 5, "pm10": 9},
        "stale": ["pm2_5", "pm10"],
    },
    {  # everything fine; the air is damp, so the particulate values are flagged
        "values": {"temperature": 22.0, "humidity": 75.0, "co2": 800.0, "pm2_5": 5.0, "pm10": 12.0}
    },
    {  # 31 °C air feels like 35 °C at 60 %: too warm by the felt temperature
        "values": {"temperature": 31.0, "humidity": 60.0, "co2": 1500.0, "pm2_5": 30, "pm10": 60}
    },
    # and then the port of the last CO2 sensor vanishes (see `disconnect`)
]


def disconnect(home: Path, sensor: str, quantity: str, now_ms: int) -> None:
    """What the reader records when a sensor's port vanishes: a `disconnected` reading."""
    with Store(home / "dorfhub.db") as store, store.write() as conn:
        insert_readings(conn, [(now_ms, sensor, quantity, 0.0, UNITS[quantity], "disconnected")])


def _rows(screen: Any) -> dict[str, list[str]]:
    return {
        quantity: [row.value_text, row.word_text]
        for quantity in ("temperature", "humidity", "co2", "pm2_5", "pm10")
        for row in [screen.ids[f"row_{quantity}"]]
    }


def _changed(screen: Any) -> Step:
    before = screen.values
    return lambda: screen.values is not before


def _chart(chart: Any) -> dict[str, Any]:
    box = chart.plot_box(chart_theme())
    return {
        "segments": chart.drawn_segments(),
        "box": [box.x, box.y, box.width, box.height],
        "labels": [label.text for label in chart.labels],
        "in_canvas": chart.series in chart.canvas.children,
        "lines": line_contrasts(chart),
    }


def chart_theme() -> Any:
    from kivy.app import App

    return App.get_running_app().th


def line_contrasts(chart: Any) -> list[float]:
    """The contrast of every line drawn in the chart (axes, thresholds, series) against the
    chart's fill: non-text contrast, WCAG 1.4.11."""
    from kivy.graphics import Color, Line

    from kiosk.theme import contrast_ratio

    fill = chart_theme().colour("surface")
    found, colour = [], None
    instructions = list(chart.canvas.children) + list(chart.series.children)
    for instruction in instructions:
        if isinstance(instruction, Color):
            colour = tuple(instruction.rgba)
        elif isinstance(instruction, Line) and colour is not None:
            found.append(round(contrast_ratio(colour, fill), 2))
    return found


def climate(app: Any, ctx: Context) -> Iterator[Step]:
    """History and an alert, then each case's current values on the screen, the language
    switch, read-aloud, and the chart as drawn in both palettes."""
    out = ctx.results
    home = ctx.home
    now = wall_clock_ms()
    # The kiosk's wall clock, moved by the scenario: readings must age by minutes.
    clock = {"now": now}
    app.data.wall_ms = lambda: clock["now"]
    put_history(home, now)
    raise_co2_alert(home, now)
    yield settled(app)
    yield from _tap(app, "tile_climate")
    screen = app.current
    out["screen"] = app.sm.current
    yield settled(app, 5)
    out["chart_co2"] = _chart(screen.ids.chart_co2)
    out["chart_temperature"] = _chart(screen.ids.chart_temperature)
    out["alert"] = [screen.alert_title, screen.alert_text, screen.ids.alert_box.opacity]
    cases = []
    # Each case a quarter of an hour after the last on the kiosk's wall clock (readings are
    # dated by it), so what the previous case wrote is history, not current.
    for case in CASES:
        clock["now"] += CASE_STEP_MS
        put_current(home, clock["now"], case["values"], tuple(case.get("stale", ())))
        yield _changed(screen)
        yield settled(app)
        cases.append(_rows(screen))
    clock["now"] += 30_000
    disconnect(home, "co2-saal", "co2", clock["now"] - 1000)
    yield _changed(screen)
    yield settled(app)
    cases.append(_rows(screen))
    out["cases"] = cases
    clock["now"] += CASE_STEP_MS
    put_current(home, clock["now"], CASES[2]["values"])
    yield _changed(screen)
    yield settled(app)
    out["german"] = _rows(screen)
    yield from _tap(app, "bar_read")
    out["read_de"] = [list(ctx.speaker.said[-1]), screen.speech()]
    yield from _tap(app, "bar_home")
    yield from _tap(app, "lang_en")
    yield from _tap(app, "tile_climate")
    out["english"] = _rows(screen)
    out["english_alert"] = [screen.alert_title, screen.alert_text]
    out["english_heading"] = screen.ids.heading.text
    out["english_chart_caption"] = screen.ids.co2_caption.text
    yield from _tap(app, "bar_read")
    out["read_en"] = [list(ctx.speaker.said[-1]), screen.speech()]
    app.set_theme("high-contrast", False)
    yield settled(app, 5)
    out["chart_co2_high_contrast"] = _chart(screen.ids.chart_co2)


def _tap(app: Any, widget_id: str) -> Iterator[Step]:
    tap(widget(app, widget_id))
    yield settled(app)


def climate_guide(app: Any, ctx: Context) -> Iterator[Step]:
    """Guide mode's sensor lines: a fresh status file, then one a minute and a half old, then
    none at all; the screen notices each on its own timer (no database change)."""
    out = ctx.results
    home = ctx.home
    write_sensor_status(home, wall_clock_ms())
    yield settled(app)
    app.open_guide()
    yield settled(app)
    screen = app.current
    out["fresh"] = [app.sm.current, screen.status_text]
    write_sensor_status(home, wall_clock_ms() - 90_000)
    stale_text = app.t("guide.sensors_down", app.lang)
    yield lambda: stale_text in screen.status_text
    out["stale"] = screen.status_text
    write_sensor_status(home, wall_clock_ms())
    yield lambda: stale_text not in screen.status_text
    out["fresh_again"] = screen.status_text
    (home / "sensor-status.json").unlink()
    yield lambda: stale_text in screen.status_text
    out["missing"] = screen.status_text


# ---- staleness by each sensor's configured period -------------------------------------------

# The sensors of the interval scenario, as the hub's config.toml names them: a bridge streaming
# faster than it is stored, a CO2 sensor read every 10 s, and a duty-cycled particulate sensor
# (SDS011, 15 % duty: one reading about every 110 s although its interval says 5 s).
PERIOD_SENSORS = [
    {"id": "klima", "driver": "jsonl", "port": "/dev/null", "interval": 10},
    {"id": "co2-saal", "driver": "s8", "port": "/dev/null", "interval": 10},
    {"id": "feinstaub", "driver": "sds011", "port": "/dev/null", "interval": 5},
]
# How old each quantity's newest reading is, and its readings' spacing before it.
PERIOD_AGES_MS = {"temperature": 8000, "humidity": 1800, "co2": 26_000, "pm2_5": 90_000}


def configure_period_sensors(home: Path) -> None:
    Home.open(home).save_table("sensors", PERIOD_SENSORS)


def climate_by_interval(app: Any, ctx: Context) -> Iterator[Step]:
    """Readings whose age lies between the old estimate's limit and the configured period's,
    and one past it, on a frozen kiosk clock: each judged on its sensor's configured period."""
    now = app.data.wall_ms()
    app.data.wall_ms = lambda: now
    rows = []
    for quantity, age in PERIOD_AGES_MS.items():
        sensor = SENSOR[quantity]
        # One reading a second, as a bridge streams: an estimate would say a 1 s period.
        rows += [(now - age - step * 1000, sensor, quantity, 21.0, UNITS[quantity], "ok")
                 for step in range(3)]  # fmt: skip
    with Store(ctx.home / "dorfhub.db") as store, store.write() as conn:
        insert_readings(conn, rows)
    yield settled(app)
    yield from _tap(app, "tile_climate")
    screen = app.current
    yield settled(app, 3)
    ctx.results["rows"] = _rows(screen)
