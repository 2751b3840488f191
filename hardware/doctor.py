"""`dorfhub sensors doctor`: name what holds a serial port or blocks access to it.

Checks: the port exists; this user may read and write it (the `dialout` group); the kernel does
not use it as serial console (console= in /proc/cmdline); ModemManager is not running (it probes
new serial ports and holds them); no other process has it open (scan of /proc/*/fd).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hardware.transport import BY_ID, BY_PATH, is_url, resolve_port

PROC = Path("/proc")
DEV = Path("/dev")


@dataclass(frozen=True)
class Finding:
    problem: bool
    text: str

    def line(self) -> str:
        return f"{'PROBLEM' if self.problem else 'ok'}: {self.text}"


def console_devices(cmdline: str) -> set[str]:
    """tty names the kernel writes its console to, e.g. {"ttyS0"} for `console=ttyS0,115200`."""
    names = set()
    for match in re.finditer(r"(?:^|\s)console=([^,\s]+)", cmdline):
        name = match.group(1)
        if name.startswith("tty") and name != "tty0" and not re.fullmatch(r"tty\d+", name):
            names.add(name)
        elif name.startswith("serial"):  # Raspberry Pi alias: /dev/serial0 -> ttyAMA0 or ttyS0
            target = (DEV / name).resolve()
            names.add(target.name if target.exists() else name)
    return names


def holders(device: Path, proc: Path = PROC) -> list[tuple[int, str]]:
    """(pid, command line) of the processes that have `device` open (those we may look at)."""
    target = str(device.resolve())
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    found.append((int(entry.name), _command(entry)))
                    break
            except OSError:
                continue
    return found


def _command(entry: Path) -> str:
    try:
        raw = (entry / "cmdline").read_bytes()
        text = raw.replace(b"\0", b" ").decode(errors="replace").strip()
        return text or (entry / "comm").read_text().strip()
    except OSError:
        return "?"


def access_problem(device: Path, uid: int, groups: set[int]) -> str | None:
    """Why this user cannot read and write the device, or None."""
    if uid == 0:
        return None
    info = device.stat()
    mode = info.st_mode
    if info.st_uid == uid and mode & stat.S_IRUSR and mode & stat.S_IWUSR:
        return None
    if info.st_gid in groups and mode & stat.S_IRGRP and mode & stat.S_IWGRP:
        return None
    if mode & stat.S_IROTH and mode & stat.S_IWOTH:
        return None
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    if info.st_gid not in groups:
        return (
            f"no read/write access: it belongs to group {group} and {user} is not in it "
            f"(sudo usermod -aG {group} {user}, then log in again)"
        )
    return f"no read/write access: group {group} may not read and write it (mode {mode & 0o777:o})"


def modem_manager_running(proc: Path = PROC) -> bool:
    if shutil.which("systemctl"):
        try:
            state = subprocess.run(
                ["systemctl", "is-active", "ModemManager"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            state = ""
        if state == "active":
            return True
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "ModemManager":
                    return True
            except OSError:
                continue
    return False


def candidate_ports(by_id: Path = BY_ID, by_path: Path = BY_PATH, dev: Path = DEV) -> list[Path]:
    found: dict[Path, Path] = {}
    for root in (by_id, by_path):
        if root.is_dir():
            for link in sorted(root.iterdir()):
                found.setdefault(link.resolve(), link)
    for pattern in ("ttyUSB*", "ttyACM*", "ttyAMA0", "serial0"):
        for device in sorted(dev.glob(pattern)):
            found.setdefault(device.resolve(), device)
    return list(found.values())


def check_port(
    device: Path, consoles: set[str], uid: int, groups: set[int], proc: Path = PROC
) -> list[Finding]:
    name = str(device)
    real = device.resolve()
    if not device.exists():
        return [Finding(True, f"{name}: does not exist (unplugged, or a wrong name?)")]
    findings = []
    if device != real:
        findings.append(Finding(False, f"{name} is {real}"))
    problem = access_problem(real, uid, groups)
    if problem:
        findings.append(Finding(True, f"{name}: {problem}"))
    if real.name in consoles:
        findings.append(
            Finding(
                True,
                (
                    f"{name}: the kernel uses it as serial console (console={real.name} in "
                    "/proc/cmdline); remove that from the boot command line and disable "
                    f"serial-getty@{real.name} (Raspberry Pi: raspi-config, Interface Options, "
                    "Serial Port: login shell no, hardware yes)"
                ),
            )
        )
    for pid, command in holders(real, proc):
        findings.append(Finding(True, f"{name}: held by process {pid} ({command})"))
    if not any(f.problem for f in findings):
        findings.append(Finding(False, f"{name}: free and accessible"))
    return findings


def doctor(
    port: str | None = None,
    *,
    proc: Path = PROC,
    cmdline: str | None = None,
    uid: int | None = None,
    groups: set[int] | None = None,
) -> list[Finding]:
    uid = os.getuid() if uid is None else uid
    groups = set(os.getgroups()) | {os.getgid()} if groups is None else groups
    if cmdline is None:
        try:
            cmdline = (proc / "cmdline").read_text()
        except OSError:
            cmdline = ""
    consoles = console_devices(cmdline)
    findings: list[Finding] = []
    if port is not None and is_url(port):
        return [Finding(False, f"{port} is a pyserial URL: nothing local to check")]
    if port is not None:
        try:
            devices = [Path(resolve_port(port))]
        except OSError:
            devices = [Path(port)]
    else:
        devices = candidate_ports()
        if not devices:
            findings.append(
                Finding(
                    True,
                    (
                        "no serial port found (nothing in /dev/serial/by-id, no /dev/ttyUSB*, "
                        "/dev/ttyACM*): is the adapter plugged in? (lsusb, dmesg)"
                    ),
                )
            )
    for device in devices:
        findings.extend(check_port(device, consoles, uid, groups, proc))
    if modem_manager_running(proc):
        findings.append(
            Finding(
                True,
                (
                    "ModemManager is running: it probes new serial ports and may hold them; "
                    "install "
                    "packaging/udev/99-dorfhub-sensors.rules (ID_MM_DEVICE_IGNORE) or "
                    "`systemctl disable --now ModemManager`"
                ),
            )
        )
    else:
        findings.append(Finding(False, "ModemManager is not running"))
    return findings
