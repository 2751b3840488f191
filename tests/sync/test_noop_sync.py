"""The cheap sync rounds (issue 20): a no-op sync is one request of under 200 bytes each way,
answered by the server's protocol without the ASGI app, and a round that brings a hub the
server's newest ops asks for no vector. One real `dorfhub serve`; the hub is a copy of the
town's database (the same ops), synced by `sync.client.sync_round` through a counting proxy."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import msgspec
import pytest

from content import notices
from content.clock import trusted_now
from content.log import Log
from content.store import Store
from node.home import Home
from sync.client import PeerClient, sync_round
from tests.sync.conftest import PeerProcess, start_peer
from tests.sync.procs import Node, Proxy, publish, wait_for

NOOP_BYTES_GOAL = 200


class World:
    def __init__(self, town: PeerProcess, home: Path) -> None:
        self.town = town
        self.admin = Home(home).publisher()
        self.network_id = Home(home).config.network_id or ""
        self.port = int(town.url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, town_dir: Path) -> Iterator[World]:
    home = tmp_path_factory.mktemp("noop") / "town"
    shutil.copytree(town_dir, home)
    town = start_peer(home)
    try:
        yield World(town, home)
    finally:
        town.stop()


def hub_copy(world: World, path: Path) -> Store:
    """A hub store holding exactly the town's ops (a copy of its database)."""
    town_db = world.town.home / "dorfhub.db"
    with (
        closing(sqlite3.connect(f"file:{town_db}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(path)) as target,
    ):
        source.backup(target)
    return Store(path)


def exchange(port: int, request: bytes, answers: int = 1) -> bytes:
    """Send raw bytes on a new connection; read until `answers` whole answers came."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while data.count(b"HTTP/1.1 ") < answers or not _complete(data, answers):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _complete(data: bytes, answers: int) -> bool:
    rest = data
    for _ in range(answers):
        head, sep, body = rest.partition(b"\r\n\r\n")
        if not sep or b"content-length: " not in head.lower():
            return False  # an answer without a length ends with the connection
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        if len(body) < length:
            return False
        rest = body[length:]
    return True


def bodies(data: bytes) -> list[dict[str, object]]:
    found = []
    rest = data
    while rest:
        head, _, body = rest.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        found.append(msgspec.json.decode(body[:length]))
        rest = body[length:]
    return found


def hello(digest: str, node: str = "", extra: str = "") -> bytes:
    query = f"digest={digest}" + (f"&node={node}" if node else "")
    return f"GET /v1/hello?{query} HTTP/1.1\r\nHost: town\r\n{extra}\r\n".encode()


def test_a_noop_round_is_one_small_request_each_way(world: World, tmp_path: Path) -> None:
    proxy = Proxy(world.port, "town")
    try:
        with hub_copy(world, tmp_path / "hub.db") as store:
            client = PeerClient(proxy.url, world.admin, world.network_id)
            first = sync_round(Log(store), client)  # learns who the town is
            assert first.noop
            proxy.cut()  # the next round on a new connection, as after a keep-alive timeout
            proxy.heal()
            proxy.reset_counters()
            again = sync_round(Log(store), client)
            client.close()
        assert again.noop
        print(f"no-op sync: {proxy.bytes_up} B up, {proxy.bytes_down} B down")
        assert proxy.bytes_up < NOOP_BYTES_GOAL
        assert proxy.bytes_down < NOOP_BYTES_GOAL
    finally:
        proxy.close()


def test_the_short_hello_needs_the_right_key_and_digest(world: World) -> None:
    """Only a caller that names the start of the town's key (16 hex digits or more) and holds
    its digest gets the short answer; everyone else gets the whole hello, as before."""
    whole = bodies(exchange(world.port, hello("")))[0]
    node, digest = str(whole["node"]), str(whole["digest"])
    assert set(whole) == {"proto", "net", "node", "role", "digest", "equal", "time"}
    assert bodies(exchange(world.port, hello(digest, node[:16])))[0].keys() == {"equal", "time"}
    for request, equal in (
        (hello(digest, "0" * 16), True),
        (hello(digest, node[:15]), True),
        (hello("0" * 32, node), False),
    ):
        answer = bodies(exchange(world.port, request))[0]
        assert answer["node"] == node
        assert answer["equal"] is equal


def test_the_quick_hello_answers_as_the_app_does(world: World) -> None:
    """The protocol's quick path and the app give the same answer: a query with an upper-case
    digest goes the app's way (the quick path takes lower-case hex only)."""
    quick = exchange(world.port, hello("ab" * 16))
    slow = exchange(world.port, hello("AB" * 16))
    assert quick.split(b"\r\n\r\n")[0] == slow.split(b"\r\n\r\n")[0]
    strip = {"time": 0}
    assert bodies(quick)[0] | strip == bodies(slow)[0] | strip


@pytest.mark.parametrize(
    ("request_bytes", "answers"),
    [
        (hello("ab") * 2, 2),  # pipelined: h11 takes both, in order
        (hello("ab", extra="Connection: close\r\n"), 1),
        (hello("ab", extra="Content-Length: 3\r\n") + b"abc", 1),
        (hello("ab", extra=" folded: header\r\n"), 1),  # a malformed header: h11 says 400
        (hello("ab").replace(b"Host: town\r\n", b""), 1),  # no Host: h11 says 400
    ],
)
def test_requests_the_quick_path_leaves_to_h11(
    world: World, request_bytes: bytes, answers: int
) -> None:
    data = exchange(world.port, request_bytes, answers)
    assert data.count(b"HTTP/1.1 ") == answers


def test_quick_and_normal_requests_share_a_kept_alive_connection(world: World) -> None:
    with socket.create_connection(("127.0.0.1", world.port), timeout=10) as sock:
        for request in (hello("ab"), hello("AB"), hello("ab"), hello("cd")):
            sock.sendall(request)
            data = b""
            while not _complete(data, 1):
                data += sock.recv(65536)
            assert data.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_round_that_brings_the_last_ops_asks_no_vector(world: World, tmp_path: Path) -> None:
    """The last pull answer carries a digest the town held; a hub that holds it after applying
    the batch stops there. A hub with an op of its own still asks for the vector and pushes."""
    proxy = Proxy(world.port, "town", tap=True)
    try:
        with hub_copy(world, tmp_path / "hub.db") as store:
            client = PeerClient(proxy.url, world.admin, world.network_id)
            town = Node("town", world.town.home)
            publish(town, world.admin, "Wasser abgestellt")
            wait_for(lambda: world.town.hello()["digest"] == town.digest(), 10, "the watcher")
            proxy.cut()
            proxy.heal()
            proxy.reset_counters()
            result = sync_round(Log(store), client)
            assert result.pulled == 1
            assert len(proxy.responses) == 2  # hello and pull
            assert Log(store).digest() == town.digest()

            now = trusted_now(store.conn).now_ms
            body = notices.notice_body("Bus fällt aus", "Text", valid_from=now)
            notices.publish(Log(store), world.admin, body)
            proxy.cut()  # the tap reads the answers of connections made after a reset
            proxy.heal()
            proxy.reset_counters()
            result = sync_round(Log(store), client)
            assert result.pushed == 1
            assert len(proxy.responses) == 5  # hello, pull, vector, push, vector
            client.close()
    finally:
        proxy.close()
