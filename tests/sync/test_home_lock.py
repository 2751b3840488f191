"""One daemon per home: a second `dorfhub serve` or `dorfhub hub` on the same home stops at once
with one line and touches nothing; short commands and the kiosk's commands still run beside the
daemon; after `kill -9` the lock is gone with the process and a new daemon starts at once."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from node.home import Home
from tests.node.cli import DORFHUB, REPO, run_dorfhub
from tests.sync.conftest import running, start_peer, store_state

SECOND_DAEMON_S = 60.0  # generous: it must exit by itself, not be stopped by the test


def _hub_home(town: Path, directory: Path) -> Path:
    """A hub of the town's network (not enrolled: the daemon runs all the same)."""
    network = Home(town).config.network_id
    hub = directory / "hub"
    run_dorfhub(
        "node", "init", "--role", "hub", "--name", "Ringelai", "--network", network, home=hub
    )
    return hub


def _second_daemon(home: Path, command: str, ready_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DORFHUB, command, "--home", str(home), "--port", "0", "--ready-file", str(ready_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=SECOND_DAEMON_S,
    )


@pytest.mark.parametrize(("first", "second"), [("serve", "serve"), ("serve", "hub")])
def test_a_second_daemon_on_the_town_stops_at_once(
    town: Path, tmp_path: Path, first: str, second: str
) -> None:
    ready_file = tmp_path / "second.ready"
    with running(town, first) as daemon:
        before = store_state(town)
        refused = _second_daemon(town, second, ready_file)
        assert refused.returncode == 1
        assert refused.stderr == (
            f"dorfhub: error: another dorfhub daemon (pid {daemon.process.pid}) "
            f"is running on {town}\n"
        )
        assert refused.stdout == ""
        assert not ready_file.exists()  # it never listened
        assert store_state(town) == before
        assert daemon.hello()["role"] == "server"  # the first one serves on


def test_a_second_hub_daemon_stops_at_once(town: Path, tmp_path: Path) -> None:
    hub = _hub_home(town, tmp_path)
    with running(hub, "hub") as daemon:
        refused = _second_daemon(hub, "hub", tmp_path / "second.ready")
        assert refused.returncode == 1
        assert refused.stderr.startswith("dorfhub: error: another dorfhub daemon")
        assert len(refused.stderr.splitlines()) == 1
        assert daemon.hello()["role"] == "hub"


def test_short_commands_and_the_kiosk_pin_run_beside_the_daemons(
    town: Path, tmp_path: Path
) -> None:
    hub = _hub_home(town, tmp_path)
    with running(town), running(hub, "hub"):
        published = run_dorfhub(
            *("notice", "publish", "--title", "Bürgerbus", "--body", "Dienstag 8:15 Uhr"),
            home=town,
        )
        assert published.stdout.strip()
        assert "Bürgerbus" in run_dorfhub("notice", "list", home=town).stdout
        run_dorfhub("status", "--json", home=town)
        run_dorfhub("log", "verify", home=town)
        pin = subprocess.run(
            [*DORFHUB, "kiosk", "set-pin", "--home", str(hub)],
            cwd=REPO,
            input="2468\n2468\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert pin.returncode == 0, pin.stderr
        run_dorfhub("status", home=hub)


def test_after_kill_9_a_new_daemon_starts_at_once(town: Path) -> None:
    killed = start_peer(town)
    killed.process.send_signal(signal.SIGKILL)
    killed.process.wait()
    assert (town / "daemon.lock").exists()  # left behind, naming the dead process
    with running(town) as successor:  # start_peer fails if it exits instead of serving
        assert successor.hello()["role"] == "server"
