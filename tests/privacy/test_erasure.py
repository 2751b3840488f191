"""Erasing sealed bodies when their period ends (content/pruning.py), on real SQLite files with
explicit clocks: what falls due goes, what must stay stays, the log still verifies, no byte of
an erased box is left in the database file or its WAL, and erased ops travel without their
bodies to nodes that lack them but never bring a body back."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pytest

from content import booking, grants
from content import help as helpdesk
from content.bodies import encode_body
from content.booking import Person
from content.booking_allocation import allocate
from content.clock import wall_clock_ms
from content.help import HelpRequestBody
from content.identity import Identity
from content.log import Log
from content.log_audit import verify_store
from content.ops import RawOp, decode_header
from content.pruning import erase_due, truncate_wal
from content.retention import DAY_MS, ERASABLE_KINDS
from content.roles import help_request_prefix
from content.sealing import seal
from content.store import Store
from tests.booking.helpers import RESIDENTS, BookingNet, build_net, publish_days
from tests.booking.privacy import box_slices, boxes_found
from tests.content.conftest import Stores
from tests.content.helpers import status_bytes, sync

LATER = Person("Theodolinde Hirschbichler", "1933-04-08", "08553 700112", consent=True)
HELPED = ("Kunigunde Stadlbauer", "08558 246810")
WAITING = ("Eustachius Pfannenstiel", "09901 135790")


def _kept(log: Log) -> set[str]:
    """Entities whose erasable body this node still holds."""
    marks = ",".join("?" * len(ERASABLE_KINDS))
    rows = log.store.conn.execute(
        f"SELECT entity FROM ops WHERE kind IN ({marks}) AND body IS NOT NULL",
        sorted(ERASABLE_KINDS),
    )
    return {entity for (entity,) in rows}


def _by_entity(conn: sqlite3.Connection) -> dict[str, list[bytes]]:
    """box_slices keyed by the op's entity (a request id)."""
    entities = dict(conn.execute("SELECT id, entity FROM ops").fetchall())
    return {entities[op_id]: parts for op_id, parts in box_slices(conn).items()}


def _files(log: Log) -> list[Path]:
    path = log.store.path
    return [path, path.with_name(path.name + "-wal")]


def _opened_names(net: BookingNet) -> set[str]:
    opened = booking.open_bookings(net.town.store.conn, net.practice_a, net.practice_a.key_id)
    return {item.person.name for item in opened}


def test_each_body_goes_when_its_period_ends_and_not_before(stores: Stores) -> None:
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=21, times=("09:00", "09:30"))
    hub, hub2 = net.hub_log("hub"), net.hub_log("hub2")
    cancelled = booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0])
    tomorrow = booking.request_booking(hub, net.hub, slots[1], RESIDENTS[1])
    lost = booking.request_booking(hub2, net.hub2, slots[1], RESIDENTS[2])  # races, loses
    in_20_days = booking.request_booking(hub, net.hub, slots[40], LATER)
    sync(hub, net.town)
    sync(hub2, net.town)
    report = allocate(net.town.store, net.server)
    assert len(report.rejected) == 1
    booking.cancel_booking(hub, net.hub, request_id=cancelled)
    done = helpdesk.request_help(hub, net.hub, *HELPED)
    still_open = helpdesk.request_help(hub, net.hub, *WAITING)
    helpdesk.mark_help_done(hub, net.hub, done)
    sync(hub, net.town)
    allocate(net.town.store, net.server)
    raised = net.town.store.conn.execute(
        "SELECT entity FROM ops WHERE kind = 'help.request' AND author = ?", (net.server.key_id,)
    ).fetchone()[0]  # the server's call-back request for the rejected resident
    town = net.town
    slices = box_slices(town.store.conn)
    assert len(slices) == 7
    everything = {cancelled, tomorrow, lost, in_20_days, done, still_open, raised}
    assert _kept(town) == everything
    assert town.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    assert boxes_found([town.store.path], slices) == set(slices)  # the scan can see them
    digest = town.digest()
    now = wall_clock_ms()

    steps: Sequence[tuple[int, set[str]]] = (
        (6, set()),  # nothing is due within the week
        (8, {cancelled, lost}),  # cancelled and rejected: 7 days
        (13, set()),
        (15, {done}),  # done: 14 days
        (32, {tomorrow, still_open, raised}),  # after the appointment, and open ones: 30 days
        (49, set()),  # the appointment in 20 days is kept until 30 days after it
        (52, {in_20_days}),
    )
    for days, erased_now in steps:
        before = _kept(town)
        result = erase_due(town.store, now + days * DAY_MS)
        assert before - _kept(town) == erased_now, f"day {days}"
        assert result.erased == len(erased_now)
        assert result.wal_truncated
        assert result.traces == 0
    assert _kept(town) == set()
    assert _opened_names(net) == set()
    assert town.digest() == digest  # the headers stay: every node still agrees on the log
    verified = verify_store(town.store)
    assert verified.ok, verified.problems
    assert boxes_found(_files(town), slices) == set()


