"""Sync benchmark: propagation, no-op sync, initial sync, town load and hub memory.

Run from the repository root: `.venv/bin/python bench/sync.py [--quick]`. Real `dorfhub serve`
and `dorfhub hub` processes listen on 127.0.0.1 only and are stopped at the end; everything lives
in a temporary directory. The script only reports and always exits 0.
See bench/README.md for what each figure means and the goals.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests
import zstandard
from goals import goal_row
from oplog import Row, make_notices, percentile, raw_verify_rate, table, verdict
from oplog import machine as machine_line
from repo_first import REPO  # before any package: puts them ahead of this directory
from requests.adapters import HTTPAdapter

from content import notices
from content.bodies import NoticeBody, encode_body
from content.clock import wall_clock_ms
from content.grants import grant
from content.identity import Identity
from content.log import IngestReport, Log
from content.ops import (
    FORMAT_VERSION,
    Header,
    RawOp,
    body_hash,
    decode_header,
    encode_frame,
    encode_header,
)
from content.store import Store
from node.home import Home
from node.listen import wait_for_ready_file
from node.setup import init_network, init_node
from sync.client import PeerClient, sync_round
from sync.protocol import ZSTD_LEVEL
from sync.server import first_batch

SEED = 20261126
GROUP = "Ilzer Land"
LOAD_BATCH = 2000
READY_TIMEOUT_S = 90.0
SETTLE_TIMEOUT_S = 90.0
ARRIVAL_TIMEOUT_S = 10.0
POLL_S = 0.002
IN_FLIGHT = 50
PULL_SAMPLE = 20

PROPAGATION_GOAL_S = 1.0
NOOP_ROUND_TRIPS_GOAL = 1
NOOP_BYTES_GOAL = 300
WIRE_RATIO_GOAL = 1.1
NOOP_RATE_GOAL = 300.0
RSS_GOAL_MB = 150.0
# Issue 20's goals (bench/README.md, Goals).
PROPAGATION_P95_GOAL_S = 0.250
NOOP_BYTES_GOAL_20 = 200
APPLY_RATIO_GOAL = 0.7
NOOP_RATE_GOAL_20 = 5000.0
FLAT_TOLERANCE = 0.10


@dataclass(frozen=True)
class Scale:
    hubs: int
    repeats: int
    notices: int
    sim_hubs: int
    load_s: float
    backlog: int


FULL = Scale(hubs=20, repeats=10, notices=10_000, sim_hubs=500, load_s=10.0, backlog=100_000)
QUICK = Scale(hubs=3, repeats=5, notices=1_000, sim_hubs=500, load_s=3.0, backlog=10_000)


# ---- processes -------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    home: Path
    process: subprocess.Popen[bytes]
    log_file: IO[bytes]
    ready_file: Path
    port: int = 0  # the port the daemon picked itself (--port 0), known after wait_ready

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.home / "dorfhub.db"


class Nodes:
    """The `dorfhub serve` / `dorfhub hub` processes of a run; all stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[Node] = []
        self.trouble: dict[str, int] = {}

    def start(self, command: str, home: Path) -> Node:
        log_file = (self.logs / f"{home.name}.log").open("wb")
        ready_file = self.logs / f"{home.name}.ready"
        ready_file.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "node.cli", command, "--home", str(home)]
        argv += ["--host", "127.0.0.1", "--port", "0", "--ready-file", str(ready_file)]
        process = subprocess.Popen(argv, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
        node = Node(home.name, home, process, log_file, ready_file)
        self.running.append(node)
        return node

    def stop(self, nodes: list[Node]) -> None:
        for node in nodes:
            if node.process.poll() is None:
                node.process.terminate()
        for node in nodes:
            try:
                node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                print(f"warning: {node.name} ignored SIGTERM for 15 s; killed", file=sys.stderr)
                node.process.kill()
                node.process.wait()
            node.log_file.close()
            self.running.remove(node)
            self._scan(Path(node.log_file.name))

    def _scan(self, log: Path) -> None:
        """Count what a node logged that is not routine: warnings, errors, failed syncs."""
        for line in log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                key = "non-JSON output: " + line[:80]
            else:
                routine = entry.get("level") in ("debug", "info")
                if routine and entry.get("message") != "sync failed":
                    continue
                key = f"{entry.get('level')}: {entry.get('message')} {entry.get('error', '')}"
            key = key.strip()[:160]
            self.trouble[key] = self.trouble.get(key, 0) + 1

    def stop_all(self) -> None:
        self.stop(list(reversed(self.running)))


def wait_ready(nodes: list[Node]) -> None:
    """Until every node serves; learns the port each one picked from its ready file."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    for node in nodes:
        left = max(0.0, deadline - time.monotonic())
        try:
            node.port = wait_for_ready_file(node.ready_file, node.process, left).port
        except RuntimeError as exc:
            log = node.log_file.name
            raise RuntimeError(f"{node.name} did not start ({exc}); see {log}") from None


def status_kb(pid: int | str, field_name: str) -> int:
    """A `VmRSS`/`VmHWM` style line of /proc/PID/status, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int, waited_children: bool = False) -> float:
    """User plus system CPU time of a process so far (and of its children it has reaped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_snapshot() -> tuple[float, float]:
    """(CPU seconds the whole machine has been busy, CPU seconds of this process tree)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    machine = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    for pid in descendants(os.getpid()):
        with contextlib.suppress(OSError, IndexError, ValueError):
            own += cpu_seconds(pid, waited_children=True)
    return machine, own


