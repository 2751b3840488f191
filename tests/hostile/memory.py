"""What a process holds, read from /proc: memory (now and at its peak) and open descriptors."""

from __future__ import annotations

import os
from pathlib import Path

MIB = 1024 * 1024


def status_bytes(pid: int, field: str) -> int:
    """A `VmRSS`/`VmHWM`-style line of /proc/PID/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def rss(pid: int) -> int:
    return status_bytes(pid, "VmRSS")


def peak_rss(pid: int) -> int:
    """The resident high-water mark: a gigabyte allocated and freed between two reads shows."""
    return status_bytes(pid, "VmHWM")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
