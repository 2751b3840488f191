"""Two hubs, offline from the town server, book the last free place of the same slot. Real
`dorfhub serve` and `dorfhub hub` processes on 127.0.0.1; the bookings are made in this process
on the hubs' databases, as the kiosk does beside the hub daemon."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import msgspec

from content import booking
from content.booking import LOCAL_TIME
from content.clock import wall_clock_ms
from content.help import HelpRequestBody
from content.log import Log
from content.sealing import open_sealed
from node.home import Home
from tests.booking.helpers import RESIDENTS
from tests.booking.privacy import assert_files_clean
from tests.node.cli import run_dorfhub
from tests.sync.procs import Cluster, Network, Node, url, wait_for

PRACTICE = "Hausarztpraxis Dr. Huber, Freyung"
DEADLINE_S = 60.0


def _slots(node: Node) -> list[booking.Slot]:
    with node.store() as store:
        return booking.list_slots(store.conn)


def _has_slots(node: Node, count: int) -> bool:
    return len(_slots(node)) == count


def _state(node: Node, request_id: str) -> booking.BookingStatus | None:
    with node.store() as store:
        status = booking.booking_status(store.conn, request_id)
    return status if status is not None and status.state != "pending" else None


def _book(node: Node, slot_id: str, person: booking.Person) -> str:
    home = Home(node.home)
    with node.store() as store:
        return booking.request_booking(Log(store), home.identity(), slot_id, person)


def test_two_offline_hubs_book_the_last_place(tmp_path: Path) -> None:
    network = Network.create(tmp_path, ["Ringelai", "Perlesreut"])
    town, hubs = network.town, network.hubs
    today = datetime.fromtimestamp(wall_clock_ms() / 1000, LOCAL_TIME).date()
    tomorrow = today + timedelta(days=1)
    run_dorfhub(
        *("practice", "add", PRACTICE, "--phone", "08551 9876", "--address", "Stadtplatz 12"),
        *("--key-out", tmp_path / "praxis.key"),
        home=town.home,
    )
    run_dorfhub(
        *("slots", "publish", "--practice", PRACTICE, "--weekdays", "mo,di,mi,do,fr,sa,so"),
        *("--from", tomorrow.isoformat(), "--until", tomorrow.isoformat()),
        *("--times", "09:00,09:30,10:00", "--capacity", "1", "--place", "Dorfhub"),
        *("--key", tmp_path / "praxis.key"),  # the practice's own key signs its slots
        home=town.home,
    )
    for hub in hubs:
        hub.set_server_url(url(town.port))
    with Cluster(tmp_path) as cluster:
        server = cluster.serve(town)
        for hub in hubs:
            cluster.hub(hub)
        cluster.wait_ready()
        for hub in hubs:
            wait_for(partial(_has_slots, hub, 3), DEADLINE_S, f"slots on {hub.name}")
        server.stop()  # both hubs are offline now
        last = _slots(hubs[0])[0].id
        requests = [
            _book(hub, last, person) for hub, person in zip(hubs, RESIDENTS[:2], strict=True)
        ]
        for hub, request in zip(hubs, requests, strict=True):
            with hub.store() as store:
                pending = booking.booking_status(store.conn, request)
            assert pending is not None
            assert pending.state == "pending"
        server.start()
        server.wait_ready()
        decided = [
            wait_for(partial(_state, hub, request), DEADLINE_S, f"decision at {hub.name}")
            for hub, request in zip(hubs, requests, strict=True)
        ]
        with town.store() as store:
            help_ops = store.conn.execute(
                "SELECT body FROM ops WHERE kind = 'help.request' AND author = ?",
                (Home(town.home).identity().key_id,),
            ).fetchall()
            server_key = Home(town.home).identity()
            helped = [
                msgspec.json.decode(open_sealed(body, server_key), type=HelpRequestBody)
                for (body,) in help_ops
            ]
    outcomes = sorted(status.state for status in decided)
    assert outcomes == ["confirmed", "rejected"]
    loser = next(i for i, status in enumerate(decided) if status.state == "rejected")
    rejected = decided[loser]
    assert rejected.reason == "full"
    assert sorted(rejected.alternatives) == sorted(s.id for s in _slots(town) if s.id != last)
    assert [(h.name, h.phone) for h in helped] == [(RESIDENTS[loser].name, RESIDENTS[loser].phone)]
    assert helped[0].hub.startswith(hubs[loser].name)
    assert_files_clean([hub.home for hub in hubs], RESIDENTS[:2])
