"""`dorfhub sensors`: probe a port, check what blocks it, list and read the configured sensors."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING

from node.cli_base import CommandTree, open_home

if TYPE_CHECKING:
    from hardware.readings import Reading

# The readers and pyserial load inside the handlers: building the parser must stay cheap for
# `dorfhub kiosk` (see node/cli.py).


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds: {text}")
    return value


def register(tree: CommandTree) -> None:
    sensors = tree.group("sensors", "serial sensors: probe, doctor, list, read")
    sub = tree.command(sensors, "probe", cmd_probe, "say which known sensor answers on a port")
    sub.add_argument("port", metavar="PORT", help="device path, by-id name or pyserial URL")
    sub.add_argument("--timeout", type=_seconds, default=2.0, help="wait per query (seconds)")
    sub.add_argument("--listen", type=_seconds, default=1.5, help="listen first (seconds)")
    sub = tree.command(
        sensors, "doctor", cmd_doctor, "name what holds a serial port or blocks access"
    )
    sub.add_argument("port", metavar="PORT", nargs="?", help="default: every serial port found")
    tree.command(sensors, "list", cmd_list, "list the [[sensors]] in config.toml")
    sub = tree.command(sensors, "read", cmd_read, "run the configured sensors, print readings")
    sub.add_argument("--seconds", type=_seconds, default=30.0)


def cmd_probe(args: argparse.Namespace) -> int:
    from hardware.probe import probe

    result = probe(args.port, timeout=args.timeout, listen=args.listen)
    print(result.line())
    return 0 if result.found else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    from hardware.doctor import doctor

    findings = doctor(args.port)
    for finding in findings:
        print(finding.line())
    return 1 if any(f.problem for f in findings) else 0


def cmd_list(args: argparse.Namespace) -> int:
    from hardware.config import load_sensor_configs

    sensors = load_sensor_configs(open_home(args).config_path)
    if not sensors:
        print("no [[sensors]] in config.toml")
    for s in sensors:
        print(f"{s.id:<16} {s.driver:<8} every {s.interval:g} s  {' or '.join(s.port)}")
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    from hardware.config import load_sensor_configs
    from hardware.service import ReaderService

    sensors = load_sensor_configs(open_home(args).config_path)
    if not sensors:
        raise ValueError("no [[sensors]] in config.toml")
    lock = threading.Lock()

    def show(reading: Reading) -> None:
        with lock:
            print(
                f"{reading.sensor_id:<16} {reading.quantity:<12} {reading.value:>8g} "
                f"{reading.unit:<6} {reading.status}",
                flush=True,
            )

    service = ReaderService(sensors, show)
    service.start()
    try:
        threading.Event().wait(args.seconds)
    finally:
        service.stop()
    for sensor_id, counters in service.counters().items():
        print(
            f"{sensor_id}: " + ", ".join(f"{k} {v}" for k, v in counters.items() if v != ""),
            file=sys.stderr,
        )
    return 0
