"""Soak run: a town server and 200 simulated hubs on 127.0.0.1 for some minutes, with chaos.

Run from the repository root: `.venv/bin/python bench/soak.py [--minutes 10] [--quick]`, or
`make soak`. A real `dorfhub serve` serves the town; the hubs run the real client path in worker
processes (bench/soak_hub.py) that are killed with SIGKILL and restarted; the town's admin
publishes notices meanwhile. At the end the hubs settle, and every node's log is checked against
every other and against what was committed (bench/soak_audit.py).

Timings and memory are only reported. The run exits 1 if an op was lost or stored twice, if the
nodes did not converge, or if `dorfhub log verify` fails: those are correctness failures.
Everything lives in a temporary directory; every process is stopped at the end, also on Ctrl+C.
See bench/README.md ("Soak run") for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import FrameType

from oplog import Row, make_notices, percentile, table, verdict
from oplog import machine as machine_line
from repo_first import REPO  # before any package: puts them ahead of this directory
from soak_audit import Audit, Events, Publish, audit, dropped, node_digest, read_events, wake_delays
from soak_audit import read_only as read_only_db

from content import notices
from content.bodies import NoticeBody
from content.clock import wall_clock_ms
from content.grants import grant
from content.identity import Identity
from content.log import Log
from content.store import Store
from node.home import Home
from node.listen import wait_for_ready_file
from node.setup import init_network, init_node

SEED = 20261127
GROUP = "Ilzer Land"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
LOOP_TICK_S = 0.1
SETTLE_POLL_S = 1.0
# Chaos: a hub's authoring is a burst now and then (a hub back after days offline), and so is
# an admin's publish (a bulk import). About 300 status ops or 200 notices fill a 64 KiB batch,
# so bursts make pushes and pulls span several batches, and a kill can land between two.
HUB_BURST_P = 0.01
HUB_BURST_OPS = (300, 1000)
DROP_P = 0.05
CUT_P = 0.05
NOTICE_BURST_P = 0.05
NOTICE_BURST = (200, 600)
RESTART_AFTER_S = (1.0, 5.0)
# The first part of the chaos phase is warm-up (every hub pulls the grants, the nonce book and
# the caches fill); the flatness verdict compares the last third of the rest with its first.
WARM_UP_SHARE = 0.2
FLAT_TOLERANCE = 0.10
FLAT_FDS = 20  # descriptors come and go with connections: a few dozen are not a trend
LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Scale:
    minutes: float
    hubs: int
    workers: int
    op_every_s: float  # mean seconds between a hub's own ops
    notice_every_s: float  # mean seconds between the admin's publishes
    kill_every_s: float  # mean seconds between two SIGKILLs of a worker
    sample_every_s: float
    settle_s: float  # the most the hubs get to converge at the end


FULL = Scale(10, 200, 8, 300.0, 15.0, 30.0, 10.0, 300.0)
QUICK = Scale(1, 40, 4, 30.0, 5.0, 10.0, 3.0, 120.0)


# ---- processes -------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: it gets SIGTERM if this process dies, even by SIGKILL.
    LIBC is loaded before any fork (no dlopen between fork and exec)."""
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )


def stop(process: subprocess.Popen[bytes] | None, name: str) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"warning: {name} ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s; killed")
        process.kill()
        process.wait()


@dataclass
class Server:
    home: Path
    log: Path
    process: subprocess.Popen[bytes]
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.home / "dorfhub.db"


def start_server(home: Path, logs: Path) -> Server:
    """`dorfhub serve` on a port it picks itself, learnt from its ready file."""
    ready = logs / "server.ready"
    argv = [sys.executable, "-m", "node.cli", "serve", "--home", str(home)]
    argv += ["--host", "127.0.0.1", "--port", "0", "--ready-file", str(ready)]
    server = Server(home, logs / "server.log", spawn(argv, logs / "server.log"))
    try:
        server.port = wait_for_ready_file(ready, server.process, READY_TIMEOUT_S).port
    except RuntimeError as exc:
        stop(server.process, "server")
        raise RuntimeError(f"the town server did not start ({exc}); see {server.log}") from None
    return server


