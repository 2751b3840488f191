"""A hub that syncs only through `--peer URL` (the key-grant route: `node init` without
--server) long-polls that peer, as it does the server of `node init --server`; `status` says how
far apart the hub and each peer were at the last contact; a hub with no peer at all says so
once (issue 13, finding 11). Real `dorfhub serve` and `dorfhub hub` processes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from content.bodies import encode_body
from content.log import Log
from node.home import Home
from tests.node.cli import run_dorfhub
from tests.sync.procs import (
    Cluster,
    Network,
    Node,
    admin,
    live_notices,
    publish,
    stable_digest,
    url,
    wait_for,
)

# Without a long-poll on the peer, the hub's next round comes with its 10-minute status report;
# this is generous for a notice that takes well under a second.
ARRIVAL_SECONDS = 20


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """A town and one hub made by `node init --network` and `key grant`: no server URL."""
    return Network.create(tmp_path_factory.mktemp("network"), ["Ringelai"])


@pytest.fixture
def net(template: Network, tmp_path: Path) -> Network:
    return template.copy_to(tmp_path / "nodes")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with Cluster(tmp_path) as running:
        yield running


def test_a_notice_reaches_a_hub_that_syncs_only_with_a_peer_url(
    net: Network, cluster: Cluster
) -> None:
    hub = net.hubs[0]
    assert Home(hub.home).config.server_url == ""  # the key-grant route
    town_url = url(net.town.port)
    cluster.serve(net.town).wait_ready()
    cluster.hub(hub, peers=[town_url]).wait_ready()
    wait_for(stable_digest([net.town, hub]), 30, "the hub's first sync")

    notice_id = publish(net.town, admin(net.town), "Eilmeldung über --peer")
    wait_for(partial(_shows, hub, notice_id), ARRIVAL_SECONDS, "the notice on the hub")

    wait_for(stable_digest([net.town, hub]), 30, "the hub's round after the notice")
    town = _peer(hub, town_url)
    assert (town["pending_in"], town["pending_out"], town["in_sync"]) == (0, 0, True), town
    assert town["last_success"] is not None


def test_status_counts_what_a_peer_lacked_at_the_last_contact(
    net: Network, cluster: Cluster
) -> None:
    """The last round succeeded, but the hub has written since: not "in sync" any more."""
    hub = net.hubs[0]
    town_url = url(net.town.port)
    cluster.serve(net.town).wait_ready()
    daemon = cluster.hub(hub, peers=[town_url])
    daemon.wait_ready()
    wait_for(stable_digest([net.town, hub]), 30, "the hub's first sync")
    daemon.stop()
    contact = _peer(hub, town_url)["last_success"]

    identity = Home(hub.home).identity()
    with hub.store() as store:  # as the kiosk does while the daemon is down
        body = encode_body({"name": hub.name, "note": "geschrieben ohne Verbindung"})
        Log(store).append(identity, "hub.status", identity.key_id, body)

    town = _peer(hub, town_url)
    assert (town["pending_in"], town["pending_out"], town["in_sync"]) == (0, 1, False), town
    assert town["last_success"] == contact
    text = run_dorfhub("status", home=hub.home).stdout
    # A sentence per peer: how far apart, and how long ago in German words (issue 18).
    said = rf"Stadtserver.* \({re.escape(town_url)}\): it lacks 1 op of ours, last contact "
    assert re.search(said + r"(gerade eben|vor \d+ Min\.)\n", text), text


def test_a_hub_with_no_peer_says_so_once(net: Network, cluster: Cluster) -> None:
    """No server URL, no --peer, no --discover, and no grant of its own yet: one warning, and
    the refused status report is not retried (and logged) every second."""
    hub = net.hubs[0]
    daemon = cluster.hub(hub)
    daemon.wait_ready()
    wait_for(partial(_logged, daemon.log_path, "no peer to sync with"), 20, "the warning")
    time.sleep(3.0)  # the old loop retried its refused status report once a second
    daemon.stop()

    entries = _log_entries(daemon.log_path)
    warnings = [e for e in entries if e["message"].startswith("no peer to sync with")]
    assert [e["level"] for e in warnings] == ["warning"], warnings
    refusals = [e for e in entries if e["message"] == "no status report yet"]
    assert len(refusals) == 1, refusals


def _shows(hub: Node, notice_id: str) -> bool:
    return notice_id in {notice.id for notice in live_notices(hub, hub.key())}


def _peer(node: Node, peer_url: str) -> dict[str, Any]:
    status = json.loads(run_dorfhub("status", "--json", home=node.home).stdout)
    found: dict[str, Any] = next(peer for peer in status["peers"] if peer["url"] == peer_url)
    return found


def _log_entries(path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def _logged(path: Path, message: str) -> bool:
    return any(entry["message"].startswith(message) for entry in _log_entries(path))
