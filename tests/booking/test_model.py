"""The booking model on real SQLite files: who may write what, sealing, timing rules, cancels,
and views that do not depend on the order ops arrive in."""

from __future__ import annotations

import random
import sqlite3

import msgspec
import pytest

from content import booking
from content.booking import BookingError, Person
from content.booking_allocation import allocate
from content.booking_bodies import DecisionBody, SlotBody
from content.booking_ids import new_request_id, new_slot_id
from content.clock import wall_clock_ms
from content.log import AppendRefused, Log
from content.log_audit import verify_store
from content.sealing import SealError, seal
from tests.booking.helpers import DAY, HOUR, RESIDENTS, BookingNet, publish_days
from tests.content.helpers import all_ops, next_position, sign_op, sync, table_rows

BOOKING_TABLES = {
    "practices": "key",
    "slots": "id",
    "booking_requests": "id",
    "booking_decisions": "request_id",
    "booking_cancels": "op_id",
}


def _slot_body(net: BookingNet) -> bytes:
    practice = net.practice(net.practice_b)
    body = SlotBody(practice.service("video"), wall_clock_ms() + 2 * DAY, 1, "Raum")
    return msgspec.json.encode(body)


def test_a_practice_cannot_publish_or_withdraw_for_another(net: BookingNet) -> None:
    b_slot = publish_days(net, net.practice_b, days=1)[0]
    forged_id = new_slot_id(net.practice_b.key_id)
    with pytest.raises(AppendRefused, match="only about itself"):
        net.town.append(net.practice_a, "slot.publish", forged_id, _slot_body(net))
    with pytest.raises(AppendRefused, match="only about itself"):
        net.town.append(net.practice_a, "slot.withdraw", b_slot, b"{}")
    meta = msgspec.json.encode(
        booking.practice_meta(
            "Praxis B?",
            "Weg 1",
            "0800",
            practice=net.practice_b.public,
            authority=net.server.public,
        )
    )
    with pytest.raises(AppendRefused, match="only about itself"):
        net.town.append(net.practice_a, "practice.meta", net.practice_b.key_id, meta)
    # The same forgery signed by hand and sent to another node is refused at ingest.
    hub = net.hub_log("hub")
    position = next_position(net.town, net.practice_a)
    forged = sign_op(
        net.practice_a,
        net.network_id,
        kind="slot.publish",
        entity=forged_id,
        body=_slot_body(net),
        **position,
    )
    report = hub.ingest([forged])
    assert [op for op, _ in report.rejected] == [forged.op_id]
    assert booking.get_slot(hub.store.conn, forged_id) is None
    assert booking.get_slot(hub.store.conn, b_slot) is not None
    # The practice publishes for itself; an admin for no practice (changing a booked slot
    # would cancel or reject its bookings and raise call-backs to guides, a role an admin can
    # grant itself).
    own = new_slot_id(net.practice_a.key_id)
    practice_a = net.practice(net.practice_a)
    body = SlotBody(practice_a.service("video"), wall_clock_ms() + DAY, 1, "Raum")
    net.town.append(net.practice_a, "slot.publish", own, msgspec.json.encode(body))
    assert booking.get_slot(net.town.store.conn, own) is not None
    with pytest.raises(AppendRefused, match="needs another role"):
        net.town.append(net.admin, "slot.publish", forged_id, _slot_body(net))
    assert booking.get_slot(net.town.store.conn, forged_id) is None


