"""Real processes converge: a town server and four hubs through random partitions, restarts and
concurrent edits end with one log (ARCHITECTURE.md section 3); a published notice reaches a
long-polling hub within about a second."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from content.identity import Identity
from content.log import AppendRefused
from content.notices import NoticeError
from tests.node.cli import run_dorfhub
from tests.sync.procs import (
    Cluster,
    Daemon,
    Network,
    Node,
    Proxy,
    add_admin,
    admin,
    converged,
    live_notices,
    publish,
    retract,
    stable_digest,
    statuses,
    update,
    verify_all,
    wait_for,
)

HUB_NAMES = ("Ringelai", "Perlesreut", "Thurmansbang", "Fuersteneck")
# hub i also syncs directly with hub j, through a proxy of its own
HUB_LINKS = ((0, 1), (2, 3), (3, 0))
STEPS = 8
CUT_CHANCE = 0.35
CLI_CHANCE = 0.15
MAX_RESTARTS = 2


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """Town and four granted hubs made once with the CLI (`network init`, `node init`,
    `key grant`); every test works on its own copy."""
    return Network.create(tmp_path_factory.mktemp("network"), HUB_NAMES)


@pytest.fixture
def net(template: Network, tmp_path: Path) -> Network:
    return template.copy_to(tmp_path / "nodes")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with Cluster(tmp_path) as running:
        yield running


# ---- the random world ------------------------------------------------------------------------


@dataclass
class World:
    """The running nodes, the links between them, and what the admins did (the model)."""

    net: Network
    cluster: Cluster
    rng: random.Random
    hubs: list[Daemon]
    links: list[Proxy]
    admin: Identity
    second: Identity  # a second admin who edits on the first hub only
    live: dict[str, str] = field(default_factory=dict)  # notice -> title the town admin set
    retracted: set[str] = field(default_factory=set)
    edited_on_hub: set[str] = field(default_factory=set)
    restarts: int = 0
    cli_calls: int = 0
    diverged_steps: int = 0  # steps after which the nodes held different logs

    @property
    def town(self) -> Node:
        return self.net.town

    def use_cli(self) -> bool:
        return self.rng.random() < CLI_CHANCE

    def pick_live(self) -> str | None:
        return self.rng.choice(sorted(self.live)) if self.live else None


def start_world(net: Network, cluster: Cluster, seed: int, tmp_path: Path) -> World:
    town = cluster.serve(net.town)
    town.wait_ready()
    server_links = [cluster.proxy(net.town, f"town<-{hub.name}") for hub in net.hubs]
    for hub, link in zip(net.hubs, server_links, strict=True):
        hub.set_server_url(link.url)
    peer_links = {
        (a, b): cluster.proxy(net.hubs[b], f"{net.hubs[b].name}<-{net.hubs[a].name}")
        for a, b in HUB_LINKS
    }
    hubs = [
        cluster.hub(hub, [link.url for (a, _), link in peer_links.items() if a == i])
        for i, hub in enumerate(net.hubs)
    ]
    second = add_admin(net.town, tmp_path / "second-admin.key")
    rng = random.Random(seed)
    world = World(
        net, cluster, rng, hubs, server_links + list(peer_links.values()), admin(net.town), second
    )
    for _ in range(3):
        do_publish(world)
    cluster.wait_ready()
    return world


def do_publish(world: World) -> None:
    title = f"Notiz {len(world.live) + len(world.retracted) + 1}"
    if world.use_cli():
        world.cli_calls += 1
        out = run_dorfhub(
            "notice", "publish", "--title", title, "--body", "CLI", home=world.town.home
        )
        notice_id = out.stdout.split()[0]
    else:
        notice_id = publish(world.town, world.admin, title)
    world.live[notice_id] = title


def do_update(world: World) -> None:
    notice_id = world.pick_live()
    if notice_id is None:
        return
    title = f"{world.live[notice_id]} geändert {world.rng.randint(1, 999)}"
    if world.use_cli():
        world.cli_calls += 1
        run_dorfhub("notice", "update", notice_id, "--title", title, home=world.town.home)
    else:
        update(world.town, world.admin, notice_id, title)
    world.live[notice_id] = title


def do_retract(world: World) -> None:
    notice_id = world.pick_live()
    if notice_id is None or len(world.live) < 3:
        return
    if world.use_cli():
        world.cli_calls += 1
        run_dorfhub("notice", "retract", notice_id, home=world.town.home)
    else:
        retract(world.town, world.admin, notice_id)
    del world.live[notice_id]
    world.retracted.add(notice_id)


def do_edit_on_hub(world: World) -> None:
    """The second admin edits what the first hub shows now, perhaps already retracted."""
    hub = world.net.hubs[0]
    shown = sorted(n.id for n in live_notices(hub, hub.key()))
    if not shown:
        return
    notice_id = world.rng.choice(shown)
    try:
        update(hub, world.second, notice_id, f"vor Ort {world.rng.randint(1, 999)}")
    except (AppendRefused, NoticeError):
        return  # the hub does not hold the second admin's grant yet
    world.edited_on_hub.add(notice_id)


def do_restart(world: World) -> None:
    """Restart a hub (it appends a hub.status when it starts), gently or with SIGKILL."""
    if world.restarts >= MAX_RESTARTS:
        return
    world.restarts += 1
    daemon = world.rng.choice(world.hubs)
    if world.rng.random() < 0.5:
        daemon.kill()
    else:
        daemon.stop()
    daemon.start()


ACTIONS: list[tuple[Callable[[World], None], int]] = [
    (do_publish, 4),
    (do_update, 3),
    (do_retract, 2),
    (do_edit_on_hub, 2),
    (do_restart, 1),
]


def step(world: World) -> None:
    for link in world.links:
        if world.rng.random() < CUT_CHANCE:
            link.cut()
        else:
            link.heal()
    actions, weights = zip(*ACTIONS, strict=True)
    for action in world.rng.choices(actions, weights, k=world.rng.randint(1, 3)):
        action(world)
    time.sleep(world.rng.uniform(0.2, 1.0))
    if converged(world.net.nodes) is None:
        world.diverged_steps += 1


# ---- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_five_nodes_converge_after_random_partitions_and_heals(
    net: Network, cluster: Cluster, tmp_path: Path, seed: int
) -> None:
    began = time.monotonic()
    world = start_world(net, cluster, seed, tmp_path)
    started = time.monotonic()
    for _ in range(STEPS):
        step(world)

    for link in world.links:
        link.heal()
    cluster.wait_ready()
    healed = time.monotonic()
    digest = wait_for(stable_digest(net.nodes), 60, "all five nodes to hold the same log")
    print(
        f"seed {seed}: start {started - began:.1f} s, steps {healed - started:.1f} s, "
        f"converged {time.monotonic() - healed:.1f} s after the final heal; "
        f"{len(world.live)} live, {len(world.retracted)} retracted, "
        f"{len(world.edited_on_hub)} edited on a hub, {world.restarts} restarts, "
        f"{world.cli_calls} CLI edits, diverged after {world.diverged_steps} of {STEPS} steps"
    )
    assert world.diverged_steps > 0, "the partitions never kept the nodes apart"
    checked = time.monotonic()

    for status in statuses(net.nodes):
        assert status["digest"] == digest, status["name"]
        assert status["quarantined"] == [], status["name"]
        assert (status["held_ops"], status["rejected_ops"]) == (0, 0), status["name"]
    verify_all(net.nodes)
    assert_same_noticeboards(world)
    print(f"seed {seed}: status and verify {time.monotonic() - checked:.1f} s")


def assert_same_noticeboards(world: World) -> None:
    town = [n.as_json() for n in live_notices(world.town)]
    for hub in world.net.hubs:
        assert [n.as_json() for n in live_notices(hub, hub.key())] == town, hub.name
    shown = {n["id"]: n["title"] for n in town}
    assert set(shown) == set(world.live)
    assert not set(shown) & world.retracted
    for notice_id, title in world.live.items():
        if notice_id not in world.edited_on_hub:
            assert shown[notice_id] == title


def test_a_hub_catches_up_once_a_partition_heals(net: Network, cluster: Cluster) -> None:
    """Also when nothing changes after the heal: a failed peer is retried after its backoff,
    and a long-poll that reconnects asks for a round (it may have missed changes)."""
    link = cluster.proxy(net.town, "town")
    hub = net.hubs[0]
    hub.set_server_url(link.url)
    link.cut()  # the town is unreachable when the hub starts
    cluster.serve(net.town)
    cluster.hub(hub)
    cluster.wait_ready()
    time.sleep(1.0)
    link.heal()
    wait_for(lambda: converged([net.town, hub]), 20, "the hub's first sync")

    link.cut()
    notice_id = publish(net.town, admin(net.town), "Während der Funkstille")
    time.sleep(2.0)
    assert not shows(hub, hub.key(), notice_id)
    link.heal()
    wait_for(lambda: converged([net.town, hub]), 20, "the hub to catch up after the heal")
    assert shows(hub, hub.key(), notice_id)


def shows(hub: Node, key: str, notice_id: str) -> bool:
    return notice_id in {n.id for n in live_notices(hub, key)}


def test_a_published_notice_reaches_a_long_polling_hub_within_seconds(
    net: Network, cluster: Cluster
) -> None:
    hub = net.hubs[0]
    hub.set_server_url(f"http://127.0.0.1:{net.town.port}")
    cluster.serve(net.town).wait_ready()
    cluster.hub(hub).wait_ready()
    wait_for(lambda: converged([net.town, hub]), 20, "the hub's first sync")
    key, author = hub.key(), admin(net.town)
    delays = []
    for number in range(5):
        time.sleep(1.0)  # the hub is back in its long-poll
        started = time.monotonic()
        notice_id = publish(net.town, author, f"Eilmeldung {number}")
        wait_for(partial(shows, hub, key, notice_id), 10, "the notice on the hub", every=0.01)
        delays.append(time.monotonic() - started)
    # The figure is for the reader; bench/sync.py measures it (never a timed assertion here).
    print("propagation town -> hub (s):", " ".join(f"{d:.3f}" for d in delays))
