"""`dorfhub retention show / set / run` through the real command: the county shortens periods
with the root key; bad input is one line, a non-zero exit, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from content.log import Log
from content.store import Store
from tests.node.cli import run_dorfhub
from tests.sync.conftest import make_town


def _periods(home: Path) -> dict[str, int]:
    shown = json.loads(run_dorfhub("retention", "show", "--json", home=home).stdout)
    return {row["name"]: row["days"] for row in shown}


def _digest(home: Path) -> str:
    with Store(home / "dorfhub.db") as store:
        return Log(store).digest()


def test_the_county_shortens_periods_with_its_root_key(tmp_path: Path) -> None:
    town = tmp_path / "town"
    make_town(town)
    assert _periods(town) == {
        "booking_after_appointment": 30,
        "booking_after_cancel": 7,
        "help_after_done": 14,
        "help_after_request": 30,
        "submission_after_decision": 7,
        "submission_after_submission": 30,
    }
    said = run_dorfhub("retention", "set", "booking_after_cancel=3", home=town).stdout
    assert said.strip() == "booking_after_cancel 3 days"
    run_dorfhub("retention", "set", "help_after_done=5", home=town)
    # The record is replaced whole, the earlier shortening stays in it.
    assert _periods(town)["booking_after_cancel"] == 3
    assert _periods(town)["help_after_done"] == 5
    shown = run_dorfhub("retention", "show", home=town).stdout
    assert "booking_after_cancel         3 days (default 7)" in shown
    ran = run_dorfhub("retention", "run", home=town).stdout
    assert ran.startswith("erased the personal data of 0 bookings, 0 help requests")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["booking_after_cancel=30"], "may be shortened only"),
        (["help_after_done=0"], "Expected `int` >= 1"),
        (["keep_for_ever=3"], "unknown retention period"),
        (["booking_after_cancel"], "expected NAME=DAYS"),
        (["booking_after_cancel=drei"], "expected NAME=DAYS"),
        (["help_after_done=5", "--key", "admin.key"], "needs another role"),
    ],
)
def test_bad_settings_are_one_line_and_change_nothing(
    tmp_path: Path, args: list[str], says: str
) -> None:
    town = tmp_path / "town"
    make_town(town)
    before = _digest(town)
    args = [str(town / arg) if arg == "admin.key" else arg for arg in args]
    result = run_dorfhub("retention", "set", *args, home=town, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("dorfhub: error:")
    assert says in lines[0]
    assert _digest(town) == before
