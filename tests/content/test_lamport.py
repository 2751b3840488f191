"""The Lamport bound (docs/protocol.md "Lamport"): an op whose clock runs more than
MAX_LAMPORT_JUMP past the receiver's is held, not applied, so no author can push every node's
clock to the header's ceiling (2^53) and stop the network from writing. A held op applies once
the receiver's clock has caught up, whatever order the ops came in."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content import grants, notices
from content import log as log_module
from content.identity import Identity
from content.log import AppendRefused, Log
from content.log_audit import verify_store
from content.ops import MAX_HEADER_INT, RawOp
from content.store import Store
from tests.content.conftest import Network
from tests.content.helpers import (
    all_ops,
    next_position,
    notice,
    sign_op,
    snapshot,
    status_bytes,
    sync,
)

CEILING = MAX_HEADER_INT


def status_at(network: Network, author: Identity, lamport: int, log: Log | None = None) -> RawOp:
    """`author`'s next hub.status on `log` (the town by default), with the Lamport clock given."""
    position = next_position(log or network.log, author) | {"lamport": lamport}
    body = status_bytes(author.name)
    return sign_op(
        author, network.network_id, kind="hub.status", entity=author.key_id, body=body, **position
    )


def clock_of(log: Log) -> int:
    return int(log.store.conn.execute("SELECT max(lamport) FROM ops").fetchone()[0])


def parked(log: Log) -> list[tuple[str, str]]:
    rows = log.store.conn.execute("SELECT id, reason FROM parked_ops ORDER BY id")
    return [(op_id, reason) for op_id, reason in rows]


def test_an_op_at_the_ceiling_is_held_and_the_network_keeps_writing(network: Network) -> None:
    hostile = status_at(network, network.hub, CEILING)
    report = network.log.ingest([hostile])
    assert report.applied == []
    assert [op_id for op_id, _ in report.held] == [hostile.op_id]
    assert "Lamport clock jumps too far ahead" in report.held[0][1]
    assert network.hub.key_id not in network.log.version_vector()

    # The admin still publishes and revokes the culprit; the revoke covers the held op too.
    notices.publish(network.log, network.admin, notice("Nach dem Angriff"))
    grants.revoke(network.log, network.admin, network.hub.key_id, "Uhr manipuliert")
    assert clock_of(network.log) < 100
    again = network.log.ingest([hostile])
    assert again.applied == []
    assert verify_store(network.store).ok


def test_the_bound_is_measured_from_the_receivers_highest_clock(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_module, "MAX_LAMPORT_JUMP", 10)
    highest = clock_of(network.log)
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    at_the_bound = status_at(network, network.hub, highest + 10)
    assert fresh.ingest([at_the_bound]).applied == [at_the_bound.op_id]
    beyond = status_at(network, network.hub, highest + 10 + 11, fresh)
    assert [op_id for op_id, _ in fresh.ingest([beyond]).held] == [beyond.op_id]


def test_a_held_op_and_those_behind_it_apply_once_the_clock_catches_up(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_module, "MAX_LAMPORT_JUMP", 10)
    start = clock_of(network.log)
    ahead = status_at(network, network.hub, start + 15)
    held = network.log.ingest([ahead])
    assert [op_id for op_id, _ in held.held] == [ahead.op_id]
    behind = sign_op(
        network.hub,
        network.network_id,
        seq=2,
        prev=ahead.op_id,
        lamport=start + 16,
        kind="hub.status",
        entity=network.hub.key_id,
        body=status_bytes("Ringelai", note="später"),
    )
    assert [op_id for op_id, _ in network.log.ingest([behind]).held] == [behind.op_id]

    for number in range(4):
        notices.publish(network.log, network.admin, notice(f"Aushang {number}"))
    assert len(parked(network.log)) == 2  # the clock rose by 4: 11 behind, still too far
    notices.publish(network.log, network.admin, notice("Der fünfte"))
    assert parked(network.log) == []
    assert network.log.version_vector()[network.hub.key_id] == 2
    assert clock_of(network.log) == start + 16
    assert verify_store(network.store).ok