def others_share(before: tuple[float, float], after: tuple[float, float], wall: float) -> float:
    """Share of the machine's CPUs used by processes outside this benchmark."""
    others = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, others / (wall * (os.cpu_count() or 1)))


# ---- networks and content --------------------------------------------------------------------


@dataclass
class Town:
    home: Home
    admin: Identity
    network_id: str
    store: Store

    @property
    def log(self) -> Log:
        return Log(self.store)

    def op_count(self) -> int:
        return self.log.count()


def make_town(path: Path) -> Town:
    home = init_network(path, GROUP)
    network_id = home.config.network_id
    return Town(home, home.identity("admin.key"), network_id, home.store())


def enroll_hub(town: Town, path: Path, name: str, server_url: str) -> Home:
    """A hub home whose key the admin has granted on the town store (as enrollment would)."""
    home, identity = init_node(path, "hub", name, town.network_id, server_url)
    grant(town.log, town.admin, identity.public, "hub", name, groups=[GROUP])
    return home


def bodies(count: int, seed: int) -> Iterator[NoticeBody]:
    """Realistic notices (bench/oplog.py's corpus), made in slices to keep memory flat."""
    hubs = [Identity.generate(f"hub-{i}").key_id for i in range(4)]
    made, part = 0, 0
    while made < count:
        size = min(LOAD_BATCH, count - made)
        yield from make_notices(size, seed + part, wall_clock_ms(), hubs)
        made, part = made + size, part + 1


def signed_ops(town: Town, notice_bodies: Iterator[NoticeBody]) -> Iterator[RawOp]:
    """notice.put ops exactly as `notices.publish` makes them, signed ahead of applying."""
    conn = town.store.conn
    row = conn.execute(
        "SELECT seq, head FROM versions WHERE author = ?", (town.admin.key_id,)
    ).fetchone()
    seq, prev = (row[0], row[1]) if row else (0, "")
    lamport = conn.execute("SELECT max(lamport) FROM ops").fetchone()[0] or 0
    for notice in notice_bodies:
        seq, lamport = seq + 1, lamport + 1
        body = encode_body(notice)
        header = encode_header(
            Header(
                v=FORMAT_VERSION,
                net=town.network_id,
                author=town.admin.key_id,
                seq=seq,
                prev=prev,
                lamport=lamport,
                time=wall_clock_ms(),
                kind="notice.put",
                entity=notices.new_notice_id(),
                body_hash=body_hash(body),
                body_len=len(body),
            )
        )
        op = RawOp(header, town.admin.sign(header), body)
        prev = op.op_id
        yield op


def load_notices(town: Town, count: int, seed: int) -> None:
    """Put `count` admin notices into the town store, LOAD_BATCH per transaction."""
    batch: list[RawOp] = []
    for op in signed_ops(town, bodies(count, seed)):
        batch.append(op)
        if len(batch) == LOAD_BATCH:
            apply_all(town.log, batch)
            batch = []
    if batch:
        apply_all(town.log, batch)


def apply_all(log: Log, ops: list[RawOp]) -> None:
    report = log.ingest(ops)
    if len(report.applied) != len(ops):
        raise RuntimeError(f"loading the town store: {report.summary()}")


def read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30, check_same_thread=False)


