"""Where the daemons listen: `--port 0` with a ready file, a port in use, and a socket inherited
from the parent that a restarted node serves again under the same URL."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from node.home import Home
from node.listen import bind_listener, wait_for_ready_file
from sync.http import no_delay
from tests.node.cli import DORFHUB, REPO
from tests.sync.conftest import HOST, START_SECONDS, STOP_SECONDS, store_state

QUEUED_REQUEST_S = 120.0  # generous: the request waits in the backlog for the next daemon


def _serve(home: Path, *args: str, pass_fds: tuple[int, ...] = ()) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*DORFHUB, "serve", "--home", str(home), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        pass_fds=pass_fds,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=STOP_SECONDS * 3)


def _hello(port: int) -> dict[str, str]:
    response = requests.get(f"http://{HOST}:{port}/v1/hello", timeout=QUEUED_REQUEST_S)
    response.raise_for_status()
    answer: dict[str, str] = response.json()
    return answer


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_port_0_serves_on_the_port_the_ready_file_names(town: Path, tmp_path: Path) -> None:
    ready_file = tmp_path / "town.ready"
    process = _serve(town, "--host", HOST, "--port", "0", "--ready-file", str(ready_file))
    try:
        ready = wait_for_ready_file(ready_file, process, START_SECONDS)
        assert ready.pid == process.pid
        assert ready.port != 0
        assert _hello(ready.port)["node"] == Home(town).identity().key_id
    finally:
        _stop(process)
    assert process.returncode in (0, -signal.SIGTERM)
    assert not ready_file.exists()  # it no longer serves


def test_a_port_in_use_is_one_line_and_changes_nothing(town: Path, tmp_path: Path) -> None:
    with socket.create_server((HOST, 0)) as taken:
        port = taken.getsockname()[1]
        before = store_state(town)
        ready_file = tmp_path / "town.ready"
        process = _serve(town, "--host", HOST, "--port", str(port), "--ready-file", str(ready_file))
        out, err = process.communicate(timeout=START_SECONDS * 3)
    assert process.returncode == 1
    assert err == f"dorfhub: error: port {port} on {HOST} is in use\n"
    assert out == ""
    assert not ready_file.exists()
    assert store_state(town) == before


@pytest.mark.parametrize("kind", ["not a socket", "not listening"])
def test_a_listen_fd_that_cannot_serve_is_one_line(town: Path, kind: str) -> None:
    with socket.socket() as unbound:
        fd = 0 if kind == "not a socket" else unbound.fileno()  # stdin is /dev/null
        process = _serve(town, "--listen-fd", str(fd), pass_fds=(unbound.fileno(),))
        _, err = process.communicate(timeout=START_SECONDS * 3)
    assert process.returncode == 1
    assert err.startswith(f"dorfhub: error: --listen-fd {fd}")
    assert len(err.splitlines()) == 1


def test_a_restarted_node_keeps_its_url_and_answers_what_waited(town: Path, tmp_path: Path) -> None:
    """The parent binds once and hands the socket to each incarnation: the port never goes
    back to the system, and a request sent while no daemon serves waits for the next one."""
    with socket.create_server((HOST, 0)) as listener:
        port, fd = listener.getsockname()[1], listener.fileno()
        ready_file = tmp_path / "town.ready"
        args = ("--listen-fd", str(fd), "--ready-file", str(ready_file))
        first = _serve(town, *args, pass_fds=(fd,))
        assert wait_for_ready_file(ready_file, first, START_SECONDS).port == port
        node = _hello(port)["node"]
        first.kill()
        first.communicate()

        with socket.create_connection((HOST, port), timeout=QUEUED_REQUEST_S) as waiting:
            # Connected and sent while no daemon serves: the kernel queues it in the backlog.
            waiting.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: town\r\nConnection: close\r\n\r\n")
            ready_file.unlink()
            second = _serve(town, *args, pass_fds=(fd,))
            try:
                assert wait_for_ready_file(ready_file, second, START_SECONDS).port == port
                answer = _read_all(waiting)
                assert answer.startswith(b"HTTP/1.1 200 ")
                assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["node"] == node
                assert _hello(port)["node"] == node
            finally:
                _stop(second)
    assert second.returncode in (0, -signal.SIGTERM)


class _AcceptedTransport:
    """What the guarded protocol reads of a transport here: its socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> object:
        return self.sock if name == "socket" else None


def test_accepted_connections_send_without_delay() -> None:
    """A listener from bind_listener (or one inherited with --listen-fd) has proto 0, so
    asyncio leaves Nagle on for its connections and a kept-alive answer waits 40 ms for the
    client's delayed ACK; the guarded protocol turns it off for every connection it admits."""
    with (
        bind_listener("127.0.0.1", 0) as listener,
        socket.create_connection(listener.getsockname()[:2]),
    ):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            no_delay(_AcceptedTransport(accepted))  # type: ignore[arg-type]
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
