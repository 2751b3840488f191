"""Per-author order: a gap holds later ops back until it is filled; duplicates and replays
change nothing; V is written with the ops it covers (ARCHITECTURE.md section 2, rule 3)."""

from __future__ import annotations

from content import notices
from content.log_audit import verify_store
from content.notices import active_notices
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


def _admin_notices(network: Network, count: int) -> list[RawOp]:
    """Publish `count` notices and return their ops in seq order."""
    ids = [
        notices.publish(network.log, network.admin, notice(f"Aushang {n}")) for n in range(count)
    ]
    return [
        op for op in all_ops(network.log) for notice_id in ids if notice_id.encode() in op.header
    ]


def test_a_gap_holds_later_ops_back_until_it_is_filled(network: Network) -> None:
    base = all_ops(network.log)
    first, second, third = _admin_notices(network, 3)
    fresh = network.fresh_log("fresh")
    fresh.ingest(base)
    admin = network.admin.key_id
    held_at = fresh.version_vector()[admin]

    early = fresh.ingest([third])
    assert early.applied == []
    assert [op_id for op_id, _ in early.held] == [third.op_id]
    assert f"seq {held_at + 1}" in early.held[0][1]
    assert fresh.version_vector()[admin] == held_at
    assert active_notices(fresh.store.conn) == []

    partly = fresh.ingest([first])
    assert partly.applied == [first.op_id]
    assert fresh.version_vector()[admin] == held_at + 1

    filled = fresh.ingest([second])
    assert filled.applied == [second.op_id, third.op_id]
    assert fresh.version_vector()[admin] == held_at + 3
    assert len(active_notices(fresh.store.conn)) == 3
    assert fresh.store.conn.execute("SELECT count(*) FROM parked_ops").fetchone()[0] == 0
    assert snapshot(fresh.store) == snapshot(network.store)
    assert verify_store(fresh.store).ok


def test_a_held_op_sent_again_is_a_duplicate(network: Network) -> None:
    base = all_ops(network.log)
    _first, second = _admin_notices(network, 2)
    fresh = network.fresh_log("fresh")
    fresh.ingest(base)
    fresh.ingest([second])
    again = fresh.ingest([second])
    assert again.duplicates == [second.op_id]
    assert again.held == []
    assert fresh.store.conn.execute("SELECT count(*) FROM parked_ops").fetchone()[0] == 1


def test_duplicates_and_replays_change_nothing(network: Network) -> None:
    _admin_notices(network, 2)
    network.log.append(network.hub, "hub.status", network.hub.key_id, status_bytes("Ringelai"))
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    before = snapshot(fresh.store)

    ops = all_ops(network.log)
    replay = fresh.ingest([*ops, *reversed(ops), ops[0]])
    assert replay.applied == []
    assert replay.held == []
    assert replay.rejected == []
    assert replay.duplicates == [op.op_id for op in [*ops, *reversed(ops), ops[0]]]
    assert snapshot(fresh.store) == before
    assert fresh.store.conn.execute("SELECT count(*) FROM parked_ops").fetchone()[0] == 0
    assert sync(network.log, fresh).applied == []


def test_version_vector_and_digest_follow_the_ops(network: Network) -> None:
    fresh = network.fresh_log("fresh")
    empty_digest = fresh.digest()
    ops = all_ops(network.log)
    fresh.ingest(ops[:1])
    assert fresh.version_vector() == {network.root.key_id: 1}
    assert fresh.digest() != empty_digest
    fresh.ingest(ops[1:])
    assert fresh.version_vector() == network.log.version_vector()
    assert fresh.digest() == network.log.digest()
    # A node sending its V learns exactly what it lacks, and nothing once it holds it all.
    assert list(network.log.ops_missing_from(fresh.version_vector())) == []
    assert list(network.log.ops_missing_from({network.root.key_id: 1})) == ops[1:]


def test_an_op_whose_lamport_clock_does_not_increase_is_rejected(network: Network) -> None:
    first = notices.publish(network.log, network.admin, notice("Eins"))
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    vector = fresh.version_vector()
    position = next_position(fresh, network.admin)
    head_lamport = fresh.store.conn.execute(
        "SELECT lamport FROM ops WHERE entity = ?", (first,)
    ).fetchone()[0]
    stale = sign_op(
        network.admin,
        network.network_id,
        seq=position["seq"],
        prev=position["prev"],
        lamport=head_lamport,
        kind="notice.put",
        entity="n-stale",
        body=notice_bytes("Zurückdatiert"),
    )
    report = fresh.ingest([stale])
    assert report.applied == []
    assert report.rejected == [(stale.op_id, "Lamport clock does not increase")]
    assert fresh.version_vector() == vector