def vector_of(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT author, seq FROM versions").fetchall())


# ---- a TCP proxy that counts bytes -----------------------------------------------------------


class CountingProxy:
    """Forwards 127.0.0.1:port to a target port and counts every byte each way (HTTP headers
    included); can record the raw bytes for a look at what travels."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.up = self.down = self.connections = 0
        self.recording: dict[str, bytearray] | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self, record: bool = False) -> None:
        with self.lock:
            self.up = self.down = self.connections = 0
            self.recording = {"up": bytearray(), "down": bytearray()} if record else None

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, "down"), daemon=True
            ).start()

    def _pump(self, source: socket.socket, target: socket.socket, direction: str) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(1 << 16):
                self._count(direction, data)
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def _count(self, direction: str, data: bytes) -> None:
        with self.lock:
            if direction == "up":
                self.up += len(data)
            else:
                self.down += len(data)
            if self.recording is not None:
                self.recording[direction] += data


class CountingAdapter(HTTPAdapter):
    """Counts the HTTP requests a PeerClient sends (one request = one round trip)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests += 1
        return super().send(request, **kwargs)


# ---- 1. propagation --------------------------------------------------------------------------


@dataclass
class Propagation:
    hubs: int
    town_ops: int = 0
    all_hubs_s: list[float] = field(default_factory=list)
    first_hub_s: list[float] = field(default_factory=list)
    missed: int = 0
    hub_hwm_kb: list[int] = field(default_factory=list)
    town_cpu_s: list[float] = field(default_factory=list)
    hubs_cpu_s: list[float] = field(default_factory=list)


def propagation(
    work: Path, nodes: Nodes, scale: Scale, town: Town, town_node: Node, seed_db: Path | None
) -> Propagation:
    """Start `scale.hubs` enrolled hub daemons (their stores copied from `seed_db` when given,
    so they need not pull the town's whole log first), let them catch up, then publish
    `scale.repeats` notices on the town store and time how long each takes to reach every hub."""
    tag = town.home.path.name
    hubs = [
        enroll_hub(town, work / f"{tag}-hub-{i:02d}", f"Hub {i:02d}", town_node.url)
        for i in range(scale.hubs)
    ]
    if seed_db is not None:
        for hub in hubs:
            copy_db(seed_db, hub.db_path)
    hub_nodes = [nodes.start("hub", hub.path) for hub in hubs]
    try:
        wait_ready(hub_nodes)
        result = watch_publishes(scale, town, town_node, hub_nodes)
        result.hub_hwm_kb = [status_kb(node.process.pid, "VmHWM") for node in hub_nodes]
    finally:
        nodes.stop(hub_nodes)
    return result


def watch_publishes(scale: Scale, town: Town, town_node: Node, hubs: list[Node]) -> Propagation:
    result = Propagation(len(hubs))
    conns = [read_only(node.db) for node in hubs]
    town_conn = read_only(town_node.db)
    hub_ids = [Home(node.home).identity().key_id for node in hubs]
    settle(town_conn, conns, hubs, authors=set(hub_ids))
    result.town_ops = town.op_count()
    rng = random.Random(SEED)
    for body in make_notices(scale.repeats, SEED, wall_clock_ms(), hub_ids):
        time.sleep(rng.uniform(0.2, 0.5))  # land at a random point of the server's watch poll
        cpu_before = cpu_seconds(town_node.process.pid)
        hubs_before = sum(cpu_seconds(node.process.pid) for node in hubs)
        arrivals = publish_and_watch(town, body, conns)
        if len(arrivals) < len(conns):
            result.missed += 1
        if arrivals:
            result.first_hub_s.append(min(arrivals))
        if len(arrivals) == len(conns):
            result.all_hubs_s.append(max(arrivals))
        settle(town_conn, conns, hubs)
        result.town_cpu_s.append(cpu_seconds(town_node.process.pid) - cpu_before)
        result.hubs_cpu_s.append(sum(cpu_seconds(node.process.pid) for node in hubs) - hubs_before)
    for conn in [*conns, town_conn]:
        conn.close()
    return result


def copy_db(source: Path, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def publish_and_watch(town: Town, body: NoticeBody, conns: list[sqlite3.Connection]) -> list[float]:
    """Publish on the town store; seconds until each hub's database holds the notice."""
    started = time.perf_counter()
    notice_id = notices.publish(town.log, town.admin, body)
    pending = dict(enumerate(conns))
    arrivals: list[float] = []
    while pending and time.perf_counter() - started < ARRIVAL_TIMEOUT_S:
        for index, conn in list(pending.items()):
            if conn.execute("SELECT 1 FROM notices WHERE id = ?", (notice_id,)).fetchone():
                arrivals.append(time.perf_counter() - started)
                del pending[index]
        time.sleep(POLL_S)
    return arrivals


def settle(
    town: sqlite3.Connection,
    hubs: list[sqlite3.Connection],
    nodes: list[Node],
    authors: Collection[str] = (),
) -> None:
    """Wait until every hub holds exactly the town's ops, and the town holds ops by each of
    `authors` (the hubs' start-up status reports)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        target = vector_of(town)
        known = all(author in target for author in authors)
        if known and all(vector_of(hub) == target for hub in hubs):
            return
        for node in nodes:
            if node.process.poll() is not None:
                raise RuntimeError(f"{node.name} exited; see {node.log_file.name}")
        time.sleep(0.05)
    raise RuntimeError("hubs did not catch up with the town server")


# ---- 3, 4 and 6: a hub pulling a backlog (child process) -------------------------------------


@dataclass
class PullRun:
    ops: int
    pulled: int
    rounds: int
    batches: int
    seconds: float
    ingest_s: float
    pull_ms: list[float]
    baseline_kb: int
    hwm_kb: int
    helper_hwm_kb: int
    wire_up: int = 0
    wire_down: int = 0


def pull_child(home: Path, url: str, ops: int) -> PullRun:
    """Run a fresh process that opens the hub store and syncs with `url` until equal."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--pull-child", str(home), url]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"pull child failed: {done.stderr[-2000:]}")
    return PullRun(ops=ops, **json.loads(done.stdout.splitlines()[-1]))


