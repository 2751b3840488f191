"""A granted hub floods a real `dorfhub serve` with ops that can only be held (issue 13, finding
9): the first ops of keys nobody granted. The server keeps MAX_HELD_OPS of them, the newest, and
counts the rest as dropped; an evicted op sent again once its author is granted applies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from content import grants
from content.identity import Identity
from content.limits import MAX_HELD_OPS
from content.log import Log
from content.ops import RawOp
from node.home import Home
from sync.protocol import encode_batch
from tests.content.helpers import sign_op, status_bytes
from tests.sync.conftest import PeerProcess, running
from tests.sync.helpers import PUSH, now_ms, send, signed_headers

EVICTED = 300
# Well inside a request's limits: about 1.3 MB of frames, 0.6 MB compressed.
OPS_PER_PUSH = 2000


def first_status(stranger: Identity, network_id: str) -> RawOp:
    return sign_op(
        stranger,
        network_id,
        seq=1,
        prev="",
        lamport=10,
        kind="hub.status",
        entity=stranger.key_id,
        body=status_bytes(stranger.name),
        time_ms=now_ms(),
    )


def push(server: PeerProcess, hub: Identity, network_id: str, ops: list[RawOp]) -> list[int]:
    """Push `ops` in requests of OPS_PER_PUSH; how many each request applied."""
    applied = []
    for start in range(0, len(ops), OPS_PER_PUSH):
        body = encode_batch(ops[start : start + OPS_PER_PUSH])
        answer = send(server.url, PUSH, body, signed_headers(hub, network_id, PUSH, body))
        assert answer.status_code == 200, answer.text
        assert answer.json()["rejected"] == []
        applied.append(answer.json()["applied"])
    return applied


def parked_authors_and_dropped(town: Path) -> tuple[set[str], int]:
    with sqlite3.connect(f"file:{town / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        authors = {row[0] for row in conn.execute("SELECT author FROM parked_ops")}
        dropped = conn.execute("SELECT count FROM dropped WHERE what = 'held_ops'").fetchone()
    return authors, int(dropped[0]) if dropped else 0


def test_a_flood_of_held_ops_keeps_the_newest_and_an_evicted_one_comes_again(
    town: Path,
) -> None:
    hub = Identity.generate("Schönberg")
    home = Home(town)
    with home.store() as store:
        log = Log(store)
        grants.grant(log, home.publisher(), hub.public, "hub", hub.name)
        network_id = log.network_id
    strangers = [Identity.generate(f"Fremd {n}") for n in range(MAX_HELD_OPS + EVICTED)]
    flood = [first_status(stranger, network_id) for stranger in strangers]
    with running(town) as server:
        assert sum(push(server, hub, network_id, flood)) == 0
        parked, dropped = parked_authors_and_dropped(town)
        assert parked == {stranger.key_id for stranger in strangers[EVICTED:]}
        assert dropped == EVICTED

        first = strangers[0]
        with home.store() as store:
            grants.grant(Log(store), home.publisher(), first.public, "hub", first.name)
        assert push(server, hub, network_id, flood[:1]) == [1]
