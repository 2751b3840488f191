"""A session ends after 30 minutes without a request, however long it has lasted before. The
server's clock is moved by libfaketime (a file it re-reads every second), so no test waits
half an hour; the browser's own clock stays as it is. The 12-hour limit and the end of a
lockout are tested with an explicit clock in test_sessions.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.desk.conftest import ERIKA, AxeChecker, DeskSite
from tests.sync.conftest import PeerProcess, running
from tests.sync.procs import LIBFAKETIME, wait_for

MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def stamp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "faketime"
    path.write_text("+0m\n")
    return path


@pytest.fixture(scope="module")
def faked_server(
    desk_home: Path, stamp: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PeerProcess]:
    """A server of its own, whose wall clock follows `stamp` (CLOCK_MONOTONIC stays real)."""
    assert LIBFAKETIME, "libfaketime is missing (Debian package faketime)"
    home = tmp_path_factory.mktemp("desk-faked") / "town"
    shutil.copytree(desk_home, home)
    faked = (
        "env",
        f"LD_PRELOAD={LIBFAKETIME}",
        f"FAKETIME_TIMESTAMP_FILE={stamp}",
        "FAKETIME_CACHE_DURATION=1",
        "FAKETIME_DONT_FAKE_MONOTONIC=1",
    )
    with running(home, prefix=faked) as server:
        yield server


def move_server_clock(server: PeerProcess, stamp: Path, minutes: int) -> None:
    """Set the server's clock `minutes` ahead of real time; return once it shows it."""
    real_ms = server.hello()["time"] - _offset_ms(stamp)
    stamp.write_text(f"+{minutes}m\n")
    wait_for(
        lambda: server.hello()["time"] >= real_ms + minutes * MINUTE_MS,
        30,
        f"the server's clock to move {minutes} minutes ahead",
    )


def _offset_ms(stamp: Path) -> int:
    return int(stamp.read_text().strip().strip("+m")) * MINUTE_MS


def test_a_session_ends_after_30_idle_minutes(
    page: Page, faked_server: PeerProcess, stamp: Path, axe_checker: AxeChecker
) -> None:
    desk = DeskSite(faked_server, axe_checker)
    desk.log_in(page, ERIKA)
    for minutes in (20, 40):  # a click every 20 minutes keeps it, 40 minutes after login
        move_server_clock(faked_server, stamp, minutes)
        desk.visit(page, "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Heute")
    move_server_clock(faked_server, stamp, 71)  # 31 minutes without a click
    with page.expect_navigation():
        page.get_by_role("link", name="Heute").click()
    desk.after_navigation(page)
    assert "/desk/login" in page.url
    expect(page.get_by_role("status")).to_have_text(
        "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich neu an."
    )
    desk.log_in(page, ERIKA)  # back where the click was going
    assert page.url == faked_server.url + "/desk/"
