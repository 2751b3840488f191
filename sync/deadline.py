"""A whole-request deadline for the peer client.

requests' read timeout bounds each wait for a byte, not the request: a peer that sends one byte
every few seconds (its status line, its headers or its body) would hold a hub's sync loop for
ever, and with it every other peer's round. So each PeerClient remembers the sockets its
connections open (a transport adapter whose urllib3 connections report their socket as it is
made), and a watchdog shuts them down when a request runs past its deadline: the blocked read
returns at once, requests raises, and the round with that peer fails like any other.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class SocketRegistry:
    """The sockets one client's connections opened (weakly held: a closed connection's socket
    goes away with it)."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self.lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.add(sock)

    def cut(self) -> None:
        """Shut every socket down: a read blocked on one returns at once."""
        with self.lock:
            sockets = list(self.sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Cut this client's connections if the block is still running after `seconds`."""
        key = _watchdog.add(seconds, self.cut)
        try:
            yield
        finally:
            _watchdog.cancel(key)


class _Watchdog:
    """One thread for every deadline of the process. A timer thread per request cost more
    than the request on a busy machine (starting and stopping it, about 8 ms of a hub's
    propagation round of 70 ms: bench/sync.py); this thread sleeps until the earliest
    deadline, and a request that ends in time only takes its entry out again."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.due: dict[int, Callable[[], None]] = {}
        self.heap: list[tuple[float, int]] = []  # (monotonic deadline, key); cancelled stay
        self.keys = itertools.count()
        self.thread: threading.Thread | None = None

    def add(self, seconds: float, action: Callable[[], None]) -> int:
        at = time.monotonic() + seconds
        with self.cond:
            key = next(self.keys)
            self.due[key] = action
            heapq.heappush(self.heap, (at, key))
            if len(self.heap) > 2 * len(self.due) + 64:  # drop what was cancelled
                self.heap = [entry for entry in self.heap if entry[1] in self.due]
                heapq.heapify(self.heap)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="dorfhub-deadlines", daemon=True
                )
                self.thread.start()
            elif self.heap[0][1] == key:
                self.cond.notify()  # earlier than what the thread sleeps for
        return key

    def cancel(self, key: int) -> None:
        with self.cond:
            self.due.pop(key, None)

    def _run(self) -> None:
        while True:
            with self.cond:
                while self.heap and self.heap[0][1] not in self.due:
                    heapq.heappop(self.heap)
                if not self.heap:
                    self.cond.wait()
                    continue
                at, key = self.heap[0]
                left = at - time.monotonic()
                if left > 0:
                    self.cond.wait(left)
                    continue
                heapq.heappop(self.heap)
                action = self.due.pop(key)
            action()  # outside the lock: cutting sockets may take a moment


_watchdog = _Watchdog()


def _pool_classes(on_socket: Callable[[socket.socket], None]) -> dict[str, type[Any]]:
    """urllib3 pool classes whose connections report each socket as soon as it exists (before
    a TLS handshake, which a slow peer could drag out as well)."""

    class ReportingHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            on_socket(sock)
            return sock

    class ReportingHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            on_socket(sock)
            return sock

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = ReportingHTTPConnection

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = ReportingHTTPSConnection

    return {"http": HTTPPool, "https": HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """A transport adapter whose connections' sockets `registry` knows, so a watchdog can cut
    them (sync.tls.PinnedAdapter builds on it)."""

    def __init__(self, registry: SocketRegistry) -> None:
        self.registry = registry
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.registry.add)
