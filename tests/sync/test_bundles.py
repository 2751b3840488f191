"""USB bundles with the real `dorfhub bundle export/import`, no network between the nodes."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from content import grants
from content.log import Log
from node.home import Home
from node.setup import init_network, init_node
from sync.bundle import MAGIC, export_bundle
from tests.content.helpers import flip
from tests.node.cli import notices_json, run_dorfhub
from tests.sync.conftest import running, store_state
from tests.sync.helpers import Member

LENGTH = struct.Struct(">I")
TITLES = ["Bürgerbus nach Grafenau", "Wertstoffhof geschlossen"]


@dataclass(frozen=True)
class Pristine:
    """A town with notices, a granted hub that never synced, and the town's full bundle."""

    town: Path
    hub: Path
    bundle: Path


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, town_dir: Path) -> Pristine:
    root = tmp_path_factory.mktemp("bundles")
    town = root / "town"
    shutil.copytree(town_dir, town)
    poster = root / "plakat.pdf"
    # One op bigger than a batch (several batches), and a PDF, as attachments must be.
    poster.write_bytes(b"%PDF-1.4\n%" + os.urandom(100 * 1024) + b"\n%%EOF\n")
    publish(town, TITLES[0], "--attach", str(poster))
    publish(town, TITLES[1])
    hub = make_hub(root / "hub", town)
    bundle = root / "town.dhb"
    out = run_dorfhub("bundle", "export", bundle, home=town).stdout
    assert out.strip() == f"wrote {store_state(town).ops} ops to {bundle}"
    assert len(batch_offsets(bundle)) >= 3
    return Pristine(town, hub, bundle)


def publish(town: Path, title: str, *args: str) -> str:
    text = "Näheres im Rathaus"
    run = run_dorfhub("notice", "publish", "--title", title, "--body", text, *args, home=town)
    return run.stdout.split()[0]


def make_hub(path: Path, town: Path) -> Path:
    """A hub of the town's network, granted there (the grant reaches it with the ops)."""
    town_home = Home(town)
    _, identity = init_node(path, "hub", "Ringelai", town_home.config.network_id)
    with town_home.store() as store:
        grants.grant(Log(store), town_home.publisher(), identity.public, "hub", "Ringelai")
    return path


@dataclass(frozen=True)
class Nodes:
    town: Path
    hub: Path
    bundle: Path


@pytest.fixture
def nodes(tmp_path: Path, pristine: Pristine) -> Nodes:
    """Private copies of the pristine town and hub."""
    town, hub = tmp_path / "town", tmp_path / "hub"
    shutil.copytree(pristine.town, town)
    shutil.copytree(pristine.hub, hub)
    return Nodes(town, hub, pristine.bundle)


def import_bundle(hub: Path, bundle: Path, check: bool = True) -> tuple[int, str, str]:
    run = run_dorfhub("bundle", "import", bundle, home=hub, check=check)
    return run.returncode, run.stdout, run.stderr


def test_bundle_carries_notices_once(nodes: Nodes) -> None:
    ops = store_state(nodes.town).ops
    _, out, _ = import_bundle(nodes.hub, nodes.bundle)
    assert out.strip() == f"{ops} applied, 0 duplicate, 0 held, 0 rejected, 0 purged"
    assert sorted(n["title"] for n in notices_json(nodes.hub)) == sorted(TITLES)
    imported = store_state(nodes.hub)
    assert imported == store_state(nodes.town)

    _, out, _ = import_bundle(nodes.hub, nodes.bundle)
    assert out.strip() == f"0 applied, {ops} duplicate, 0 held, 0 rejected, 0 purged"
    assert store_state(nodes.hub) == imported


# ---- damaged and foreign bundles -------------------------------------------------------------