def test_the_ceiling_refuses_a_local_append_with_a_clear_reason(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only a bound as large as the header's range lets an op reach the ceiling in one step.
    monkeypatch.setattr(log_module, "MAX_LAMPORT_JUMP", CEILING)
    assert network.log.ingest([status_at(network, network.hub, CEILING)]).applied
    before = snapshot(network.store)
    with pytest.raises(AppendRefused, match="ceiling"):
        notices.publish(network.log, network.admin, notice("Zu spät"))
    assert snapshot(network.store) == before


def test_a_jump_purged_by_a_revoke_leaves_a_log_that_verifies_and_converges(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The town applies a hub's allowed jump and an admin's notice on top of it; a revoke
    written at the office, which never saw the jump, then purges it. The notice stays applied
    (its author did nothing wrong), and `log verify`, which replays the log, must not refuse it
    for its jump. The office holds the notice until its clock reaches the town's when the town
    took the jump: here one op of its own."""
    monkeypatch.setattr(log_module, "MAX_LAMPORT_JUMP", 10)
    office = network.fresh_log("office")
    sync(network.log, office)
    notices.publish(network.log, network.admin, notice("Vor dem Sprung"))
    jump = status_at(network, network.hub, clock_of(network.log) + 10)
    assert network.log.ingest([jump]).applied
    on_top = notices.publish(network.log, network.admin, notice("Nach dem Sprung"))
    grants.revoke(office, network.root, network.hub.key_id, "gestohlen")
    report = sync(office, network.log)
    assert report.purged == [jump.op_id]
    assert notices.active_notices(network.store.conn)[0].id == on_top
    assert verify_store(network.store).ok

    held = sync(network.log, office)
    assert [reason.split(" (")[0] for _, reason in held.held] == [
        "Lamport clock jumps too far ahead"
    ]
    newcomer = Identity.generate("Thurmansbang")
    grants.grant(office, network.root, newcomer.public, "hub", newcomer.name)
    assert notices.active_notices(office.store.conn)[0].id == on_top
    sync(office, network.log)
    assert snapshot(office.store) == snapshot(network.store)
    assert verify_store(office.store).ok


# ---- convergence ---------------------------------------------------------------------------

JUMP = 3


class JumpScenario:
    """Ops whose honest jumps depend on what the receiver holds, and one hostile jump.

    The town's admin writes a run of notices; the hub, synced with the town, then writes its
    status, so its clock is far ahead of a node that has only the grants. A second hub jumps far
    beyond anything anyone holds; its later op is held behind that one."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.rogue = Identity.generate("Schönberg")
        grants.grant(network.log, network.admin, self.rogue.public, "hub", self.rogue.name)
        for number in range(2 * JUMP + 2):
            notices.publish(network.log, network.admin, notice(f"Aushang {number}"))
        network.log.append(network.hub, "hub.status", network.hub.key_id, status_bytes("R"))
        for number in range(JUMP):
            notices.publish(network.log, network.admin, notice(f"Nachtrag {number}"))
        self.hostile = status_at(network, self.rogue, clock_of(network.log) + 50 * JUMP)
        self.behind_hostile = sign_op(
            self.rogue,
            network.network_id,
            seq=2,
            prev=self.hostile.op_id,
            lamport=clock_of(network.log) + 50 * JUMP + 1,
            kind="hub.status",
            entity=self.rogue.key_id,
            body=status_bytes(self.rogue.name, note="danach"),
        )
        self.ops = [*all_ops(network.log), self.hostile, self.behind_hostile]


def _ingest_in_order(log: Log, ops: list[RawOp], cuts: list[int]) -> None:
    bounds = sorted({0, len(ops), *(cut % (len(ops) + 1) for cut in cuts)})
    for start, end in itertools.pairwise(bounds):
        log.ingest(ops[start:end])


@pytest.fixture
def scenario(network: Network) -> Iterator[JumpScenario]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(log_module, "MAX_LAMPORT_JUMP", JUMP)
        yield JumpScenario(network)


def test_an_honest_jump_is_held_only_until_what_it_builds_on_arrives(
    scenario: JumpScenario,
) -> None:
    fresh = scenario.network.fresh_log("fresh")
    hub_status = next(op for op in scenario.ops if b"hub.status" in op.header)
    grants_only = [op for op in scenario.ops if b"key.grant" in op.header]
    fresh.ingest(grants_only)
    assert [op_id for op_id, _ in fresh.ingest([hub_status]).held] == [hub_status.op_id]
    fresh.ingest(scenario.ops)
    assert {op_id for op_id, _ in parked(fresh)} == {
        scenario.hostile.op_id,
        scenario.behind_hostile.op_id,
    }
    assert snapshot(fresh.store) == snapshot(scenario.network.store)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 200), max_size=8))
def test_the_bound_gives_the_same_log_in_any_arrival_order(
    scenario: JumpScenario, tmp_path_factory: pytest.TempPathFactory, seed: int, cuts: list[int]
) -> None:
    ops = list(scenario.ops)
    random.Random(seed).shuffle(ops)
    with Store(tmp_path_factory.mktemp("order") / "node.db") as store:
        store.set_network(scenario.network.network_id)
        log = Log(store)
        _ingest_in_order(log, ops, cuts)
        assert snapshot(store) == snapshot(scenario.network.store)
        assert {op_id for op_id, _ in parked(log)} == {
            scenario.hostile.op_id,
            scenario.behind_hostile.op_id,
        }
        assert verify_store(store).ok
