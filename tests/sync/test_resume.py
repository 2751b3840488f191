"""Interrupted and offline replicas pick up where they stopped (ARCHITECTURE.md section 3): a hub
killed with SIGKILL in the middle of a large pull loses at most the batch in flight, and a hub
that was offline while notices were retracted does not bring them back."""

from __future__ import annotations

import json
import random
from itertools import accumulate
from pathlib import Path

import pytest

from content.clock import trusted_now
from content.limits import MAX_BATCH_BYTES
from content.log import Log
from content.notices import notice_body, publish
from sync.protocol import Batch, encode_batch, make_batches
from tests.node.cli import run_dorfhub
from tests.sync.procs import (
    Cluster,
    Daemon,
    Network,
    Node,
    Proxy,
    Response,
    add_admin,
    admin,
    converged,
    live_notices,
    retract,
    run_all,
    stable_digest,
    statuses,
    update,
    verify_all,
    wait_for,
)
from tests.sync.procs import publish as publish_on

BACKLOG = 3000
BODY_HEX_BYTES = 500  # 1,000 characters of hex: about 1 KB per notice, ~2:1 under zstd


@pytest.fixture(scope="module")
def backlog(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """A town holding 3,000 notices of about 1 KB each (dozens of batches) and one new hub."""
    net = Network.create(tmp_path_factory.mktemp("backlog"), ["Ringelai"])
    rng = random.Random(7)
    author = admin(net.town)
    with net.town.store() as store:
        log = Log(store)
        now = trusted_now(store.conn).now_ms
        for number in range(BACKLOG):
            body = rng.randbytes(BODY_HEX_BYTES).hex()
            publish(log, author, notice_body(f"Notiz {number}", body, valid_from=now))
    return net


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return Network.create(tmp_path_factory.mktemp("small"), ["Ringelai", "Perlesreut"])


# ---- SIGKILL in the middle of a pull ---------------------------------------------------------


def planned_batches(town: Node) -> list[Batch]:
    """The batches the town sends a hub that holds nothing (the protocol is deterministic:
    batches cut from any V_k are the tail of these)."""
    with town.store() as store:
        return list(make_batches(Log(store).ops_missing_from({})))


def pulls(link: Proxy) -> list[Response]:
    """The pull answers that carried ops (an empty batch answers a hub that only pushes)."""
    empty = len(encode_batch([]))
    with link.lock:
        return [r for r in link.responses if r.is_pull and r.length != empty]


def ops_from_town(hub: Node) -> int:
    """Ops the hub holds that came from the town (not its own hub.status)."""
    key = hub.key()
    with hub.store() as store:
        row = store.conn.execute("SELECT count(*) FROM ops WHERE author != ?", (key,)).fetchone()
        return int(row[0])


def kill_mid_pull(
    cluster: Cluster, hub: Node, link: Proxy, batches: list[Batch], moment: str
) -> Daemon:
    """Start the hub and SIGKILL it during its first pull: either while batch 6 is on the wire
    (the proxy holds back its second half), or as soon as 6 batches have passed, wherever
    the hub is then (receiving, ingesting, asking for the next)."""
    if moment == "on-the-wire":
        link.stall_after(sum(len(b.data) for b in batches[:5]) + len(batches[5].data) // 2)
    daemon = cluster.hub(hub)
    if moment == "on-the-wire":
        wait_for(link.stalled.is_set, 60, "the pull to reach batch 6")
    else:
        wait_for(lambda: sum(r.complete for r in pulls(link)) >= 6, 60, "6 batches", every=0.002)
    daemon.kill()
    return daemon


@pytest.mark.parametrize("moment", ["on-the-wire", "anywhere"])
def test_hub_killed_mid_pull_resumes_and_is_resent_at_most_one_batch(
    backlog: Network, tmp_path: Path, moment: str
) -> None:
    net = backlog.copy_to(tmp_path / "nodes")
    hub = net.hubs[0]
    batches = planned_batches(net.town)
    sizes = [len(batch.data) for batch in batches]
    counts = [0, *accumulate(batch.count for batch in batches)]
    assert len(batches) > 20
    assert max(sizes) <= MAX_BATCH_BYTES

    with Cluster(tmp_path) as cluster:
        link = cluster.proxy(net.town, "town", tap=True)
        hub.set_server_url(link.url)
        cluster.serve(net.town).wait_ready()
        daemon = kill_mid_pull(cluster, hub, link, batches, moment)
        before = pulls(link)
        held = ops_from_town(hub)
        # Batches apply atomically: the hub holds exactly the first `done` of them.
        assert held in counts, f"{held} ops is not a whole number of batches"
        done = counts.index(held)
        assert 5 <= done < len(batches), done
        assert [r.length for r in before[:done]] == sizes[:done]
        run_dorfhub("log", "verify", home=hub.home)

        link.reset_counters()
        daemon.start()
        wait_for(lambda: converged([net.town, hub]), 90, "the hub to finish its pull")
        after = pulls(link)

    resent = sum(r.received for r in before) - sum(sizes[:done])
    print(
        f"{moment}: killed after {done} of {len(batches)} batches "
        f"({sum(sizes) / 1024:.0f} KiB in all); re-sent {resent} bytes"
    )
    assert 0 <= resent <= MAX_BATCH_BYTES
    # After the restart the town sends exactly the batches the hub lacked, nothing twice.
    assert [r.length for r in after] == sizes[done:]
    assert all(r.complete for r in after)
    assert ops_from_town(hub) == counts[-1]


# ---- retractions while a hub was offline -----------------------------------------------------


def shown(node: Node, hub: bool) -> dict[str, str]:
    return {n.id: n.title["de"] for n in live_notices(node, node.key() if hub else None)}


def test_notices_retracted_while_a_hub_was_offline_stay_retracted(
    small: Network, tmp_path: Path
) -> None:
    net = small.copy_to(tmp_path / "nodes")
    town, (away, online) = net.town, net.hubs
    second = add_admin(town, tmp_path / "second-admin.key")
    author = admin(town)
    ids = [publish_on(town, author, f"Notiz {number}") for number in range(6)]
    with Cluster(tmp_path) as cluster:
        cluster.serve(town).wait_ready()
        for hub in net.hubs:
            hub.set_server_url(f"http://127.0.0.1:{town.port}")
        daemons = [cluster.hub(hub) for hub in net.hubs]
        cluster.wait_ready()
        wait_for(lambda: converged(net.nodes), 30, "the first sync")
        daemons[0].stop()  # the hub goes offline, holding every notice

        run_dorfhub("notice", "retract", ids[0], "--reason", "abgesagt", home=town.home)
        retract(town, author, ids[1])
        retract(town, author, ids[2])
        update(town, author, ids[3], "Notiz 3, verschoben")
        # Meanwhile, on the offline hub, the second admin edits notices it still shows.
        update(away, second, ids[1], "Notiz 1, vor Ort geändert")
        update(away, second, ids[4], "Notiz 4, vor Ort geändert")
        wait_for(lambda: converged([town, online]), 30, "the online hub to see the retractions")

        daemons[0].start()
        digest = wait_for(stable_digest(net.nodes, 2.0), 30, "the returning hub to rejoin")

    expected = {
        ids[3]: "Notiz 3, verschoben",
        ids[4]: "Notiz 4, vor Ort geändert",
        ids[5]: "Notiz 5",
    }
    assert shown(town, hub=False) == expected
    for hub in net.hubs:
        assert shown(hub, hub=True) == expected, hub.name
    checked = [(town, ids[0]), (town, ids[1]), (away, ids[1])]
    shows = run_all(
        ["notice", "show", notice_id, "--json", "--home", node.home] for node, notice_id in checked
    )
    assert all(json.loads(out)["retracted"] is True for out in shows)
    assert {status["digest"] for status in statuses(net.nodes)} == {digest}
    verify_all(net.nodes)