@dataclass
class Worker:
    """One process of simulated hubs; killed with SIGKILL and started again by the chaos."""

    index: int
    settings: Path
    log: Path
    hubs: int
    process: subprocess.Popen[bytes] | None = None
    incarnation: int = -1
    killed: int = 0
    crashed: int = 0

    def start(self) -> None:
        self.incarnation += 1
        script = str(REPO / "bench" / "soak_hub.py")
        argv = [sys.executable, script, str(self.settings), str(self.incarnation)]
        self.process = spawn(argv, self.log)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.killed += 1

    def stop(self) -> None:
        stop(self.process, f"worker {self.index}")


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuClock:
    """CPU seconds so far: the machine's busy time, this process's, its children's (reaped
    ones, every killed worker, through os.times; running ones from /proc), the server's."""

    wall: float
    machine: float
    bench: float
    children: float
    server: float

    @classmethod
    def read(cls, server_pid: int) -> CpuClock:
        times = os.times()
        children = times.children_user + times.children_system
        pid = os.getpid()
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            with contextlib.suppress(OSError):
                children += cpu_seconds(int(child))
        return cls(
            time.monotonic(),
            machine_cpu(),
            times.user + times.system,
            children,
            cpu_seconds(server_pid),
        )


@dataclass(frozen=True)
class CpuShares:
    """Where the CPU went, each in shares of one core (the machine has os.cpu_count())."""

    server: float
    workers: float
    bench: float
    others: float

    @classmethod
    def between(cls, a: CpuClock, b: CpuClock) -> CpuShares:
        wall = max(1e-9, b.wall - a.wall)
        server = b.server - a.server
        workers = (b.children - a.children) - server
        bench = b.bench - a.bench
        others = (b.machine - a.machine) - (b.children - a.children) - bench
        return cls(server / wall, workers / wall, bench / wall, max(0.0, others) / wall)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, with its children it has reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---- the network -----------------------------------------------------------------------------


@dataclass
class Town:
    home: Home
    admin: Identity
    store: Store

    @property
    def log(self) -> Log:
        return Log(self.store)


def make_town(work: Path, hubs: int, seed: int) -> tuple[Town, list[dict[str, object]]]:
    """The town (root, admin, server key) and `hubs` hub homes whose keys the admin granted."""
    home = init_network(work / "town", GROUP)
    town = Town(home, home.identity("admin.key"), home.store())
    network_id = town.log.network_id
    plans: list[dict[str, object]] = []
    for index in range(hubs):
        name = f"Soak {index:03d}"
        hub_home, identity = init_node(work / "hubs" / f"{index:03d}", "hub", name, network_id)
        grant(town.log, town.admin, identity.public, "hub", name, groups=[GROUP])
        plans.append({"index": index, "home": str(hub_home.path), "source": source(index)})
    random.Random(seed).shuffle(plans)  # a killed worker takes hubs from all over the list
    return town, plans


def source(index: int) -> str:
    """Hub `index`'s own loopback address (127.0.1.1, 127.0.1.2, …; all of 127/8 is local),
    clear of 127.0.0.x, where the server listens."""
    return f"127.0.{1 + index // 250}.{index % 250 + 1}"


def worker_settings(
    work: Path, scale: Scale, town: Town, server: Server, plans: list[dict[str, object]]
) -> list[Worker]:
    workers = []
    behaviour = {
        "op_every_s": scale.op_every_s,
        "burst_p": HUB_BURST_P,
        "burst_ops": list(HUB_BURST_OPS),
        "drop_p": DROP_P,
        "cut_p": CUT_P,
    }
    for index in range(scale.workers):
        share = plans[index :: scale.workers]
        settings = {
            "worker": index,
            "url": server.url,
            "admin": town.admin.key_id,
            "seed": SEED,
            "hubs": share,
            "behaviour": behaviour,
            "calm_file": str(work / "calm"),
            "events": str(work / "events" / f"worker-{index}.jsonl"),
        }
        path = work / f"worker-{index}.json"
        path.write_text(json.dumps(settings))
        workers.append(Worker(index, path, work / "logs" / f"worker-{index}.log", len(share)))
    return workers


