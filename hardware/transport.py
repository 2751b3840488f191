"""Serial transports: any pyserial URL (`loop://`, `socket://…`, `rfc2217://…`) or device path.

Ports are best configured by their stable names under /dev/serial/by-id (they survive reboots
and re-plugging into another socket), falling back to /dev/serial/by-path for adapters without
a serial number (CH340), whose by-id name is not unique (SENSORS.md, reading rule 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import serial

BY_ID = Path("/dev/serial/by-id")
BY_PATH = Path("/dev/serial/by-path")
SYS = Path("/sys")
BAUD = 9600


class PortNotFound(OSError):
    """None of the configured names exists now (unplugged, or a wrong name)."""


def is_url(spec: str) -> bool:
    return "://" in spec


def resolve_port(spec: str | Sequence[str], by_id: Path = BY_ID, by_path: Path = BY_PATH) -> str:
    """The first candidate that exists now: a URL as it is; an absolute path if it exists; a bare
    name looked up in by-id, then in by-path. A list gives fallbacks, e.g. a by-id name first and
    the by-path name second."""
    candidates = [spec] if isinstance(spec, str) else list(spec)
    for candidate in candidates:
        if is_url(candidate):
            return candidate
        path = Path(candidate)
        if path.is_absolute():
            if path.exists():
                return str(path)
            continue
        for root in (by_id, by_path):
            if (root / candidate).exists():
                return str(root / candidate)
    raise PortNotFound(f"no such serial port now: {' or '.join(candidates)}")


def links_to(device: Path, root: Path) -> list[Path]:
    """The symlinks in `root` that point to `device`."""
    target = device.resolve()
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    return [entry for entry in entries if entry.is_symlink() and entry.resolve() == target]


def usb_serial_number(device: Path, sys_root: Path = SYS) -> str | None:
    """The USB serial number of the adapter behind a tty, or None when it has none (CH340) or
    sysfs does not say."""
    node = sys_root / "class" / "tty" / device.resolve().name / "device"
    try:
        here = node.resolve()
    except OSError:
        return None
    for folder in (here, *list(here.parents)[:4]):
        if (folder / "idVendor").exists():
            serial_file = folder / "serial"
            if serial_file.exists():
                return serial_file.read_text(errors="replace").strip() or None
            return None
    return None


def stable_name(
    device: Path, by_id: Path = BY_ID, by_path: Path = BY_PATH, sys_root: Path = SYS
) -> str:
    """The name to put into config.toml for a device: its by-id link when the adapter has a
    serial number, else its by-path link, else whatever exists."""
    ids, paths = links_to(device, by_id), links_to(device, by_path)
    if ids and (usb_serial_number(device, sys_root) is not None or not paths):
        return str(ids[0])
    if paths:
        return str(paths[0])
    return str(device)


def open_port(url: str, timeout: float = 0.2) -> serial.SerialBase:
    """Open 9600 8N1. A device path is locked (flock) so two readers never share a sensor."""
    options: dict[str, object] = {
        "baudrate": BAUD,
        "bytesize": serial.EIGHTBITS,
        "parity": serial.PARITY_NONE,
        "stopbits": serial.STOPBITS_ONE,
        "timeout": timeout,
        "write_timeout": 1.0,
    }
    if not is_url(url):
        options["exclusive"] = True
    return serial.serial_for_url(url, **options)
