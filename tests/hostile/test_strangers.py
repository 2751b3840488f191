"""Strangers (keys without a grant, free to make) against a real `dorfhub serve`: limited by
client address, refused before their bodies are read, allowed only a few long-polls, and never
able to make the server buffer more request bodies than it can hold.

Every 127.x.y.z address is local on Linux; 127.0.0.1 stands for a reverse proxy on the server's
own machine and is trusted, so the strangers here connect from 127.0.0.2 and up.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import msgspec

from content import notices
from content.identity import Identity
from content.limits import (
    ENROLLMENT_BURST_PER_ADDRESS,
    MAX_INFLIGHT_BODY_BYTES,
    MAX_REQUEST_BYTES,
    MAX_STRANGER_WAITS,
    STRANGER_REQUEST_BURST,
)
from content.log import Log
from node.home import Home
from sync.protocol import API, encode_vector
from tests.sync.conftest import PeerProcess
from tests.sync.helpers import PULL, PUSH, now_ms, signed_headers
from tests.sync.procs import wait_for
from tests.sync.test_hostile import Net, net

__all__ = ["net"]
ENROLL = f"{API}/enroll"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def request_from(
    source: str, server: PeerProcess, method: str, path: str, body: bytes, headers: dict[str, str]
) -> int:
    """One request from the local address `source`; the status it got."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", _port(server.url), timeout=60, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def enroll_from(source: str, net: Net) -> int:
    stranger = Identity.generate("Fremd")
    body = msgspec.json.encode({"public": stranger.public.token, "name": "Fremd"})
    headers = signed_headers(stranger, net.network_id, ENROLL, body)
    return request_from(source, net.server, "POST", ENROLL, body, headers)


def test_enrollment_requests_are_limited_per_address(net: Net) -> None:
    burst = [enroll_from("127.0.2.1", net) for _ in range(ENROLLMENT_BURST_PER_ADDRESS + 1)]
    assert burst == [200] * ENROLLMENT_BURST_PER_ADDRESS + [429]
    assert enroll_from("127.0.2.2", net) == 200  # another address is not held back


def test_strangers_are_limited_per_address_members_per_key(net: Net) -> None:
    """Fresh keys do not buy a stranger a fresh allowance; a hub behind the same address keeps
    its own."""
    body = encode_vector({})
    statuses = [
        request_from(
            "127.0.2.3",
            net.server,
            "POST",
            PULL,
            body,
            signed_headers(Identity.generate("Fremd"), net.network_id, PULL, body),
        )
        for _ in range(int(STRANGER_REQUEST_BURST) + 20)
    ]
    assert 429 in statuses
    member = signed_headers(net.member.identity, net.network_id, PULL, body)
    assert request_from("127.0.2.3", net.server, "POST", PULL, body, member) == 200


def test_a_strangers_push_is_refused_before_its_body_is_read(net: Net) -> None:
    """Headers announce a megabyte; not a byte of it is sent. The refusal comes at once, so
    the server neither waits for nor buffers what a stranger would send."""
    body = bytes(MAX_REQUEST_BYTES - 1)
    headers = signed_headers(Identity.generate("Fremd"), net.network_id, PUSH, body)
    head = f"POST {PUSH} HTTP/1.1\r\nHost: stadtserver\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(
        ("127.0.0.1", _port(net.server.url)), timeout=60, source_address=("127.0.2.4", 0)
    ) as sock:
        sock.sendall(head.encode())
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 403")


@contextmanager
def long_polls(net: Net, count: int) -> Iterator[list[int | None]]:
    """`count` strangers' long-polls, each in a thread; their statuses as they return."""
    digest = str(net.server.hello()["digest"])
    path = f"{API}/wait"
    results: list[int | None] = [None] * count

    def poll(index: int) -> None:
        stranger = Identity.generate("Fremd")
        headers = signed_headers(stranger, net.network_id, path, b"", method="GET")
        query = f"{path}?digest={digest}&timeout=25"
        source = f"127.0.3.{index % 200 + 1}"
        results[index] = request_from(source, net.server, "GET", query, b"", headers)

    threads = [threading.Thread(target=poll, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    yield results
    for thread in threads:
        thread.join(60)


def _publish(net: Net) -> None:
    home = Home(net.server.home)
    with home.store() as store:
        body = notices.notice_body("Weckruf", "Text", valid_from=now_ms())
        notices.publish(Log(store), home.publisher(), body)


def test_only_a_few_strangers_may_hold_a_long_poll(net: Net) -> None:
    """Beyond MAX_STRANGER_WAITS the long-poll answers at once; the held ones answer when the
    log changes."""
    extra = 8
    with long_polls(net, MAX_STRANGER_WAITS + extra) as results:
        wait_for(
            lambda: sum(status is not None for status in results) >= extra,
            60,
            "the long-polls beyond the quota to be answered",
        )
        assert sum(status is not None for status in results) == extra
        _publish(net)
        wait_for(lambda: all(status == 200 for status in results), 60, "every long-poll")


def _answered_503(sock: socket.socket, received: dict[socket.socket, bytes]) -> bool:
    sock.setblocking(False)
    with suppress(BlockingIOError, OSError):
        received[sock] = received.get(sock, b"") + sock.recv(4096)
    return received.get(sock, b"").startswith(b"HTTP/1.1 503")


def test_bodies_in_flight_are_bounded_over_all_connections(net: Net) -> None:
    """A hub may push megabyte batches, but not keep seventy of them half-sent at once: past
    MAX_INFLIGHT_BODY_BYTES the server answers 503 instead of buffering more."""
    body = bytes(MAX_REQUEST_BYTES - 1)
    chunk = MAX_REQUEST_BYTES - 1024
    sockets: list[socket.socket] = []
    received: dict[socket.socket, bytes] = {}
    try:
        for _ in range(MAX_INFLIGHT_BODY_BYTES // chunk + 4):
            headers = signed_headers(net.member.identity, net.network_id, PUSH, body)
            head = f"POST {PUSH} HTTP/1.1\r\nHost: s\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            sock = socket.create_connection(("127.0.0.1", _port(net.server.url)), timeout=60)
            sockets.append(sock)
            sock.sendall(head.encode() + body[:chunk])
        wait_for(lambda: any(_answered_503(sock, received) for sock in sockets), 60, "a 503")
    finally:
        for sock in sockets:
            sock.close()
    assert net.server.hello()["net"] == net.network_id
