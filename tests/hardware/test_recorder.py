"""The recorder on real SQLite files: raw readings, rollup ops, alert ops on the noticeboard of
the right hub, restarts, staleness, retention and `log verify`."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from content import notices, sensors
from content.log import Log
from content.log_audit import verify_store
from content.ops import decode_header
from hardware.readings import DISCONNECTED, OK, STALE, WARMING, Reading
from hardware.recorder import Recorder
from node.board import render_board
from tests.content.helpers import all_ops, sync, table_rows
from tests.hardware.room import DAY, MINUTE, T0, Room, count_ops, make_room, reading

WINDOW = 10 * MINUTE


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    made = make_room(tmp_path)
    yield made
    made.close()


def _recorder(room: Room, log: Log | None = None, **options: object) -> Recorder:
    log = log or room.hub_log
    return Recorder(log.store, log, room.hub, "Ringelai", **options)  # type: ignore[arg-type]


def feed(
    recorder: Recorder,
    start: int,
    end: int,
    make: Callable[[int], list[Reading]],
    step: int = 10_000,
    tick_every: int = MINUTE,
) -> None:
    """Record `make(t)` every `step` from start to end, ticking as a daemon would."""
    next_tick = start + tick_every
    for t in range(start, end, step):
        while t >= next_tick:
            recorder.tick(next_tick)
            next_tick += tick_every
        for item in make(t):
            recorder.record(item)
    recorder.tick(end)


def temperature(value: float, status: str = OK) -> Callable[[int], list[Reading]]:
    return lambda t: [reading(t, "temperature", value, status=status)]


def _board(log: Log, hub: str | None) -> list[notices.Notice]:
    return notices.active_notices(log.store.conn, hub=hub)


def _alert_ops(log: Log) -> int:
    return count_ops(log, "sensor.alert")


# ---- alerts on the board --------------------------------------------------------------------


def test_heat_alert_shows_on_its_hubs_board_and_is_withdrawn_when_it_clears(room: Room) -> None:
    recorder = _recorder(room)
    feed(recorder, T0, T0 + 20 * MINUTE, temperature(33.4))
    assert _alert_ops(room.hub_log) == 1
    (notice,) = _board(room.hub_log, room.hub.key_id)
    assert (notice.priority, notice.category, notice.target_hubs) == (
        "important",
        "warnung",
        [room.hub.key_id],
    )
    assert notice.title["de"] == "Raumklima Ringelai: Es ist zu warm"
    assert "(33 °C gefühlt)" in notice.body["de"]
    assert set(notice.title) == {"de", "en", "de-LS"}
    assert notice.author == room.hub.key_id
    assert _board(room.hub_log, room.other_hub.key_id) == []
    printed = render_board("Ringelai", _board(room.hub_log, room.hub.key_id))
    assert "[Wichtig · Warnung] Raumklima Ringelai: Es ist zu warm" in printed
    # The town server's board shows it too; the other hub's board does not.
    sync(room.hub_log, room.town)
    assert [n.id for n in _board(room.town, None)] == [notice.id]
    assert [n.id for n in _board(room.town, room.hub.key_id)] == [notice.id]
    assert _board(room.town, room.other_hub.key_id) == []
    assert [a.level for a in recorder.alerts()] == ["strong"]

    feed(recorder, T0 + 20 * MINUTE, T0 + 40 * MINUTE, temperature(24.0))
    assert _alert_ops(room.hub_log) == 2
    assert _board(room.hub_log, room.hub.key_id) == []
    assert notices.get_notice(room.hub_log.store.conn, notice.id).retracted  # type: ignore[union-attr]
    assert sensors.alerts(room.hub_log.store.conn) == []
    assert recorder.alerts() == []
    sync(room.hub_log, room.town)
    assert _board(room.town, None) == []


def test_an_admin_may_take_an_alert_off_the_board_but_not_edit_it(room: Room) -> None:
    feed(_recorder(room), T0, T0 + 15 * MINUTE, temperature(33.0))
    sync(room.hub_log, room.town)
    (notice,) = _board(room.town, room.hub.key_id)
    with pytest.raises(notices.NoticeError, match="only its hub changes it"):
        notices.update(room.town, room.admin, notice.id, title={"de": "Anders"})
    notices.retract(room.town, room.admin, notice.id, "Sensor defekt")
    assert _board(room.town, room.hub.key_id) == []
    sync(room.town, room.hub_log)
    assert _board(room.hub_log, room.hub.key_id) == []


def test_alert_notices_converge_whatever_the_arrival_order(room: Room) -> None:
    recorder = _recorder(room)
    feed(recorder, T0, T0 + 15 * MINUTE, temperature(33.0))
    feed(recorder, T0 + 15 * MINUTE, T0 + 30 * MINUTE, temperature(39.5))  # escalates
    sync(room.hub_log, room.town)
    (notice,) = _board(room.town, None)
    notices.retract(room.town, room.admin, notice.id)
    feed(recorder, T0 + 30 * MINUTE, T0 + 50 * MINUTE, temperature(20.0))  # and clears
    sync(room.hub_log, room.town)
    ops = all_ops(room.town)
    hub_ops = [op for op in ops if decode_header(op.header).author == room.hub.key_id]
    others = [op for op in ops if op not in hub_ops]
    orders = {"hub first": others[:-1] + hub_ops + others[-1:], "admin first": others + hub_ops}
    states = []
    for name, order in orders.items():
        log = room.fresh_log(name.replace(" ", "-"))
        for op in order:
            log.ingest([op])
        states.append([table_rows(log.store.conn, t, "1") for t in ("notices", "sensor_alerts")])
    assert states[0] == states[1]
    assert states[0] == [
        table_rows(room.town.store.conn, t, "1") for t in ("notices", "sensor_alerts")
    ]


def test_extreme_heat_gives_an_emergency_notice(room: Room) -> None:
    recorder = _recorder(room)
    feed(recorder, T0, T0 + 15 * MINUTE, temperature(39.5))
    (notice,) = _board(room.hub_log, room.hub.key_id)
    assert notice.priority == "emergency"
    assert "Gefahr durch Hitze" in notice.title["de"]


def test_humidity_makes_it_feel_hotter(room: Room) -> None:
    recorder = _recorder(room)
    feed(
        recorder,
        T0,
        T0 + 15 * MINUTE,
        lambda t: [reading(t, "humidity", 60.0), reading(t + 1, "temperature", 30.0)],
    )
    (notice,) = _board(room.hub_log, room.hub.key_id)
    assert "(33 °C gefühlt)" in notice.body["de"]


def test_a_wobbling_temperature_raises_one_alert(room: Room) -> None:
    recorder = _recorder(room)
    feed(recorder, T0, T0 + 12 * MINUTE, temperature(33.0))

    def wobble(t: int) -> list[Reading]:
        return [reading(t, "temperature", 32.0 + 0.9 * math.sin(t / 50_000))]

    feed(recorder, T0 + 12 * MINUTE, T0 + 3 * 60 * MINUTE, wobble)
    assert _alert_ops(room.hub_log) == 1
    assert len(_board(room.hub_log, room.hub.key_id)) == 1


def test_co2_asks_for_fresh_air(room: Room) -> None:
    recorder = _recorder(room)
    feed(recorder, T0, T0 + 10 * MINUTE, lambda t: [reading(t, "co2", 1450.0, sensor="mhz19-1")])
    (notice,) = _board(room.hub_log, room.hub.key_id)
    assert notice.title["de"] == "Lüften bitte: Die Luft ist verbraucht (1.450 ppm CO2)"


def test_particulates_alert_on_a_24_hour_mean_without_damp_windows(room: Room) -> None:
    recorder = _recorder(room)

    def dusty(t: int) -> list[Reading]:
        damp = (t - T0) // WINDOW % 6 == 0  # every sixth window fog: 90 µg/m³ but flagged
        return [
            reading(t, "humidity", 85.0 if damp else 50.0),
            reading(t, "pm2_5", 90.0 if damp else 14.0, sensor="sds011-1"),
            reading(t, "pm10", 20.0, sensor="sds011-1"),
        ]

    feed(recorder, T0, T0 + DAY, dusty, step=MINUTE, tick_every=WINDOW)
    assert _alert_ops(room.hub_log) == 0  # 14 µg/m³ without the damp windows: below 15
    feed(
        recorder,
        T0 + DAY,
        T0 + 2 * DAY,
        lambda t: [*dusty(t)[:1], reading(t, "pm2_5", 30.0, sensor="sds011-1")],
        step=MINUTE,
        tick_every=WINDOW,
    )
    (alert,) = sensors.alerts(room.hub_log.store.conn)
    assert (alert.rule, alert.sensor, alert.priority) == ("pm2_5", "sds011-1", "important")
    assert alert.value > 15.0
    # Not before a day of data says so: the 24-hour mean crossed 15 some hours into day two.
    assert alert.raised_at > T0 + DAY + 30 * MINUTE
    assert _alert_ops(room.hub_log) == 1


# ---- stale readings ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [STALE, WARMING, DISCONNECTED])
def test_stale_readings_never_drive_an_alert(room: Room, status: str) -> None:
    recorder = _recorder(room)
    feed(recorder, T0, T0 + 30 * MINUTE, temperature(45.0, status))
    assert _alert_ops(room.hub_log) == 0
    feed(recorder, T0 + 30 * MINUTE, T0 + 45 * MINUTE, temperature(33.0))
    assert _alert_ops(room.hub_log) == 1
    feed(recorder, T0 + 45 * MINUTE, T0 + 90 * MINUTE, temperature(15.0, status))
    assert _alert_ops(room.hub_log) == 1
    assert len(_board(room.hub_log, room.hub.key_id)) == 1
    (state,) = recorder.alerts()
    assert state.unknown  # reported as unknown, still active


def test_readings_already_stale_when_recorded_never_drive_an_alert(room: Room) -> None:
    recorder = _recorder(room)
    # Each "ok" reading arrives 20 minutes late: twice the 10 s interval is long gone.
    feed(
        recorder,
        T0,
        T0 + 60 * MINUTE,
        lambda t: [reading(t - 20 * MINUTE, "temperature", 45.0)],
        step=10_000,
    )
    assert _alert_ops(room.hub_log) == 0


def test_current_values_older_than_twice_the_interval_are_stale(room: Room) -> None:
    recorder = _recorder(room, intervals_ms={"bme280-1": 10_000})
    recorder.record(reading(T0, "temperature", 21.0))
    recorder.record(reading(T0, "co2", 600.0, sensor="mhz19-1"))
    recorder.record(reading(T0 - 5000, "pm2_5", 3.0, sensor="sds011-1", status=DISCONNECTED))
    by_series = {(r.sensor_id, r.quantity): r for r in recorder.current(T0 + 20_000)}
    assert by_series[("bme280-1", "temperature")].status == OK
    assert by_series[("sds011-1", "pm2_5")].status == DISCONNECTED
    later = {(r.sensor_id, r.quantity): r.status for r in recorder.current(T0 + 20_001)}
    assert later[("bme280-1", "temperature")] == STALE
    # No interval known for the CO2 sensor: the default of a minute applies.
    assert later[("mhz19-1", "co2")] == OK
    assert {r.status for r in recorder.current(T0 + 3 * MINUTE)} == {STALE, DISCONNECTED}
    # The kiosk reads the same rule from the database.
    recorder.tick(T0 + 1000)
    stored = sensors.current_readings(
        room.hub_log.store.conn, T0 + 20_001, intervals_ms={"bme280-1": 10_000}
    )
    assert {(r.sensor_id, r.quantity): r.status for r in stored} == later


# ---- restarts ---------------------------------------------------------------------------------


def test_a_restart_keeps_one_alert(room: Room) -> None:
    first = _recorder(room)
    feed(first, T0, T0 + 20 * MINUTE, temperature(34.0))
    assert _alert_ops(room.hub_log) == 1
    restarted_log = room.reopen_hub()
    second = _recorder(room, restarted_log)
    assert [(a.rule, a.level) for a in second.alerts()] == [("heat", "strong")]
    (shown,) = second.current(T0 + 20 * MINUTE)
    assert (shown.quantity, shown.value, shown.status) == ("temperature", 34.0, OK)
    assert second.current(T0 + 30 * MINUTE)[0].status == STALE
    feed(second, T0 + 21 * MINUTE, T0 + 60 * MINUTE, temperature(34.0))
    assert _alert_ops(restarted_log) == 1
    feed(second, T0 + 60 * MINUTE, T0 + 80 * MINUTE, temperature(22.0))
    entities = [
        row[0]
        for row in restarted_log.store.conn.execute(
            "SELECT entity FROM ops WHERE kind = 'sensor.alert' ORDER BY seq"
        )
    ]
    assert len(entities) == 2
    assert entities[0] == entities[1]  # the clear is about the same episode
    assert _board(restarted_log, room.hub.key_id) == []


# ---- rollups, history, retention --------------------------------------------------------------


def _room_air(t: int) -> list[Reading]:
    minute = (t - T0) // MINUTE
    damp = T0 + WINDOW <= t < T0 + 2 * WINDOW
    return [
        reading(t, "temperature", 20.0 + minute % 3),
        reading(t, "humidity", 80.0 if damp else 45.0),
        reading(t, "pm2_5", 8.0, sensor="sds011-1"),
        reading(t, "pm10", 12.0, sensor="sds011-1"),
    ]


def test_finished_windows_become_rollup_ops(room: Room) -> None:
    recorder = _recorder(room)
    feed(recorder, T0, T0 + 30 * MINUTE, _room_air)
    assert count_ops(room.hub_log, "sensor.rollup") == 2  # the third window is in its grace
    recorder.tick(T0 + 30 * MINUTE + 30_000)
    assert count_ops(room.hub_log, "sensor.rollup") == 3
    found = sensors.rollups(room.hub_log.store.conn, hub=room.hub.key_id)
    assert len(found) == 12
    first = {r.quantity: r for r in found if r.window_start == T0}
    temp = first["temperature"]
    assert (temp.window_end, temp.samples, temp.count) == (T0 + WINDOW, 60, 58)
    assert (temp.min, temp.max) == (20.0, 22.0)
    # Minutes alternate 20, 21, 22 °C: 24 × 20, 18 × 21, 18 × 22, less one 20 and one 22.
    assert temp.mean == round((23 * 20 + 18 * 21 + 17 * 22) / 58, 2)
    flagged = {(r.window_start, r.quantity) for r in found if r.flags == ("humidity_high",)}
    assert flagged == {(T0 + WINDOW, "pm2_5"), (T0 + WINDOW, "pm10")}
    # A restart continues after the last window in the log.
    again = _recorder(room, room.reopen_hub())
    again.tick(T0 + 40 * MINUTE)
    assert count_ops(room.hub_log, "sensor.rollup") == 3
    chart = again.history("temperature", T0)
    means = [(r.window_start, r.mean) for r in found if r.quantity == "temperature"]
    assert [t for t, _ in chart] == [t for t, _ in means]
    assert [v for _, v in chart] == pytest.approx([v for _, v in means], abs=0.005)


def test_readings_older_than_7_days_are_pruned(room: Room) -> None:
    recorder = _recorder(room)
    recorder.record(reading(T0, "temperature", 20.0))
    recorder.record(reading(T0 + MINUTE, "temperature", 20.0))
    recorder.tick(T0 + MINUTE)

    def stored() -> list[int]:
        rows = room.hub_log.store.conn.execute("SELECT time_ms FROM sensor_readings ORDER BY 1")
        return [row[0] for row in rows]

    assert stored() == [T0, T0 + MINUTE]
    recorder.tick(T0 + 7 * DAY)
    assert stored() == [T0, T0 + MINUTE]
    recorder.tick(T0 + 7 * DAY + 1)
    assert stored() == [T0 + MINUTE]


def test_record_takes_readings_from_many_threads(room: Room) -> None:
    recorder = _recorder(room)

    def reader(sensor: str) -> None:
        for i in range(2000):
            recorder.record(reading(T0 + i * 100, "temperature", 20.0, sensor=sensor))

    threads = [threading.Thread(target=reader, args=(f"s-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder.tick(T0 + 200_000)
    row = room.hub_log.store.conn.execute("SELECT count(*) FROM sensor_readings").fetchone()
    assert row[0] == 8000


def test_odd_sensor_ids_and_values_are_made_safe(room: Room) -> None:
    recorder = _recorder(room)
    odd = "/dev/serial/by-id/usb-1a86:7523"
    feed(recorder, T0, T0 + 12 * MINUTE, lambda t: [reading(t, "temperature", 35.0, sensor=odd)])
    recorder.record(reading(T0 + 13 * MINUTE, "temperature", math.nan))
    recorder.record(Reading(T0 + 13 * MINUTE, "x", "radon", 3.0, "Bq", OK))
    assert recorder.dropped == 2
    (alert,) = sensors.alerts(room.hub_log.store.conn)
    assert alert.sensor == "-dev-serial-by-id-usb-1a86-7523"


# ---- log verify ---------------------------------------------------------------------------------


def test_log_verify_rebuilds_the_sensor_views(room: Room) -> None:
    recorder = _recorder(room)

    def hot(value: float) -> Callable[[int], list[Reading]]:
        return lambda t: [reading(t + 1, "temperature", value, sensor="dht22-1")]

    feed(recorder, T0, T0 + 25 * MINUTE, lambda t: [*_room_air(t), *hot(36.0)(t)])
    feed(recorder, T0 + 25 * MINUTE, T0 + 50 * MINUTE, hot(20.0))
    feed(recorder, T0 + 50 * MINUTE, T0 + 65 * MINUTE, hot(40.0))
    conn = room.hub_log.store.conn
    assert count_ops(room.hub_log, "sensor.alert") == 3
    assert conn.execute("SELECT count(*) FROM sensor_rollups").fetchone()[0] > 0
    report = verify_store(room.hub_log.store)
    assert report.ok, report.problems
    sync(room.hub_log, room.town)
    assert verify_store(room.town.store).ok
    # A view row that differs from what the log says is found.
    with room.hub_log.store.write() as conn:
        conn.execute("UPDATE sensor_rollups SET mean = mean + 1 WHERE rowid = 1")
    problems = verify_store(room.hub_log.store).problems
    assert len(problems) == 1
    assert "view sensor_rollups row" in problems[0]
    with room.hub_log.store.write() as conn:
        conn.execute("UPDATE sensor_rollups SET mean = mean - 1 WHERE rowid = 1")
        conn.execute("UPDATE sensor_alerts SET state = 'active'")
    assert "view sensor_alerts row" in verify_store(room.hub_log.store).problems[0]
