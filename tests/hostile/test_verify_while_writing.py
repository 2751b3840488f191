"""`dorfhub log verify` on a healthy database that another process is writing to (issue 13,
finding 5): it must read ops, version vector and views as of one moment, so it always passes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node.cli import REPO, run_dorfhub
from tests.sync.procs import wait_for

RUNS = 4


@pytest.fixture
def writing_town(tmp_path: Path) -> Iterator[Path]:
    """A town home with a second process publishing notices into it for the whole test."""
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    progress = tmp_path / "appender.out"
    with progress.open("w") as out:
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile.appender", str(home)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: progress.read_text().count("\n") >= 20, 60, "the writer's first notices")
        yield home
        assert writer.poll() is None, f"the writer died:\n{progress.read_text()[-2000:]}"
    finally:
        writer.kill()
        writer.wait()


def test_log_verify_passes_while_another_process_appends(writing_town: Path) -> None:
    counts = []
    for _ in range(RUNS):
        result = run_dorfhub("log", "verify", home=writing_town, check=False)
        assert result.returncode == 0, result.stderr
        found = re.match(r"ok: (\d+) ops verified", result.stdout)
        assert found, result.stdout
        counts.append(int(found[1]))
    # Each run saw more ops than the one before: the writer committed while they ran.
    assert counts == sorted(set(counts)), counts
