"""What bench/soak.py counts at the end: the nodes' logs against each other and against what
was committed, and what the simulated hubs recorded on the way (bench/soak_hub.py's events).

An op is identified by (author, seq). Every node of the soak (the town server and each hub) may
receive every op (all of them are public and every hub is enrolled), so at the end every node
must hold the same ops: the same version vector, the same digest.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.limits import MAX_NONCES, NONCE_TTL_MS

Key = tuple[str, int]
# Requests that carry a signature and so a nonce (hello is unsigned).
SIGNED = frozenset({"pull", "vector", "push", "wait"})


# ---- the end state ---------------------------------------------------------------------------


@dataclass
class NodeState:
    name: str
    rows: int  # count(*) of ops
    vector_sum: int  # sum of the version vector
    digest: str
    quarantined: int
    parked: int


@dataclass
class Audit:
    nodes: list[NodeState] = field(default_factory=list)
    # (author, seq) -> (op id, how many nodes hold that very op)
    union: dict[Key, tuple[str, int]] = field(default_factory=dict)
    # (author, seq) held as two different ops by two nodes: a fork, one op "twice"
    forks: set[Key] = field(default_factory=set)
    # ops committed (journal, admin publishes) that no node holds, or held as another op
    vanished: set[Key] = field(default_factory=set)
    journal_forks: set[Key] = field(default_factory=set)
    journalled: int = 0

    @property
    def lost(self) -> set[Key]:
        """Ops committed by some node that some node lacks at the end."""
        short = {key for key, (_, holders) in self.union.items() if holders < len(self.nodes)}
        return short | self.vanished

    @property
    def missing_pairs(self) -> int:
        """(node, op) pairs missing: the same as `lost` counted once per node that lacks it."""
        held = sum(holders for _, holders in self.union.values())
        return len(self.union) * len(self.nodes) - held + len(self.vanished) * len(self.nodes)

    @property
    def stored_twice(self) -> int:
        """Rows beyond one per (author, seq), and rows the version vector does not cover."""
        return sum(max(0, n.rows - n.vector_sum) for n in self.nodes)

    @property
    def duplicates(self) -> int:
        quarantined = sum(n.quarantined for n in self.nodes)
        return self.stored_twice + len(self.forks | self.journal_forks) + quarantined

    @property
    def digests(self) -> Counter[str]:
        return Counter(n.digest for n in self.nodes)

    def behind(self) -> list[str]:
        """Nodes whose digest is not the most common one (the server's, when all went well)."""
        common = self.digests.most_common(1)[0][0] if self.nodes else ""
        return [n.name for n in self.nodes if n.digest != common]


def read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def node_digest(conn: sqlite3.Connection) -> str:
    """content.log.Log.digest, read without opening a Store (which would migrate and write)."""
    rows = conn.execute("SELECT author, seq, head FROM versions ORDER BY author").fetchall()
    text = "".join(f"{author}:{seq}:{head}\n" for author, seq, head in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def audit(dbs: dict[str, Path], committed: Iterable[tuple[str, int, str]]) -> Audit:
    """Read every node's log once, one node at a time (200 logs do not fit in memory as sets),
    and check the ops that were reported committed (author, seq, op id)."""
    result = Audit()
    for name, db in dbs.items():
        with closing(read_only(db)) as conn:
            result.nodes.append(_node_state(name, conn))
            _merge(result, conn)
    for author, seq, op_id in committed:
        result.journalled += 1
        held = result.union.get((author, seq))
        if held is None:
            result.vanished.add((author, seq))
        elif held[0] != op_id:
            result.journal_forks.add((author, seq))
    return result


def _node_state(name: str, conn: sqlite3.Connection) -> NodeState:
    with conn:  # one read transaction: the numbers agree with each other
        rows = conn.execute("SELECT count(*) FROM ops").fetchone()[0]
        vector_sum = conn.execute("SELECT coalesce(sum(seq), 0) FROM versions").fetchone()[0]
        quarantined = conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        parked = conn.execute("SELECT count(*) FROM parked_ops").fetchone()[0]
        digest = node_digest(conn)
    return NodeState(name, rows, vector_sum, digest, quarantined, parked)


def _merge(result: Audit, conn: sqlite3.Connection) -> None:
    seen: set[Key] = set()
    for author, seq, op_id in conn.execute("SELECT author, seq, id FROM ops"):
        key = (author, seq)
        if key in seen:
            continue  # counted in stored_twice (UNIQUE (author, seq) should make this impossible)
        seen.add(key)
        held = result.union.get(key)
        if held is None:
            result.union[key] = (op_id, 1)
        elif held[0] == op_id:
            result.union[key] = (op_id, held[1] + 1)
        else:
            result.forks.add(key)


def dropped(db: Path) -> dict[str, int]:
    """The server's tally of what its limits dropped (content/dropped.py)."""
    with closing(read_only(db)) as conn:
        return {what: int(n) for what, n in conn.execute("SELECT what, count FROM dropped")}


# ---- the hubs' events ------------------------------------------------------------------------


@dataclass
class Wait:
    start: float
    end: float
    changed: bool


@dataclass
class Events:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=Counter)
    error_texts: Counter[str] = field(default_factory=Counter)
    waits: dict[int, list[Wait]] = field(default_factory=lambda: defaultdict(list))
    arrivals: dict[int, list[tuple[float, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    journal: list[tuple[str, int, str]] = field(default_factory=list)
    drops: int = 0
    cuts: int = 0
    rejected: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    refused_locally: int = 0  # authoring refused by the hub's own log (no grant yet)
    noop_rounds: int = 0  # rounds whose hello found the digests equal
    multi_pulls: int = 0  # rounds that pulled several batches
    multi_pushes: int = 0
    starts: int = 0
    clean_exits: int = 0
    unreadable: int = 0
    signed: list[float] = field(default_factory=list)  # when each signed request ended

    def nonces_at(self, at: float) -> int:
        """About how many nonces the server remembers at `at`: the signed requests of the last
        NONCE_TTL_MS (each carries a nonce), at most MAX_NONCES. It holds them in memory, so
        its RSS rises with this until the oldest begin to expire."""
        ttl = NONCE_TTL_MS / 1000
        recent = bisect_right(self.signed, at) - bisect_right(self.signed, at - ttl)
        return min(MAX_NONCES, recent)


def read_events(paths: Iterable[Path]) -> Events:
    events = Events()
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            try:
                fields = json.loads(line)
            except ValueError:
                events.unreadable += 1
                continue
            _take(events, fields)
    events.signed.sort()
    for waits in events.waits.values():
        waits.sort(key=lambda w: w.start)
    for arrivals in events.arrivals.values():
        arrivals.sort()
    return events


def _take(events: Events, fields: list[Any]) -> None:
    tag, *rest = fields
    if tag == "L":
        events.latencies[str(rest[0])].append(float(rest[1]))
        if rest[0] in SIGNED:
            events.signed.append(float(rest[2]))
    elif tag == "E":
        events.errors[str(rest[0])] += 1
        events.error_texts[f"{rest[0]}: {rest[2]}"] += 1
        if rest[0] in SIGNED:
            events.signed.append(float(rest[3]))
    elif tag == "W":
        hub, start, end, changed = rest
        events.waits[int(hub)].append(Wait(float(start), float(end), bool(changed)))
        events.signed.append(float(end))
    elif tag == "A":
        hub, before, after, at = rest
        events.arrivals[int(hub)].append((float(at), int(before), int(after)))
    elif tag == "O":
        author, seq, op_id = rest
        events.journal.append((str(author), int(seq), str(op_id)))
    else:
        _take_rare(events, tag, rest)


def _take_rare(events: Events, tag: str, rest: list[Any]) -> None:
    if tag == "D":
        events.drops += 1
    elif tag == "C":
        events.cuts += 1
        events.signed.append(float(rest[1]))
    elif tag == "J":
        events.rejected += [str(reason) for reason in rest[1]]
    elif tag == "X":
        events.crashes.append(f"hub {rest[0]}: {rest[1]}")
    elif tag == "B":
        events.multi_pulls += int(rest[0]) > 1
        events.multi_pushes += int(rest[1]) > 1
    elif tag == "N":
        events.noop_rounds += 1
    elif tag == "R":
        events.refused_locally += 1
    elif tag == "S":
        events.starts += 1
    elif tag == "Q":
        events.clean_exits += 1


@dataclass(frozen=True)
class Publish:
    seq: int  # the admin's seq of the notice
    at: float  # time.monotonic() when publish was called (the same clock in every process)


def wake_delays(events: Events, publishes: list[Publish]) -> tuple[list[float], list[float]]:
    """For each single publish and each hub that was waiting on the server at that moment (a
    long-poll under way, so the hub was up, connected and idle): how long until its long-poll
    returned, and how long until its store held the notice.

    A long-poll returns on the first change of the server's digest after it began; another
    hub's op landing between the publish and the notice's wake-up ends it a little earlier,
    so the wake-up figure leans short by at most that. The arrival figure is exact."""
    woken: list[float] = []
    arrived: list[float] = []
    starts = {hub: [w.start for w in waits] for hub, waits in events.waits.items()}
    for publish in publishes:
        for hub, waits in events.waits.items():
            wait = _spanning(waits, starts[hub], publish.at)
            if wait is None or not wait.changed:
                continue
            woken.append(wait.end - publish.at)
            when = _arrival(events.arrivals.get(hub, []), publish)
            if when is not None:
                arrived.append(when - publish.at)
    return woken, arrived


def _spanning(waits: list[Wait], starts: list[float], at: float) -> Wait | None:
    """The long-poll under way at `at` (begun before it, ended after it), if any."""
    index = bisect_left(starts, at) - 1
    if index >= 0 and waits[index].end > at:
        return waits[index]
    return None


def _arrival(arrivals: list[tuple[float, int, int]], publish: Publish) -> float | None:
    for at, before, after in arrivals:
        if at >= publish.at and before < publish.seq <= after:
            return at
    return None