def test_a_cancelled_booking_is_shown_to_the_practice_only_within_its_period(
    stores: Stores,
) -> None:
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=1, times=("09:00", "09:30"))
    hub = net.hub_log("hub")
    cancelled = booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0])
    booking.request_booking(hub, net.hub, slots[1], RESIDENTS[1])
    sync(hub, net.town)
    allocate(net.town.store, net.server)
    booking.cancel_booking(hub, net.hub, request_id=cancelled)
    sync(hub, net.town)
    assert _opened_names(net) == {RESIDENTS[0].name, RESIDENTS[1].name}
    erase_due(net.town.store, wall_clock_ms() + 8 * DAY_MS)
    assert _opened_names(net) == {RESIDENTS[1].name}


@pytest.mark.parametrize("legacy", [False, True])
def test_freed_space_keeps_no_copy_or_is_vacuumed(stores: Stores, legacy: bool) -> None:
    """A hub's help request is purged from the log by a revoke and parked. The store zeroes
    what it deletes (secure_delete), so the parked copy is the only one. A database written
    without it (`legacy`, an older version) keeps the deleted one in freed space: when the
    parked body falls due, the search after the erasure finds it and the database is
    VACUUMed."""
    net = build_net(stores)
    office = net.hub_log("office")  # an admin's node that never sees the hub's request
    hub = net.hub_log("hub")
    helpdesk.request_help(hub, net.hub, *WAITING)
    town = net.town
    sync(hub, town)
    slices = box_slices(town.store.conn)
    grants.revoke(office, net.admin, net.hub.key_id, "Kiosk gestohlen")  # after its seq 0
    if legacy:
        town.store.conn.execute("PRAGMA secure_delete = OFF")
    assert sync(office, town).purged
    town.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # The parked copy, and with a legacy database the old one in freed space.
    copies = 2 if legacy else 1
    data = town.store.path.read_bytes()
    assert all(data.count(part) == copies for parts in slices.values() for part in parts)
    town.store.close()

    with Store(town.store.path) as again:
        report = erase_due(again, wall_clock_ms() + 31 * DAY_MS)
        assert report.parked == 1
        assert report.vacuumed == legacy
        assert report.traces == 0
        assert verify_store(again).ok
    assert boxes_found(_files(town), slices) == set()


def test_a_reader_holding_the_wal_delays_its_truncation_only(stores: Stores) -> None:
    """The WAL still holds the page as it was before the erasure while another connection
    reads an old snapshot: the run says so (the daemon tries again every minute) and needs
    no VACUUM; once the reader is done, the truncation leaves nothing."""
    net = build_net(stores)
    hub = net.hub_log("hub")
    store = hub.store
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    helpdesk.request_help(hub, net.hub, *WAITING)  # its page is in the WAL now
    slices = box_slices(store.conn)
    with closing(sqlite3.connect(store.path)) as kiosk:
        kiosk.execute("BEGIN")
        kiosk.execute("SELECT count(*) FROM ops").fetchone()  # a snapshot with the body
        report = erase_due(store, wall_clock_ms() + 31 * DAY_MS)
        assert report.help_requests == 1
        assert not report.wal_truncated
        assert not report.vacuumed
        assert report.traces == 1  # the one erased body, in the WAL
        kiosk.execute("ROLLBACK")
    assert truncate_wal(store.conn)
    assert boxes_found(_files(hub), slices) == set()


