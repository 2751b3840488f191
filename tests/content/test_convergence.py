"""Convergence: the same ops, ingested in any order with any replays, give the same log and the
same views (ARCHITECTURE.md section 2, rules 3 and 5).

Each example plays a small scenario on two nodes: the town server (root, admin 1, hub 1) and a
second admin's office (admin 2, hub 2 and a hub granted later), which write concurrently, race
on the same notices, revoke each other's hubs and sync now and then. Every op authored is
collected, then fed to fresh stores in a random order with replays, in random batches.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import ExitStack

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from content import grants
from content.bodies import RetractBody, encode_body
from content.identity import Identity, network_id_for
from content.log import AppendRefused, Log
from content.log_audit import verify_store
from content.ops import RawOp
from content.store import Store
from tests.content.helpers import GROUP, notice_bytes, snapshot, status_bytes, sync

NOTICE_IDS = ("n-bus", "n-fest", "n-wasser")
SHOWN_FROM = 1_700_000_000_000  # fixed, so bodies do not depend on the wall clock
TOWN, OFFICE = 0, 1

Step = tuple[str, int, int]
ROUTINE_STEPS = st.one_of(
    st.tuples(st.just("put"), st.sampled_from((TOWN, OFFICE)), st.integers(0, 2)),
    st.tuples(st.just("retract"), st.sampled_from((TOWN, OFFICE)), st.integers(0, 2)),
    st.tuples(st.just("status"), st.sampled_from((TOWN, OFFICE)), st.just(0)),
    st.tuples(st.just("sync"), st.sampled_from((TOWN, OFFICE)), st.just(0)),
    st.tuples(st.just("race"), st.just(TOWN), st.integers(0, 2)),
)


class Scenario:
    """Two nodes and six identities; `authored` collects every op in the order it was signed,
    which is a causal order because an author only signs on top of what its node holds."""

    def __init__(self, open_log: Callable[[str, str], Log]) -> None:
        self.root = Identity.generate("Wurzel")
        self.admins = (Identity.generate("Verwaltung"), Identity.generate("Zweite Verwaltung"))
        self.hubs = (Identity.generate("Ringelai"), Identity.generate("Perlesreut"))
        self.new_hub = Identity.generate("Thurmansbang")
        self.network_id = network_id_for(self.root.key_id)
        self.logs = (open_log("town", self.network_id), open_log("office", self.network_id))
        self.authored: list[RawOp] = []
        self.counter = 0

    def sign(self, node: int, author: Identity, kind: str, entity: str, body: bytes) -> None:
        self._record(node, lambda log: log.append(author, kind, entity, body))

    def grant(
        self, node: int, by: Identity, who: Identity, role: str, groups: list[str] | None = None
    ) -> None:
        may_grant = role == "admin"  # both admins come from the root and may grant

        def write(log: Log) -> str:
            return grants.grant(
                log, by, who.public, role, who.name, groups=groups, may_grant=may_grant
            )

        self._record(node, write)

    def _record(self, node: int, write: Callable[[Log], str]) -> None:
        try:
            op_id = write(self.logs[node])
        except AppendRefused:
            return  # the author lost its role on this node: nothing was signed
        op = self.logs[node].get(op_id)
        assert op is not None
        self.authored.append(op)

    def set_up(self) -> None:
        for admin in self.admins:
            self.grant(TOWN, self.root, admin, "admin")
        for hub in self.hubs:
            self.grant(TOWN, self.admins[0], hub, "hub", groups=[GROUP])
        sync(self.logs[TOWN], self.logs[OFFICE])

    def play(self, step: Step) -> None:
        action, node, arg = step
        log, admin, hub = self.logs[node], self.admins[node], self.hubs[node]
        self.counter += 1
        if action == "put":
            body = notice_bytes(f"Aushang {self.counter}", valid_from=SHOWN_FROM)
            self.sign(node, admin, "notice.put", NOTICE_IDS[arg], body)
        elif action == "retract":
            body = encode_body(RetractBody(reason=f"Grund {self.counter}"))
            self.sign(node, admin, "notice.retract", NOTICE_IDS[arg], body)
        elif action == "status":
            self.sign(node, hub, "hub.status", hub.key_id, status_bytes(hub.name, n=self.counter))
        elif action == "sync":
            sync(log, self.logs[1 - node])
        elif action == "race":
            # Both offices in step, then both edit the same notice: a tie on the Lamport clock.
            self.sync_fully()
            for racer in (TOWN, OFFICE):
                body = notice_bytes(f"Fassung {self.counter}/{racer}", valid_from=SHOWN_FROM)
                self.sign(racer, self.admins[racer], "notice.put", NOTICE_IDS[arg], body)
        elif action == "revoke_hub":
            self._revoke(node, admin, self.hubs[arg])
        elif action == "revoke_admin2":
            self._revoke(TOWN, self.root, self.admins[OFFICE])
        elif action == "grant_new_hub":
            self.grant(OFFICE, self.admins[OFFICE], self.new_hub, "hub", groups=["Sonnenwald"])
        elif action == "new_hub_status":
            status = status_bytes(self.new_hub.name, n=self.counter)
            self.sign(OFFICE, self.new_hub, "hub.status", self.new_hub.key_id, status)

    def _revoke(self, node: int, by: Identity, whom: Identity) -> None:
        """Revoke on `node` after what it holds of `whom`: ops signed elsewhere since are void."""
        self._record(node, lambda log: grants.revoke(log, by, whom.key_id, "Test"))

    def sync_fully(self) -> None:
        for _ in range(3):
            sync(self.logs[TOWN], self.logs[OFFICE])
            sync(self.logs[OFFICE], self.logs[TOWN])


@st.composite
def scenario_steps(draw: st.DrawFn) -> list[Step]:
    """Routine steps with the key events at random places. Each revoke is issued on the node
    that does not host the revoked author, who keeps writing there until the revoke arrives."""
    steps: list[Step] = draw(st.lists(ROUTINE_STEPS, min_size=3, max_size=14))
    revoker = draw(st.sampled_from((TOWN, OFFICE)))
    at = draw(st.integers(0, len(steps)))
    steps[at:at] = [("revoke_hub", revoker, 1 - revoker), ("status", 1 - revoker, 0)]
    grant_at = draw(st.integers(0, len(steps)))
    steps.insert(grant_at, ("grant_new_hub", OFFICE, 0))
    for _ in range(draw(st.integers(1, 2))):
        steps.insert(draw(st.integers(grant_at + 1, len(steps))), ("new_hub_status", OFFICE, 0))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(steps)))
        steps[at:at] = [("revoke_admin2", TOWN, 0), ("put", OFFICE, draw(st.integers(0, 2)))]
    return steps


@st.composite
def delivery(draw: st.DrawFn, count: int) -> list[list[int]]:
    """A random order of op indexes with replays mixed in, cut into batches."""
    stream: list[int] = list(draw(st.permutations(range(count))))
    replays = st.tuples(st.integers(0, count), st.integers(0, count - 1))
    for position, index in draw(st.lists(replays, max_size=10)):
        stream.insert(position, index)
    cuts = sorted(set(draw(st.lists(st.integers(1, len(stream) - 1), max_size=4))))
    bounds = [0, *cuts, len(stream)]
    return [stream[start:end] for start, end in itertools.pairwise(bounds)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=scenario_steps(), data=st.data())
def test_any_delivery_order_with_replays_converges(
    tmp_path_factory: pytest.TempPathFactory, steps: list[Step], data: st.DataObject
) -> None:
    # tmp_path is one directory per test; every Hypothesis example needs its own.
    directory = tmp_path_factory.mktemp("convergence")
    with ExitStack() as closing:

        def open_log(name: str, network_id: str) -> Log:
            store = closing.enter_context(Store(directory / f"{name}.db"))
            store.set_network(network_id)
            return Log(store)

        scenario = Scenario(open_log)
        scenario.set_up()
        for step in steps:
            scenario.play(step)
        ops = scenario.authored

        in_order = open_log("in-order", scenario.network_id)
        in_order.ingest(ops)
        expected = snapshot(in_order.store)

        shuffled = open_log("shuffled", scenario.network_id)
        purged = held = 0
        for batch in data.draw(delivery(len(ops)), label="batches"):
            report = shuffled.ingest([ops[index] for index in batch])
            purged, held = purged + len(report.purged), held + len(report.held)
        # Shown by --hypothesis-show-statistics: how often the hard paths were taken.
        event("ops purged by a late revoke", purged > 0)
        event("ops held back", held > 0)

        assert snapshot(shuffled.store) == expected
        replay = shuffled.ingest(ops)
        assert replay.applied == []
        assert replay.purged == []
        assert snapshot(shuffled.store) == expected
        for store in (in_order.store, shuffled.store):
            verified = verify_store(store)
            assert verified.ok, verified.problems

        # The authoring nodes themselves converge too once they have synced both ways.
        scenario.sync_fully()
        for log in scenario.logs:
            assert snapshot(log.store) == expected
