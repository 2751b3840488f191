"""The daemons' listening socket and their ready file.

`dorfhub serve` and `dorfhub hub` bind their socket before uvicorn starts and hand it over, so
`--port 0` means any free port with no race: the port is read from the socket, never guessed.
A parent (the demo, the tests, a benchmark) learns it from the ready file, written atomically
once the daemon serves. A socket inherited from a supervisor (`--listen-fd`, systemd socket
activation, a test harness) keeps its port across restarts: clients that connect while no
process serves it wait in its backlog and are answered by the next one.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content.private_files import write_private

READY_POLL_S = 0.05


class ListenError(OSError):
    """The daemon cannot listen where it was asked to (a user error: one line, exit 1)."""


@dataclass(frozen=True)
class Ready:
    """What a daemon's ready file says: where it listens, and which process it is."""

    port: int
    pid: int


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # create_server sets SO_REUSEADDR: a restart may bind beside connections in TIME_WAIT,
        # but never beside another listener.
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ListenError(f"port {port} on {host} is in use") from None
        # create_server re-raises with the address appended, which this message names already.
        reason = getattr(exc.__context__, "strerror", None) or exc.strerror
        where = f"{host} port {port}" if port else host
        raise ListenError(f"cannot listen on {where}: {reason}") from None


def inherited_listener(fd: int) -> socket.socket:
    """The listening TCP socket a supervisor passed down as file descriptor `fd`."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise ListenError(f"--listen-fd {fd}: {exc.strerror}") from None
    tcp = sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM
    if not tcp or not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        sock.detach()  # the descriptor stays the supervisor's business
        raise ListenError(f"--listen-fd {fd} is not a listening TCP socket")
    return sock


def listening_port(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


def write_ready_file(path: Path, port: int) -> None:
    """Write {"port", "pid"} by rename, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private(temporary, (json.dumps({"port": port, "pid": os.getpid()}) + "\n").encode())
    temporary.replace(path)


def read_ready_file(path: Path) -> Ready | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return Ready(port=int(data["port"]), pid=int(data["pid"]))


def wait_for_ready_file(path: Path, process: subprocess.Popen[Any], timeout: float) -> Ready:
    """Wait until `process` has written its ready file. The parent removes a stale file before
    it starts the process; RuntimeError if the process exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        ready = read_ready_file(path)
        if ready is not None:
            return ready
        if process.poll() is not None:
            raise RuntimeError(f"{path.name}: the process exited ({process.returncode}) first")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path.name}: no ready file after {timeout:.0f} s")
        time.sleep(READY_POLL_S)
