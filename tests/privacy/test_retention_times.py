"""The times a retention period counts from, bounded (issue 14 review, finding B), on real
SQLite files: a hub whose clock runs ahead cannot make the town keep its help request longer,
a backdated cancellation does not erase a booking at once, and a run says when the next body
falls due, so the daemon can run then."""

from __future__ import annotations

import uuid

import msgspec

from content import booking
from content.booking_allocation import allocate
from content.booking_bodies import CancelBody
from content.clock import wall_clock_ms
from content.help import HelpRequestBody
from content.log import Log
from content.pruning import erase_due
from content.retention import DAY_MS
from content.roles import help_request_prefix
from content.sealing import seal
from tests.booking.helpers import RESIDENTS, BookingNet, build_net, publish_days
from tests.content.conftest import Stores
from tests.content.helpers import sync

MINUTE = 60_000
YEAR_2001 = 978_307_200_000


def _held(log: Log, entity: str) -> bool:
    row = log.store.conn.execute(
        "SELECT body IS NOT NULL FROM ops WHERE entity = ? AND kind IN "
        "('booking.request', 'help.request')",
        (entity,),
    ).fetchone()
    return bool(row and row[0])


def _help_request_dated(net: BookingNet, hub: Log, made_at: int) -> str:
    body = HelpRequestBody(
        name=RESIDENTS[1].name,
        phone=RESIDENTS[1].phone,
        hub="Ringelai",
        on_behalf=False,
        created=made_at,
    )
    request_id = help_request_prefix(net.hub.key_id) + uuid.uuid4().hex[:20]
    recipients = sorted({net.server.public.seal_key, net.guide.public.seal_key})
    box = seal(msgspec.json.encode(body), recipients)
    hub.append(net.hub, "help.request", request_id, box, sealed_to=recipients, time_ms=made_at)
    return request_id


def test_a_hub_whose_clock_runs_ahead_does_not_lengthen_the_period(stores: Stores) -> None:
    """Its request says it was made 20 days from now; the town counts from when it got it."""
    net = build_net(stores)
    hub = net.hub_log("hub")
    now = wall_clock_ms()
    request = _help_request_dated(net, hub, now + 20 * DAY_MS)
    sync(hub, net.town)
    report = erase_due(net.town.store, now + 29 * DAY_MS)
    assert _held(net.town, request)
    assert report.next_due is not None
    assert now + 30 * DAY_MS <= report.next_due < now + 30 * DAY_MS + 10 * MINUTE
    erase_due(net.town.store, now + 31 * DAY_MS)
    assert not _held(net.town, request)


def test_a_backdated_cancel_counts_from_the_request_at_the_earliest(stores: Stores) -> None:
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=3, times=("09:00",))
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slots[1], RESIDENTS[0])
    sync(hub, net.town)
    assert allocate(net.town.store, net.server).confirmed == [request]
    made_at = net.town.store.conn.execute(
        "SELECT time FROM ops WHERE kind = 'booking.request' AND entity = ?", (request,)
    ).fetchone()[0]
    body = msgspec.json.encode(CancelBody(reason="Praxis zu"))
    net.town.append(net.practice_a, "booking.cancel", request, body, time_ms=YEAR_2001)
    sync(net.town, hub)
    for node in (net.town, hub):
        status = booking.booking_status(node.store.conn, request)
        assert status is not None
        assert status.state == "cancelled"
        report = erase_due(node.store, made_at + 7 * DAY_MS - 1)
        assert _held(node, request)
        assert report.next_due == made_at + 7 * DAY_MS
        erase_due(node.store, made_at + 7 * DAY_MS)
        assert not _held(node, request)


def test_a_run_says_when_the_next_body_falls_due(stores: Stores) -> None:
    """The index of due moments follows the log: a cancel brings the moment forward at once,
    before any run looks at it."""
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=3, times=("09:00",))
    hub = net.hub_log("hub")
    request = booking.request_booking(hub, net.hub, slots[1], RESIDENTS[0])
    sync(hub, net.town)
    conn = net.town.store.conn
    made_at, appointment_end = conn.execute(
        'SELECT o.time, s."end" FROM ops o, slots s WHERE o.entity = ? '
        "AND o.kind = 'booking.request' AND s.id = ?",
        (request, slots[1]),
    ).fetchone()
    assert erase_due(net.town.store, made_at).next_due == appointment_end + 30 * DAY_MS
    booking.cancel_booking(hub, net.hub, request_id=request, reason="krank")
    sync(hub, net.town)
    cancel_at = conn.execute("SELECT time FROM ops WHERE kind = 'booking.cancel'").fetchone()[0]
    assert conn.execute("SELECT min(due) FROM sealed_due").fetchone()[0] == cancel_at + 7 * DAY_MS
