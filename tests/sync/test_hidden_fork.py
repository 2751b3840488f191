"""A fork no version vector can show (issue 13, finding 13): an admin key signs two ops for one
seq and nothing after; the town holds one, the hub the other. Both vectors say the same, so a
plain pull and push move nothing, and the digests differ for ever. The round sees that, sends
each side's head ops to the other, and both nodes quarantine the key and say so; once both
have, their digests agree again and rounds are no-ops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from content.bodies import encode_body
from content.identity import Identity
from content.log import Log
from content.notices import notice_body
from content.ops import RawOp
from tests.content.helpers import next_position, sign_op, sync
from tests.node.cli import run_dorfhub
from tests.sync.helpers import now_ms
from tests.sync.procs import Cluster, Network, Node, add_admin, converged, wait_for


@pytest.fixture
def net(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Network:
    return Network.create(tmp_path_factory.mktemp("network"), ["Ringelai"]).copy_to(tmp_path)


def _branch(node: Node, author: Identity, title: str) -> RawOp:
    """Sign the author's next op as `node` sees it, and apply it there (daemons stopped)."""
    with node.store() as store:
        log = Log(store)
        body = encode_body(notice_body(title, "Text", valid_from=now_ms()))
        op = sign_op(
            author,
            log.network_id,
            kind="notice.put",
            entity="n-" + title.split()[-1].lower(),
            body=body,
            time_ms=now_ms(),
            **next_position(log, author),
        )
        report = log.ingest([op])
        assert report.applied == [op.op_id], report.rejected
        return op


def _hold_the_same(town: Node, hub: Node) -> None:
    """The hub may write its status once more between converging and being stopped: with
    both daemons stopped, each node is given what the other holds."""
    with town.store() as t, hub.store() as h:
        sync(Log(h), Log(t))
        sync(Log(t), Log(h))


def _forks(node: Node) -> list[dict[str, object]]:
    forks: list[dict[str, object]] = json.loads(
        run_dorfhub("status", "--json", home=node.home).stdout
    )["forks"]
    return forks


def test_a_fork_hidden_by_equal_vectors_is_found_and_raised(net: Network, tmp_path: Path) -> None:
    town, hub = net.town, net.hubs[0]
    second = add_admin(town, tmp_path / "second.key")
    with Cluster(tmp_path / "first") as cluster:  # everyone learns the second admin's grant
        hub.set_server_url(cluster.serve(town).url)
        cluster.hub(hub)
        cluster.wait_ready()
        wait_for(lambda: converged([town, hub]), 30, "the hub to hold the grant")
    _hold_the_same(town, hub)
    _branch(town, second, "Kirchweih am Sonntag")
    _branch(hub, second, "Kirchweih am Montag")
    with town.store() as t, hub.store() as h:
        assert Log(t).version_vector() == Log(h).version_vector()
        assert Log(t).digest() != Log(h).digest()
    with Cluster(tmp_path / "second") as cluster:
        hub.set_server_url(cluster.serve(town).url)
        daemon = cluster.hub(hub)
        cluster.wait_ready()
        wait_for(lambda: _forks(hub) and _forks(town), 60, "both nodes to raise the fork")
        wait_for(lambda: converged([town, hub]), 60, "the digests to agree again")
        assert "forked key quarantined" in daemon.log_tail(400)
    for node in (town, hub):
        assert [fork["author"] for fork in _forks(node)][:1] == [second.key_id]


def test_a_fork_with_a_longer_branch_here_is_found_too(net: Network, tmp_path: Path) -> None:
    """The town has quarantined the key (it saw both ops for seq 1) and asks for nothing more
    of it; the hub holds the other op and a second one after it. The hub's vector is ahead,
    the town's lists the key at the ceiling: the hub asks for all the town holds of the key,
    finds the op that differs, and quarantines the key as well."""
    town, hub = net.town, net.hubs[0]
    second = add_admin(town, tmp_path / "second.key")
    with Cluster(tmp_path / "first") as cluster:
        hub.set_server_url(cluster.serve(town).url)
        cluster.hub(hub)
        cluster.wait_ready()
        wait_for(lambda: converged([town, hub]), 30, "the hub to hold the grant")
    _hold_the_same(town, hub)
    _branch(town, second, "Kirchweih am Sonntag")
    other = _branch(hub, second, "Kirchweih am Montag")
    _branch(hub, second, "Kirchweih am Dienstag")
    with town.store() as store:
        assert Log(store).ingest([other]).forks == [second.key_id]
    with Cluster(tmp_path / "second") as cluster:
        hub.set_server_url(cluster.serve(town).url)
        cluster.hub(hub)
        cluster.wait_ready()
        wait_for(lambda: _forks(hub), 60, "the hub to raise the fork")
        wait_for(lambda: converged([town, hub]), 60, "the digests to agree again")
