"""Who can open a booking is fixed by the practice (issue 14, finding 2), on real SQLite files.

The practice's own signed record names its booking authority; hubs seal a request to that
server and the practice only, and only that server decides it. An admin who grants a key the
server role, or grants the practice or the server again with a seal key of its own, gains no
reader; a record naming another authority counts only when the practice signs it."""

from __future__ import annotations

import json

import msgspec
import pytest

from content import booking, grants
from content.booking import BookingError
from content.booking_allocation import allocate
from content.booking_bodies import CancelBody, DecisionBody
from content.identity import Identity, PublicIdentity
from content.log import AppendRefused, Log
from content.sealing import SealError
from tests.booking.helpers import RESIDENTS, BookingNet, publish_days
from tests.content.helpers import next_position, sign_op, sync


def _sealed_to(log: Log, request_id: str) -> list[str]:
    row = log.store.conn.execute(
        "SELECT o.header FROM ops o JOIN booking_requests r ON r.op_id = o.id WHERE r.id = ?",
        (request_id,),
    ).fetchone()
    recipients: list[str] = json.loads(row[0])["sealed_to"]
    return recipients


def _grant_server(net: BookingNet, name: str) -> Identity:
    """A key an admin grants the server role on the town, as `dorfhub key grant` does."""
    server = Identity.generate(name)
    grants.grant(net.town, net.admin, server.public, "server", name)
    return server


def _state(log: Log, request_id: str) -> str:
    status = booking.booking_status(log.store.conn, request_id)
    assert status is not None
    return status.state


def test_a_server_key_granted_later_is_no_recipient(net: BookingNet) -> None:
    slots = publish_days(net, net.practice_a, days=1)
    rogue = _grant_server(net, "Zweitserver")
    hub, hub2 = net.hub_log("hub"), net.hub_log("hub2")
    assert grants.key_info(hub.store.conn, rogue.key_id) is not None  # the hub knows the grant
    request = booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0])
    lost = booking.request_booking(hub2, net.hub2, slots[0], RESIDENTS[1])
    expected = sorted([net.practice_a.public.seal_key, net.server.public.seal_key])
    assert _sealed_to(hub, request) == expected
    sync(hub, net.town)
    sync(hub2, net.town)
    conn = net.town.store.conn
    with pytest.raises(SealError):
        booking.open_request(conn, request, rogue)
    for reader in (net.server, net.practice_a):
        assert booking.open_request(conn, request, reader).name == RESIDENTS[0].name
    # The rejected resident's help request goes to the deciding server and the guides only.
    report = allocate(net.town.store, net.server)
    assert (report.confirmed, report.rejected) == ([request], [lost])
    (help_header,) = conn.execute(
        "SELECT header FROM ops WHERE kind = 'help.request' AND author = ?",
        (net.server.key_id,),
    ).fetchone()
    helpers = json.loads(help_header)["sealed_to"]
    assert helpers == sorted([net.server.public.seal_key, net.guide.public.seal_key])


def test_grants_an_admin_writes_change_no_recipient(net: BookingNet) -> None:
    """The seal key of a key follows its latest grant; an admin granting the practice and the
    server again with its own seal key still reads nothing."""
    slot = publish_days(net, net.practice_a, days=1)[0]
    admin_seal = net.admin.public.seal_key
    for victim in (net.practice_a, net.server):
        role = "practice" if victim is net.practice_a else "server"
        posing = PublicIdentity(victim.key_id, admin_seal)
        grants.grant(net.town, net.admin, posing, role, victim.name)
        info = grants.key_info(net.town.store.conn, victim.key_id)
        assert info is not None
        assert info.seal == admin_seal
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    assert admin_seal not in _sealed_to(hub, request)
    with pytest.raises(SealError):
        booking.open_request(hub.store.conn, request, net.admin)
    assert booking.open_request(hub.store.conn, request, net.practice_a).name == RESIDENTS[0].name


