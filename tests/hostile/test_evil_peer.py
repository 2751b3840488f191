"""A hub daemon syncing with a hostile peer beside its town server (issue 13, finding 2: the
batches a hub pulls go through the same decoder as pushes and bundles). The peer's bombs and
floods are refused, the hub's memory stays where it was, and news from the town still arrives."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from content.identity import Identity
from content.log import Log
from node.home import Home
from sync.client import PeerClient, PeerError, sync_round
from tests.hostile.memory import MIB, peak_rss
from tests.node.cli import REPO
from tests.sync.procs import Cluster, Network, admin, live_notices, publish, wait_for

# A hub daemon with the sync layer loaded is about 70 MB; any of the attacks would add 1 GiB.
HUB_PEAK = 256 * MIB


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return Network.create(tmp_path_factory.mktemp("network"), ["Ringelai"])


@pytest.fixture
def evil_peer(request: pytest.FixtureRequest, template: Network) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.evil_peer", template.network_id, request.param],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    yield f"http://127.0.0.1:{port}"
    process.kill()
    process.wait()


@pytest.mark.parametrize("evil_peer", ["bomb", "flood", "garbage"], indirect=True)
def test_hub_survives_a_hostile_peer_and_keeps_syncing(
    template: Network, evil_peer: str, tmp_path: Path
) -> None:
    net = template.copy_to(tmp_path / "nodes")
    hub = net.hubs[0]
    with Cluster(tmp_path) as cluster:
        town = cluster.serve(net.town)
        hub.set_server_url(town.url)
        daemon = cluster.hub(hub, peers=[evil_peer])
        cluster.wait_ready()
        assert daemon.proc is not None
        wait_for(lambda: evil_peer in daemon.log_tail(400), 60, "a round with the hostile peer")
        notice = publish(net.town, admin(net.town), "Dorffest am Samstag")
        wait_for(
            lambda: notice in {n.id for n in live_notices(hub)}, 60, "the town's notice at the hub"
        )
        assert daemon.proc.poll() is None
        assert peak_rss(daemon.proc.pid) < HUB_PEAK
        assert "sync failed" in daemon.log_tail(400)


@pytest.mark.parametrize("evil_peer", ["trickle"], indirect=True)
def test_a_peer_that_trickles_its_answer_is_cut_at_the_deadline(
    template: Network, evil_peer: str
) -> None:
    """Each byte comes well within the read timeout, so only a deadline on the whole answer
    ends it (sync/deadline.py); a hub's sync loop would otherwise wait on it for ever."""
    client = PeerClient(evil_peer, Identity.generate("Ringelai"), template.network_id, deadline_s=3)
    try:
        with pytest.raises(PeerError, match="ConnectionError"):
            client.hello("")
    finally:
        client.close()


@pytest.mark.parametrize("evil_peer", ["bomb"], indirect=True)
def test_a_lan_peer_without_a_grant_gets_no_further_than_hello(
    template: Network, evil_peer: str, tmp_path: Path
) -> None:
    """Anyone can announce `_dorfhub._tcp` with the network's id; a hub syncs only with
    announced peers whose key holds a grant in its log (the town's does)."""
    net = template.copy_to(tmp_path / "nodes")
    hub = net.hubs[0]
    with Cluster(tmp_path) as cluster, hub.store() as store:
        town = cluster.serve(net.town)
        cluster.wait_ready()
        identity = Home(hub.home).identity()
        evil = PeerClient(evil_peer, identity, template.network_id)
        honest = PeerClient(town.url, identity, template.network_id)
        try:
            with pytest.raises(PeerError, match="holds no grant here"):
                sync_round(Log(store), evil, known_peers_only=True)
            sync_round(Log(store), honest)  # as the configured server: learns the grants
            assert not sync_round(Log(store), honest, known_peers_only=True).rejected
        finally:
            evil.close()
            honest.close()
