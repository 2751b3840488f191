"""A CAP feed on 127.0.0.1 (node/cap_feed_server.py, with ETag, in its own process) that a real
`dorfhub serve` polls, and two real hubs: the warning reaches the board of the hub its warn
cell names and not the other's; an update changes it; a cancel takes it down; a restarted
server sees all three again and adds nothing; a polygon reaches the hub by the position its
status reported. One world for the five steps."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from content.notices import active_notices, get_notice
from content.warnings import hub_places
from node.cap_feed_server import publish_file
from node.cli import main
from node.home import Home
from node.listen import wait_for_ready_file
from node.warnings_feed import read_status
from tests.node.cli import REPO
from tests.sync.procs import Cluster, Network, Node, wait_for

DATA = Path(__file__).parent / "data"
POLL_S = "0.2"  # fast for the test; a county polls every minute (docs/warnings.md)
WAIT_S = 60


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The feed server's directory and URL."""
    directory = tmp_path / "feed"
    directory.mkdir()
    ready = tmp_path / "feed.ready"
    log = (tmp_path / "feed.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cap_feed_server", str(directory), str(ready)],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        port = wait_for_ready_file(ready, process, 20).port
        yield directory, f"http://127.0.0.1:{port}/warnungen.xml"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _board(node: Node, hub: Node) -> list[str]:
    with node.store() as store:
        return [n.id for n in active_notices(store.conn, hub=hub.key())]


def _cli(*args: str | Path) -> None:
    assert main([str(arg) for arg in args]) == 0


def test_feed_publish_update_cancel_restart(
    tmp_path: Path, feed: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    directory, url = feed
    world = Network.create(tmp_path / "net", ["Perlesreut", "Ringelai"])
    town, (perlesreut, ringelai) = world.town, world.hubs
    home = ("--home", town.home)
    _cli("warnings", "init", *home)
    _cli(
        "warnings", "area", "add", "--geocode", "WARNCELLID:809272129", "--hub", "Perlesreut", *home
    )
    _cli("warnings", "feed", "add", url, "--interval", POLL_S, *home)
    _cli("warnings", "area", "list", *home)
    _cli("warnings", "position", "48.78", "13.43", "--home", ringelai.home)
    assert "WARNCELLID:809272129     hub Perlesreut" in capsys.readouterr().out
    # An index without entries until the first warning: a missing feed would be a failing one.
    publish_file(directory, "warnungen.xml", b'<feed xmlns="http://www.w3.org/2005/Atom"/>')
    with Cluster(tmp_path) as cluster:
        server = cluster.serve(town)
        for hub in (perlesreut, ringelai):
            hub.set_server_url(server.url)
            cluster.hub(hub)
        cluster.wait_ready()

        # 1. Published: on Perlesreut's board as an emergency (its warn cell), not on Ringelai's,
        # whose reported position lies outside the alert's polygon (whenever the status arrives).
        publish_file(directory, "warnungen.xml", (DATA / "dwd_alert.xml").read_bytes())
        (notice_id,) = wait_for(lambda: _board(perlesreut, perlesreut), WAIT_S, "the warning")
        with perlesreut.store() as store:
            notice = get_notice(store.conn, notice_id)
        assert notice is not None
        assert notice.priority == "emergency"
        assert notice.title["de"].startswith("Amtliche UNWETTERWARNUNG")
        wait_for(lambda: _has(ringelai, notice_id), WAIT_S, "the op at Ringelai")
        assert _board(ringelai, ringelai) == []

        # 2. Updated: the same notice, the new text.
        publish_file(directory, "warnungen.xml", (DATA / "dwd_update.xml").read_bytes())
        wait_for(lambda: "140 km/h" in _body(perlesreut, notice_id), WAIT_S, "the update")
        assert _board(perlesreut, perlesreut) == [notice_id]

        # 3. Cancelled: it leaves the board.
        publish_file(directory, "warnungen.xml", (DATA / "dwd_cancel.xml").read_bytes())
        wait_for(lambda: _board(perlesreut, perlesreut) == [], WAIT_S, "the cancel")
        status = read_status(town.home)
        assert status is not None
        assert status["counts"]["published"] == 1
        assert status["feeds"][0]["failures"] == 0

        # 4. A restarted server reads the whole history again (an index of all three, no
        # ETag known): every message is a duplicate, nothing is appended.
        ops = _ops(town)
        index = (DATA / "index.atom").read_text()
        entries = "".join(
            f"<entry><id>urn:{name}</id><title>{name}</title><updated>2026-06-01T12:00:00Z"
            f'</updated><link href="{name}"/></entry>'
            for name in ("dwd_alert.xml", "dwd_update.xml", "dwd_cancel.xml")
        )
        index = index[: index.index("<entry>")] + entries + "</feed>\n"
        for name in ("dwd_alert.xml", "dwd_update.xml", "dwd_cancel.xml"):
            publish_file(directory, name, (DATA / name).read_bytes())
        (town.home / "warnings-status.json").unlink()
        server.stop()
        publish_file(directory, "warnungen.xml", index.encode())
        server.start()
        server.wait_ready()
        wait_for(lambda: _counted(town, "duplicate") >= 3, WAIT_S, "the history read again")
        assert _ops(town) == ops

        # 5. A flood warning drawn as a polygon reaches Ringelai by the position it reported in
        # its status, and not Perlesreut, which said nowhere.
        wait_for(lambda: _position(town, ringelai), WAIT_S, "Ringelai's position at the town")
        publish_file(directory, "warnungen.xml", (DATA / "polygon_alert.xml").read_bytes())
        (flood,) = wait_for(lambda: _board(ringelai, ringelai), WAIT_S, "the flood warning")
        assert flood.startswith("n-warn-")
        assert _board(town, perlesreut) == []
        assert _board(perlesreut, perlesreut) == []
        assert _board(town, perlesreut) == []


def _position(town: Node, hub: Node) -> bool:
    with town.store() as store:
        places = {place.key: place.position for place in hub_places(store.conn)}
    return places.get(hub.key()) == (48.78, 13.43)


def _has(node: Node, notice_id: str) -> bool:
    with node.store() as store:
        return get_notice(store.conn, notice_id) is not None


def _body(node: Node, notice_id: str) -> str:
    with node.store() as store:
        notice = get_notice(store.conn, notice_id)
    return "" if notice is None else notice.body["de"]


def _ops(node: Node) -> int:
    with node.store() as store:
        return int(store.conn.execute("SELECT count(*) FROM ops").fetchone()[0])


def _counted(node: Node, action: str) -> int:
    status = read_status(Home(node.home).path)
    return 0 if status is None else int(status["counts"][action])
