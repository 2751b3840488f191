"""`dorfhub sensors probe` and `doctor`, against emulators on ptys and real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hardware.doctor import access_problem, console_devices, doctor
from hardware.emulators import Knobs, SDS011Emulator
from hardware.probe import probe
from tests.hardware.emulated import MakeEmulator
from tests.node.cli import run_dorfhub

FAST = {"timeout": 0.8, "listen": 1.2}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("sds011", "sds011 answers on"),
        ("pms5003", "pms5003/pms7003 answers on"),
        ("pms7003", "pms5003/pms7003 answers on"),
        ("mhz19b", "mhz19b answers on"),
        ("s8", "s8 answers on"),
        ("jsonl", "jsonl answers on"),
    ],
)
def test_probe_names_each_emulated_sensor(emulator: MakeEmulator, kind: str, expected: str) -> None:
    emu = emulator(kind, Knobs(values={"co2": 777.0, "pm2_5": 6.0, "temperature": 20.5}))
    result = probe(emu.path, **FAST)
    assert result.line().startswith(expected), result.line()
    assert "\n" not in result.line()
    if kind in ("mhz19b", "s8"):
        assert result.line().endswith("CO2 777 ppm")


def test_probe_wakes_a_sleeping_sds011_and_puts_it_back(emulator: MakeEmulator) -> None:
    sds = emulator("sds011")
    assert isinstance(sds, SDS011Emulator)
    with sds.lock:
        sds.laser(False, time.monotonic())
    result = probe(sds.path, **FAST)
    assert result.protocol == "sds011"
    assert "was asleep; put back to sleep" in result.line()
    assert sds.awake is False


def test_probe_through_the_cli(emulator: MakeEmulator) -> None:
    emu = emulator("mhz19b")
    out = run_dorfhub("sensors", "probe", emu.path, "--timeout", "0.8", "--listen", "0.8")
    assert out.stdout.strip() == f"mhz19b answers on {emu.path}: CO2 650 ppm"
    silent = run_dorfhub(
        "sensors", "probe", "loop://", "--timeout", "0.2", "--listen", "0.2", check=False
    )
    assert silent.returncode == 1
    assert silent.stdout.startswith("no known sensor answers on loop://")


def test_doctor_names_the_process_holding_a_port(emulator: MakeEmulator) -> None:
    emu = emulator("s8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)\n"
            "print('holding', flush=True)\n"
            "time.sleep(120)\n",
            emu.path,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        findings = doctor(emu.path, cmdline="quiet")
        held = [f.text for f in findings if f.problem and "held by process" in f.text]
        assert any(f"held by process {holder.pid} " in text for text in held), findings
        out = run_dorfhub("sensors", "doctor", emu.path, check=False)
        assert out.returncode == 1
        assert f"PROBLEM: {emu.path}: held by process {holder.pid} (" in out.stdout
    finally:
        holder.kill()
        holder.wait()
    # Once the holder is gone only the emulator (the "sensor" end, in this process) remains.
    findings = doctor(emu.path, cmdline="quiet")
    assert not [f for f in findings if f.problem and str(holder.pid) in f.text]


def test_doctor_on_a_missing_port() -> None:
    out = run_dorfhub("sensors", "doctor", "/dev/serial/by-id/usb-nothing-here", check=False)
    assert out.returncode == 1
    assert "PROBLEM: /dev/serial/by-id/usb-nothing-here: does not exist" in out.stdout


def test_console_on_the_port_is_named() -> None:
    assert console_devices("console=ttyS0,115200 console=tty1 quiet") == {"ttyS0"}
    assert console_devices("root=/dev/mmcblk0p2 console=ttyAMA0,115200") == {"ttyAMA0"}
    assert console_devices("console=tty0 quiet") == set()


def test_console_finding_for_a_port(tmp_path: Path) -> None:
    device = tmp_path / "ttyAMA0"
    device.touch()
    findings = doctor(str(device), cmdline="console=ttyAMA0,115200", uid=0, groups=set())
    assert any(f.problem and "serial console" in f.text for f in findings)


def test_permissions_name_the_missing_group(tmp_path: Path) -> None:
    device = tmp_path / "ttyUSB0"
    device.touch()
    os.chmod(device, 0o660)
    gid = device.stat().st_gid
    problem = access_problem(device, uid=4242, groups={gid + 1})
    assert problem is not None
    assert "is not in it" in problem
    assert "usermod -aG" in problem
    assert access_problem(device, uid=4242, groups={gid}) is None


@pytest.mark.parametrize(
    "args",
    [
        ("sensors",),
        ("sensors", "probe"),
        ("sensors", "probe", "loop://", "--timeout", "soon"),
        ("sensors", "probe", "loop://", "--timeout", "-3"),
        ("sensors", "doctor", "a", "b"),
        ("sensors", "frobnicate"),
        ("sensors", "read", "--seconds", "0"),
    ],
)
def test_bad_arguments_give_one_line(args: tuple[str, ...]) -> None:
    out = run_dorfhub(*args, check=False)
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr


def test_bad_sensor_config_gives_one_line(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    home.mkdir()
    (home / "config.toml").write_text(
        '[node]\nname = "Ringelai"\nrole = "hub"\n\n[[sensors]]\ndriver = "bme680"\nport = "x"\n'
    )
    out = run_dorfhub("sensors", "list", home=home, check=False)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "dorfhub: error: config.toml: sensors[0]: unknown sensor driver 'bme680' "
        "(known: sds011, pms5003, pms7003, mhz19b, s8, jsonl)"
    ]


def test_sensors_read_prints_readings_from_the_config(
    emulator: MakeEmulator, tmp_path: Path
) -> None:
    emu = emulator("s8", Knobs(values={"co2": 1500.0}))
    home = tmp_path / "hub"
    home.mkdir()
    (home / "config.toml").write_text(
        '[node]\nname = "Ringelai"\nrole = "hub"\n\n'
        f'[[sensors]]\nid = "co2-saal"\ndriver = "s8"\nport = "{emu.path}"\ninterval = 0.5\n'
    )
    listed = run_dorfhub("sensors", "list", home=home)
    assert listed.stdout.split()[:2] == ["co2-saal", "s8"]
    out = run_dorfhub("sensors", "read", "--seconds", "2", home=home)
    lines = [line.split() for line in out.stdout.splitlines()]
    assert ["co2-saal", "co2", "1500", "ppm", "ok"] in lines
    assert "frames_ok" in out.stderr