class TimedLog(Log):
    """The hub's Log, timing what `sync_round` spends applying batches (with the pull ahead,
    `ingest_batches` also waits for batches still on their way)."""

    ingest_s = 0.0

    def ingest(
        self, ops: Iterable[RawOp], replaying_own_log: bool = False, detached: bool = False
    ) -> IngestReport:
        started = time.perf_counter()
        try:
            return super().ingest(ops, replaying_own_log, detached)
        finally:
            self.ingest_s += time.perf_counter() - started

    def ingest_batches(self, *args: Any, **kwargs: Any) -> IngestReport:
        started = time.perf_counter()
        try:
            return super().ingest_batches(*args, **kwargs)
        finally:
            self.ingest_s += time.perf_counter() - started


class TimedClient(PeerClient):
    """A PeerClient timing each pull request (server work plus transfer)."""

    pull_ms: list[float]

    def pull(self, vector: dict[str, int]) -> tuple[list[RawOp], int, bool]:
        started = time.perf_counter()
        try:
            return super().pull(vector)
        finally:
            self.pull_ms.append(1000 * (time.perf_counter() - started))


def child_main(home_path: Path, url: str) -> int:
    """The hub side of the backlog pull: the real client path (`sync_round`) in its own
    process, with the hub daemon's imports loaded so that the baseline RSS matches."""
    importlib.import_module("node.daemon")
    home = Home.open(home_path)
    identity = home.identity()
    with home.store() as store:
        log = TimedLog(store)
        client = TimedClient(url, identity, log.network_id)
        client.pull_ms = []
        baseline = status_kb("self", "VmRSS")
        started = time.perf_counter()
        rounds = pulled = batches = 0
        while rounds < 100:
            result = sync_round(log, client)
            rounds, pulled = rounds + 1, pulled + result.pulled
            batches += result.batches_in
            if result.noop:
                break
        seconds = time.perf_counter() - started
        client.close()
    report = {
        "pulled": pulled,
        "rounds": rounds,
        "batches": batches,
        "seconds": seconds,
        "ingest_s": log.ingest_s,
        "pull_ms": client.pull_ms,
        "baseline_kb": baseline,
        "hwm_kb": status_kb("self", "VmHWM"),
        "helper_hwm_kb": sum(status_kb(pid, "VmHWM") for pid in descendants(os.getpid())),
    }
    print(json.dumps(report))
    return 0


def descendants(pid: int) -> list[int]:
    """Child processes (e.g. signature-check workers), recursively."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    return found


# ---- 2 and 3: what goes over the wire --------------------------------------------------------


@dataclass
class Noop:
    equal: bool
    round_trips: int
    up: int
    down: int
    connections: int
    request: bytes
    response: bytes


def noop_sync(hub: Home, proxy: CountingProxy, network_id: str) -> Noop:
    """One sync_round between a hub and the town that hold the same ops, on a new connection,
    by a client that has said hello to the town before (as the hub daemon's has, after its
    first round)."""
    with hub.store() as store:
        client = PeerClient(proxy.url, hub.identity(), network_id)
        sync_round(Log(store), client)
        client.session.get_adapter(proxy.url).close()  # the next round on a new connection
        adapter = CountingAdapter()
        client.session.mount("http://", adapter)
        proxy.reset(record=True)
        result = sync_round(Log(store), client)
        client.close()
    time.sleep(0.05)  # let the proxy threads see the connection close
    recording = proxy.recording or {"up": bytearray(), "down": bytearray()}
    return Noop(
        result.noop,
        adapter.requests,
        proxy.up,
        proxy.down,
        proxy.connections,
        bytes(recording["up"]),
        bytes(recording["down"]),
    )


def one_stream(ops: list[RawOp]) -> int:
    """All ops' frames compressed as one zstd stream: what batching at 64 KiB gives away."""
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return len(compressor.compress(b"".join(encode_frame(op) for op in ops)))


def lower_bound(ops: list[RawOp]) -> int:
    """Each body compressed on its own (zstd, the protocol's level) plus 64 B per signature."""
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return sum(len(compressor.compress(op.body or b"")) + 64 for op in ops)


# ---- 5. the town server under many hubs ------------------------------------------------------


@dataclass
class Load:
    hubs: int
    seconds: float
    latencies: list[float]
    errors: int
    server_cpu_s: float
    client_cpu_s: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def town_load(port: int, request: bytes, scale: Scale, pid: int, keep_alive: bool) -> Load:
    """`scale.sim_hubs` simulated hubs, each with its own key and connection, sending the
    no-op hello a real PeerClient sends; at most IN_FLIGHT requests outstanding."""
    identities = [Identity.generate(f"sim-hub-{i}") for i in range(scale.sim_hubs)]
    seconds = scale.load_s if keep_alive else scale.load_s / 2
    server_cpu, client_cpu = cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    latencies, errors = asyncio.run(
        _load(port, request, len(identities), seconds, keep_alive=keep_alive)
    )
    return Load(
        len(identities),
        time.perf_counter() - started,
        latencies,
        errors,
        cpu_seconds(pid) - server_cpu,
        time.process_time() - client_cpu,
    )