class Publisher:
    """The town's admin, publishing on the town's store as `dorfhub notice publish` does."""

    def __init__(self, town: Town, seed: int) -> None:
        self.town = town
        self.rng = random.Random(seed)
        self.bodies = self._bodies(seed)
        self.publishes: list[Publish] = []  # single notices, for the wake-up delays
        self.committed: list[tuple[str, int, str]] = []
        self.bursts = 0

    def _bodies(self, seed: int) -> Iterator[NoticeBody]:
        hubs = [Identity.generate(f"hub-{i}").key_id for i in range(4)]
        part = 0
        while True:
            yield from make_notices(500, seed + part, wall_clock_ms(), hubs)
            part += 1

    def publish(self) -> None:
        if self.rng.random() < NOTICE_BURST_P:
            self.bursts += 1
            for _ in range(self.rng.randint(*NOTICE_BURST)):
                self._one()
            return
        at = time.monotonic()
        seq = self._one()
        self.publishes.append(Publish(seq, at))

    def _one(self) -> int:
        log, admin = self.town.log, self.town.admin
        notices.publish(log, admin, next(self.bodies))
        seq, op_id = self.town.store.conn.execute(
            "SELECT seq, head FROM versions WHERE author = ?", (admin.key_id,)
        ).fetchone()
        self.committed.append((admin.key_id, int(seq), str(op_id)))
        return int(seq)


# ---- the run ---------------------------------------------------------------------------------


@dataclass
class Sample:
    at: float  # time.monotonic()
    t: float  # seconds since the chaos began
    rss_kb: int
    fds: int
    sockets: int
    threads: int
    ops: int
    hubs_up: int
    calm: bool


@dataclass
class Results:
    scale: Scale
    samples: list[Sample] = field(default_factory=list)
    settle_s: float | None = None  # None: the hubs did not converge within scale.settle_s
    chaos_s: float = 0.0
    cpu: CpuShares | None = None
    verify: dict[str, str] = field(default_factory=dict)
    audit: Audit | None = None
    events: Events | None = None
    publishes: list[Publish] = field(default_factory=list)
    notice_bursts: int = 0
    notices: int = 0
    kills: int = 0
    restarts: int = 0
    hubs_killed: int = 0
    crashed_workers: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    server_log: dict[str, int] = field(default_factory=dict)
    load_at_start: str = ""


