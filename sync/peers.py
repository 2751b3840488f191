"""Each node's record of its peers: last success, failures, bytes, and what they lack."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from content.log import Log
from content.ops import MAX_HEADER_INT
from content.store import Store
from sync.client import RoundResult


@dataclass(frozen=True)
class PeerState:
    url: str
    node: str | None
    name: str | None
    last_success: int | None
    last_failure: int | None
    failures: int
    last_error: str | None
    # Both counts are 0 and the last attempt succeeded. A round that merely succeeded is not
    # enough: the peer may refuse what we send, or send what we refuse (a forked author).
    in_sync: bool
    pending_out: int | None  # our ops the peer lacked at last contact, plus ours since
    pending_in: int | None  # the peer's ops we lacked at last contact and still lack

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def record_success(
    store: Store, result: RoundResult, node: str, vector: dict[str, int] | None
) -> None:
    with store.write() as conn:
        conn.execute(
            "INSERT INTO peers (url, node, last_success, failures, in_sync, bytes_in, bytes_out, "
            "peer_vector) VALUES (?, ?, ?, 0, 1, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
            "node = excluded.node, last_success = excluded.last_success, failures = 0, "
            "in_sync = 1, bytes_in = bytes_in + excluded.bytes_in, "
            "bytes_out = bytes_out + excluded.bytes_out, "
            "peer_vector = coalesce(excluded.peer_vector, peer_vector)",
            (
                result.peer,
                node,
                _now(),
                result.bytes_in,
                result.bytes_out,
                None if vector is None else json.dumps(vector),
            ),
        )


def record_failure(store: Store, url: str, error: str) -> int:
    """Count a failed round; returns the number of failures in a row."""
    with store.write() as conn:
        conn.execute(
            "INSERT INTO peers (url, last_failure, failures, last_error, in_sync) "
            "VALUES (?, ?, 1, ?, 0) ON CONFLICT (url) DO UPDATE SET "
            "last_failure = excluded.last_failure, failures = failures + 1, "
            "last_error = excluded.last_error, in_sync = 0",
            (url, _now(), error[:300]),
        )
        return int(conn.execute("SELECT failures FROM peers WHERE url = ?", (url,)).fetchone()[0])


def peer_states(store: Store) -> list[PeerState]:
    log = Log(store)
    states = []
    rows = store.conn.execute(
        "SELECT p.url, p.node, k.name, p.last_success, p.last_failure, p.failures, p.last_error, "
        "p.peer_vector FROM peers p LEFT JOIN keys k ON k.key = p.node ORDER BY p.url"
    )
    ours = log.version_vector()
    settled = _settled_forks(store)
    for url, node, name, success, failure, failures, error, vector in rows.fetchall():
        pending_out = pending_in = None
        if vector is not None:
            theirs: dict[str, int] = json.loads(vector)
            # What either side refuses of a settled fork stays refused: not pending.
            covered = theirs | {a: max(theirs.get(a, 0), ours.get(a, 0)) for a in settled}
            # Counted, not sent: a file held by its header only counts like any op.
            pending_out = sum(1 for _ in log.ops_missing_from(covered, blob_bodies=frozenset()))
            pending_in = sum(
                max(0, seq - ours.get(author, 0))
                for author, seq in theirs.items()
                # a peer lists an author it quarantined at the ceiling: "send me nothing"
                if author not in settled and seq < MAX_HEADER_INT
            )
        in_sync = success is not None and failures == 0 and pending_out == pending_in == 0
        states.append(
            PeerState(
                url,
                node,
                name,
                success,
                failure,
                failures,
                error,
                in_sync,
                pending_out,
                pending_in,
            )
        )
    return states


def _settled_forks(store: Store) -> set[str]:
    """Keys quarantined here (forked) that an admin has since revoked. Until then, the ops of a
    forked key that we refuse count as pending, since they show the network drifting apart."""
    rows = store.conn.execute(
        "SELECT q.author FROM quarantine q JOIN keys k ON k.key = q.author "
        "WHERE k.revoke_op IS NOT NULL"
    )
    return {row[0] for row in rows}


def _now() -> int:
    return int(time.time() * 1000)


def last_known_vector(store: Store, node: str) -> dict[str, int] | None:
    """The newest version vector we know a peer to hold (after our last successful round);
    None if it never synced with us."""
    row = store.conn.execute(
        "SELECT peer_vector FROM peers WHERE node = ? AND peer_vector IS NOT NULL "
        "ORDER BY last_success DESC LIMIT 1",
        (node,),
    ).fetchone()
    if row is None:
        return None
    vector: dict[str, int] = json.loads(row[0])
    return vector