def test_only_the_server_authors_decisions(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    decision = msgspec.json.encode(DecisionBody(outcome="confirmed", slot=slot, code="ACDE-FGHJ"))
    for author in (net.hub, net.guide, net.practice_a, net.admin):
        with pytest.raises(AppendRefused, match="needs another role"):
            hub.append(author, "booking.decision", request, decision)
    # A hub's hand-signed decision travels nowhere: the town refuses it at ingest.
    forged = sign_op(
        net.hub,
        net.network_id,
        kind="booking.decision",
        entity=request,
        body=decision,
        **next_position(hub, net.hub),
    )
    sync(hub, net.town)
    report = net.town.ingest([forged])
    assert [op for op, _ in report.rejected] == [forged.op_id]
    status = booking.booking_status(net.town.store.conn, request)
    assert status is not None
    assert status.state == "pending"
    allocate(net.town.store, net.server)
    status = booking.booking_status(net.town.store.conn, request)
    assert status is not None
    assert status.state == "confirmed"
    assert status.code != "ACDE-FGHJ"


def test_a_request_id_names_its_author(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    hub2 = net.hub_log("hub2")
    stolen = new_request_id(slot, net.hub.key_id, on_behalf=False, authority=net.server.key_id)
    recipients = booking.sealed_recipients(hub2.store.conn, net.practice_a.key_id, 0)
    box = seal(b"{}", recipients)
    with pytest.raises(AppendRefused, match="name its author"):
        hub2.append(net.hub2, "booking.request", stolen, box, sealed_to=recipients)


def test_only_recipients_open_the_sealed_part(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    sync(hub, net.town)
    conn = net.town.store.conn
    for reader in (net.server, net.practice_a):
        assert booking.open_request(conn, request, reader).name == RESIDENTS[0].name
    for outsider in (net.hub, net.hub2, net.guide, net.practice_b, net.admin):
        with pytest.raises(SealError):
            booking.open_request(conn, request, outsider)
    assert booking.open_bookings(conn, net.practice_b, net.practice_a.key_id) == []


def test_a_guide_booking_on_behalf_is_marked(net: BookingNet) -> None:
    slots = publish_days(net, net.practice_a, days=1)
    hub = net.hub_log("hub")
    kiosk = booking.request_booking(
        hub, net.hub, slots[0], RESIDENTS[0], on_behalf=True, guide="Frau Kern"
    )
    resident = booking.request_booking(hub, net.hub, slots[1], RESIDENTS[1])
    guide_log = net.hub_log("guide")
    # With a guide's own key a booking is on someone's behalf, whatever the caller says.
    by_guide = booking.request_booking(guide_log, net.guide, slots[2], RESIDENTS[2])
    sync(hub, net.town)
    sync(guide_log, net.town)
    conn = net.town.store.conn
    marks = {r: booking.booking_status(conn, r).on_behalf for r in (kiosk, resident, by_guide)}  # type: ignore[union-attr]
    assert marks == {kiosk: True, resident: False, by_guide: True}
    assert booking.open_request(conn, kiosk, net.practice_a).guide == "Frau Kern"
    assert booking.open_request(conn, resident, net.practice_a).guide == ""


@pytest.mark.parametrize(
    ("person", "field"),
    [
        (Person("", "1940-01-01", consent=True), "name"),
        (Person("A" * 81, "1940-01-01", consent=True), "name"),
        (Person("Anna", "1940-02-30", consent=True), "birth_date"),
        (Person("Anna", "2999-01-01", consent=True), "birth_date"),
        (Person("Anna", "1940-01-01", "call me", consent=True), "phone"),
        (Person("Anna", "1940-01-01", consent=False), "consent"),
    ],
)
def test_bad_entries_store_nothing(net: BookingNet, person: Person, field: str) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    hub = net.hub_log("hub")
    before = hub.count()
    with pytest.raises(BookingError) as caught:
        booking.request_booking(hub, net.hub, slot, person)
    assert caught.value.field == field
    assert hub.count() == before


def test_minimum_notice_and_horizon(net: BookingNet) -> None:
    slot_id = publish_days(net, net.practice_a, days=1, times=("09:00",))[0]
    slot = booking.get_slot(net.town.store.conn, slot_id)
    assert slot is not None
    assert slot.service.min_notice_min == 120
    hub = net.hub_log("hub")
    with pytest.raises(BookingError, match="kurzfristig"):
        booking.request_booking(hub, net.hub, slot_id, RESIDENTS[0], now_ms=slot.start - HOUR)
    with pytest.raises(BookingError, match="zu weit"):
        booking.request_booking(hub, net.hub, slot_id, RESIDENTS[0], now_ms=slot.start - 29 * DAY)
    # Made in time at the hub, but the hub was offline: the server, the authority, decides
    # with its own clock and refuses it, offering what is still bookable.
    request = booking.request_booking(
        hub, net.hub, slot_id, RESIDENTS[0], now_ms=slot.start - 3 * HOUR
    )
    sync(hub, net.town)
    allocate(net.town.store, net.server, now_ms=slot.start - HOUR)
    status = booking.booking_status(net.town.store.conn, request)
    assert status is not None
    assert (status.state, status.reason) == ("rejected", "too_soon")


def test_cancel_rules(net: BookingNet) -> None:
    slots = publish_days(net, net.practice_a, days=1)
    hub, hub2 = net.hub_log("hub"), net.hub_log("hub2")
    requests = [
        booking.request_booking(hub, net.hub, slot, person)
        for slot, person in zip(slots, RESIDENTS, strict=True)
    ]
    sync(hub, net.town)
    allocate(net.town.store, net.server)
    sync(net.town, hub)
    sync(net.town, hub2)
    conn2 = hub2.store.conn
    codes = [booking.booking_status(conn2, r).code for r in requests]  # type: ignore[union-attr]
    assert all(codes)
    # Another hub without the code: signed and stored, but it does not count.
    hub2.append(net.hub2, "booking.cancel", requests[0], b"{}")
    assert booking.booking_status(conn2, requests[0]).state == "confirmed"  # type: ignore[union-attr]
    # With the code it does; the hub that booked needs none; the practice cancels its own.
    booking.cancel_booking(hub2, net.hub2, code=str(codes[0]).lower().replace("-", " "))
    booking.cancel_booking(hub, net.hub, request_id=requests[1])
    with pytest.raises(AppendRefused, match="only about itself"):
        booking.cancel_booking(net.town, net.practice_b, request_id=requests[2])
    booking.cancel_booking(net.town, net.practice_a, request_id=requests[2])
    sync(hub2, net.town)
    sync(hub, net.town)
    report = allocate(net.town.store, net.server)
    assert sorted(report.freed) == sorted(requests)
    for log in (net.town, hub, hub2):
        sync(net.town, log)
        states = {booking.booking_status(log.store.conn, r).state for r in requests}  # type: ignore[union-attr]
        assert states == {"cancelled"}
    assert all(s.free == 1 for s in booking.list_slots(net.town.store.conn, free_only=True))
    again = booking.request_booking(hub, net.hub, slots[0], RESIDENTS[1])
    sync(hub, net.town)
    assert allocate(net.town.store, net.server).confirmed == [again]


def test_withdrawn_slot_cancels_its_booking_and_leaves_the_call_to_the_practice(
    net: BookingNet,
) -> None:
    slot = publish_days(net, net.practice_a, days=1)[0]
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slot, RESIDENTS[0])
    sync(hub, net.town)
    allocate(net.town.store, net.server)
    booking.withdraw_slot(net.town, net.practice_a, slot, "Praxis geschlossen")
    report = allocate(net.town.store, net.server)
    assert report.freed == [request]
    status = booking.booking_status(net.town.store.conn, request)
    assert status is not None
    assert status.state == "cancelled"
    # No guide is given the person: the practice that withdrew calls its patient itself.
    assert report.help_requests == []
    assert net.town.store.conn.execute(
        "SELECT count(*) FROM ops WHERE kind = 'help.request'"
    ).fetchone() == (0,)
    [cancelled] = booking.open_bookings(
        net.town.store.conn, net.practice_a, net.practice_a.key_id, states=("cancelled",)
    )
    assert (cancelled.person.name, cancelled.person.phone) == (
        RESIDENTS[0].name,
        RESIDENTS[0].phone,
    )


def _state(log: Log) -> dict[str, object]:
    conn = log.store.conn
    state: dict[str, object] = {t: table_rows(conn, t, k) for t, k in BOOKING_TABLES.items()}
    state["states"] = sorted(booking.list_bookings(conn), key=lambda b: b.request_id)
    state["slots"] = [(s.id, s.free) for s in booking.list_slots(conn)]
    return state


def test_views_do_not_depend_on_arrival_order(net: BookingNet) -> None:
    slots = publish_days(net, net.practice_a, days=2, capacity=1)
    hub, hub2 = net.hub_log("hub"), net.hub_log("hub2")
    first = booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0])
    booking.request_booking(hub2, net.hub2, slots[0], RESIDENTS[1])
    third = booking.request_booking(hub2, net.hub2, slots[1], RESIDENTS[2])
    sync(hub, net.town)
    sync(hub2, net.town)
    allocate(net.town.store, net.server)
    sync(net.town, hub)
    booking.cancel_booking(hub, net.hub, request_id=first)
    booking.cancel_booking(net.town, net.practice_a, request_id=third)
    booking.withdraw_slot(net.town, net.practice_a, slots[3])
    sync(hub, net.town)
    allocate(net.town.store, net.server)
    ops = all_ops(net.town)
    expected = _state(net.town)
    shuffler = random.Random(6)
    for round_ in range(4):
        shuffled = ops[:]
        shuffler.shuffle(shuffled)
        fresh = net.stores.log(f"replay{round_}", net.network_id)
        for op in shuffled:
            fresh.ingest([op])
        assert _state(fresh) == expected
    assert verify_store(net.town.store).ok


def _bookable(conn: sqlite3.Connection, at: int) -> list[str]:
    return [slot.id for slot in booking.list_slots(conn, bookable_at=at)]


def test_the_bookable_slots_change_exactly_at_the_moments_announced(net: BookingNet) -> None:
    """Walk from a month before the slots to after the last: between two announced moments the
    bookable slots stay the same (checked at both ends and in the middle); at each they change."""
    publish_days(net, net.practice_a, days=3)  # video: 2 h notice, 28-day horizon
    publish_days(net, net.practice_b, days=2, times=("11:00",), service="phone")
    conn = net.hub_log("hub").store.conn
    at, moments = wall_clock_ms() - 40 * DAY, 0
    while (moment := booking.next_bookable_change(conn, at)) is not None:
        assert moment > at
        before = _bookable(conn, at)
        for probe in (moment - 1, (at + moment) // 2):
            assert _bookable(conn, probe) == before, (at, probe, moment)
        assert _bookable(conn, moment) != before
        at, moments = moment, moments + 1
    assert moments == 2 * (3 * 3 + 2)  # each slot enters its horizon and leaves at its notice
    assert _bookable(conn, at) == []
