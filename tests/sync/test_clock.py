"""A hub whose clock says 2001 syncs and orders exactly as the others (ARCHITECTURE.md section 5:
order is Lamport, display windows use trusted time). The hub process runs under `faketime`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from content.clock import wall_clock_ms
from tests.node.cli import run_dorfhub
from tests.sync.procs import (
    FAKETIME_2001,
    LIBFAKETIME,
    Cluster,
    Daemon,
    Network,
    Node,
    add_admin,
    admin,
    notice_lists,
    publish,
    seq_of,
    stable_digest,
    statuses,
    update,
    verify_all,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    not LIBFAKETIME, reason="needs libfaketime (the faketime package; make test installs it)"
)
DAY_MS = 24 * 3600 * 1000
YEAR_S = 365 * 24 * 3600


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return Network.create(tmp_path_factory.mktemp("network"), ["Ringelai", "Schoenberg"])


@dataclass
class Scene:
    net: Network
    normal: Node
    past: Node  # its process believes it is 2001-01-01 12:00
    past_daemon: Daemon
    second_key: Path  # a second admin's key file, for the CLI on the 2001 hub
    notices: list[str]
    started_ms: int


@pytest.fixture
def scene(template: Network, tmp_path: Path) -> Iterator[Scene]:
    """Town, a normal hub and a hub in 2001, synced; the normal hub also syncs directly with
    the 2001 hub's own API (signed requests across 25 years of clock difference)."""
    net = template.copy_to(tmp_path / "nodes")
    town, (normal, past) = net.town, net.hubs
    second_key = tmp_path / "second-admin.key"
    add_admin(town, second_key)
    started = wall_clock_ms()
    ids = [
        publish(town, admin(town), f"Notiz {n}", valid_until=started + 2 * DAY_MS) for n in range(3)
    ]
    with Cluster(tmp_path) as cluster:
        for hub in net.hubs:
            hub.set_server_url(f"http://127.0.0.1:{town.port}")
        cluster.serve(town).wait_ready()
        past_daemon = cluster.hub(past, prefix=FAKETIME_2001)
        cluster.hub(normal, [f"http://127.0.0.1:{past.port}"])
        cluster.wait_ready()
        for hub in net.hubs:
            wait_for(partial(seq_of, town, hub.key()), 30, f"{hub.name}'s first status report")
        wait_for(stable_digest(net.nodes), 30, "the first sync")
        yield Scene(net, normal, past, past_daemon, second_key, ids, started)


def in_2001(*args: str | Path, home: Path) -> str:
    return run_dorfhub(*args, home=home, prefix=FAKETIME_2001).stdout.strip()


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def year(iso: str) -> int:
    return datetime.fromisoformat(iso).astimezone(UTC).year


def settle(scene: Scene) -> str:
    return wait_for(stable_digest(scene.net.nodes), 30, "the three nodes to agree")


def test_hub_in_2001_syncs_and_orders_like_the_others(scene: Scene) -> None:
    town, normal, past = scene.net.town, scene.normal, scene.past
    first, second, _ = scene.notices
    # The second admin edits on the 2001 hub: the op says 2001 but comes later (Lamport), so
    # it wins everywhere; ordering by wall clock would keep the town's version.
    cli_key = ("--key", scene.second_key)
    in_2001("notice", "update", first, "--title", "Notiz 0, vor Ort", *cli_key, home=past.home)
    local = in_2001(
        "notice", "publish", "--title", "Vor Ort", "--body", "x", *cli_key, home=past.home
    ).split()[0]
    settle(scene)
    update(town, admin(town), second, "Notiz 1, aus der Stadt")
    scene.past_daemon.restart()  # now it knows signed time: its report says the clock is off
    wait_for(lambda: seq_of(town, past.key()) == 2, 30, "the 2001 hub's second status")
    digest = settle(scene)

    normal_status, town_status = statuses([normal, town])
    (past_status,) = statuses([past], prefix=FAKETIME_2001)
    assert {normal_status["digest"], town_status["digest"], past_status["digest"]} == {digest}
    assert year(past_status["wall_clock"]) == 2001
    assert ms(past_status["trusted_now"]) >= scene.started_ms
    assert past_status["clock_suspect"] is True
    assert_town_sees_the_clock_report(town, past.key())

    (shown_normal,) = notice_lists([normal])
    (shown_past,) = notice_lists([past], prefix=FAKETIME_2001)
    assert shown_past == shown_normal
    titles = {n["id"]: n["title"] for n in shown_past}
    assert titles == {
        first: "Notiz 0, vor Ort",
        second: "Notiz 1, aus der Stadt",
        scene.notices[2]: "Notiz 2",
        local: "Vor Ort",
    }
    # Published through a 2001 clock, the local notice is still valid from trusted now.
    by_id = {n["id"]: n for n in shown_past}
    assert ms(by_id[local]["valid_from"]) >= scene.started_ms
    verify_all([town, normal])
    in_2001("log", "verify", home=past.home)


def assert_town_sees_the_clock_report(town: Node, hub_key: str) -> None:
    with town.store() as store:
        row = store.conn.execute("SELECT body FROM node_status WHERE node = ?", (hub_key,))
        report: dict[str, Any] = json.loads(row.fetchone()[0])
    assert report["clock_suspect"] is True
    assert report["clock_skew_s"] > 20 * YEAR_S


def test_notices_edited_or_published_through_a_clock_in_2001_are_dated_by_trusted_time(
    scene: Scene,
) -> None:
    first = scene.notices[0]
    cli_key = ("--key", scene.second_key)
    in_2001(
        "notice", "update", first, "--title", "Notiz 0, vor Ort", *cli_key, home=scene.past.home
    )
    publishing = ("notice", "publish", "--title", "Vor Ort", "--body", "x", *cli_key)
    local = in_2001(*publishing, home=scene.past.home).split()[0]
    settle(scene)
    (shown,) = notice_lists([scene.normal])
    by_id = {n["id"]: n for n in shown}
    for notice_id in (first, local):
        dated = by_id[notice_id]["published_at"]
        assert year(dated) >= 2024, f"{notice_id} is shown as published {dated}"
    assert shown[0]["id"] == local, "the newest notice comes first"
