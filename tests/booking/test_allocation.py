"""The town server's allocator: capacity held by the database, decisions in arrival order, once
per request id, in the same transaction as the seat; random orders, retries and cancellations."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import tempfile
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from content import booking, grants
from content.booking_allocation import allocate, seat_count
from content.booking_ids import slot_of_request
from content.help import HelpRequestBody
from content.log import AppendRefused, Log
from content.ops import RawOp
from content.sealing import open_sealed
from tests.booking.helpers import RESIDENTS, BookingNet, build_net, publish_days
from tests.content.conftest import Stores
from tests.content.helpers import sync

FINAL_STATES = {"confirmed", "rejected", "cancelled"}


def _new_ops(source: Log, target: Log) -> list[RawOp]:
    return list(source.ops_missing_from(target.version_vector()))


def test_the_seat_table_refuses_a_seat_beyond_capacity(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1, capacity=2)[0]
    conn = net.town.store.conn
    insert = "INSERT INTO booking_seats VALUES (?, ?, ?, 0)"
    conn.execute(insert, (slot, 0, "r1"))
    conn.execute(insert, (slot, 1, "r2"))
    with pytest.raises(sqlite3.IntegrityError, match="no free seat"):
        conn.execute(insert, (slot, 2, "r3"))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(insert, (slot, 1, "r4"))  # the same seat twice
    with pytest.raises(sqlite3.IntegrityError, match="no free seat"):
        conn.execute(insert, ("s-unknown", 0, "r5"))
    other = publish_days(net, net.practice_b, days=1)[0]
    booking.withdraw_slot(net.town, net.practice_b, other)
    with pytest.raises(sqlite3.IntegrityError, match="no free seat"):
        conn.execute(insert, (other, 0, "r6"))
    assert seat_count(conn, slot) == 2


def test_the_decision_is_stored_with_its_seat_or_not_at_all(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    sync(hub, net.town)
    conn = net.town.store.conn
    before = net.stores.log("before", net.network_id)
    sync(net.town, before)
    # The request's authority is revoked before it decides: its append fails after the seat
    # row was written, and the whole transaction goes.
    grants.revoke(net.town, net.admin, net.server.key_id, "Schlüssel verloren")
    with pytest.raises(AppendRefused):
        allocate(net.town.store, net.server)
    assert seat_count(conn, slot) == 0
    assert conn.execute("SELECT count(*) FROM booking_decisions").fetchone()[0] == 0
    status = booking.booking_status(conn, request)
    assert status is not None
    assert status.state == "pending"
    # The same store as it was before the revoke: the decision and its seat go in together.
    assert allocate(before.store, net.server).confirmed == [request]
    assert seat_count(before.store.conn, slot) == 1


def test_requests_are_decided_in_arrival_order_and_once(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    hub, hub2 = net.hub_log("hub"), net.hub_log("hub2")
    early = booking.request_booking(hub2, net.hub2, slot, RESIDENTS[1])
    late = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    retry = booking.request_booking(hub, net.hub, slot, RESIDENTS[0], request_id=late)
    assert retry == late
    sync(hub2, net.town)  # hub2's request reaches the server first, though hub's is older
    sync(hub, net.town)
    report = allocate(net.town.store, net.server)
    assert (report.confirmed, report.rejected) == ([early], [late])
    assert allocate(net.town.store, net.server).changed is False
    decisions = net.town.store.conn.execute(
        "SELECT entity, count(*) FROM ops WHERE kind = 'booking.decision' GROUP BY entity"
    ).fetchall()
    assert sorted(decisions) == sorted([(early, 1), (late, 1)])
    status = booking.booking_status(net.town.store.conn, late)
    assert status is not None
    assert status.reason == "full"
    assert len(status.alternatives) == 2
    # The rejected resident gets a call: a help request sealed to the guides and servers.
    (box,) = net.town.store.conn.execute(
        "SELECT body FROM ops WHERE kind = 'help.request' AND author = ?", (net.server.key_id,)
    ).fetchone()
    helped = msgspec.json.decode(open_sealed(box, net.guide), type=HelpRequestBody)
    assert helped.name == RESIDENTS[0].name
    assert helped.hub.startswith("Ringelai")


# Each step: (hub index, slot index, action) with action "request", "retry", "cancel",
# "deliver" (a random op of a hub's backlog reaches the server), "allocate".
Step = tuple[int, int, str]
steps = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.integers(0, 1),
        st.sampled_from(
            ["request", "request", "retry", "cancel", "deliver", "deliver", "allocate"]
        ),
    ),
    min_size=4,
    max_size=30,
)
# Two hubs offline book the last place, then both requests arrive: the plain race.
RACE: list[Step] = [(0, 0, "request"), (1, 0, "request"), (0, 0, "deliver"), (1, 0, "deliver")]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(capacities=[1, 1], plan=RACE, order=random.Random(0))
@given(
    capacities=st.lists(st.integers(1, 2), min_size=2, max_size=2),
    plan=steps,
    order=st.randoms(use_true_random=False),
)
def test_random_orders_retries_and_cancels_never_overbook(
    capacities: list[int], plan: list[Step], order: random.Random
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        stores = Stores(Path(directory))
        try:
            _run_plan(stores, capacities, plan, order)
        finally:
            stores.close_all()


def _run_plan(
    stores: Stores, capacities: list[int], plan: list[Step], order: random.Random
) -> None:
    net = build_net(stores)
    slots = [
        publish_days(net, net.practice_a, days=1, times=("09:00",), capacity=capacity)[0]
        for capacity in capacities
    ]
    hubs = [(net.hub, net.hub_log("hub")), (net.hub2, net.hub_log("hub2"))]
    made: list[list[str]] = [[], []]
    for hub_index, slot_index, action in plan:
        identity, log = hubs[hub_index]
        if action == "request":
            # BookingError: the hub already sees the slot full (its own pending included).
            with contextlib.suppress(booking.BookingError):
                made[hub_index].append(
                    booking.request_booking(log, identity, slots[slot_index], RESIDENTS[0])
                )
        elif action == "retry" and made[hub_index]:
            request = order.choice(made[hub_index])
            slot = slot_of_request(request)
            assert slot is not None
            booking.request_booking(log, identity, slot, RESIDENTS[1], request_id=request)
        elif action == "cancel" and made[hub_index]:
            request = order.choice(made[hub_index])
            status = booking.booking_status(log.store.conn, request)
            if status is not None and status.state in ("pending", "confirmed"):
                booking.cancel_booking(log, identity, request_id=request)
        elif action == "deliver":
            backlog = _new_ops(log, net.town)
            if backlog:
                op = order.choice(backlog)
                net.town.ingest([op])
                # A retried push: the same bytes again.
                net.town.ingest([op])
        elif action == "allocate":
            allocate(net.town.store, net.server)
            for _, hub_log in hubs:
                sync(net.town, hub_log)
        _check_capacity(net, slots, capacities)
    for _, log in hubs:
        sync(log, net.town)
    allocate(net.town.store, net.server)
    _check_capacity(net, slots, capacities)
    conn = net.town.store.conn
    requests = {r for hub_made in made for r in hub_made}
    states = {r: booking.booking_status(conn, r).state for r in requests}  # type: ignore[union-attr]
    assert set(states.values()) <= FINAL_STATES, states
    seated = {row[0] for row in conn.execute("SELECT request_id FROM booking_seats")}
    assert seated == {r for r, state in states.items() if state == "confirmed"}
    decided = conn.execute(
        "SELECT entity, count(*) FROM ops WHERE kind = 'booking.decision' GROUP BY entity"
    ).fetchall()
    assert all(count == 1 for _, count in decided)
    before = net.town.count()
    assert not allocate(net.town.store, net.server).changed
    assert net.town.count() == before


def _check_capacity(net: BookingNet, slots: list[str], capacities: list[int]) -> None:
    conn = net.town.store.conn
    for slot, capacity in zip(slots, capacities, strict=True):
        assert seat_count(conn, slot) <= capacity
        confirmed = booking.list_bookings(conn, states=("confirmed",))
        assert len([b for b in confirmed if b.slot_id == slot]) <= capacity
