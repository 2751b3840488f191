"""A key that holds no grant learns nothing from the peer API (issue 14, finding 6): not the
booking decisions, the guides' names, the hubs' status or whom notices are for. A real
`dorfhub serve` answers; the town's log is written beforehand through the library, as an
admin's CLI and a hub's kiosk would."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from content import booking, grants, notices
from content.bodies import encode_body
from content.booking import LOCAL_TIME
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log
from content.ops import decode_header
from content.store import Store
from node.home import Home
from sync.client import PeerClient, PeerError, sync_round
from tests.booking.helpers import RESIDENTS, practice_with_slots
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, running
from tests.sync.procs import wait_for

GROUP = "Ilzer Land"
GUIDE = "Theresia Waldhäuser"
PRACTICE = "Hausarztpraxis Dr. Huber, Freyung"
DEADLINE_S = 30.0
# What a stranger must not learn, and what an enrolled hub still gets.
PRIVATE_KINDS = {"booking.decision", "booking.request", "hub.status", "key.grant", "notice.put"}


@dataclass
class Town:
    network_id: str
    hub: Identity  # granted, has booked and reported
    revoked: Identity  # granted once, revoked since


def _town_with_bookings(home_dir: Path) -> Town:
    """A guide, a practice with a slot, a hub that booked it and reported its status, a
    notice for one hub and one group, and a hub key that was revoked."""
    home = Home(home_dir)
    admin = home.publisher()
    hub, revoked = Identity.generate("Ringelai"), Identity.generate("Perlesreut")
    day = datetime.fromtimestamp(wall_clock_ms() / 1000, LOCAL_TIME).date() + timedelta(days=2)
    with home.store() as store:
        log = Log(store)
        grants.grant(log, admin, Identity.generate(GUIDE).public, "guide", GUIDE)
        grants.grant(log, admin, hub.public, "hub", hub.name, groups=[GROUP])
        grants.grant(log, admin, revoked.public, "hub", revoked.name)
        grants.revoke(log, admin, revoked.key_id, "Gerät gestohlen")
        practice_with_slots(
            log, admin, PRACTICE, "Stadtplatz 1", "08551 9876", (day, day), ("10:00",)
        )
        slot = booking.list_slots(store.conn)[0]
        booking.request_booking(log, hub, slot.id, RESIDENTS[0])
        log.append(hub, "hub.status", hub.key_id, encode_body({"name": hub.name}))
        body = notices.notice_body(
            "Sprechstunde",
            "Mittwoch",
            valid_from=wall_clock_ms(),
            hubs=[hub.key_id],
            groups=[GROUP],
        )
        notices.publish(log, admin, body)
        return Town(log.network_id, hub, revoked)


def _decided(home: Path) -> bool:
    """Whether the server has signed its decision on the booking (it decides as it starts)."""
    with sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        found = conn.execute("SELECT 1 FROM ops WHERE kind = 'booking.decision'").fetchone()
    return found is not None


def _kinds(client: PeerClient, vector: dict[str, int]) -> list[str]:
    """The kinds of the ops the server sends for `vector`, every batch."""
    kinds: list[str] = []
    more = True
    while more:
        ops, _size, more = client.pull(vector)
        for header in (decode_header(op.header) for op in ops):
            kinds.append(header.kind)
            vector = vector | {header.author: header.seq}
    return kinds


@pytest.fixture
def town_with_bookings(town: Path) -> Town:
    return _town_with_bookings(town)


def test_a_stranger_learns_nothing_a_member_gets_everything(
    tmp_path: Path, town: Path, town_with_bookings: Town
) -> None:
    network_id, hub = town_with_bookings.network_id, town_with_bookings.hub
    with running(town) as server:
        wait_for(lambda: _decided(town), DEADLINE_S, "the server's booking decision")
        stranger = PeerClient(server.url, Identity.generate("Fremd"), network_id)
        member = PeerClient(server.url, hub, network_id)
        try:
            hello = stranger.hello("")
            assert _kinds(stranger, {}) == []
            # Naming authors it has heard of (the server in hello) brings none of their ops.
            assert _kinds(stranger, {hello.node: 0, hub.key_id: 0}) == []
            assert stranger.vector() == {}
            assert stranger.peer_digest == ""
            # The long-poll is open to it: it says no more than the unsigned hello does.
            assert stranger.wait("", timeout=0) == hello.digest
            _assert_round_brings_nothing(tmp_path / "stranger.db", stranger, network_id)

            member.hello("")
            assert set(_kinds(member, {})) >= PRIVATE_KINDS
            assert set(member.vector()) >= {hello.node, hub.key_id}
            assert member.peer_digest == server.hello()["digest"]
        finally:
            stranger.close()
            member.close()


def _assert_round_brings_nothing(path: Path, client: PeerClient, network_id: str) -> None:
    """A whole sync round, as a hub daemon waiting for approval runs it: it succeeds (no
    backoff) and leaves the stranger's store empty."""
    with Store(path) as store:
        store.set_network(network_id)
        log = Log(store)
        result = sync_round(log, client)
        assert (result.pulled, result.pushed, result.rejected) == (0, 0, [])
        assert result.peer_vector == {}
        assert log.count() == 0


