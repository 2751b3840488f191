"""A forked admin key is raised loudly (issue 13, finding 13): the hub that quarantines it logs
one error line, reports it in its next hub.status op at once, and puts it first in `dorfhub
status`; the town server's status shows which hub reported it. Then the recovery that
docs/admin-publishing.md describes: the root revokes the key and grants a new admin key.

The fork is built by hand: two ops for one seq, signed by the same admin key. The town holds one
branch (and a later op on it); the other op is pushed to the running hub by a signed request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import pytest

from content import grants
from content.bodies import encode_body
from content.clock import trusted_now
from content.identity import Identity
from content.log import Log
from content.notices import notice_body
from content.ops import RawOp
from node.home import Home
from sync.client import PeerClient
from sync.protocol import encode_batch
from tests.content.helpers import next_position, sign_op
from tests.node.cli import run_dorfhub
from tests.sync.procs import (
    Cluster,
    Daemon,
    Network,
    Node,
    admin,
    converged,
    live_notices,
    publish,
    stable_digest,
    url,
    wait_for,
)

TIMEOUT = 30


@pytest.fixture
def net(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return Network.create(tmp_path_factory.mktemp("network"), ["Ringelai"])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with Cluster(tmp_path) as running:
        yield running


def test_a_forked_admin_is_raised_on_the_hub_and_reported_to_the_town(
    net: Network, cluster: Cluster
) -> None:
    hub, town = net.hubs[0], net.town
    town_url = url(town.port)
    hub.set_server_url(town_url)
    cluster.serve(town).wait_ready()
    daemon = cluster.hub(hub)
    daemon.wait_ready()
    wait_for(stable_digest([town, hub]), TIMEOUT, "the hub's first sync")

    forked = admin(town)
    kept, later, other = _fork(town, forked)
    with town.store() as store:
        assert not Log(store).ingest([kept, later]).rejected
    wait_for(lambda: converged([town, hub]), TIMEOUT, "the town's branch on the hub")
    answer = _push(daemon, town, other)
    assert "forked author" in answer["rejected"][0]["reason"], answer

    wait_for(partial(_errors, daemon), TIMEOUT, "the hub's error line")
    hub_status = _status(hub)
    assert next(iter(hub_status)) == "forks"  # first, unmissable
    fork = hub_status["forks"][0]
    assert (fork["author"], fork["name"], fork["seen_by"]) == (forked.key_id, forked.name, None)
    assert (fork["roles"], fork["revoked"]) == (["admin"], False)
    first_line = run_dorfhub("status", home=hub.home).stdout.splitlines()[0]
    assert first_line.startswith(f"FORK: this node quarantined key {forked.name} (admin, "), (
        first_line
    )

    reported = wait_for(partial(_reported_forks, town), TIMEOUT, "the hub's report on the town")
    assert [(f["author"], f["seen_by"]) for f in reported] == [(forked.key_id, hub.name)]
    first_line = run_dorfhub("status", home=town.home).stdout.splitlines()[0]
    assert first_line.startswith(f"FORK: hub {hub.name} reports it quarantined key"), first_line
    assert len(_status(hub)["forks"]) == 1  # its own report is not listed twice

    # The admin goes on publishing on the town; the hub refuses it and says it is behind.
    publish(town, forked, "Nach der Gabelung")
    wait_for(partial(_behind_town, hub, town_url), TIMEOUT, "the hub to count what it lacks")
    errors = _errors(daemon)
    assert len(errors) == 1, errors  # once per author, however many of its ops arrive
    assert (errors[0]["author"], errors[0]["name"]) == (forked.key_id, forked.name)

    _recover(town, hub, forked)


def _recover(town: Node, hub: Node, forked: Identity) -> None:
    """The root revokes the forked key and appoints a new admin, whose notices reach the hub."""
    root = Home(town.home).publisher(town.home / "root.key")
    successor = Identity.generate("Verwaltung (neu)")
    with town.store() as store:
        grants.revoke(Log(store), root, forked.key_id, "Schlüssel gegabelt")
        grants.grant(Log(store), root, successor.public, "admin", successor.name)
    notice_id = publish(town, successor, "Wieder alles in Ordnung")
    wait_for(partial(_shows, hub, notice_id), TIMEOUT, "the new admin's notice on the hub")
    fork = _status(hub)["forks"][0]
    assert (fork["author"], fork["revoked"]) == (forked.key_id, True)
    first_line = run_dorfhub("status", home=hub.home).stdout.splitlines()[0]
    assert first_line.startswith("fork (key revoked, handled): this node quarantined"), first_line
    # What the hub refused of the revoked key is settled: no longer counted as pending.
    town_url = url(town.port)
    wait_for(partial(_in_sync_with, hub, town_url), TIMEOUT, "the hub in sync with the town")


def _fork(town: Node, author: Identity) -> tuple[RawOp, RawOp, RawOp]:
    """Two different ops for the author's next seq, and one op after the first of them."""
    with town.store() as store:
        log = Log(store)
        position = next_position(log, author)
        now = trusted_now(store.conn).now_ms

    def notice(title: str, **where: Any) -> RawOp:
        body = encode_body(notice_body(title, "Text", valid_from=now))
        return sign_op(
            author,
            town_network(town),
            kind="notice.put",
            entity=f"n-{title.lower().replace(' ', '')[:20]}",
            body=body,
            time_ms=now,
            **where,
        )

    kept = notice("Zweig Stadt", **position)
    seq, lamport = position["seq"], position["lamport"]
    later = notice("Zweig Stadt zwei", seq=seq + 1, prev=kept.op_id, lamport=lamport + 1)
    other = notice("Zweig Dorf", **position)
    return kept, later, other


def town_network(town: Node) -> str:
    with town.store() as store:
        return store.network_id or ""


def _push(daemon: Daemon, town: Node, op: RawOp) -> dict[str, Any]:
    """Push one op to the running hub, signed by the town server's node key."""
    client = PeerClient(daemon.url, Home(town.home).identity(), town_network(town))
    try:
        client.hello("")
        answer: dict[str, Any] = msgspec.to_builtins(client.push(encode_batch([op])))
        return answer
    finally:
        client.close()


def _errors(daemon: Daemon) -> list[dict[str, Any]]:
    entries = []
    for line in daemon.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return [e for e in entries if e["level"] == "error" and e["message"].startswith("forked key")]


def _status(node: Node) -> dict[str, Any]:
    status: dict[str, Any] = json.loads(run_dorfhub("status", "--json", home=node.home).stdout)
    return status


def _reported_forks(town: Node) -> list[dict[str, Any]]:
    return [fork for fork in _status(town)["forks"] if fork["seen_by"] is not None]


def _behind_town(hub: Node, town_url: str) -> bool:
    peer = next(p for p in _status(hub)["peers"] if p["url"] == town_url)
    return bool(peer["pending_in"] == 1 and not peer["in_sync"])


def _in_sync_with(hub: Node, town_url: str) -> bool:
    peer = next(p for p in _status(hub)["peers"] if p["url"] == town_url)
    return bool(peer["in_sync"])


def _shows(hub: Node, notice_id: str) -> bool:
    return notice_id in {notice.id for notice in live_notices(hub, hub.key())}