def test_only_the_practice_signs_its_record(net: BookingNet) -> None:
    rogue = _grant_server(net, "Zweitserver")
    current = net.practice(net.practice_a)
    forged = booking.practice_meta(
        current.name,
        current.address,
        current.phone,
        practice=net.practice_a.public,
        authority=rogue.public,
    )
    body = msgspec.json.encode(forged)
    for signer in (net.admin, net.root, rogue, net.practice_b):
        with pytest.raises(AppendRefused):
            net.town.append(signer, "practice.meta", net.practice_a.key_id, body)
    # Signed by hand and sent to a hub, the admin's record is refused there too.
    hub = net.hub_log("hub")
    op = sign_op(
        net.admin,
        net.network_id,
        kind="practice.meta",
        entity=net.practice_a.key_id,
        body=body,
        **next_position(hub, net.admin),
    )
    report = hub.ingest([op])
    assert [op_id for op_id, _ in report.rejected] == [op.op_id]
    assert "needs another role" in report.rejected[0][1]
    for log in (net.town, hub):
        practice = booking.get_practice(log.store.conn, net.practice_a.key_id)
        assert practice is not None
        assert practice.authority == net.server.key_id
        assert booking.sealed_recipients(log.store.conn, practice.key, 0) == sorted(
            [net.practice_a.public.seal_key, net.server.public.seal_key]
        )


def test_only_the_named_authority_decides_and_cancels(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    rogue = _grant_server(net, "Zweitserver")
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    sync(hub, net.town)
    # A second server's allocator leaves the request alone (it could not even open it).
    assert not allocate(net.town.store, rogue).changed
    assert _state(net.town, request) == "pending"
    decision = msgspec.json.encode(DecisionBody(outcome="confirmed", slot=slot, code="ACDE-FGHJ"))
    with pytest.raises(AppendRefused, match="name it as the practice's authority"):
        net.town.append(rogue, "booking.decision", request, decision)
    forged = sign_op(
        rogue,
        net.network_id,
        kind="booking.decision",
        entity=request,
        body=decision,
        **next_position(hub, rogue),
    )
    report = hub.ingest([forged])
    assert [op_id for op_id, _ in report.rejected] == [forged.op_id]
    assert _state(hub, request) == "pending"
    assert allocate(net.town.store, net.server).confirmed == [request]
    # Its cancel is stored (a server may cancel) but does not count, and frees no seat.
    net.town.append(rogue, "booking.cancel", request, msgspec.json.encode(CancelBody()))
    assert not allocate(net.town.store, net.server).freed
    assert _state(net.town, request) == "confirmed"
    assert [
        b.request_id for b in booking.list_bookings(net.town.store.conn, states=("confirmed",))
    ] == [request]


def test_a_new_authority_is_the_practices_choice_and_shows_in_its_history(
    net: BookingNet,
) -> None:
    slots = publish_days(net, net.practice_a, days=1)
    second = _grant_server(net, "Stadtserver Grafenau")
    hub = net.hub_log("hub")
    before = booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0])
    current = net.practice(net.practice_a)
    moved = booking.practice_meta(
        current.name,
        current.address,
        current.phone,
        practice=net.practice_a.public,
        authority=second.public,
    )
    booking.publish_practice(net.town, net.practice_a, moved)
    history = booking.authority_history(net.town.store.conn, net.practice_a.key_id)
    assert [(h.author, h.authority) for h in history] == [
        (net.practice_a.key_id, net.server.key_id),
        (net.practice_a.key_id, second.key_id),
    ]
    sync(net.town, hub)
    after = booking.request_booking(hub, net.hub, slots[1], RESIDENTS[1])
    assert _sealed_to(hub, after) == sorted(
        [net.practice_a.public.seal_key, second.public.seal_key]
    )
    sync(hub, net.town)
    with pytest.raises(SealError):
        booking.open_request(net.town.store.conn, after, net.server)
    # Each request is decided by the authority it was made for, and by no other.
    assert allocate(net.town.store, net.server).confirmed == [before]
    assert allocate(net.town.store, second).confirmed == [after]
    # A retry of a request made for the old authority would not be decided: refused.
    with pytest.raises(BookingError, match="Buchungsstelle"):
        booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0], request_id=before)


def test_no_booking_once_the_authority_is_revoked(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    grants.revoke(net.town, net.admin, net.server.key_id, "Server gestohlen")
    hub = net.hub_log("hub")
    ops = hub.count()
    with pytest.raises(BookingError, match="Buchungsstelle") as refused:
        booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    assert refused.value.field == "practice"
    assert hub.count() == ops
