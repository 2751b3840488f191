"""The HTTP connection layer of the peer API: uvicorn's h11 protocol with the limits a public
server needs and uvicorn does not set (content/limits.py).

- At most `connection_limit()` open connections (fewer than the file descriptors the process
  may open, a Raspberry Pi's 1,024 included), and MAX_CONNECTIONS_PER_ADDRESS from one client
  address other than a local reverse proxy; a connection beyond either is closed at once,
  before it costs anything but the accept.
- Under TLS, asyncio hands a connection to the protocol only once its handshake is done, so a
  handshake gets HEADER_TIMEOUT_S too (`limit_tls_handshakes`), not asyncio's 60 s.
- A request's headers must be complete within HEADER_TIMEOUT_S of the connection (or of the
  previous answer on a kept-alive connection), and its body must not fall silent for
  BODY_IDLE_TIMEOUT_S nor take longer than BODY_TIMEOUT_S in all. Slow clients that hold
  half-sent requests (slowloris) are closed instead of holding a descriptor for ever.

Once a request is complete, the application may take as long as it needs (the long-poll).
"""

from __future__ import annotations

import asyncio
import re
import socket
from asyncio import constants as asyncio_constants
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from content.limits import (
    BODY_IDLE_TIMEOUT_S,
    BODY_TIMEOUT_S,
    HEADER_TIMEOUT_S,
    MAX_CONNECTIONS_PER_ADDRESS,
    connection_limit,
)

# A reverse proxy on this machine (docs/town-server.md) brings every hub from these addresses:
# they share the whole limit, not one address's share. They are also the only addresses whose
# X-Forwarded-Proto and X-Forwarded-For headers are believed (node/daemon.py).
LOCAL_PROXIES = ("127.0.0.1", "::1")
# Where the app (sync.server's lifespan state) offers the protocol its quick hello: a function
# from a request target to the whole HTTP answer, or None to take the normal path.
QUICK_HELLO_STATE = "dorfhub.quick_hello"
QUICK_MAX_BYTES = 4096
QUICK_REQUEST_LINE = re.compile(rb"GET (/[!-~]*) HTTP/1\.1")
QUICK_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([!-~]+(?:[ \t]+[!-~]+)*)[ \t]*")
QUICK_REFUSED_HEADERS = frozenset(
    (b"content-length", b"transfer-encoding", b"expect", b"upgrade", b"te", b"trailer")
)


@dataclass
class ConnectionGuard:
    """Open connections in all and per client address, shared by one server's connections."""

    limit: int = field(default_factory=connection_limit)
    per_address: int = MAX_CONNECTIONS_PER_ADDRESS
    dropped: Counter[str] = field(default_factory=Counter)
    open: int = 0
    by_address: Counter[str] = field(default_factory=Counter)

    def admit(self, address: str) -> bool:
        share = self.limit if address in LOCAL_PROXIES else self.per_address
        if self.open >= self.limit or self.by_address[address] >= share:
            self.dropped["connections"] += 1
            return False
        self.open += 1
        self.by_address[address] += 1
        return True

    def release(self, address: str) -> None:
        self.open -= 1
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]


def limit_tls_handshakes() -> None:
    """Give a TLS handshake HEADER_TIMEOUT_S instead of asyncio's 60 s default: connections
    that never finish one are not yet the guard's to count, so they must not linger."""
    asyncio_constants.SSL_HANDSHAKE_TIMEOUT = HEADER_TIMEOUT_S