class Soak:
    def __init__(self, work: Path, scale: Scale, seed: int) -> None:
        self.work = work
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.results = Results(scale)
        self.server: Server | None = None
        self.workers: list[Worker] = []
        self.restarts: list[tuple[float, Worker]] = []
        self.committed: list[tuple[str, int, str]] = []  # the admin's ops
        self.started = 0.0

    def run(self) -> Results:
        for folder in ("logs", "events", "hubs"):
            (self.work / folder).mkdir()
        self.results.load_at_start = load_average()
        say(f"making the town and {self.scale.hubs} hubs")
        town, plans = make_town(self.work, self.scale.hubs, self.seed)
        try:
            self._run(town, plans)
        finally:
            self._stop_all()
            town.store.close()
        self._check()
        return self.results

    def _run(self, town: Town, plans: list[dict[str, object]]) -> None:
        self.server = start_server(town.home.path, self.work / "logs")
        say(f"town server on port {self.server.port} (pid {self.server.process.pid})")
        self.workers = worker_settings(self.work, self.scale, town, self.server, plans)
        for worker in self.workers:
            worker.start()
        publisher = Publisher(town, self.seed)
        before = CpuClock.read(self.server.process.pid)
        self._chaos(publisher, town)
        self.results.cpu = CpuShares.between(before, CpuClock.read(self.server.process.pid))
        self._settle(town)
        self.results.publishes = publisher.publishes
        self.results.notice_bursts = publisher.bursts
        self.results.notices = len(publisher.committed)
        self.committed = publisher.committed

    # ---- chaos ---------------------------------------------------------------------------

    def _chaos(self, publisher: Publisher, town: Town) -> None:
        scale = self.scale
        self.started = time.monotonic()
        end = self.started + 60 * scale.minutes
        say(f"chaos for {scale.minutes:g} min (load average {load_average()})")
        next_sample = self.started
        next_publish = self.started + self.rng.expovariate(1 / scale.notice_every_s)
        next_kill = self.started + self.rng.expovariate(1 / scale.kill_every_s)
        while (now := time.monotonic()) < end:
            if now >= next_sample:
                self._sample(town, calm=False)
                next_sample += scale.sample_every_s
            if now >= next_publish:
                publisher.publish()
                next_publish = now + self.rng.expovariate(1 / scale.notice_every_s)
            if now >= next_kill:
                self._kill_one()
                next_kill = now + self.rng.expovariate(1 / scale.kill_every_s)
            self._restart_due(now)
            self._watch_processes()
            time.sleep(LOOP_TICK_S)
        self.results.chaos_s = time.monotonic() - self.started

    def _kill_one(self) -> None:
        """SIGKILL a running worker (never more than a quarter of them down at once)."""
        alive = [w for w in self.workers if w.alive]
        if len(alive) <= len(self.workers) - max(1, len(self.workers) // 4):
            return
        worker = self.rng.choice(alive)
        worker.kill()
        self.results.kills += 1
        self.results.hubs_killed += worker.hubs
        self.restarts.append((time.monotonic() + self.rng.uniform(*RESTART_AFTER_S), worker))

    def _restart_due(self, now: float) -> None:
        for due, worker in list(self.restarts):
            if now >= due:
                worker.start()
                self.restarts.remove((due, worker))

    def _watch_processes(self) -> None:
        assert self.server is not None
        if self.server.process.poll() is not None:
            raise RuntimeError(
                f"the town server exited ({self.server.process.returncode}); see {self.server.log}"
            )
        waiting = {id(worker) for _, worker in self.restarts}
        for worker in self.workers:
            if not worker.alive and id(worker) not in waiting:
                # Not killed by us: the worker died by itself, which is a finding.
                worker.crashed += 1
                self.results.crashed_workers += 1
                say(f"worker {worker.index} exited by itself; see {worker.log}")
                worker.start()

    def _sample(self, town: Town, calm: bool) -> None:
        assert self.server is not None
        pid = self.server.process.pid
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
        sockets = 0
        for fd in fds:
            with contextlib.suppress(OSError):
                sockets += os.readlink(fd).startswith("socket:")
        now = time.monotonic()
        sample = Sample(
            at=now,
            t=now - self.started,
            rss_kb=status_kb(pid, "VmRSS"),
            fds=len(fds),
            sockets=sockets,
            threads=status_kb(pid, "Threads"),
            ops=town.log.count(),
            hubs_up=sum(w.hubs for w in self.workers if w.alive),
            calm=calm,
        )
        self.results.samples.append(sample)
        say(sample_line(sample))

    # ---- the end -------------------------------------------------------------------------

    def _settle(self, town: Town) -> None:
        """No more chaos or authoring; wait until every hub holds exactly what the server
        holds (and the server has stopped changing)."""
        (self.work / "calm").touch()
        for _, worker in self.restarts:
            worker.start()
        self.restarts = []
        say(f"settling: at most {self.scale.settle_s:.0f} s for every hub to hold the town's ops")
        began = time.monotonic()
        next_sample = began + self.scale.sample_every_s
        previous = ""
        while time.monotonic() - began < self.scale.settle_s:
            self._watch_processes()
            server = self._digest(town.home.db_path)
            if server == previous and self._hubs_equal(server):
                self.results.settle_s = time.monotonic() - began
                say(f"settled after {self.results.settle_s:.1f} s")
                return
            previous = server
            if time.monotonic() >= next_sample:
                self._sample(town, calm=True)
                next_sample += self.scale.sample_every_s
            time.sleep(SETTLE_POLL_S)
        say("the hubs did not converge in time")

    def _digest(self, db: Path) -> str:
        with contextlib.closing(read_only_db(db)) as conn:
            return node_digest(conn)

    def _hubs_equal(self, digest: str) -> bool:
        return all(self._digest(db) == digest for db in self.hub_dbs().values())

    def hub_dbs(self) -> dict[str, Path]:
        hubs = sorted((self.work / "hubs").iterdir())
        return {f"hub {path.name}": path / "dorfhub.db" for path in hubs}

    def _stop_all(self) -> None:
        self.results.restarts = sum(max(0, w.incarnation) for w in self.workers)
        for worker in self.workers:
            if worker.alive and worker.process is not None:
                worker.process.terminate()  # all at once, so that their seconds of stopping overlap
        for worker in self.workers:
            worker.stop()
        if self.server is not None:
            stop(self.server.process, "server")
            self.results.server_log = scan_log(self.server.log)

    def _check(self) -> None:
        """Count, after every process has stopped: the logs, the events, the server's tally."""
        assert self.server is not None
        say("auditing every node's log")
        self.results.verify = self._verify()
        events = read_events(sorted((self.work / "events").glob("*.jsonl")))
        dbs = {"server": self.server.db, **self.hub_dbs()}
        self.results.audit = audit(dbs, [*events.journal, *self.committed])
        self.results.events = events
        self.results.dropped = dropped(self.server.db)

    def _verify(self) -> dict[str, str]:
        """`dorfhub log verify` on the server and on the hub killed most often."""
        assert self.server is not None
        homes = {"server": self.server.home}
        most = max(self.workers, key=lambda w: w.killed + w.crashed)
        plans = json.loads(most.settings.read_text())["hubs"]
        if plans:
            homes[f"hub {Path(plans[0]['home']).name} (worker killed {most.killed}x)"] = Path(
                plans[0]["home"]
            )
        outcome = {}
        for name, home in homes.items():
            argv = [sys.executable, "-m", "node.cli", "log", "verify", "--home", str(home)]
            done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
            text = (done.stdout + done.stderr).strip().splitlines()
            outcome[name] = ("" if done.returncode == 0 else "FAILED ") + (text[-1] if text else "")
        return outcome


def status_kb(pid: int, name: str) -> int:
    """A field of /proc/PID/status (VmRSS in kB, Threads as a count)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def scan_log(path: Path) -> dict[str, int]:
    """What the server logged that is not routine: warnings, errors, anything not JSON."""
    found: dict[str, int] = {}
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            key = "non-JSON output: " + line[:100]
        else:
            if entry.get("level") in ("debug", "info"):
                continue
            key = f"{entry.get('level')}: {entry.get('message', '').strip()}"
            key += traceback_summary(str(entry.get("error", "")))
        key = key.strip()[:200]
        found[key] = found.get(key, 0) + 1
    return found


def traceback_summary(error: str) -> str:
    """A logged traceback as its exception and the project's innermost frame: the whole text
    would differ by its first line only ("Traceback (most recent call last):")."""
    lines = error.strip().splitlines()
    if not lines:
        return ""
    ours = [line.strip() for line in lines if '.py", line' in line and "site-packages" not in line]
    where = f" at {ours[-1].split('/')[-1]}" if ours else ""
    return f" ({lines[-1].strip()}{where})"


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def sample_line(s: Sample) -> str:
    phase = " (settling)" if s.calm else ""
    return (
        f"t={s.t:5.0f} s  server RSS {s.rss_kb / 1024:6.1f} MB  fds {s.fds:4d} "
        f"(sockets {s.sockets:4d})  threads {s.threads:3d}  ops {s.ops:6d}  "
        f"hubs up {s.hubs_up:3d}{phase}"
    )


# ---- the table -------------------------------------------------------------------------------


def correctness_rows(r: Results) -> list[Row]:
    a = r.audit
    if a is None:
        return []
    lost, dupes = len(a.lost), a.duplicates
    behind = a.behind()
    pairs = f" ({a.missing_pairs} node/op pairs)" if lost else ""
    verified = [f"{name}: {text}" for name, text in r.verify.items()]
    return [
        Row(f"ops lost{pairs}", str(lost), "0", verdict(lost == 0)),
        Row(
            "duplicates (stored twice, forked, quarantined)",
            str(dupes),
            "0",
            verdict(dupes == 0),
        ),
        Row(
            "nodes with the server's digest at the end",
            f"{len(a.nodes) - len(behind)} of {len(a.nodes)}",
            "all",
            verdict(not behind and r.settle_s is not None),
        ),
        *[
            Row(f"dorfhub log verify, {line.split(': ', 1)[0]}", _short(line), "ok", "—")
            for line in verified
        ],
        Row(
            "ops at the end: all / hub ops journalled / admin notices",
            f"{len(a.union):,} / {len(r.events.journal) if r.events else 0:,} / {r.notices:,}",
            "—",
            "—",
        ),
        Row("parked ops left on any node", str(sum(n.parked for n in a.nodes)), "0", "—"),
        Row(
            "settle: every hub equal to the server after",
            f"{r.settle_s:.1f} s" if r.settle_s is not None else "not within the limit",
            f"< {r.scale.settle_s:.0f} s",
            "—",
        ),
    ]


def _short(line: str) -> str:
    text = line.split(": ", 1)[-1]
    return text.split(";")[0]


def memory_rows(r: Results) -> list[Row]:
    chaos = [s for s in r.samples if not s.calm]
    warm = chaos[int(len(chaos) * WARM_UP_SHARE) :]
    if len(warm) < 3:
        return [Row("server RSS / descriptors", "too few samples", "—", "—")]
    third = max(1, len(warm) // 3)
    first, last = warm[:third], warm[-third:]
    rows = []
    for name, unit, value, slack in (
        ("RSS", "MB", lambda s: s.rss_kb / 1024, 0.0),
        ("open descriptors", "", lambda s: float(s.fds), float(FLAT_FDS)),
        ("threads", "", lambda s: float(s.threads), 2.0),
    ):
        early = statistics.median(value(s) for s in first)
        late = statistics.median(value(s) for s in last)
        peak = max(value(s) for s in r.samples)
        flat = late <= early * (1 + FLAT_TOLERANCE) + slack
        rows.append(
            Row(
                f"server {name}: first / last third after warm-up (median), peak",
                f"{early:,.0f} / {late:,.0f}, {peak:,.0f} {unit}".rstrip(),
                f"flat (within {100 * FLAT_TOLERANCE:.0f} %)",
                "flat" if flat else "grows",
            )
        )
    return rows


def latency_rows(r: Results) -> list[Row]:
    e = r.events
    if e is None:
        return []
    rows = []
    for kind in ("hello", "pull", "vector", "push"):
        values = e.latencies.get(kind, [])
        errors = e.errors.get(kind, 0)
        rows.append(
            Row(
                f"{kind}: p50 / p95 ({len(values):,} requests, {errors:,} failed)",
                _p50_p95(values),
                "—",
                "—",
            )
        )
    woken, arrived = wake_delays(e, r.publishes)
    rows += [
        Row(
            f"long-poll wake-up after a publish: p50 / p95 ({len(woken):,} hub wake-ups)",
            _p50_p95(woken),
            "—",
            "—",
        ),
        Row(
            f"publish → idle hub holds the notice: p50 / p95 ({len(arrived):,})",
            _p50_p95(arrived),
            "bench/sync.py: p95 < 1 s, 20 hubs",
            "—",
        ),
    ]
    return rows


def _p50_p95(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{1000 * statistics.median(values):,.0f} / {1000 * percentile(values, 0.95):,.0f} ms"


def chaos_rows(r: Results) -> list[Row]:
    e = r.events
    if e is None:
        return []
    waits = sum(len(w) for w in e.waits.values())
    return [
        Row(
            "workers killed with SIGKILL / started again; hubs killed with them",
            f"{r.kills} / {r.restarts}; {r.hubs_killed:,}",
            "—",
            "—",
        ),
        Row(
            "admin publishes: single notices / bursts",
            f"{len(r.publishes)} / {r.notice_bursts}",
            "—",
            "—",
        ),
        Row(
            "long-polls completed / cut mid-request; connections dropped between requests",
            f"{waits:,} / {e.cuts:,}; {e.drops:,}",
            "—",
            "—",
        ),
        Row("long-polls failed otherwise", f"{e.errors.get('wait', 0):,}", "—", "—"),
        Row(
            "sync rounds: all / no-op (digests equal at hello)",
            f"{len(e.latencies.get('hello', [])):,} / {e.noop_rounds:,}",
            "—",
            "—",
        ),
        Row(
            "rounds that pulled / pushed several batches",
            f"{e.multi_pulls:,} / {e.multi_pushes:,}",
            "—",
            "—",
        ),
        Row("ops refused in pushes", f"{len(e.rejected):,}", "0", verdict(not e.rejected)),
        Row(
            "ops a hub's own log refused (its grant not pulled yet)",
            f"{e.refused_locally:,}",
            "—",
            "—",
        ),
        Row(
            "hub threads crashed / workers exited by themselves",
            f"{len(e.crashes)} / {r.crashed_workers}",
            "0 / 0",
            verdict(not e.crashes and not r.crashed_workers),
        ),
        *cpu_rows(r),
    ]


def cpu_rows(r: Results) -> list[Row]:
    c = r.cpu
    if c is None:
        return []
    shares = (c.server, c.workers, c.bench, c.others)
    return [
        Row(
            "CPU during the chaos, % of one core: server / hub workers / bench / others",
            " / ".join(f"{100 * share:.0f}" for share in shares) + " %",
            f"{os.cpu_count()} cores = {100 * (os.cpu_count() or 1)} %",
            "—",
        )
    ]


def rows(r: Results) -> list[Row]:
    return [*correctness_rows(r), *memory_rows(r), *latency_rows(r), *chaos_rows(r)]


def failed(r: Results) -> list[str]:
    """Correctness failures (never timings): the reasons the run exits 1."""
    a = r.audit
    if a is None:
        return ["the audit did not run"]
    reasons = []
    if a.lost:
        reasons.append(f"{len(a.lost)} ops lost")
    if a.duplicates:
        reasons.append(f"{a.duplicates} duplicates")
    if a.behind() or r.settle_s is None:
        reasons.append(f"{len(a.behind())} nodes did not converge")
    reasons += [f"log verify failed on {n}" for n, t in r.verify.items() if t.startswith("FAILED")]
    return reasons


def report(r: Results) -> None:
    print()
    print(table(rows(r)))
    print("\nServer over time (nonces: signed requests within the nonce TTL, see README):")
    for sample in r.samples:
        nonces = f"  nonces ~{r.events.nonces_at(sample.at):6,d}" if r.events else ""
        print("  " + sample_line(sample) + nonces)
    _details(r)


def _details(r: Results) -> None:
    e, a = r.events, r.audit
    if r.dropped:
        counts = ", ".join(f"{what} {count:,}" for what, count in r.dropped.items())
        print(f"Dropped at a limit on the server: {counts}")
    if e is not None:
        for text, count in e.error_texts.most_common(8):
            print(f"Request error, {count:,}x: {text}")
        for crash in e.crashes[:3]:
            print(f"Hub thread crashed: {crash}")
        if e.rejected:
            print(f"Refused in pushes (first): {e.rejected[:3]}")
    if a is not None and (a.lost or a.behind()):
        print(f"Behind at the end: {', '.join(a.behind()[:20])}")
        print(f"Lost (first 10 of {len(a.lost)}): {sorted(a.lost)[:10]}")
    for line, count in sorted(r.server_log.items(), key=lambda item: -item[1])[:10]:
        print(f"Server log, {count}x: {line}")
    print(f"Load average at the start / end: {r.load_at_start} / {load_average()}")


# ---- main ------------------------------------------------------------------------------------


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def scale_of(options: argparse.Namespace) -> Scale:
    scale = QUICK if options.quick else FULL
    changes = {
        name: getattr(options, name)
        for name in ("minutes", "hubs", "workers")
        if getattr(options, name) is not None
    }
    scale = replace(scale, **changes)
    return replace(scale, workers=max(1, min(scale.workers, scale.hubs)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, help="length of the chaos (default 10)")
    parser.add_argument("--hubs", type=int, help="simulated hubs (default 200)")
    parser.add_argument("--workers", type=int, help="worker processes for the hubs (default 8)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--quick", action="store_true", help="smoke run: 40 hubs, 1 minute")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args(argv)
    scale = scale_of(options)
    # Set for SIGINT too: a shell without job control starts background commands with SIGINT
    # ignored, and the processes must be stopped whichever way the run is interrupted.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    print(f"Machine: {machine_line()}")
    print(f"Scale: {asdict(scale)}, seed {options.seed}\n", flush=True)
    work = Path(tempfile.mkdtemp(prefix="dorfhub-soak-"))
    try:
        results = Soak(work, scale, options.seed).run()
    except KeyboardInterrupt:
        print("\ninterrupted: every process was stopped", file=sys.stderr)
        return 130
    finally:
        if options.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    reasons = failed(results)
    verdict_line = "FAILED: " + "; ".join(reasons) if reasons else "no op lost or duplicated"
    print(f"\nResult: {verdict_line}")
    return 1 if reasons else 0


if __name__ == "__main__":
    sys.exit(main())
