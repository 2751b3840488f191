"""A compromised admin key cannot make itself a reader of booking personal data (issue 14
review, finding C): it may not withdraw a practice's slots (the withdrawal cancels bookings and
used to raise a call-back sealed to every guide, a role the admin can grant itself), on any
node, whatever order the ops reach it in."""

from __future__ import annotations

import msgspec
import pytest

from content import booking, grants
from content.booking import BookingError
from content.booking_allocation import allocate
from content.booking_bodies import SlotWithdrawBody
from content.identity import Identity
from content.log import AppendRefused, Log
from content.sealing import SealError, open_sealed
from tests.booking.helpers import RESIDENTS, BookingNet, build_net, publish_days
from tests.content.conftest import Stores
from tests.content.helpers import all_ops, next_position, sign_op, sync


def _readable_by(log: Log, reader: Identity) -> list[bytes]:
    """Every sealed body in the log that `reader` opens."""
    opened = []
    for (body,) in log.store.conn.execute(
        "SELECT body FROM ops WHERE body IS NOT NULL AND kind IN ('booking.request', "
        "'help.request')"
    ):
        try:
            opened.append(open_sealed(body, reader))
        except SealError:
            continue
    return opened


def _state(log: Log, request: str) -> str | None:
    status = booking.booking_status(log.store.conn, request)
    return None if status is None else status.state


def _confirmed_booking(net: BookingNet) -> tuple[str, str]:
    slot = publish_days(net, net.practice_a, days=3, times=("09:00",))[1]
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    sync(hub, net.town)
    assert allocate(net.town.store, net.server).confirmed == [request]
    return slot, request


def test_an_admin_that_makes_itself_a_guide_cannot_withdraw_a_booked_slot(
    stores: Stores,
) -> None:
    net = build_net(stores)
    slot, request = _confirmed_booking(net)
    evil = Identity.generate("Frau Neu")
    grants.grant(net.town, net.admin, evil.public, "guide", evil.name)
    with pytest.raises(BookingError, match="only the practice withdraws"):
        booking.withdraw_slot(net.town, net.admin, slot, "Praxis geschlossen")
    body = msgspec.json.encode(SlotWithdrawBody(reason="Praxis geschlossen"))
    with pytest.raises(AppendRefused, match="another role"):
        net.town.append(net.admin, "slot.withdraw", slot, body)
    allocate(net.town.store, net.server)
    assert _state(net.town, request) == "confirmed"
    assert _readable_by(net.town, evil) == []


def test_an_admin_signed_withdrawal_is_refused_on_every_node_in_any_order(
    stores: Stores,
) -> None:
    """Signed by hand (as older software would) and carried in: refused whether it reaches a
    node before or after the booking it would cancel, so every node keeps the same log."""
    net = build_net(stores)
    slot, request = _confirmed_booking(net)
    body = msgspec.json.encode(SlotWithdrawBody(reason="Praxis geschlossen"))
    position = next_position(net.town, net.admin)
    forged = sign_op(
        net.admin, net.network_id, **position, kind="slot.withdraw", entity=slot, body=body
    )
    logged = all_ops(net.town)
    for name, ops in (("after", [*logged, forged]), ("before", [forged, *logged])):
        node = net.stores.log(name, net.network_id)
        report = node.ingest(ops)
        assert report.rejected == [(forged.op_id, "slot.withdraw needs another role than admin")]
        assert _state(node, request) == "confirmed", name
        found = booking.get_slot(node.store.conn, slot)
        assert found is not None
        assert not found.withdrawn
        assert node.digest() == net.town.digest()
