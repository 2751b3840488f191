"""Real `dorfhub` processes on 127.0.0.1 for the sync tests, and a TCP proxy to partition them.

A `Cluster` owns every process and proxy a test starts and ends them all when it closes:
SIGTERM to the process group, SIGKILL if it has not gone after a few seconds. The proxy is a
thread in the test process; `cut()` drops its connections and refuses new ones until `heal()`.

No port is ever picked by binding and releasing it (another process could take it in between):
each node's listening socket is made here once and handed to every incarnation of its daemon
(`--listen-fd`), so a restarted node keeps its URL. While no daemon serves it, clients that
connect wait in its backlog and are answered by the next incarnation, not refused.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from content import grants, notices
from content.clock import trusted_now
from content.identity import Identity, save_identity
from content.log import Log
from content.notices import Notice
from content.store import Store
from node.home import Home
from node.listen import wait_for_ready_file
from tests.node.cli import DORFHUB, REPO, run_dorfhub

HOST = "127.0.0.1"
# libfaketime (Debian's `faketime` package), preloaded directly. The `faketime` wrapper shares
# its start time through a named semaphore named after its PID; one left behind by a killed
# daemon makes a later wrapper with the same PID fail ("sem_open: File exists").
LIBFAKETIME = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))), "")
# libfaketime 0.9.10 also shifts CLOCK_MONOTONIC, but not sem_clockwait(), which CPython's timed
# lock waits use: every Event.wait(timeout) in a thread would sleep for decades. Wall clock only.
FAKETIME_2001 = (
    "env",
    f"LD_PRELOAD={LIBFAKETIME}",
    "FAKETIME=@2001-01-01 12:00:00",
    "FAKETIME_DONT_FAKE_MONOTONIC=1",
)
T = TypeVar("T")


def url(port: int) -> str:
    return f"http://{HOST}:{port}"


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


# ---- the proxy -------------------------------------------------------------------------------


@dataclass
class Response:
    """One HTTP response seen on its way back to the client (with `Proxy(tap=True)`)."""

    status: int
    headers: dict[str, str]
    length: int
    received: int = 0

    @property
    def complete(self) -> bool:
        return self.received >= self.length

    @property
    def is_pull(self) -> bool:
        return "x-dorfhub-more" in self.headers


class _ResponseParser:
    """Splits a keep-alive stream of HTTP/1.1 responses with content-length into `Response`s."""

    def __init__(self, sink: list[Response]) -> None:
        self.sink = sink
        self.head = b""
        self.current: Response | None = None

    def feed(self, data: bytes) -> None:
        while data:
            if self.current is not None and not self.current.complete:
                take = min(len(data), self.current.length - self.current.received)
                self.current.received += take
                data = data[take:]
                continue
            self.head += data
            data = b""
            if b"\r\n\r\n" not in self.head:
                return
            head, data = self.head.split(b"\r\n\r\n", 1)
            self.head = b""
            self.current = _parse_head(head)
            self.sink.append(self.current)


def _parse_head(head: bytes) -> Response:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(status_line.split()[1]), headers, int(headers.get("content-length", 0)))


class _Link:
    """One client connection and its upstream twin."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.dead = threading.Event()

    def close(self) -> None:
        self.dead.set()
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class Proxy:
    """Forwards TCP from its own port to `target_port`, counting the bytes it carries back."""

    def __init__(self, target_port: int, name: str = "", tap: bool = False) -> None:
        self.name = name
        self.target_port = target_port
        self.tap = tap
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.links: set[_Link] = set()
        self.up = True
        self.closed = False
        self.bytes_down = 0  # target -> client
        self.bytes_up = 0
        self.responses: list[Response] = []
        self.stall_at: int | None = None
        self.stalled = threading.Event()
        self.thread = threading.Thread(target=self._accept_loop, name=f"proxy-{name}", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return url(self.port)

    def cut(self) -> None:
        """Drop every connection and refuse new ones until `heal()`."""
        with self.lock:
            self.up = False
            links, self.links = self.links, set()
        for link in links:
            link.close()

    def heal(self) -> None:
        with self.lock:
            self.up = True

    def stall_after(self, total_bytes_down: int) -> None:
        """Stop forwarding towards the client once it has received `total_bytes_down`."""
        with self.lock:
            self.stall_at = total_bytes_down
            self.stalled.clear()

    def reset_counters(self) -> None:
        with self.lock:
            self.bytes_down = self.bytes_up = 0
            self.responses = []
            self.stall_at = None

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.thread.join(timeout=5)
        self.listener.close()

    def _accept_loop(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        with self.lock:
            up = self.up and not self.closed
        if not up:
            client.close()
            return
        try:
            upstream = socket.create_connection((HOST, self.target_port), timeout=2)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        client.settimeout(None)
        link = _Link(client, upstream)
        with self.lock:
            self.links.add(link)
        parser = _ResponseParser(self.responses) if self.tap else None
        for source, target, down in ((client, upstream, False), (upstream, client, True)):
            threading.Thread(
                target=self._pump, args=(link, source, target, down, parser), daemon=True
            ).start()

    def _pump(
        self,
        link: _Link,
        source: socket.socket,
        target: socket.socket,
        down: bool,
        parser: _ResponseParser | None,
    ) -> None:
        try:
            while not link.dead.is_set():
                data = source.recv(65536)
                if not data:
                    break
                data, stall = self._account(data, down, parser)
                target.sendall(data)
                if stall:
                    self.stalled.set()
                    link.dead.wait()
                    break
        except OSError:
            pass
        finally:
            with self.lock:
                self.links.discard(link)
            link.close()

    def _account(
        self, data: bytes, down: bool, parser: _ResponseParser | None
    ) -> tuple[bytes, bool]:
        with self.lock:
            if not down:
                self.bytes_up += len(data)
                return data, False
            stall = self.stall_at is not None and self.bytes_down + len(data) >= self.stall_at
            if stall and self.stall_at is not None:
                data = data[: max(0, self.stall_at - self.bytes_down)]
            self.bytes_down += len(data)
            if parser is not None:
                parser.feed(data)
            return data, stall


# ---- processes -------------------------------------------------------------------------------


class Daemon:
    """A `dorfhub serve` or `dorfhub hub` process in its own process group, serving the
    listening socket this test process holds for its node."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        listener: socket.socket,
        log_path: Path,
        prefix: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.listener = listener
        self.port: int = listener.getsockname()[1]
        self.ready_file = log_path.with_suffix(".ready")
        self.command = [
            *prefix,
            *DORFHUB,
            *args,
            *("--listen-fd", str(listener.fileno()), "--ready-file", str(self.ready_file)),
        ]
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return url(self.port)

    def start(self) -> None:
        assert self.proc is None, f"{self.name} is already running"
        self.ready_file.unlink(missing_ok=True)  # left by an incarnation killed with -9
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(self.listener.fileno(),),
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the daemon serves (it writes its ready file once uvicorn has started)."""
        assert self.proc is not None, f"{self.name} is not running"
        try:
            wait_for_ready_file(self.ready_file, self.proc, timeout)
        except RuntimeError as exc:
            raise AssertionError(f"{self.name}: {exc}\n{self.log_tail()}") from None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, and SIGKILL if the process group has not gone within `timeout`."""
        if self.proc is None:
            return
        self._signal(signal.SIGTERM)
        if not self._wait_gone(timeout):
            self._signal(signal.SIGKILL)
            self._wait_gone(5.0)
        self.proc = None

    def kill(self) -> None:
        if self.proc is None:
            return
        self._signal(signal.SIGKILL)
        self._wait_gone(5.0)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
        self.wait_ready()

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def _wait_gone(self, timeout: float) -> bool:
        """Wait until the whole process group has exited (faketime forks its program)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.proc.poll()
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                self.proc.wait(timeout=1)
                return True
            time.sleep(0.05)
        return False

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def run_all(commands: Iterable[Sequence[str | Path]], prefix: Sequence[str] = ()) -> list[str]:
    """Run `dorfhub` commands side by side (each costs a second of imports); their stdouts."""
    procs = [
        subprocess.Popen(
            [*prefix, *DORFHUB, *map(str, args)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise AssertionError(f"{proc.args} failed ({proc.returncode}): {err}")
        outputs.append(out)
    return outputs


# ---- homes -----------------------------------------------------------------------------------


@dataclass
class Node:
    """A node's home directory, its name, and its peer API port."""

    name: str
    home: Path
    _listener: socket.socket | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def listener(self) -> socket.socket:
        """The node's listening socket, made on first use and kept until its cluster closes:
        every daemon of the node serves it, so the port stays the node's alone."""
        if self._listener is None or self._listener.fileno() < 0:
            self._listener = socket.create_server((HOST, 0))
        return self._listener

    @property
    def port(self) -> int:
        port: int = self.listener.getsockname()[1]
        return port

    @property
    def db(self) -> Path:
        return self.home / "dorfhub.db"

    def store(self) -> Store:
        return Store(self.db)

    def digest(self) -> str:
        with self.store() as store:
            return Log(store).digest()

    def key(self) -> str:
        return Home(self.home).identity().key_id

    def set_server_url(self, server_url: str) -> None:
        home = Home(self.home)
        config = home.config
        config.server_url = server_url
        home.save_config(config)


@dataclass
class Network:
    """A town and its hubs, made once with the real CLI and copied for each test."""

    town: Node
    network_id: str
    hubs: list[Node]

    @classmethod
    def create(cls, directory: Path, hub_names: Sequence[str]) -> Network:
        town, network_id = make_town(directory)
        return cls(town, network_id, make_hubs(town, network_id, directory, hub_names))

    def copy_to(self, directory: Path) -> Network:
        """Fresh copies of every home (new ports); the copies share the keys of the original."""
        nodes = [self.town, *self.hubs]
        copies = [Node(node.name, directory / node.home.name) for node in nodes]
        for node, copy in zip(nodes, copies, strict=True):
            shutil.copytree(node.home, copy.home)
        return Network(copies[0], self.network_id, copies[1:])

    @property
    def nodes(self) -> list[Node]:
        return [self.town, *self.hubs]


def make_town(directory: Path) -> tuple[Node, str]:
    """`dorfhub network init`; returns the town node and the network id."""
    town = Node("Stadtserver", directory / "town")
    network = run_dorfhub("network", "init", "--name", "Ilzer Land", home=town.home)
    return town, network.stdout.strip()


def make_hubs(town: Node, network: str, directory: Path, names: Sequence[str]) -> list[Node]:
    """`dorfhub node init --role hub` for each name, then `dorfhub key grant` on the town."""
    hubs = [Node(name, directory / name.lower()) for name in names]
    inits = run_all(
        [
            "node",
            "init",
            "--role",
            "hub",
            "--name",
            hub.name,
            "--network",
            network,
            "--home",
            hub.home,
        ]
        for hub in hubs
    )
    tokens = [out.split("public key: ")[1].split()[0] for out in inits]
    run_all(
        [
            *("key", "grant", "--role", "hub", "--name", hub.name, "--public-key", token),
            *("--group", "Ilzer Land", "--home", town.home),
        ]
        for hub, token in zip(hubs, tokens, strict=True)
    )
    return hubs


# ---- a set of running processes --------------------------------------------------------------


class Cluster:
    """Every daemon and proxy of one test; `close()` ends them all."""

    def __init__(self, directory: Path) -> None:
        self.logs = directory / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.daemons: list[Daemon] = []
        self.proxies: list[Proxy] = []

    def serve(self, town: Node) -> Daemon:
        return self._start(
            Daemon(town.name, ["serve", "--home", str(town.home)], town.listener, self._log(town))
        )

    def hub(
        self, hub: Node, peers: Sequence[str] = (), prefix: Sequence[str] = (), start: bool = True
    ) -> Daemon:
        args = ["hub", "--home", str(hub.home)]
        for peer in peers:
            args += ["--peer", peer]
        daemon = Daemon(hub.name, args, hub.listener, self._log(hub), prefix)
        return self._start(daemon) if start else self._register(daemon)

    def proxy(self, target: Node, name: str = "", tap: bool = False) -> Proxy:
        proxy = Proxy(target.port, name or target.name, tap)
        self.proxies.append(proxy)
        return proxy

    def _log(self, node: Node) -> Path:
        return self.logs / f"{node.name.lower()}.log"

    def _register(self, daemon: Daemon) -> Daemon:
        self.daemons.append(daemon)
        return daemon

    def _start(self, daemon: Daemon) -> Daemon:
        self._register(daemon).start()
        return daemon

    def wait_ready(self) -> None:
        for daemon in self.daemons:
            if daemon.proc is not None:
                daemon.wait_ready()

    def close(self) -> None:
        for daemon in self.daemons:
            if daemon.proc is not None:
                daemon._signal(signal.SIGTERM)
        for daemon in self.daemons:
            daemon.stop()
        for proxy in self.proxies:
            proxy.close()
        for daemon in self.daemons:
            daemon.listener.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- what nodes report -----------------------------------------------------------------------


def statuses(nodes: Sequence[Node], prefix: Sequence[str] = ()) -> list[dict[str, Any]]:
    """`dorfhub status --json` of every node, side by side."""
    outs = run_all((["status", "--json", "--home", node.home] for node in nodes), prefix)
    return [json.loads(out) for out in outs]


def verify_all(nodes: Sequence[Node]) -> list[str]:
    """`dorfhub log verify` on every node; raises if any fails."""
    return run_all(["log", "verify", "--home", node.home] for node in nodes)


def notice_lists(nodes: Sequence[Node], prefix: Sequence[str] = ()) -> list[list[dict[str, Any]]]:
    outs = run_all((["notice", "list", "--json", "--home", node.home] for node in nodes), prefix)
    return [json.loads(out) for out in outs]


def digests(nodes: Sequence[Node]) -> list[str]:
    return [node.digest() for node in nodes]


def converged(nodes: Sequence[Node]) -> str | None:
    """The common digest when every node holds the same log, else None."""
    found = set(digests(nodes))
    return found.pop() if len(found) == 1 else None


# ---- content through the library (another process than the daemons, as an admin's CLI is) ----


def admin(node: Node) -> Identity:
    return Home(node.home).publisher()


def add_admin(town: Node, key_file: Path, name: str = "Zweite Verwaltung") -> Identity:
    """A second admin key, granted by the first on the town; saved where `--key` can use it."""
    second = Identity.generate(name)
    save_identity(second, key_file)
    with town.store() as store:
        grants.grant(Log(store), admin(town), second.public, "admin", name)
    return second


def publish(node: Node, author: Identity, title: str, body: str = "Text", **fields: Any) -> str:
    with node.store() as store:
        now = trusted_now(store.conn).now_ms
        notice = notices.notice_body(title, body, valid_from=now, **fields)
        return notices.publish(Log(store), author, notice)


def update(node: Node, author: Identity, notice_id: str, title: str) -> None:
    with node.store() as store:
        notices.update(Log(store), author, notice_id, title={"de": title})


def retract(node: Node, author: Identity, notice_id: str) -> None:
    with node.store() as store:
        notices.retract(Log(store), author, notice_id, "zurückgezogen")


def live_notices(node: Node, hub: str | None = None) -> list[Notice]:
    with node.store() as store:
        return notices.active_notices(store.conn, hub=hub)


def seq_of(node: Node, author: str) -> int:
    with node.store() as store:
        return Log(store).version_vector().get(author, 0)


def stable_digest(nodes: Sequence[Node], quiet_seconds: float = 1.5) -> Callable[[], str | None]:
    """A check that answers the common digest once it has held for `quiet_seconds`."""
    seen: dict[str, float] = {}

    def check() -> str | None:
        digest = converged(nodes)
        if digest is None:
            seen.clear()
            return None
        since = seen.setdefault(digest, time.monotonic())
        return digest if time.monotonic() - since >= quiet_seconds else None

    return check
