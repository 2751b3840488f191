"""`dorfhub practice add --key-out` killed with SIGKILL at the two moments that matter leaves a
state the same command finishes (issue 14 review, finding E): never a granted practice without
its record, never a granted key lost, and never a retry refused because of its own key file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from content.identity import load_identity
from content.store import Store
from node.practices import partial_key_path
from tests.node.cli import REPO, run_dorfhub

PRACTICE = "Praxis Dr. Aydin, Grafenau"
RECORD = ("--phone", "08552 4411", "--address", "Stadtplatz 3, 94481 Grafenau")


def _killed_at(step: str, town: Path, key_file: Path) -> None:
    """Run `practice add` until it reaches `step`, then kill it with SIGKILL."""
    argv = ["practice", "add", PRACTICE, *RECORD, "--key-out", str(key_file), "--home", str(town)]
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.booking.practice_writer", step, *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    try:
        line = writer.stdout.readline()
        assert line == f"at {step}\n", (line, writer.stderr.read() if writer.stderr else "")
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL


def _practices(town: Path) -> list[dict[str, str]]:
    listed: list[dict[str, str]] = json.loads(
        run_dorfhub("practice", "list", "--json", home=town).stdout
    )
    return listed


def _practice_grants(town: Path) -> int:
    """key.grant ops giving the practice role, whatever became of their records."""
    with Store(town / "dorfhub.db") as store:
        rows = store.conn.execute(
            "SELECT count(*) FROM keys k, json_each(k.grants) g "
            "WHERE json_extract(g.value, '$.role') = 'practice'"
        ).fetchone()
    return int(rows[0])


def _finish(town: Path, key_file: Path) -> str:
    """The same command again, as an admin retries it: it must succeed."""
    out = run_dorfhub("practice", "add", PRACTICE, *RECORD, "--key-out", key_file, home=town).stdout
    assert f"private key written to {key_file}" in out
    assert "calendar feed: /feeds/" in out
    assert not partial_key_path(key_file).exists()
    assert key_file.stat().st_mode & 0o777 == 0o600
    [practice] = _practices(town)
    assert practice["key"] == load_identity(key_file).key_id  # the granted key is the one given
    assert _practice_grants(town) == 1
    assert "ok" in run_dorfhub("log", "verify", home=town).stdout.lower()
    return practice["key"]


@pytest.fixture
def town(tmp_path: Path) -> Path:
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    return home


def test_killed_between_grant_and_record_it_stores_neither_and_a_retry_works(
    town: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "usb" / "praxis.key"
    _killed_at("record", town, key_file)
    assert _practice_grants(town) == 0  # the grant went with the transaction
    assert _practices(town) == []
    assert not key_file.exists()
    _finish(town, key_file)


def test_killed_after_the_commit_the_retry_finishes_with_the_granted_key(
    town: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "usb" / "praxis.key"
    _killed_at("token", town, key_file)
    [made] = _practices(town)
    assert not key_file.exists()  # not under its name before the commit's work is done
    waiting = load_identity(partial_key_path(key_file))
    assert waiting.key_id == made["key"]
    assert _finish(town, key_file) == made["key"]