def batch_offsets(bundle: Path) -> list[int]:
    """Where each `u32 length | batch` record of a bundle starts."""
    data = bundle.read_bytes()
    assert data[:4] == MAGIC
    position = 8 + LENGTH.unpack_from(data, 4)[0]
    offsets = []
    while position < len(data):
        offsets.append(position)
        position += LENGTH.size + LENGTH.unpack_from(data, position)[0]
    return offsets


def last_batch(bundle: Path) -> tuple[int, int]:
    """Start and end of the last batch's compressed bytes."""
    start = batch_offsets(bundle)[-1] + LENGTH.size
    return start, bundle.stat().st_size


def truncated_in_batch(bundle: Path, target: Path) -> str:
    start, end = last_batch(bundle)
    target.write_bytes(bundle.read_bytes()[: (start + end) // 2])
    return "truncated"


def truncated_at_batch(bundle: Path, target: Path) -> str:
    """Cut between two batches: every batch left is whole, but ops are missing."""
    target.write_bytes(bundle.read_bytes()[: batch_offsets(bundle)[-1]])
    return "truncated"


def bit_flipped(bundle: Path, target: Path) -> str:
    start, end = last_batch(bundle)
    target.write_bytes(flip(bundle.read_bytes(), (start + end) // 2, 0x04))
    return "corrupt batch"


def not_a_bundle(_bundle: Path, target: Path) -> str:
    target.write_text("Einkaufsliste: Milch, Brot\n")
    return "not a Dorfhub bundle"


def other_network(_bundle: Path, target: Path) -> str:
    other = init_network(target.parent / "other-town", "Anderes Land")
    with other.store() as store:
        export_bundle(Log(store), target)
    return f"bundle belongs to network {other.config.network_id}"


DAMAGED: list[Callable[[Path, Path], str]] = [
    truncated_in_batch,
    truncated_at_batch,
    bit_flipped,
    not_a_bundle,
    other_network,
]


@pytest.mark.parametrize("damage", DAMAGED, ids=[damage.__name__ for damage in DAMAGED])
def test_bad_bundle_is_refused_whole(
    nodes: Nodes, tmp_path: Path, damage: Callable[[Path, Path], str]
) -> None:
    bad = tmp_path / "bad.dhb"
    reason = damage(nodes.bundle, bad)
    before = store_state(nodes.hub)
    status, out, err = import_bundle(nodes.hub, bad, check=False)
    assert status == 1
    assert out == ""
    assert re.fullmatch(r"dorfhub: error: [^\n]+\n", err), err
    assert reason in err
    assert store_state(nodes.hub) == before


# ---- a bundle for one node -------------------------------------------------------------------


@pytest.fixture
def synced_hub(nodes: Nodes) -> Iterator[Member]:
    """The hub after one sync round with the town server: it pulled all, pushed its status."""
    home = Home(nodes.hub)
    with running(nodes.town) as server:
        hub = Member.open(home.db_path, home.identity(), home.config.network_id, server.url)
        try:
            assert hub.sync().pulled == store_state(nodes.town).ops
            hub.append_status()
            assert hub.sync().pushed == 1
            yield hub
        finally:
            hub.close()


def test_export_for_node_holds_only_what_it_lacks(
    nodes: Nodes, synced_hub: Member, tmp_path: Path
) -> None:
    assert store_state(nodes.hub) == store_state(nodes.town)
    news = publish(nodes.town, "Dorffest am Samstag")
    bundle = tmp_path / "for-ringelai.dhb"
    out = run_dorfhub("bundle", "export", bundle, "--for", "Ringelai", home=nodes.town).stdout
    assert out.strip() == f"wrote 1 ops for Ringelai to {bundle}"
    meta = json.loads(bundle.read_bytes()[8 : batch_offsets(bundle)[0]])
    assert (meta["count"], meta["for"]) == (1, True)

    _, out, _ = import_bundle(nodes.hub, bundle)
    assert out.startswith("1 applied, 0 duplicate")
    assert news in {n["id"] for n in notices_json(nodes.hub)}
    assert store_state(nodes.hub) == store_state(nodes.town)
