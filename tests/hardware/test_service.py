"""The reader service against emulated sensors on real ptys."""

from __future__ import annotations

import time

from hardware.config import SensorConfig
from hardware.emulators import Knobs, SDS011Emulator
from hardware.parsers import sds011
from hardware.readings import DISCONNECTED, OK, STALE, WARMING, Reading
from hardware.service import ReaderService
from tests.hardware.emulated import Collector, MakeEmulator

STEADY = {"pm1": 4.0, "pm2_5": 9.5, "pm10": 14.0, "co2": 812.0}


def config(
    sensor_id: str, driver: str, path: str, interval: float = 0.5, **extra: float
) -> SensorConfig:
    return SensorConfig(sensor_id, driver, (path,), interval, **extra)  # type: ignore[arg-type]


def test_warmup_zeros_are_dropped_and_readings_warm_up(emulator: MakeEmulator) -> None:
    # The PMS reports whole µg/m³.
    pms = emulator("pms7003", Knobs(values={**STEADY, "pm2_5": 9.0}, warmup_zeros_s=1.0))
    sds = emulator("sds011", Knobs(values=STEADY, warmup_zeros_s=1.0))
    got = Collector()
    sensors = [
        config("pms", "pms7003", pms.path, warmup=2.0),
        config("sds", "sds011", sds.path, warmup=2.0, max_duty=1.0),
    ]
    with ReaderService(sensors, got) as service:
        got.wait_for(lambda r: r.sensor_id == "pms" and r.status == OK, 10)
        got.wait_for(lambda r: r.sensor_id == "sds" and r.status == OK, 10)
        counters = service.counters()
    for sensor in ("pms", "sds"):
        readings = got.of(sensor)
        assert all(r.value != 0 for r in readings), "a warm-up zero got through"
        assert counters[sensor]["dropped_warmup"] >= 1
        assert {r.status for r in readings} <= {WARMING, OK}
        assert got.of(sensor, WARMING), "non-zero values during warm-up are marked warming"
    assert {r.quantity: r.value for r in got.of("pms", OK)} == {
        "pm1": 4.0,
        "pm2_5": 9.0,
        "pm10": 14.0,
    }
    assert {(r.quantity, r.unit) for r in got.of("sds", OK)} == {
        ("pm2_5", "µg/m³"),
        ("pm10", "µg/m³"),
    }
    # The drivers put both sensors into query (passive) mode.
    assert isinstance(sds, SDS011Emulator)
    assert sds.query_mode
    assert pms.passive  # type: ignore[attr-defined]


def test_mhz19_gets_abc_off_and_s8_modbus_reads(emulator: MakeEmulator) -> None:
    mhz = emulator("mhz19b", Knobs(values=STEADY))
    s8 = emulator("s8", Knobs(values={"co2": 1234.0}))
    got = Collector()
    sensors = [config("mhz", "mhz19b", mhz.path, warmup=0.5), config("s8", "s8", s8.path)]
    with ReaderService(sensors, got):
        _, first = got.wait_for(lambda r: r.sensor_id == "mhz" and r.status == OK, 10)
        _, co2 = got.wait_for(lambda r: r.sensor_id == "s8" and r.status == OK, 10)
    assert (first.quantity, first.value, first.unit) == ("co2", 812.0, "ppm")
    assert (co2.quantity, co2.value) == ("co2", 1234.0)
    assert mhz.abc is False  # type: ignore[attr-defined]


def test_unplug_shows_disconnected_within_2_s_and_replug_resumes(
    emulator: MakeEmulator,
) -> None:
    sds = emulator("sds011", Knobs(values=STEADY))
    mhz = emulator("mhz19b", Knobs(values=STEADY))
    got = Collector()
    sensors = [
        config("sds", "sds011", sds.path, max_duty=1.0, warmup=15.0),
        config("mhz", "mhz19b", mhz.path, warmup=0.5),
    ]
    with ReaderService(sensors, got) as service:
        for sensor in ("sds", "mhz"):
            got.wait_for(lambda r, s=sensor: r.sensor_id == s and r.status in (OK, WARMING), 10)
        for emu, sensor in ((sds, "sds"), (mhz, "mhz")):
            unplugged = time.monotonic()
            emu.unplug()
            seen, _ = got.wait_for(
                lambda r, s=sensor: r.sensor_id == s and r.status == DISCONNECTED,
                2.0,
                after=unplugged,
            )
            assert seen - unplugged <= 2.0
            assert not [r for r in service.snapshot() if r.sensor_id == sensor and r.is_current]
            time.sleep(0.5)
            replugged = time.monotonic()
            emu.plug()
            got.wait_for(
                lambda r, s=sensor: r.sensor_id == s and r.status in (OK, WARMING),
                15,
                after=replugged,
            )
        counters = service.counters()
    assert counters["sds"]["reconnects"] == 1
    assert counters["mhz"]["reconnects"] == 1
    # After the replug the warm-up starts again: the SDS011 readings right after it are warming.
    after = [r for r in got.of("sds") if r.status != DISCONNECTED][-1]
    assert after.status == WARMING


