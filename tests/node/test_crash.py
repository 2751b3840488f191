"""A writer killed with SIGKILL mid-append leaves a consistent, verifiable database."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from content.log import Log
from content.log_audit import verify_store
from content.store import Store
from tests.node.cli import REPO


def start_writer(home: Path) -> subprocess.Popen[str]:
    """A process that appends notices to `home` and prints a line after each commit."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.node.writer", str(home)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_mid_append_leaves_a_verifiable_database(town: Path, seed: int) -> None:
    rng = random.Random(seed)
    writes_before_kill = rng.randint(20, 200)
    writer = start_writer(town)
    assert writer.stdout is not None
    for _ in range(writes_before_kill):
        writer.stdout.readline()
    time.sleep(rng.random() * 0.005)  # land anywhere inside the next append
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL

    with Store(town / "dorfhub.db") as store:
        report = verify_store(store)
        assert report.ok, report.problems
        vector = Log(store).version_vector()
        counted = dict(store.conn.execute("SELECT author, count(*) FROM ops GROUP BY author"))
        assert vector == counted
        notices = store.conn.execute("SELECT count(*) FROM notices").fetchone()[0]
        assert notices >= writes_before_kill
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_reader_sees_committed_ops_while_writer_runs(town: Path) -> None:
    writer = start_writer(town)
    assert writer.stdout is not None
    try:
        seen = []
        with sqlite3.connect(town / "dorfhub.db", timeout=30) as reader:
            for _ in range(5):
                for _ in range(10):
                    writer.stdout.readline()
                seen.append(reader.execute("SELECT count(*) FROM notices").fetchone()[0])
        assert seen == sorted(seen)
        assert seen[-1] > seen[0]
    finally:
        writer.kill()
        writer.wait(timeout=10)
