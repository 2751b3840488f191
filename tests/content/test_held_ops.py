"""Parked ops are capped (content/limits.py MAX_HELD_OPS, MAX_HELD_BYTES): a peer or a bundle
cannot fill the disk with ops from random keys, forks of a key without the role, or seqs that
never come. The oldest go first and are counted; an evicted op is not in V, so it arrives
again and applies once what it waits for is there."""

from __future__ import annotations

import pytest

from content import grants, notices
from content import log as log_module
from content.dropped import dropped_counts
from content.identity import Identity
from content.log import Log
from content.ops import RawOp
from tests.content.conftest import Network
from tests.content.helpers import (
    all_ops,
    next_position,
    notice,
    notice_bytes,
    sign_op,
    snapshot,
    status_bytes,
    sync,
)


def stranger_status(network: Network, name: str) -> RawOp:
    """The first op of a key nobody granted: held until a grant for it arrives."""
    stranger = Identity.generate(name)
    body = status_bytes(name)
    return sign_op(
        stranger,
        network.network_id,
        seq=1,
        prev="",
        lamport=3,
        kind="hub.status",
        entity=stranger.key_id,
        body=body,
    )


def parked_ids(log: Log) -> list[str]:
    return [row[0] for row in log.store.conn.execute("SELECT id FROM parked_ops ORDER BY id")]


def held_dropped(log: Log) -> int:
    return dropped_counts(log.store.conn).get("held_ops", 0)


def size(op: RawOp) -> int:
    return len(op.header) + len(op.body or b"")


@pytest.fixture
def cap(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(log_module, "MAX_HELD_OPS", 4)
    return 4


def test_held_ops_beyond_the_count_go_oldest_first_and_are_counted(
    network: Network, cap: int
) -> None:
    strangers = [stranger_status(network, f"Fremd {n}") for n in range(cap + 3)]
    for op in strangers[:2]:
        network.log.ingest([op])
    network.log.ingest(strangers[2:5])
    assert len(parked_ids(network.log)) == cap
    assert held_dropped(network.log) == 1
    network.log.ingest(strangers[5:])
    assert parked_ids(network.log) == sorted(op.op_id for op in strangers[-cap:])
    assert held_dropped(network.log) == 3


def test_held_ops_beyond_the_bytes_go_oldest_first_and_are_counted(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    strangers = [stranger_status(network, f"Fremder Nummer {n}") for n in range(6)]
    monkeypatch.setattr(log_module, "MAX_HELD_BYTES", sum(map(size, strangers[-2:])) + 10)
    for op in strangers:
        network.log.ingest([op])
    assert parked_ids(network.log) == sorted(op.op_id for op in strangers[-2:])
    assert held_dropped(network.log) == 4


def test_a_key_without_the_role_cannot_grow_the_parking_past_the_cap(
    network: Network, cap: int
) -> None:
    """Ops rejected for lack of role are kept for a later grant, and a hub can sign any number
    of them for its next seq: they count towards the same cap."""
    position = next_position(network.log, network.hub)
    forks = [
        sign_op(
            network.hub,
            network.network_id,
            kind="notice.put",
            entity=f"n-{n}",
            body=notice_bytes(f"Nicht erlaubt {n}"),
            **position,
        )
        for n in range(cap + 2)
    ]
    for op in forks:
        assert network.log.ingest([op]).rejected
    assert parked_ids(network.log) == sorted(op.op_id for op in forks[-cap:])
    assert held_dropped(network.log) == 2


def test_an_evicted_op_of_an_unknown_author_applies_when_it_comes_again_with_its_grant(
    network: Network, cap: int
) -> None:
    newcomer = Identity.generate("Thurmansbang")
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    grants.grant(network.log, network.admin, newcomer.public, "hub", newcomer.name)
    for number in range(3):
        network.log.append(newcomer, "hub.status", newcomer.key_id, status_bytes(f"T{number}"))
    newcomer_ops = [op for op in all_ops(network.log) if newcomer.key_id.encode() in op.header]
    fresh.ingest(newcomer_ops[1:])  # the grant and its own first op not yet
    fresh.ingest([stranger_status(network, f"Fremd {n}") for n in range(cap)])
    assert not set(parked_ids(fresh)) & {op.op_id for op in newcomer_ops}

    report = sync(network.log, fresh)
    assert set(report.applied) >= {op.op_id for op in newcomer_ops}
    assert snapshot(fresh.store) == snapshot(network.store)


def test_an_evicted_op_behind_a_missing_seq_applies_when_it_comes_again(
    network: Network, cap: int
) -> None:
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    for number in range(cap + 3):
        notices.publish(network.log, network.admin, notice(f"Aushang {number}"))
    later = list(network.log.ops_missing_from(fresh.version_vector()))
    fresh.ingest(later[1:])  # the first is lost on the way
    assert len(parked_ids(fresh)) == cap
    assert held_dropped(fresh) == 2

    assert fresh.ingest(later[:1]).applied == [later[0].op_id]
    assert len(parked_ids(fresh)) == cap  # still behind the evicted ones
    sync(network.log, fresh)
    assert parked_ids(fresh) == []
    assert snapshot(fresh.store) == snapshot(network.store)


def test_an_evicted_op_rejected_for_its_role_applies_when_it_comes_again_with_the_grant(
    network: Network, cap: int
) -> None:
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    grants.grant(network.log, network.admin, network.hub.public, "admin", network.hub.name)
    notices.publish(network.log, network.hub, notice("Jetzt erlaubt"))
    published = list(network.log.ops_missing_from(fresh.version_vector()))
    grant, hub_notice = published
    assert fresh.ingest([hub_notice]).rejected
    fresh.ingest([stranger_status(network, f"Fremd {n}") for n in range(cap)])
    assert hub_notice.op_id not in parked_ids(fresh)

    report = sync(network.log, fresh)
    assert report.applied == [grant.op_id, hub_notice.op_id]
    assert snapshot(fresh.store) == snapshot(network.store)