def test_a_silent_sensor_goes_stale_and_is_never_current(emulator: MakeEmulator) -> None:
    knobs = Knobs(values={"co2": 900.0})
    s8 = emulator("s8", knobs)
    got = Collector()
    with ReaderService([config("s8", "s8", s8.path, interval=0.5)], got) as service:
        _, last_ok = got.wait_for(lambda r: r.status == OK, 10)
        silenced = time.monotonic()
        knobs.silent = True
        _, stale = got.wait_for(lambda r: r.status == STALE, 10, after=silenced)
        snapshot = service.snapshot()
        counters = service.counters()["s8"]
    ok_before = [r for r in got.of("s8", OK)]
    # The stale reading repeats the newest value with its original time: older than 2 × 0.5 s.
    assert stale.time_ms == ok_before[-1].time_ms
    assert stale.value == 900.0
    assert [r.status for r in snapshot] == [STALE]
    assert not any(r.is_current for r in snapshot)
    assert counters["timeouts"] >= 1
    assert last_ok.is_current


def test_sds011_duty_cycle_stays_under_the_limit(emulator: MakeEmulator) -> None:
    """Laser time from the emulator's own log: wake ahead, one reading, sleep (default 15 %)."""
    sds = emulator("sds011", Knobs(values=STEADY, warmup_zeros_s=0.2))
    assert isinstance(sds, SDS011Emulator)
    got = Collector()
    sensor = config("sds", "sds011", sds.path, interval=1.0, warmup=0.3, lead=0.5)
    with ReaderService([sensor], got):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            wakes = [when for when, on in sds.laser_log if on]
            if len(wakes) >= 4:  # three whole cycles
                break
            time.sleep(0.2)
    wakes = [when for when, on in sds.laser_log if on]
    assert len(wakes) >= 4, sds.laser_log
    on = sds.laser_on_seconds(wakes[0], wakes[-1])
    duty = on / (wakes[-1] - wakes[0])
    assert 0.05 < duty <= 0.15, duty
    assert len(got.of("sds", OK)) >= 3
    # Every cycle sent sleep after its reading.
    assert sds.commands.count(sds011.set_sleep(True)) >= 3


def test_a_failing_callback_does_not_stop_the_reader(emulator: MakeEmulator) -> None:
    s8 = emulator("s8")
    calls: list[Reading] = []

    def flaky(reading: Reading) -> None:
        calls.append(reading)
        if len(calls) == 1:
            raise RuntimeError("recorder hiccup")

    service = ReaderService([config("s8", "s8", s8.path, interval=0.5)], flaky)
    with service:
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(calls) >= 3
    assert service.counters()["s8"]["callback_errors"] == 1


def test_json_bridge_with_noise(emulator: MakeEmulator) -> None:
    bridge = emulator(
        "jsonl",
        Knobs(
            values={"temperature": 24.5, "humidity": 71.0},
            garbage_rate=0.5,
            bad_checksum_rate=0.3,
            report_every_s=0.2,
        ),
    )
    got = Collector()
    with ReaderService([config("room", "jsonl", bridge.path, interval=1.0)], got) as service:
        for quantity in ("temperature", "humidity"):
            got.wait_for(lambda r, q=quantity: r.quantity == q and r.status == OK, 10)
        time.sleep(1.5)
        counters = service.counters()["room"]
    values = {(r.quantity, r.value, r.unit) for r in got.of("room", OK)}
    assert values == {("temperature", 24.5, "°C"), ("humidity", 71.0, "%")}
    assert counters["bytes_skipped"] > 0


def test_a_missing_port_is_disconnected_from_the_start(tmp_path: object) -> None:
    got = Collector()
    with ReaderService([config("gone", "mhz19b", "/nonexistent/port")], got) as service:
        _, reading = got.wait_for(lambda r: True, 5)
        time.sleep(0.6)
        counters = service.counters()["gone"]
    assert (reading.status, reading.quantity) == (DISCONNECTED, "co2")
    assert len(got.of("gone")) == 1  # reported once per outage, not on every retry
    assert counters["connected"] is False
    assert "no such serial port" in str(counters["last_error"])
