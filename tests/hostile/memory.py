"""What a process holds, read from /proc: memory (now and at its peak) and open descriptors."""

from __future__ import annotations

import os
import subprocess
import sys
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


# Linux keeps, as a child's ru_maxrss, the larger of its own peak and the size of the process
# it was forked from at its exec: a command started straight from a pytest worker of 350 MB
# reports 350 MB. A small Python in between is the process the command is forked from.
_MEASURING_PARENT = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(argv: list[str], cwd: Path, peak_file: Path) -> tuple[int, str, int]:
    """Run a command: its exit status, its stderr and its own peak resident memory in bytes."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURING_PARENT, str(peak_file), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stderr, int(peak_file.read_text())