def test_a_revoked_key_gets_nothing_at_all(town: Path, town_with_bookings: Town) -> None:
    with running(town) as server:
        client = PeerClient(server.url, town_with_bookings.revoked, town_with_bookings.network_id)
        try:
            client.hello("")
            for call in (lambda: client.pull({}), client.vector, lambda: client.wait("", 0)):
                with pytest.raises(PeerError, match="403 this node's key is revoked"):
                    call()
        finally:
            client.close()


def _init_hub(home: Path, server: PeerProcess) -> str:
    """`dorfhub node init --role hub --server URL`; returns the pairing code."""
    out = run_dorfhub(
        *("node", "init", "--role", "hub", "--name", "Schönberg", "--server", server.url), home=home
    ).stdout
    found = re.search(r"^pairing code: (\w{4}-\w{4})$", out, re.MULTILINE)
    assert found, out
    return found[1]


def _town_peer(hub: Path, url: str) -> dict[str, object] | None:
    """The hub's record of the town, once a round with it has succeeded."""
    peers = json.loads(run_dorfhub("status", "--json", home=hub).stdout)["peers"]
    return next((p for p in peers if p["url"] == url and p["last_success"]), None)


def _ops(home: Path) -> int:
    with sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM ops").fetchone()[0])


def _holds_its_grant(home: Path, key: str) -> bool:
    with sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        found = conn.execute("SELECT 1 FROM keys WHERE key = ?", (key,)).fetchone()
    return found is not None


def test_a_hub_waiting_for_approval_syncs_nothing_then_gets_its_grant(
    tmp_path: Path, town: Path, town_with_bookings: Town
) -> None:
    """`dorfhub hub` started before approval: its rounds succeed and bring nothing; once
    approved the long-poll wakes it and it pulls everything, with no failed round (so no
    backoff) on the way."""
    hub_home = tmp_path / "hub"
    with running(town) as server:
        code = _init_hub(hub_home, server)
        key = Home(hub_home).identity().key_id
        with running(hub_home, "hub") as daemon:
            wait_for(lambda: _town_peer(hub_home, server.url), DEADLINE_S, "a round with the town")
            assert _ops(hub_home) == 0
            run_dorfhub("enroll", "approve", code, home=town)
            wait_for(lambda: _holds_its_grant(hub_home, key), DEADLINE_S, "the hub's grant")
            wait_for(lambda: _decided(hub_home), DEADLINE_S, "the booking decision at the hub")
            assert "sync failed" not in daemon.output()


def test_a_key_whose_grant_has_run_out_learns_nothing(town: Path, town_with_bookings: Town) -> None:
    """A grant with a validity window counts only within it: a hub whose window has closed is
    served as a stranger."""
    lapsed = Identity.generate("Schönberg")
    home = Home(town)
    with home.store() as store:
        ended = wall_clock_ms() - 60_000
        grants.grant(
            Log(store), home.publisher(), lapsed.public, "hub", lapsed.name, valid_until=ended
        )
    with running(town) as server:
        client = PeerClient(server.url, lapsed, town_with_bookings.network_id)
        try:
            client.hello("")
            assert _kinds(client, {}) == []
        finally:
            client.close()
