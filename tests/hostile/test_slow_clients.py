"""Slow and greedy clients against a real `dorfhub serve` (issue 13, finding 8): half-sent
requests are closed at their deadline, one address cannot hold more than its share, and the
connection limit stays below the file descriptors the process may open, so the server keeps
answering everyone else.

Every 127.x.y.z address is local on Linux: the attackers connect from 127.0.0.2 and up, the
honest client from 127.0.0.1, so the per-address limit can tell them apart.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import requests

from content.limits import FD_RESERVE, MAX_CONNECTIONS_PER_ADDRESS
from tests.hostile.memory import open_fds
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, running
from tests.sync.procs import wait_for

HALF_REQUEST = b"POST /v1/push HTTP/1.1\r\nHost: stadtserver\r\nContent-Type: applic"
# The deadlines are HEADER_TIMEOUT_S (10 s) and BODY_IDLE_TIMEOUT_S (20 s); this waits for them
# with room to spare on a busy machine.
DEADLINE_WAIT_S = 90.0


@contextlib.contextmanager
def connections(
    url: str, count: int, source: str, payload: bytes
) -> Iterator[list[socket.socket | None]]:
    """`count` connections from `source`, each having sent `payload` and then nothing (None for
    one the server refused before it was even made)."""
    port = int(url.rsplit(":", 1)[1])
    opened: list[socket.socket | None] = []
    try:
        for _ in range(count):
            try:
                sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
            except OSError:
                opened.append(None)
                continue
            opened.append(sock)
            with contextlib.suppress(OSError):
                sock.sendall(payload)
        yield opened
    finally:
        for sock in opened:
            if sock is not None:
                sock.close()


def closed_by_server(sock: socket.socket | None) -> bool:
    """Whether the server has closed (or reset, or refused) this connection; never blocks."""
    if sock is None:
        return True
    sock.setblocking(False)
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def honest_hello(server: PeerProcess) -> bool:
    return requests.get(f"{server.url}/v1/hello", timeout=10).ok


def test_half_sent_requests_are_closed_at_their_deadline(town: Path) -> None:
    with running(town) as server:
        pid = server.process.pid
        baseline = open_fds(pid)
        with connections(server.url, 150, "127.0.0.2", HALF_REQUEST) as slow:
            # Beyond its share, an address's connections are closed at once.
            wait_for(lambda: sum(closed_by_server(sock) for sock in slow) >= 50, 30, "extra closed")
            assert open_fds(pid) <= baseline + MAX_CONNECTIONS_PER_ADDRESS + 5
            assert honest_hello(server)
            wait_for(
                lambda: all(closed_by_server(sock) for sock in slow),
                DEADLINE_WAIT_S,
                "the server to close every half-sent request",
            )
        wait_for(lambda: open_fds(pid) <= baseline + 2, 30, "the descriptors to be given back")
        assert honest_hello(server)


def test_a_body_that_stops_is_closed(town: Path) -> None:
    """Complete headers, then a tenth of the announced body, then silence."""
    request = b"POST /v1/push HTTP/1.1\r\nHost: s\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100
    with running(town) as server, connections(server.url, 5, "127.0.0.3", request) as slow:
        wait_for(
            lambda: all(closed_by_server(sock) for sock in slow), DEADLINE_WAIT_S, "body deadline"
        )
        assert honest_hello(server)


NOFILE = 256


def _dropped(home: Path) -> dict[str, int]:
    status = json.loads(run_dorfhub("status", "--json", home=home).stdout)
    dropped: dict[str, int] = status["dropped"]
    return dropped


def test_connections_stay_below_the_descriptor_limit(town: Path) -> None:
    """Under `ulimit -n 256` the server holds at most 256 - FD_RESERVE client connections,
    however many arrive from however many addresses; the rest are closed at once and counted,
    and the server never runs out of descriptors for SQLite and its log."""
    limit = NOFILE - FD_RESERVE
    with running(town, prefix=["prlimit", f"--nofile={NOFILE}:{NOFILE}"]) as server:
        pid = server.process.pid
        baseline = open_fds(pid)
        with contextlib.ExitStack() as stack:
            held = [
                stack.enter_context(connections(server.url, 40, f"127.0.1.{n}", HALF_REQUEST))
                for n in range(1, 5)
            ]
            every = [sock for group in held for sock in group]
            wait_for(
                lambda: sum(closed_by_server(sock) for sock in every) >= len(every) - limit,
                30,
                "the connections beyond the limit to be closed",
            )
            assert open_fds(pid) <= baseline + limit
        wait_for(lambda: _dropped(town).get("connections", 0) >= 160 - limit, 60, "the count")
        assert honest_hello(server)
    assert "Too many open files" not in server.output()


def test_a_local_reverse_proxy_is_not_held_to_one_address_share(town: Path) -> None:
    """Behind Caddy on the same machine every hub arrives from 127.0.0.1: that address may use
    the whole limit, so a county's hundreds of hubs fit, while 127.0.0.2 gets one share."""
    count = MAX_CONNECTIONS_PER_ADDRESS + 20
    with running(town) as server:
        pid = server.process.pid
        baseline = open_fds(pid)
        with connections(server.url, count, "127.0.0.1", HALF_REQUEST):
            wait_for(lambda: open_fds(pid) >= baseline + count, 30, "every proxied connection held")
            assert honest_hello(server)
