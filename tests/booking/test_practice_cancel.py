"""A booking cancelled with a reason (issue 16, the practices' desk): what the kiosk's views and
a new slip say at the hub, and the call-back the town server raises for the guides when, and
only when, the practice itself cancelled."""

from __future__ import annotations

import msgspec

from content import booking
from content.booking_allocation import allocate
from content.help import HelpRequestBody
from content.log import Log
from content.sealing import SealError, open_sealed
from tests.booking.helpers import RESIDENTS, BookingNet, publish_days
from tests.content.helpers import sync

REASON = "Die Praxis ist an diesem Tag geschlossen."


def _confirmed(net: BookingNet, slot: str, resident: int = 0) -> tuple[Log, str]:
    """A booking made at the hub and confirmed by the town; returns the hub's log and its id."""
    hub = net.hub_log("hub")
    request_id = booking.request_booking(hub, net.hub, slot, RESIDENTS[resident])
    sync(hub, net.town)
    assert allocate(net.town.store, net.server).confirmed == [request_id]
    sync(net.town, hub)
    return hub, request_id


def _call_backs(net: BookingNet) -> list[HelpRequestBody]:
    """The help requests the town holds, as a guide opens them."""
    rows = net.town.store.conn.execute(
        "SELECT body FROM ops WHERE kind = 'help.request' AND body IS NOT NULL ORDER BY rowid"
    ).fetchall()
    return [
        msgspec.json.decode(open_sealed(box, net.guide), type=HelpRequestBody) for (box,) in rows
    ]


def test_the_hub_sees_the_practices_reason_and_a_new_slip_says_it(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=2)[0]
    hub, request_id = _confirmed(net, slot)
    status = booking.booking_status(hub.store.conn, request_id)
    assert status is not None
    assert (status.state, status.cancel_reason) == ("confirmed", None)

    booking.cancel_booking(net.town, net.practice_a, request_id=request_id, reason=REASON)
    sync(net.town, hub)
    status = booking.booking_status(hub.store.conn, request_id)
    assert status is not None
    assert (status.state, status.cancel_reason) == ("cancelled", REASON)
    slip = booking.slip(hub.store.conn, request_id, "de")
    assert (slip.state, slip.code, slip.cancel_reason) == ("cancelled", None, REASON)
    listed = booking.list_bookings(hub.store.conn, net.practice_a.key_id, ("cancelled",))
    assert [(s.request_id, s.cancel_reason) for s in listed] == [(request_id, REASON)]


def test_only_a_cancel_that_counts_gives_the_reason(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=2)[0]
    hub, request_id = _confirmed(net, slot)
    # Another hub, without the code: stored, changes nothing, and its reason is not shown.
    other = net.hub_log("hub2")
    sync(hub, other)
    other.append(
        net.hub2,
        "booking.cancel",
        request_id,
        msgspec.json.encode({"reason": "Falscher Grund"}),
    )
    sync(other, hub)
    status = booking.booking_status(hub.store.conn, request_id)
    assert status is not None
    assert (status.state, status.cancel_reason) == ("confirmed", None)
    # The resident at the hub: the first cancel that counts gives its reason (here: none).
    booking.cancel_booking(hub, net.hub, request_id=request_id)
    status = booking.booking_status(hub.store.conn, request_id)
    assert status is not None
    assert (status.state, status.cancel_reason) == ("cancelled", "")


def test_the_guides_are_told_once_when_the_practice_cancels(net: BookingNet) -> None:
    slot = publish_days(net, net.practice_a, days=2)[0]
    _hub, request_id = _confirmed(net, slot)
    booking.cancel_booking(net.town, net.practice_a, request_id=request_id, reason=REASON)
    report = allocate(net.town.store, net.server)
    assert len(report.help_requests) == 1
    assert allocate(net.town.store, net.server).help_requests == []  # once only
    (told,) = _call_backs(net)
    resident = RESIDENTS[0]
    assert (told.name, told.phone) == (resident.name, resident.phone)
    assert told.hub == f"Ringelai: Arzttermin abgesagt ({REASON})"[:80]
    # Sealed to the server and the guides: not to the practice, nor the hub.
    box = net.town.store.conn.execute(
        "SELECT body FROM ops WHERE kind = 'help.request'"
    ).fetchone()[0]
    for outsider in (net.practice_a, net.hub, net.admin):
        try:
            open_sealed(box, outsider)
        except SealError:
            continue
        raise AssertionError(f"{outsider.name} opened the call-back")


def test_no_call_back_when_the_hub_or_a_withdrawal_cancels(net: BookingNet) -> None:
    first, second = publish_days(net, net.practice_a, days=2)[:2]
    hub, by_hub = _confirmed(net, first, resident=0)
    booking.cancel_booking(hub, net.hub, request_id=by_hub, reason="Ich kann nicht.")
    sync(hub, net.town)
    _hub, withdrawn = _confirmed(net, second, resident=1)
    booking.withdraw_slot(net.town, net.practice_a, second, "Urlaub")
    report = allocate(net.town.store, net.server)
    assert withdrawn in report.freed
    assert report.help_requests == []
    assert allocate(net.town.store, net.server).help_requests == []
    assert _call_backs(net) == []
