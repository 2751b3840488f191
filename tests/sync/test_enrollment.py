"""Enrollment with real processes: `node init --server` asks, `enroll approve` grants, and the
hub may push from its next sync on, not before."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from content.grants import roles_of
from node.home import Home
from sync.client import PeerError
from sync.protocol import encode_batch
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, running, store_state
from tests.sync.helpers import Member, status_op

REPORT_SECONDS = 15.0


def init_hub(home: Path, server: PeerProcess, name: str = "Ringelai") -> str:
    """`dorfhub node init --role hub --server URL`; returns the pairing code it prints."""
    out = run_dorfhub(
        "node", "init", "--role", "hub", "--name", name, "--server", server.url, home=home
    ).stdout
    assert f"asked {server.url} to enroll this node" in out
    found = re.search(r"^pairing code: (\w{4}-\w{4})$", out, re.MULTILINE)
    assert found, out
    return found[1]


def status_nodes(home: Path) -> set[str]:
    """The nodes whose hub.status / server.status reports a node holds."""
    with sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT node FROM node_status")}


def test_enrollment_end_to_end(tmp_path: Path, town: Path) -> None:
    with running(town) as server:
        code = init_hub(tmp_path / "hub", server)
        home = Home(tmp_path / "hub")
        assert home.config.network_id == server.hello()["net"]
        hub = Member.open(home.db_path, home.identity(), home.config.network_id, server.url)
        try:
            assert_push_refused(hub, town)
            listed = run_dorfhub("enroll", "list", home=town).stdout
            assert re.search(rf"^{code}\s+hub\s+Ringelai\s+waiting", listed, re.MULTILINE)

            before = server.hello()["digest"]
            approved = run_dorfhub("enroll", "approve", code, home=town).stdout
            assert approved.strip() == "approved Ringelai as hub"
            # The CLI committed in its own process; the server sees it at its next poll of
            # data_version (every 50 ms, later on a busy machine), and a sync before that is a
            # no-op.
            deadline = time.monotonic() + 10
            while server.hello()["digest"] == before and time.monotonic() < deadline:
                time.sleep(0.05)
            assert hub.sync().pulled >= 1
            key = hub.identity.key_id
            assert roles_of(hub.log.store.conn, hub.log.network_id, key) == ["hub"]
            hub.append_status()  # refused locally until the hub held its grant
            result = hub.sync()
            assert (result.pushed, result.rejected) == (1, [])
            assert key in status_nodes(town)
            assert server.hello(hub.log.digest())["equal"]
        finally:
            hub.close()
        assert_approves_once(town, code)


def assert_approves_once(town: Path, code: str) -> None:
    """A second approval (the code typed as heard: no dash, lower case) is a one-line error."""
    typed = code.replace("-", "").lower()
    again = run_dorfhub("enroll", "approve", typed, home=town, check=False)
    assert again.returncode == 1
    assert again.stderr == f"dorfhub: error: Ringelai ({typed}) is already approved\n"


def assert_push_refused(hub: Member, town: Path) -> None:
    """Before approval the hub's key is not enrolled: its push is refused whole."""
    before = store_state(town)
    batch = encode_batch([status_op(hub.identity, hub.log.network_id)])
    with pytest.raises(PeerError, match="403 unknown or revoked node may not push"):
        hub.client.push(batch)
    # It may sync, but learns nothing until its grant exists (docs/protocol.md).
    result = hub.sync()
    assert (result.pulled, result.rejected) == (0, [])
    assert hub.log.count() == 0
    assert store_state(town) == before


def test_hub_daemon_reports_once_approved(tmp_path: Path, town: Path) -> None:
    """`dorfhub hub` started before approval: its status reaches the town once approved."""
    with running(town) as server:
        code = init_hub(tmp_path / "hub", server)
        hub_key = Home(tmp_path / "hub").identity().key_id
        with running(tmp_path / "hub", "hub") as daemon:
            assert daemon.hello()["role"] == "hub"
            run_dorfhub("enroll", "approve", code, home=town)
            deadline = time.monotonic() + REPORT_SECONDS
            while hub_key not in status_nodes(town) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert hub_key in status_nodes(town), daemon.output()
            _assert_hub_reports_its_peer(tmp_path / "hub", server.url)


def _assert_hub_reports_its_peer(hub: Path, url: str) -> None:
    """`dorfhub status` on the hub: the town as a peer, synced, nothing pending either way."""
    deadline = time.monotonic() + REPORT_SECONDS
    while time.monotonic() < deadline:
        peers = json.loads(run_dorfhub("status", "--json", home=hub).stdout)["peers"]
        town = next((peer for peer in peers if peer["url"] == url), None)
        if town and town["in_sync"] and town["pending_out"] == 0 and town["pending_in"] == 0:
            break
        time.sleep(0.2)
    assert town is not None, peers
    assert town["last_success"] is not None
    assert town["failures"] == 0
    assert (town["pending_in"], town["pending_out"]) == (0, 0)
