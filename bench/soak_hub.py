"""The simulated hubs of bench/soak.py: one worker process runs a share of them, a thread each.

bench/soak.py starts `python bench/soak_hub.py SETTINGS INCARNATION` and kills it with SIGKILL
now and then, which kills its hubs mid-flight (mid-append, mid-pull, mid-push, mid-long-poll);
the next incarnation resumes every hub from its SQLite file. Each hub runs the real client path
(`sync.client.sync_round`, `PeerClient.wait`) from a loopback address of its own.

What happens is written to an events file, one JSON array a line, with `os.write` on an
O_APPEND descriptor: a line is written whole by one system call, so a SIGKILL loses only what
had not been written yet, never half a line. A committed op is journalled only after its
transaction returned, so the journal may miss an op a kill interrupted, but never lists an op
that was not committed.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import repo_first  # noqa: F401  (before any package: puts them ahead of bench/)

from content.bodies import encode_body
from content.identity import Identity
from content.limits import WAIT_SECONDS
from content.log import AppendRefused, Log
from content.ops import RawOp
from node.home import Home
from sync.client import Hello, PeerClient, PeerError, PushAnswer, WaitAnswer, sync_round
from sync.deadline import DeadlineAdapter, SocketRegistry

T = TypeVar("T")

# The hub daemon's backoff starts at 0.5 s and doubles; it stops at 60 s there, here at 8 s so
# that a hub that hit a busy server comes back within the settle phase.
MAX_BACKOFF_S = 8.0
# Long-polls in the settle phase are short, so a hub sees the stop signal soon.
CALM_WAIT_S = 2.0
# Shorter than this until the hub's next op is due: author first, then wait.
MIN_WAIT_S = 0.05
# The first incarnation spreads its hubs' start over this, as hubs do not all boot at once;
# a restarted worker brings its hubs back together, like a power cut ending.
START_SPREAD_S = 5.0
CONTROL_POLL_S = 0.2
# Hubs in a long-poll may wait up to 25 s; what they hold is in SQLite, so the worker need not
# wait for them: a hub mid-write at exit is no worse off than one killed by the chaos.
JOIN_S = 3.0


@dataclass(frozen=True)
class Behaviour:
    """How often a hub does what (the same for every hub of a run)."""

    op_every_s: float  # mean seconds between a hub's own authoring
    burst_p: float  # chance that an authoring is a burst (a hub back from days offline)
    burst_ops: tuple[int, int]
    drop_p: float  # chance per round of dropping the connection afterwards
    cut_p: float  # chance per long-poll that the link drops in the middle of it


@dataclass(frozen=True)
class HubPlan:
    index: int
    home: str
    source: str  # the loopback address the hub connects from


class Recorder:
    """The worker's events file; thread-safe because each line is one write(2)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def add(self, *fields: object) -> None:
        os.write(self.fd, (json.dumps(fields, separators=(",", ":")) + "\n").encode())


class BoundAdapter(DeadlineAdapter):
    """The client's own adapter (its sockets known to the client's deadline watchdog), but
    connecting from one loopback address: the server counts connections per client address,
    and real hubs each have their own."""

    def __init__(self, registry: SocketRegistry, source: str) -> None:
        self.source = source  # read by init_poolmanager, which HTTPAdapter.__init__ calls
        super().__init__(registry)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


