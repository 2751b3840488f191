"""Every file a node writes is 0600 and every directory 0700 (issue 14, finding 7), also when
whoever starts it hands down the usual umask 022: real `dorfhub` processes (network init,
node init, serve, hub) and a booking with its slip made beside them as the kiosk makes it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from content import booking
from content.booking import LOCAL_TIME
from content.clock import wall_clock_ms
from content.log import Log
from content.store import Store
from kiosk.slip import LABEL_KEYS, deliver, file_name, render_pdf
from node.home import Home
from tests.booking.helpers import RESIDENTS, practice_with_slots
from tests.node.cli import run_dorfhub
from tests.sync.conftest import running
from tests.sync.procs import wait_for

DEADLINE_S = 30.0
PRACTICE = "Hausarztpraxis Dr. Huber, Freyung"


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The umask of a login shell: every process below inherits it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def loose_modes(homes: list[Path]) -> list[str]:
    """Every file under the homes that is not 0600 and every directory that is not 0700."""
    found = []
    for home in homes:
        for path in [home, *home.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            wanted = 0o700 if path.is_dir() else 0o600
            if mode != wanted:
                found.append(f"{path} {mode:o}")
    return found


def _holds(home: Path, kind: str) -> bool:
    with Store(home / "dorfhub.db") as store:
        return (
            store.conn.execute("SELECT 1 FROM ops WHERE kind = ?", (kind,)).fetchone() is not None
        )


def _slots(home: Path) -> list[booking.Slot]:
    with Store(home / "dorfhub.db") as store:
        return booking.list_slots(store.conn)


def _publish_practice(town: Path) -> None:
    """A practice with one slot the day after tomorrow, written as an admin's CLI would."""
    home = Home(town)
    day = datetime.fromtimestamp(wall_clock_ms() / 1000, LOCAL_TIME).date() + timedelta(days=2)
    with home.store() as store:
        practice_with_slots(
            Log(store),
            home.publisher(),
            PRACTICE,
            "Stadtplatz 1",
            "08551 9876",
            (day, day),
            ("10:00",),
        )


def _book_and_save_slip(hub: Path) -> Path:
    """Book the slot at the hub and save its slip, as the kiosk does without a printer."""
    home = Home(hub)
    with home.store() as store:
        request = booking.request_booking(
            Log(store), home.identity(), _slots(hub)[0].id, RESIDENTS[0]
        )
    wait_for(lambda: _holds(hub, "booking.decision"), DEADLINE_S, "the decision at the hub")
    with home.store() as store:
        slip = booking.slip(store.conn, request)
    pdf = render_pdf(slip, {key: key for key in LABEL_KEYS})
    saved = deliver(pdf, hub, file_name(slip, request), printer=None)
    assert saved.path is not None
    return saved.path


def test_every_file_of_every_home_is_private(tmp_path: Path) -> None:
    town, hub = tmp_path / "town", tmp_path / "hub"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=town)
    with running(town) as server:
        out = run_dorfhub(
            *("node", "init", "--role", "hub", "--name", "Ringelai", "--server", server.url),
            home=hub,
        ).stdout
        code = out.split("pairing code: ")[1].split()[0]
        run_dorfhub("enroll", "approve", code, home=town)
        with running(hub, "hub"):
            _publish_practice(town)
            wait_for(lambda: _slots(hub), DEADLINE_S, "the slot at the hub")
            slip = _book_and_save_slip(hub)
            # While the daemons run, their WAL and shared-memory files exist too.
            assert (hub / "dorfhub.db-wal").exists()
            assert loose_modes([town, hub]) == []
    assert slip.parent.name == "slips"
    # A file the library writes with no mode of its own: private through the umask alone.
    stick = tmp_path / "stick"
    stick.mkdir(mode=0o700)
    run_dorfhub("bundle", "export", stick / "ops.dhb", home=town)
    assert loose_modes([town, hub, stick]) == []


def test_a_store_opened_with_a_loose_umask_is_private(tmp_path: Path) -> None:
    """A library caller that never set the umask still gets a private database."""
    with Store(tmp_path / "node" / "dorfhub.db") as store, store.write() as conn:
        conn.execute("CREATE TABLE t (x)")
        assert sorted(p.name for p in (tmp_path / "node").iterdir()) == [
            "dorfhub.db",
            "dorfhub.db-shm",
            "dorfhub.db-wal",
        ]
        assert loose_modes([tmp_path / "node"]) == []


def test_an_old_readable_database_is_tightened(tmp_path: Path) -> None:
    """A database (and its WAL) from before this rule, readable by all, is made 0600 on open."""
    home = tmp_path / "node"
    with Store(home / "dorfhub.db") as store:
        with store.write() as conn:
            conn.execute("CREATE TABLE t (x)")
        for path in home.iterdir():
            path.chmod(0o644)
        assert len(loose_modes([home])) == 3
        with Store(home / "dorfhub.db"):
            assert loose_modes([home]) == []
