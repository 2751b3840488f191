"""A hub whose clock is far behind still hides expired notices (ARCHITECTURE.md section 5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.node.cli import carry, notices_json, run_dorfhub
from tests.sync.procs import LIBFAKETIME

# libfaketime preloaded, not the `faketime` wrapper: the wrapper names a semaphore after its
# PID, and one left behind by a killed process fails a later run ("sem_open: File exists").
TEN_DAYS_BEHIND = (
    "env",
    f"LD_PRELOAD={LIBFAKETIME}",
    "FAKETIME=-10d",
    "FAKETIME_DONT_FAKE_MONOTONIC=1",
)


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


@pytest.mark.skipif(
    not LIBFAKETIME, reason="needs libfaketime (the faketime package; make test installs it)"
)
def test_hub_with_clock_ten_days_behind_hides_expired_notices(
    town: Path, hub: tuple[Path, str]
) -> None:
    hub_home, _ = hub
    expired = run_dorfhub(
        "notice",
        "publish",
        "--title",
        "Sperrmüll",
        "--body",
        "Vorbei",
        "--from",
        iso(-timedelta(days=20)),
        "--until",
        iso(-timedelta(hours=1)),
        home=town,
    ).stdout.split()[0]
    current = run_dorfhub(
        "notice",
        "publish",
        "--title",
        "Bürgerbus",
        "--body",
        "Dienstag",
        "--from",
        iso(-timedelta(days=20)),
        "--until",
        iso(timedelta(days=5)),
        home=town,
    ).stdout.split()[0]
    carry(town, hub_home)

    # The hub's own clock says ten days ago, when the expired notice was still valid ...
    wall = run_dorfhub("notice", "list", "--json", "--at", iso(-timedelta(days=10)), home=hub_home)
    assert {n["id"] for n in json.loads(wall.stdout)} == {expired, current}
    # ... but its "now" never lies before the newest signed time it holds.
    shown = notices_json(hub_home, prefix=TEN_DAYS_BEHIND)
    assert [n["id"] for n in shown] == [current]

    status = json.loads(
        run_dorfhub("status", "--json", home=hub_home, prefix=TEN_DAYS_BEHIND).stdout
    )
    assert status["clock_suspect"] is True
    assert 9 * 86400 < status["clock_skew_s"] < 11 * 86400
