"""A relay that strips a booking's sealed body (issue 14 review, finding A), on real SQLite
files: the body-less op is taken only once the receiver itself finds the body due; otherwise it
waits for a complete copy, which is then taken; an op held without its body while the body is
still wanted (taken by the shortest period, its slot unknown then) gets it from a later copy;
no booking is decided on a missing body; and nodes that get an erased request in any order end
with the same log.

The requests are dated eight or nine days back, as a hub that was offline that long dates
them: what a node finds due depends on signed times, not on the day the test runs."""

from __future__ import annotations

import random

import msgspec

from content import booking
from content.booking_allocation import allocate
from content.booking_bodies import BookingPersonBody, CancelBody
from content.booking_ids import new_request_id
from content.clock import wall_clock_ms
from content.log import Log
from content.ops import RawOp, decode_header
from content.pruning import erase_due
from content.retention import DAY_MS
from content.sealing import seal
from tests.booking.helpers import RESIDENTS, BookingNet, build_net, publish_days
from tests.content.conftest import Stores
from tests.content.helpers import all_ops, sync


def _request_dated(hub: Log, net: BookingNet, slot_id: str, made_at: int) -> str:
    """A booking request as the kiosk seals it, signed with the time `made_at`."""
    conn = hub.store.conn
    practice = booking.practice_of_slot(slot_id)
    assert practice is not None
    keys = booking.custody(conn, practice, wall_clock_ms())
    request_id = new_request_id(slot_id, net.hub.key_id, False, keys.authority)
    person = RESIDENTS[0]
    body = BookingPersonBody(
        request=request_id,
        name=person.name,
        birth_date=person.birth_date,
        phone=person.phone,
        consent=True,
        hub="Ringelai",
        created=made_at,
    )
    box = seal(msgspec.json.encode(body), keys.recipients)
    hub.append(
        net.hub, "booking.request", request_id, box, sealed_to=keys.recipients, time_ms=made_at
    )
    return request_id


def _stripped(ops: list[RawOp]) -> list[RawOp]:
    """What a hostile relay forwards: every booking request without its body."""
    return [
        RawOp(op.header, op.signature, None)
        if decode_header(op.header).kind == "booking.request"
        else op
        for op in ops
    ]


def _body_held(log: Log, request_id: str) -> bool:
    row = log.store.conn.execute(
        "SELECT body IS NOT NULL FROM ops WHERE kind = 'booking.request' AND entity = ?",
        (request_id,),
    ).fetchone()
    return bool(row and row[0])


def _state(log: Log, request_id: str) -> str | None:
    status = booking.booking_status(log.store.conn, request_id)
    return None if status is None else status.state


def test_a_stripped_request_waits_for_its_body_and_is_decided_on_it(stores: Stores) -> None:
    """The reviewer's repro: the request is eight days old, its appointment in 20 days; the
    town knows the slot, so its body is due 30 days after the appointment, not now."""
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=25, times=("09:00",))
    hub = net.hub_log("hub")
    request = _request_dated(hub, net, slots[20], wall_clock_ms() - 8 * DAY_MS)
    ops = list(hub.ops_missing_from(net.town.version_vector()))

    report = net.town.ingest(_stripped(ops))
    assert [why for _, why in report.rejected] == ["booking.request op arrived without its body"]
    assert allocate(net.town.store, net.server).rejected == []  # nothing to decide on
    report = net.town.ingest(ops)  # a complete copy, from the hub or any other peer
    assert report.applied == [ops[0].op_id]
    assert _body_held(net.town, request)
    assert allocate(net.town.store, net.server).confirmed == [request]


def test_a_request_taken_without_body_stays_pending_and_takes_its_body_later(
    stores: Stores,
) -> None:
    """A node that does not know the slot yet takes the stripped request by the shortest
    period (seven days); the authority leaves it pending instead of rejecting it as invalid.
    Once the slot arrives the body is wanted again, and a complete copy fills it in."""
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=25, times=("09:00",))
    hub = net.hub_log("hub")
    request = _request_dated(hub, net, slots[-1], wall_clock_ms() - 8 * DAY_MS)
    slot_op = net.town.store.conn.execute(
        "SELECT id FROM ops WHERE kind = 'slot.publish' AND entity = ?", (slots[-1],)
    ).fetchone()[0]
    town2 = net.stores.log("town2", net.network_id)  # the authority's node, behind on slots
    everything = all_ops(net.town)
    later_slot = [op for op in everything if op.op_id == slot_op]  # the practice's last op
    assert town2.ingest([op for op in everything if op.op_id != slot_op]).rejected == []
    ops = [op for op in hub.ops_missing_from(town2.version_vector()) if op.op_id != slot_op]
    assert town2.ingest(_stripped(ops)).applied == [ops[0].op_id]  # taken: slot unknown
    assert not allocate(town2.store, net.server).changed
    assert _state(town2, request) == "pending"

    assert town2.ingest(later_slot).applied == [slot_op]
    report = town2.ingest(ops)  # a complete copy: a repair, not a duplicate
    assert (report.applied, report.repaired, report.duplicates) == ([ops[0].op_id],) * 2 + ([],)
    assert _body_held(town2, request)
    assert allocate(town2.store, net.server).confirmed == [request]


def test_an_erased_request_reaches_late_nodes_in_any_order_and_never_comes_back(
    stores: Stores,
) -> None:
    """The hub booked and cancelled nine days ago; the town erased the body seven days after
    the cancel. Fresh nodes get the town's ops in shuffled orders, rounds repeated until
    nothing more applies, as sync does: the cancel that would make the body due waits behind
    the request (same author), and still every node ends with the town's log, without the
    body, which a complete copy from the hub does not bring back."""
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=3, times=("09:00",))
    hub = net.hub_log("hub")
    made_at = wall_clock_ms() - 9 * DAY_MS
    request = _request_dated(hub, net, slots[1], made_at)
    cancel = CancelBody(reason="krank")
    hub.append(
        net.hub, "booking.cancel", request, msgspec.json.encode(cancel), time_ms=made_at + 1000
    )
    sync(hub, net.town)
    assert erase_due(net.town.store).bookings == 1
    assert not _body_held(net.town, request)
    town_ops = all_ops(net.town)
    shuffler = random.Random(14)
    for round_ in range(5):
        node = net.stores.log(f"late{round_}", net.network_id)
        for _ in range(len(town_ops)):
            missing = list(net.town.ops_missing_from(node.version_vector()))
            shuffler.shuffle(missing)
            if not missing or not node.ingest(missing).applied:
                break
        assert node.digest() == net.town.digest(), round_
        assert _state(node, request) == "cancelled"
        report = node.ingest(all_ops(hub))
        assert report.repaired == []
        assert not _body_held(node, request)
