"""Fixtures for the sync tests: real `dorfhub serve` processes on 127.0.0.1, each on a port it
picks itself (`--port 0`) and reports in its ready file, so no two tests race for a port."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from node.listen import wait_for_ready_file
from tests.node.cli import DORFHUB, REPO, run_dorfhub

HOST = "127.0.0.1"
START_SECONDS = 20.0
# SIGTERM must stop a daemon; this only bounds how long a broken one may hang the test.
STOP_SECONDS = 30.0
_started = itertools.count(1)  # names each process's log and ready file within a test


@dataclass
class PeerProcess:
    """A `dorfhub serve` (or `hub`) process and where it answers."""

    process: subprocess.Popen[bytes]
    url: str
    home: Path
    log_path: Path

    def hello(self, digest: str = "") -> dict[str, Any]:
        response = requests.get(f"{self.url}/v1/hello", params={"digest": digest}, timeout=5)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM; the process must be gone within STOP_SECONDS. Returns its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.url} ignored SIGTERM for {STOP_SECONDS} s") from None
        return status


def start_peer(
    home: Path, command: str = "serve", *extra: str, prefix: Sequence[str] = ()
) -> PeerProcess:
    """Start `dorfhub COMMAND --home HOME` on a port of its choosing; return once it serves.
    `prefix` runs it under another program (prlimit, faketime)."""
    name = f"{home.name}-{command}-{next(_started)}"
    log_path, ready_file = home.parent / f"{name}.log", home.parent / f"{name}.ready"
    args = [*prefix, *DORFHUB, command, "--home", str(home), "--host", HOST, "--port", "0"]
    args += ["--ready-file", str(ready_file), *extra]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            args, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
    try:
        ready = wait_for_ready_file(ready_file, process, START_SECONDS)
    except RuntimeError as exc:
        process.kill()
        process.wait()
        raise AssertionError(f"{name}: {exc}:\n{log_path.read_text(errors='replace')}") from None
    return PeerProcess(process, f"http://{HOST}:{ready.port}", home, log_path)


@contextmanager
def running(
    home: Path, command: str = "serve", *extra: str, prefix: Sequence[str] = ()
) -> Iterator[PeerProcess]:
    """A peer process for the duration of the block; at the end SIGTERM must stop it."""
    peer = start_peer(home, command, *extra, prefix=prefix)
    try:
        yield peer
    finally:
        status = peer.stop()
    # uvicorn re-raises the SIGTERM it caught once it has shut down cleanly.
    assert status in (0, -signal.SIGTERM), f"exit status {status}:\n{peer.output()}"


def make_town(home: Path, name: str = "Ilzer Land") -> str:
    """`dorfhub network init`; returns the network id."""
    return run_dorfhub("network", "init", "--name", name, home=home).stdout.strip()


@dataclass(frozen=True)
class StoreState:
    """What must not move when a request is refused."""

    ops: int
    digest: str
    views: str


def store_state(home: Path) -> StoreState:
    """Read a node's database (read-only) while its process may be running."""
    with sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        ops = conn.execute("SELECT count(*) FROM ops").fetchone()[0]
        versions = conn.execute("SELECT author, seq, head FROM versions ORDER BY author")
        digest = json.dumps(versions.fetchall())
        views = json.dumps(
            [
                conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("keys", "notices", "node_status")
            ]
        )
    return StoreState(int(ops), digest, views)


@pytest.fixture(scope="session")
def town_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A town server home made by `dorfhub network init`, shared read-only by the session."""
    home = tmp_path_factory.mktemp("pristine") / "town"
    make_town(home)
    return home


@pytest.fixture
def town(tmp_path: Path, town_dir: Path) -> Path:
    """A private copy of the pristine town home (same network, same keys)."""
    home = tmp_path / "town"
    shutil.copytree(town_dir, home)
    return home