class SoakClient(PeerClient):
    """A PeerClient from its own address that records how long each request took."""

    def __init__(
        self, url: str, identity: Identity, network_id: str, source: str, recorder: Recorder
    ) -> None:
        super().__init__(url, identity, network_id)
        self.session.mount("http://", BoundAdapter(self.sockets, source))
        self.recorder = recorder

    def hello(self, digest: str) -> Hello:
        return self._timed("hello", lambda: PeerClient.hello(self, digest))

    def pull(self, vector: dict[str, int]) -> tuple[list[RawOp], int, bool]:
        return self._timed("pull", lambda: PeerClient.pull(self, vector))

    def vector(self) -> dict[str, int]:
        return self._timed("vector", lambda: PeerClient.vector(self))

    def push(self, batch: bytes) -> PushAnswer:
        return self._timed("push", lambda: PeerClient.push(self, batch))

    def wait_cut(self, digest: str, timeout: float, cut_after: float) -> str:
        """A long-poll whose link drops after `cut_after` seconds: the client gives up in the
        middle of the request and closes the connection under the server's waiting handler."""
        params = {"digest": digest, "timeout": timeout}
        answer = self._send("GET", "/wait", params=params, read_timeout=cut_after)
        return answer.decode(WaitAnswer, self.url).digest

    def _timed(self, kind: str, call: Callable[[], T]) -> T:
        started = time.monotonic()
        try:
            result = call()
        except PeerError as exc:
            ended = time.monotonic()
            self.recorder.add("E", kind, round(ended - started, 5), short(exc), ended)
            raise
        ended = time.monotonic()
        self.recorder.add("L", kind, round(ended - started, 5), ended)
        return result


def short(exc: Exception) -> str:
    """An error without the server's URL (its port differs from run to run)."""
    return str(exc).split(": ", 1)[-1][:120]


@dataclass
class Control:
    stop: threading.Event
    calm: threading.Event  # settle phase: no more authoring, no more chaos