async def _load(
    port: int, request: bytes, hubs: int, seconds: float, keep_alive: bool
) -> tuple[list[float], int]:
    gate = asyncio.Semaphore(IN_FLIGHT)
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    simulated = _hub_keep_alive if keep_alive else _hub_new_connections
    await asyncio.gather(
        *(simulated(port, request, gate, stop_at, latencies, errors) for _ in range(hubs))
    )
    return latencies, errors[0]


async def _hub_keep_alive(
    port: int,
    request: bytes,
    gate: asyncio.Semaphore,
    stop_at: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            async with gate:
                await _exchange(reader, writer, request, latencies, errors)
    finally:
        writer.close()


async def _hub_new_connections(
    port: int,
    request: bytes,
    gate: asyncio.Semaphore,
    stop_at: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    closing = request.replace(b"Connection: keep-alive", b"Connection: close")
    while time.perf_counter() < stop_at:
        async with gate:
            started = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await _exchange(reader, writer, closing, latencies, errors, started)
            writer.close()


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: bytes,
    latencies: list[float],
    errors: list[int],
    started: float | None = None,
) -> None:
    started = time.perf_counter() if started is None else started
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200") or b'"equal":true' not in body:
        errors[0] += 1
    latencies.append(time.perf_counter() - started)


# ---- the run ---------------------------------------------------------------------------------


@dataclass
class Results:
    scale: Scale
    propagation: Propagation | None = None
    propagation_full: Propagation | None = None
    noop: Noop | None = None
    initial: PullRun | None = None
    lower_bound: int = 0
    one_stream: int = 0
    raw_verify: float = 0.0
    load: Load | None = None
    load_new_conn: Load | None = None
    backlog: PullRun | None = None
    batch_ms: tuple[float, float] = (0.0, 0.0)
    town_hwm_kb: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    others: dict[str, float] = field(default_factory=dict)
    trouble: dict[str, int] = field(default_factory=dict)


SKIPPABLE = ("propagation", "load", "full-propagation", "backlog")


def run(work: Path, scale: Scale, skip: Collection[str] = ()) -> Results:
    results = Results(scale)
    nodes = Nodes(work)

    def phase_unless(name: str, label: str, action: Callable[[], None]) -> None:
        if name not in skip:
            phase(results, label, action)

    try:
        phase_unless("propagation", "propagation", lambda: propagate(results, work, nodes))
        town = make_town(work / "town")
        phase(results, "town load", lambda: load_notices(town, scale.notices, SEED))
        town_node = nodes.start("serve", town.home.path)
        wait_ready([town_node])
        proxy = CountingProxy(town_node.port)
        phase(results, "initial sync", lambda: initial_sync(results, work, town, town_node, proxy))
        phase_unless("load", "town under load", lambda: load_town(results, town_node))
        phase_unless(
            "full-propagation",
            "propagation, full town",
            lambda: propagate_full(results, work, nodes, town, town_node),
        )
        phase_unless("backlog", "backlog", lambda: backlog(results, work, town, town_node))
        proxy.close()
        town.store.close()
    finally:
        nodes.stop_all()
        results.trouble = nodes.trouble
    return results


def phase(results: Results, name: str, action: Callable[[], None]) -> None:
    """Run one measure; a failure is reported and the run goes on with the others."""
    print(f"{time.strftime('%H:%M:%S')} {name} (load average {load_average()})", flush=True)
    started, before = time.perf_counter(), cpu_snapshot()
    try:
        action()
    except Exception:
        print(f"{name} failed:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
    results.timings[name] = time.perf_counter() - started
    results.others[name] = others_share(before, cpu_snapshot(), results.timings[name])


def propagate(results: Results, work: Path, nodes: Nodes) -> None:
    """On a new town that holds little more than the hubs' grants."""
    town = make_town(work / "small-town")
    town_node = nodes.start("serve", town.home.path)
    try:
        wait_ready([town_node])
        results.propagation = propagation(work, nodes, results.scale, town, town_node, None)
    finally:
        nodes.stop([town_node])
        town.store.close()


def propagate_full(results: Results, work: Path, nodes: Nodes, town: Town, town_node: Node) -> None:
    """On the town with the initial-sync notices; hubs start from a copy of a synced store."""
    seed_db = work / "new-hub" / "dorfhub.db"
    results.propagation_full = propagation(work, nodes, results.scale, town, town_node, seed_db)


def initial_sync(
    results: Results, work: Path, town: Town, town_node: Node, proxy: CountingProxy
) -> None:
    hub = enroll_hub(town, work / "new-hub", "Neuer Hub", town_node.url)
    ops = list(town.log.ops_missing_from({}))
    proxy.reset()
    run = pull_child(hub.path, proxy.url, len(ops))
    run.wire_up, run.wire_down = proxy.up, proxy.down
    results.initial = run
    results.lower_bound = lower_bound(ops)
    results.one_stream = one_stream(ops)
    admin_ops = [op for op in ops if decode_header(op.header).author == town.admin.key_id]
    results.raw_verify = raw_verify_rate(admin_ops[-5000:])
    results.noop = noop_sync(hub, proxy, town.network_id)


def load_town(results: Results, town_node: Node) -> None:
    if results.noop is None:
        raise RuntimeError("no captured no-op request to replay (the initial sync failed)")
    request = results.noop.request
    proxy_host = request.split(b"Host: ")[1].split(b"\r\n")[0]
    request = request.replace(proxy_host, f"127.0.0.1:{town_node.port}".encode())
    pid = town_node.process.pid
    results.load = town_load(town_node.port, request, results.scale, pid, keep_alive=True)
    results.load_new_conn = town_load(town_node.port, request, results.scale, pid, False)


def backlog(results: Results, work: Path, town: Town, town_node: Node) -> None:
    load_notices(town, results.scale.backlog - results.scale.notices, SEED + 1)
    hub = enroll_hub(town, work / "backlog-hub", "Rückstand", town_node.url)
    total = town.op_count()
    results.batch_ms = first_batch_ms(town)
    results.backlog = pull_child(hub.path, town_node.url, total)
    results.town_hwm_kb = status_kb(town_node.process.pid, "VmHWM")


def first_batch_ms(town: Town) -> tuple[float, float]:
    """What the server spends building one pull answer for a new hub and for a hub that
    lacks only the newest ops (the same function the /v1/pull handler runs)."""
    nearly_all = town.log.version_vector()
    nearly_all[town.admin.key_id] -= 100
    times = []
    for vector in ({}, nearly_all):
        started = time.perf_counter()
        first_batch(town.store, vector, public_only=False)
        times.append(1000 * (time.perf_counter() - started))
    return times[0], times[1]


# ---- the table -------------------------------------------------------------------------------


def rows(r: Results) -> list[Row]:
    return [
        *propagation_rows(r),
        *noop_rows(r),
        *initial_rows(r),
        *load_rows(r),
        *backlog_rows(r),
        *goal_rows(r),
    ]


def goal_rows(r: Results) -> list[Row]:
    """Issue 20's goals for sync, each beside its figure of this run (bench/goals.py)."""
    p, n, i, load = r.propagation, r.noop, r.initial, r.load
    p95 = percentile(p.all_hubs_s, 0.95) if p and p.all_hubs_s and not p.missed else None
    hubs = f"{p.hubs} hubs" if p else "hubs"
    ratio = i.pulled / i.seconds / r.raw_verify if i and r.raw_verify else None
    return [
        goal_row(
            f"goal (issue 20): notice propagation to {hubs} on loopback, p95",
            ms(p95) if p95 is not None else None,
            f"< {ms(PROPAGATION_P95_GOAL_S)} (20 hubs)",
            None if p95 is None or p is None else p95 < PROPAGATION_P95_GOAL_S and p.hubs >= 20,
        ),
        goal_row(
            "goal (issue 20): no-op sync bytes hub → town / town → hub",
            f"{n.up} / {n.down} B, {n.round_trips} round trip(s)" if n else None,
            f"< {NOOP_BYTES_GOAL_20} B each way, 1 round trip",
            None
            if n is None
            else max(n.up, n.down) < NOOP_BYTES_GOAL_20 and n.round_trips == 1 and n.equal,
        ),
        goal_row(
            "goal (issue 20): initial sync apply rate / raw Ed25519 verify",
            f"{ratio:.2f}" if ratio is not None else None,
            f">= {APPLY_RATIO_GOAL}",
            None if ratio is None else ratio >= APPLY_RATIO_GOAL,
        ),
        goal_row(
            f"goal (issue 20): town no-op syncs/s, {r.scale.sim_hubs} hubs, keep-alive",
            f"{load.rate:,.0f} /s" if load else None,
            f"> {NOOP_RATE_GOAL_20:,.0f} /s",
            None if load is None else load.rate > NOOP_RATE_GOAL_20 and not load.errors,
        ),
    ]


def propagation_rows(r: Results) -> list[Row]:
    rows_: list[Row] = []
    for p in (r.propagation, r.propagation_full):
        if p is not None:
            rows_ += propagation_of(p, main=p is r.propagation)
    return rows_


def propagation_of(p: Propagation, main: bool) -> list[Row]:
    where = f"{p.hubs} hubs, town with {p.town_ops:,} ops"
    missed = f", {p.missed} of {p.missed + len(p.all_hubs_s)} missed" if p.missed else ""
    p95 = percentile(p.all_hubs_s, 0.95) if p.all_hubs_s else float("inf")
    rows_ = [
        Row(
            f"propagation to all {where}: median / p95{missed}",
            f"{ms_of(p.all_hubs_s)} / {ms(p95)}",
            f"p95 < {PROPAGATION_GOAL_S:.0f} s",
            verdict(p95 < PROPAGATION_GOAL_S and not p.missed),
        ),
        Row("  to the first hub: median", ms_of(p.first_hub_s), "—", "—"),
        Row(
            "  town server CPU per publish, until all hubs settled (mean)",
            mean_ms(p.town_cpu_s),
            "—",
            "—",
        ),
        Row(
            f"  CPU of all {p.hubs} hub daemons per publish (mean)", mean_ms(p.hubs_cpu_s), "—", "—"
        ),
    ]
    if main and p.hub_hwm_kb:
        hwm = statistics.median(p.hub_hwm_kb) / 1024
        rows_.append(Row("  hub daemon peak RSS afterwards (median)", f"{hwm:.0f} MB", "—", "—"))
    return rows_


def noop_rows(r: Results) -> list[Row]:
    n = r.noop
    if n is None:
        return []
    ok = n.equal and n.round_trips <= NOOP_ROUND_TRIPS_GOAL
    return [
        Row(
            f"no-op sync: round trips (new connections: {n.connections})"
            + ("" if n.equal else " (digests differed!)"),
            str(n.round_trips),
            str(NOOP_ROUND_TRIPS_GOAL),
            verdict(ok),
        ),
        Row(
            "no-op sync: bytes hub → town",
            f"{n.up:,} B",
            f"< {NOOP_BYTES_GOAL} B",
            verdict(n.up < NOOP_BYTES_GOAL),
        ),
        Row(
            "no-op sync: bytes town → hub",
            f"{n.down:,} B",
            f"< {NOOP_BYTES_GOAL} B",
            verdict(n.down < NOOP_BYTES_GOAL),
        ),
    ]


def initial_rows(r: Results) -> list[Row]:
    i = r.initial
    if i is None:
        return []
    wire = i.wire_up + i.wire_down
    ratio = wire / r.lower_bound
    rate = i.pulled / i.seconds
    ingest_rate = i.pulled / i.ingest_s
    return [
        Row(
            f"initial sync, {i.ops:,} ops ({r.scale.notices:,} notices): time",
            f"{i.seconds:.1f} s",
            "—",
            "—",
        ),
        Row(
            f"initial sync wire bytes ({i.batches} batches): to hub / from hub",
            f"{i.wire_down / 1e6:.2f} MB / {i.wire_up / 1e3:.0f} kB",
            f"lower bound {r.lower_bound / 1e6:.2f} MB",
            "—",
        ),
        Row(
            "wire bytes / lower bound",
            f"{ratio:.2f}",
            f"< {WIRE_RATIO_GOAL}",
            verdict(ratio < WIRE_RATIO_GOAL),
        ),
        Row(
            "  all ops as one zstd stream, no HTTP (diagnostic)",
            f"{r.one_stream / 1e6:.2f} MB",
            "—",
            "—",
        ),
        Row(
            "apply rate, whole initial sync",
            f"{rate:,.0f} ops/s",
            f"raw verify {r.raw_verify:,.0f} ops/s",
            "—",
        ),
        Row(
            "apply rate inside Log.ingest only",
            f"{ingest_rate:,.0f} ops/s",
            f"raw verify {r.raw_verify:,.0f} ops/s",
            "—",
        ),
        Row("apply rate / raw verify", f"{rate / r.raw_verify:.3f}", "—", "—"),
    ]


def load_rows(r: Results) -> list[Row]:
    rows_: list[Row] = []
    for load, label in ((r.load, "keep-alive"), (r.load_new_conn, "new connection each")):
        if load is None:
            continue
        errors = f", {load.errors} errors" if load.errors else ""
        head = f"town: no-op syncs/s, {load.hubs} hubs, {IN_FLIGHT} in flight, {label}{errors}"
        keep = label == "keep-alive"
        rows_ += [
            Row(
                head,
                f"{load.rate:,.0f} /s",
                f">= {NOOP_RATE_GOAL:.0f} /s" if keep else "—",
                verdict(load.rate >= NOOP_RATE_GOAL) if keep else "—",
            ),
            Row(
                f"town: no-op latency median / p95, {label}",
                f"{ms(statistics.median(load.latencies))} / {ms(percentile(load.latencies, 0.95))}",
                "—",
                "—",
            ),
        ]
        if keep:
            rows_.append(cpu_row(load))
    return rows_


def cpu_row(load: Load) -> Row:
    per_sync = 1e6 * load.server_cpu_s / max(1, len(load.latencies))
    busy = 100 * load.server_cpu_s / load.seconds
    client = 100 * load.client_cpu_s / load.seconds
    return Row(
        "town CPU per no-op sync (server busy / load generator busy)",
        f"{per_sync:,.0f} µs",
        f"{busy:.0f} % / {client:.0f} % of a core",
        "—",
    )


def backlog_rows(r: Results) -> list[Row]:
    big, small = r.backlog, r.initial
    if big is None or small is None:
        return []
    big_mb, small_mb = big.hwm_kb / 1024, small.hwm_kb / 1024
    growth = (big.hwm_kb - small.hwm_kb) / small.hwm_kb
    helpers = f" (+ {big.helper_hwm_kb / 1024:.0f} MB in helpers)" if big.helper_hwm_kb else ""
    return [
        Row(
            f"hub peak RSS pulling {big.ops:,} ops{helpers}",
            f"{big_mb:.0f} MB",
            f"< {RSS_GOAL_MB:.0f} MB",
            verdict(big_mb < RSS_GOAL_MB),
        ),
        Row(
            f"hub peak RSS pulling {small.ops:,} ops (before: {small.baseline_kb / 1024:.0f} MB)",
            f"{small_mb:.0f} MB",
            "—",
            "—",
        ),
        Row(
            f"peak RSS growth {small.ops:,} → {big.ops:,} ops",
            f"{100 * growth:+.0f} %",
            f"flat (within {100 * FLAT_TOLERANCE:.0f} %)",
            verdict(abs(growth) <= FLAT_TOLERANCE),
        ),
        Row(
            f"backlog pull, {big.ops:,} ops: time / rate",
            f"{big.seconds:.0f} s / {big.pulled / big.seconds:,.0f} ops/s",
            "—",
            "—",
        ),
        Row(
            f"pull request, first / last {PULL_SAMPLE} of {len(big.pull_ms)}",
            f"{median_ms(big.pull_ms[:PULL_SAMPLE])} / {median_ms(big.pull_ms[-PULL_SAMPLE:])}",
            "—",
            "—",
        ),
        Row(
            "server: one pull answer for a new / an almost-equal hub",
            f"{r.batch_ms[0]:.0f} / {r.batch_ms[1]:.0f} ms",
            "—",
            "—",
        ),
        Row(
            f"town server peak RSS, {big.ops:,} ops served",
            f"{r.town_hwm_kb / 1024:.0f} MB",
            "—",
            "—",
        ),
    ]


def ms(seconds: float) -> str:
    return f"{1000 * seconds:,.0f} ms"


def mean_ms(seconds: list[float]) -> str:
    """CPU times tick in 10 ms steps: a mean over the publishes resolves them better."""
    return ms(statistics.fmean(seconds)) if seconds else "—"


def ms_of(seconds: list[float]) -> str:
    return ms(statistics.median(seconds)) if seconds else "—"


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ms" if values else "—"


def wire_sample(noop: Noop) -> str:
    """The no-op exchange as it went over the wire, for the eye."""
    lines = ["No-op sync on the wire (hub → town, then town → hub):", "```"]
    for raw in (noop.request, noop.response):
        lines += [raw.decode("latin-1").replace("\r\n", "\n").rstrip("\n"), ""]
    return "\n".join([*lines[:-1], "```"])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--pull-child"]:
        return child_main(Path(args[1]), args[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (under a minute)")
    parser.add_argument("--hubs", type=int, help="hub daemons for the propagation measure")
    parser.add_argument("--backlog", type=int, help="ops for the hub memory measure")
    parser.add_argument("--notices", type=int, help="notices of the town for the initial sync")
    parser.add_argument(
        "--skip",
        action="append",
        choices=SKIPPABLE,
        default=[],
        help="leave out a measure (repeatable), for a shorter run while iterating",
    )
    options = parser.parse_args(args)
    scale = QUICK if options.quick else FULL
    scale = Scale(
        hubs=options.hubs or scale.hubs,
        repeats=scale.repeats,
        notices=options.notices or scale.notices,
        sim_hubs=scale.sim_hubs,
        load_s=scale.load_s,
        backlog=max((options.notices or scale.notices) + 1, options.backlog or scale.backlog),
    )
    print(f"Machine: {machine_line()}")
    print(f"Scale: {scale}\n")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dorfhub-bench-sync-") as directory:
        results = run(Path(directory), scale, options.skip)
    print()
    print(table(rows(results)))
    if results.noop is not None:
        print()
        print(wire_sample(results.noop))
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in results.timings.items())
    print(f"\nPhases: {phases}")
    others = ", ".join(f"{name} {100 * share:.0f} %" for name, share in results.others.items())
    print(f"CPU used by other processes (share of the machine): {others}")
    print(f"Load average at the end: {load_average()}")
    for line, count in sorted(results.trouble.items(), key=lambda item: -item[1]):
        print(f"Node log, {count}x: {line}")
    print(f"Total run time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