def guarded_protocol(guard: ConnectionGuard) -> type[H11Protocol]:
    """An h11 protocol class for uvicorn (`Config(http=...)`) that obeys `guard`."""

    class GuardedH11Protocol(H11Protocol):
        admitted = False
        address = ""
        deadline: asyncio.TimerHandle | None = None
        body_ends_at = 0.0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            peer: Any = transport.get_extra_info("peername")
            self.address = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
            if not guard.admit(self.address):
                transport.abort()
                return
            self.admitted = True
            no_delay(transport)
            super().connection_made(transport)
            self._await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            if not self.admitted:
                return
            self.admitted = False
            guard.release(self.address)
            self._cancel()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._quick_hello(data):
                return
            super().data_received(data)
            self._follow_request()

        def _quick_hello(self, data: bytes) -> bool:
            """Answer a plain hello here, without h11 and the ASGI app: a hub's no-op sync is
            this one request, from every hub many times a minute. Only a whole request that
            arrived alone on an idle connection, with nothing h11 would treat otherwise (a
            body, an upgrade, `Connection: close`, an odd header); anything else goes the
            normal way. The connection's deadlines and keep-alive go on as after any answer."""
            answer = self.app_state.get(QUICK_HELLO_STATE)
            if answer is None or not data.endswith(b"\r\n\r\n") or len(data) > QUICK_MAX_BYTES:
                return False
            conn = self.conn
            if conn.our_state is not h11.IDLE or conn.their_state is not h11.IDLE:
                return False
            if conn.trailing_data[0] or not self.cycle_idle():
                return False
            target = _plain_get(data)
            response = answer(target) if target is not None else None
            if response is None:
                return False
            self._unset_keepalive_if_required()
            self.transport.write(response)
            self.server_state.total_requests += 1
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )
            self._await_headers()
            return True

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._await_headers()
                self._follow_request()  # a pipelined request may be under way already

        def _follow_request(self) -> None:
            """Set the deadline that fits where the client's request stands."""
            state = self.conn.their_state
            if state is h11.SEND_BODY:
                now = self.loop.time()
                if self.body_ends_at == 0.0:
                    self.body_ends_at = now + BODY_TIMEOUT_S
                # Every chunk of body restarts the idle clock, up to the body's whole limit.
                self._arm(min(BODY_IDLE_TIMEOUT_S, self.body_ends_at - now))
            elif state is not h11.IDLE:
                # The request is complete: the application answers in its own time.
                self._cancel()
                self.body_ends_at = 0.0

        def _await_headers(self) -> None:
            self.body_ends_at = 0.0
            self._arm(HEADER_TIMEOUT_S)

        def _arm(self, seconds: float) -> None:
            self._cancel()
            self.deadline = self.loop.call_later(max(0.0, seconds), self._too_slow)

        def _cancel(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _too_slow(self) -> None:
            self.deadline = None
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and self.cycle_idle():
                guard.dropped["slow_requests"] += 1
                self.transport.close()

        def cycle_idle(self) -> bool:
            """No answer is being written (an answer in progress finishes first)."""
            return (
                self.cycle is None
                or self.cycle.response_complete
                or not (self.cycle.response_started)
            )

    return GuardedH11Protocol


def _plain_get(data: bytes) -> bytes | None:
    """The target of one complete `GET ... HTTP/1.1` request without a body, whose headers are
    all well-formed, one of them Host, none of them one that changes how the connection goes
    on; None otherwise."""
    head = data[:-4].split(b"\r\n")
    request = QUICK_REQUEST_LINE.fullmatch(head[0])
    if request is None:
        return None
    hosts = 0
    for line in head[1:]:
        header = QUICK_HEADER.fullmatch(line)
        if header is None:
            return None
        name = header[1].lower()
        if name in QUICK_REFUSED_HEADERS:
            return None
        if name == b"connection" and header[2].strip().lower() != b"keep-alive":
            return None
        hosts += name == b"host"
    return request[1] if hosts == 1 else None


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Send each write at once. asyncio sets TCP_NODELAY only on sockets whose `proto` says
    TCP, and a listener from socket.create_server or an inherited descriptor says 0: then an
    answer whose headers and body go out in two writes waits for the client's delayed ACK,
    40 ms on every request of a kept-alive connection (bench/desk.py found it)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