class SimHub(threading.Thread):
    """One simulated hub: author now and then, sync, long-poll, drop the link at random."""

    def __init__(
        self,
        plan: HubPlan,
        settings: dict[str, Any],
        behaviour: Behaviour,
        recorder: Recorder,
        control: Control,
        seed: str,
    ) -> None:
        super().__init__(name=f"hub-{plan.index}", daemon=True)
        self.plan = plan
        self.url: str = settings["url"]
        self.admin: str = settings["admin"]
        self.first_start: bool = settings["incarnation"] == 0
        self.behaviour = behaviour
        self.recorder = recorder
        self.control = control
        self.rng = random.Random(seed)
        self.identity: Identity | None = None
        self.network_id = ""
        self.client: SoakClient | None = None

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            # A hub that dies of an exception is a finding (the client path crashed), not noise.
            self.recorder.add("X", self.plan.index, traceback.format_exc()[-2000:])

    def _run(self) -> None:
        if self.first_start and self.control.stop.wait(self.rng.uniform(0, START_SPREAD_S)):
            return
        home = Home.open(Path(self.plan.home))
        self.identity = home.identity()
        with home.store() as store:
            log = Log(store)
            self.network_id = log.network_id
            client = self._reconnect()
            next_op = self._next_op()
            failures = 0
            while not self.control.stop.is_set():
                if not self.control.calm.is_set() and time.monotonic() >= next_op:
                    self._author(log)
                    next_op = self._next_op()
                if not self._round(log, client):
                    failures += 1
                    self.control.stop.wait(min(MAX_BACKOFF_S, 0.5 * 2 ** (failures - 1)))
                    client = self._reconnect()
                    continue
                failures = 0
                if not self.control.calm.is_set() and self.rng.random() < self.behaviour.drop_p:
                    self.recorder.add("D", self.plan.index)
                    client = self._reconnect()
                client = self._long_poll(log, client, next_op)
            client.close()

    def _reconnect(self) -> SoakClient:
        """A new session (and so a new TCP connection); the old one is closed."""
        if self.client is not None:
            self.client.close()
        assert self.identity is not None
        self.client = SoakClient(
            self.url, self.identity, self.network_id, self.plan.source, self.recorder
        )
        return self.client

    def _next_op(self) -> float:
        return time.monotonic() + self.rng.expovariate(1 / self.behaviour.op_every_s)

    def _author(self, log: Log) -> None:
        """hub.status ops, as the daemon writes them; each journalled once committed."""
        assert self.identity is not None
        low, high = self.behaviour.burst_ops
        count = self.rng.randint(low, high) if self.rng.random() < self.behaviour.burst_p else 1
        conn = log.store.conn
        for _ in range(count):
            body = {
                "name": f"Soak {self.plan.index:03d}",
                "software": "bench/soak.py",
                "ops": log.count(),
                "clock_skew_s": 0,
                "clock_suspect": False,
                "quarantined": [],
            }
            try:
                op_id = log.append(
                    self.identity, "hub.status", self.identity.key_id, encode_body(body)
                )
            except AppendRefused as exc:
                # Until a round has brought the hub its own grant, as the daemon finds too.
                self.recorder.add("R", self.plan.index, str(exc)[:120])
                return
            seq = conn.execute("SELECT seq FROM ops WHERE id = ?", (op_id,)).fetchone()[0]
            self.recorder.add("O", self.identity.key_id, seq, op_id)

    def _round(self, log: Log, client: SoakClient) -> bool:
        """One sync_round; notes when the admin's notices arrived (for the propagation delay)."""
        before = self._admin_seq(log)
        try:
            result = sync_round(log, client)
        except PeerError:
            return False  # recorded by the client
        if result.noop:
            self.recorder.add("N", self.plan.index)
        after = self._admin_seq(log)
        if after > before:
            self.recorder.add("A", self.plan.index, before, after, time.monotonic())
        if result.rejected:
            self.recorder.add("J", self.plan.index, result.rejected[:5])
        if result.batches_in > 1 or result.batches_out > 1:
            self.recorder.add("B", result.batches_in, result.batches_out)
        return True

    def _admin_seq(self, log: Log) -> int:
        row = log.store.conn.execute(
            "SELECT seq FROM versions WHERE author = ?", (self.admin,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _long_poll(self, log: Log, client: SoakClient, next_op: float) -> SoakClient:
        """Wait on the server's digest until it changes or our next op is due."""
        digest = log.digest()
        while not self.control.stop.is_set():
            calm = self.control.calm.is_set()
            left = CALM_WAIT_S if calm else next_op - time.monotonic()
            if left < MIN_WAIT_S:
                return client
            timeout = min(WAIT_SECONDS, left)
            cut = not calm and self.rng.random() < self.behaviour.cut_p
            started = time.monotonic()
            try:
                if cut:
                    new = client.wait_cut(digest, timeout, self.rng.uniform(0.05, timeout))
                else:
                    new = client.wait(digest, timeout)
            except PeerError as exc:
                ended = time.monotonic()
                if cut and "ReadTimeout" in str(exc):
                    self.recorder.add("C", self.plan.index, ended)
                else:
                    self.recorder.add("E", "wait", round(ended - started, 5), short(exc), ended)
                return self._reconnect()
            self.recorder.add("W", self.plan.index, started, time.monotonic(), new != digest)
            if new != digest:
                return client
        return client


def behaviour_of(settings: dict[str, Any]) -> Behaviour:
    data = dict(settings["behaviour"])
    data["burst_ops"] = tuple(data["burst_ops"])
    return Behaviour(**data)


def main(argv: list[str]) -> int:
    settings_path, incarnation = Path(argv[0]), int(argv[1])
    settings = json.loads(settings_path.read_text()) | {"incarnation": incarnation}
    # Ctrl+C reaches the whole process group; the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = Control(threading.Event(), threading.Event())
    signal.signal(signal.SIGTERM, lambda *_: control.stop.set())
    recorder = Recorder(Path(settings["events"]))
    recorder.add("S", settings["worker"], incarnation, time.monotonic())
    behaviour = behaviour_of(settings)
    hubs = [
        SimHub(
            HubPlan(**plan),
            settings,
            behaviour,
            recorder,
            control,
            f"{settings['seed']}-{plan['index']}-{incarnation}",
        )
        for plan in settings["hubs"]
    ]
    for hub in hubs:
        hub.start()
    watch(control, Path(settings["calm_file"]), os.getppid())
    deadline = time.monotonic() + JOIN_S
    for hub in hubs:
        hub.join(timeout=max(0.0, deadline - time.monotonic()))
    recorder.add("Q", settings["worker"], incarnation, time.monotonic())
    return 0


def watch(control: Control, calm_file: Path, parent: int) -> None:
    """Until SIGTERM: follow the parent's calm file; stop if the parent is gone."""
    while not control.stop.wait(CONTROL_POLL_S):
        if calm_file.exists():
            control.calm.set()
        if os.getppid() != parent:
            control.stop.set()


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main(sys.argv[1:]))