def test_the_guide_list_and_the_kiosk_let_go_of_an_erased_request(stores: Stores) -> None:
    net = build_net(stores)
    hub = net.hub_log("hub")
    request_id = helpdesk.request_help(hub, net.hub, *WAITING)
    assert [r.id for r in helpdesk.help_requests_for_hub(hub.store.conn, net.hub)] == [request_id]
    version = hub.store.log_version()
    erase_due(hub.store, wall_clock_ms() + 31 * DAY_MS)
    assert helpdesk.help_requests_for_hub(hub.store.conn, net.hub) == []
    # The kiosk reads what it shows again when the log version moves (kiosk/data.py).
    assert hub.store.log_version() > version


def _help_request_made(log: Log, hub: Identity, recipients: list[str], made_at: int) -> str:
    """A help request whose op says it was made at `made_at` (the hub's clock then)."""
    body = HelpRequestBody(
        name=WAITING[0], phone=WAITING[1], hub=hub.name, on_behalf=False, created=made_at
    )
    request_id = help_request_prefix(hub.key_id) + uuid.uuid4().hex[:20]
    box = seal(encode_body(body), recipients)
    log.append(hub, "help.request", request_id, box, sealed_to=recipients, time_ms=made_at)
    return request_id


def test_erased_ops_travel_without_their_bodies_and_none_comes_back(stores: Stores) -> None:
    net = build_net(stores)
    hub = net.hub_log("hub")
    recipients = sorted({net.server.public.seal_key, net.guide.public.seal_key})
    now = wall_clock_ms()
    old = _help_request_made(hub, net.hub, recipients, now - 40 * DAY_MS)
    fresh = _help_request_made(hub, net.hub, recipients, now)
    hub.append(net.hub, "hub.status", net.hub.key_id, status_bytes("Ringelai"))
    sync(hub, net.town)
    offline = net.hub_log("offline")  # a hub that took everything and then went quiet
    assert _kept(offline) == {old, fresh}

    slices = _by_entity(offline.store.conn)
    assert erase_due(net.town.store, now).help_requests == 1
    assert _kept(net.town) == {fresh}

    # A node that lacks them gets the erased op without its body, and the ops after it.
    newcomer = net.stores.log("newcomer", net.network_id)
    report = sync(net.town, newcomer)
    assert not report.rejected, report.rejected
    assert newcomer.version_vector() == net.town.version_vector()
    assert _kept(newcomer) == {fresh}
    assert list(net.town.ops_missing_from(newcomer.version_vector())) == []  # never again
    assert verify_store(newcomer.store).ok

    # The quiet hub comes back: what it still holds goes nowhere, and its own run erases it.
    pushed = sync(offline, net.town)
    assert pushed.applied == []
    assert _kept(net.town) == {fresh}
    assert erase_due(offline.store, now).help_requests == 1
    assert _kept(offline) == {fresh}
    for log in (net.town, offline, newcomer):
        assert boxes_found(_files(log), {old: slices[old]}) == set()
        assert boxes_found(_files(log), {fresh: slices[fresh]}) == {fresh}


def test_a_fresh_body_stripped_by_a_relay_is_refused_until_it_comes_whole(
    stores: Stores,
) -> None:
    net = build_net(stores)
    hub = net.hub_log("hub")
    fresh = helpdesk.request_help(hub, net.hub, *WAITING)
    hub.append(net.hub, "hub.status", net.hub.key_id, status_bytes("Ringelai"))
    ops = list(hub.ops_missing_from(net.town.version_vector()))
    # A relay hands the request on without its body, the status op after it whole.
    stripped = [
        RawOp(op.header, op.signature, None)
        if decode_header(op.header).kind == "help.request"
        else op
        for op in ops
    ]
    target = net.stores.log("target", net.network_id)
    sync(net.town, target)
    report = target.ingest(stripped)
    assert any("without its body" in why for _, why in report.rejected)
    assert target.version_vector().get(net.hub.key_id, 0) == 0  # the status op waits behind it
    report = target.ingest(ops)
    assert not report.rejected
    assert _kept(target) == {fresh}
    assert target.version_vector() == hub.version_vector()
