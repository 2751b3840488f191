"""When the daemons erase (issue 14 review, finding B): at the moment the next body falls due,
not up to a day later, and a failed run again within minutes, not the next day.

A real town server (`dorfhub serve`) under libfaketime whose wall clock follows a file; the
bookings are made through the library on its database before it starts. Its start run finds
nothing due; the clock then moves to just past one cancelled booking's moment (less than a day
after the start run), and the daemon erases it. Then the test holds the database's write lock
while the next moment comes: the run fails ("database is locked") and, once the lock is gone,
is tried again and erases. The rules of the schedule itself are checked with explicit clocks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from content import booking, grants
from content.booking import LOCAL_TIME
from content.booking_bodies import CancelBody
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log
from content.retention import DAY_MS
from content.store import Store
from node.retention_loop import RETRY_FAILED_S, RUN_EVERY_MS, Schedule
from tests.booking.helpers import RESIDENTS, practice_with_slots
from tests.sync.conftest import start_peer
from tests.sync.procs import LIBFAKETIME, admin, make_town, wait_for

HOUR = 3_600_000
WAIT_S = 90.0  # the store waits 30 s for a lock before a run fails; then a minute to the retry


def _book_and_cancel(town_db: Path, admin_key: Identity) -> tuple[dict[str, str], int]:
    """Two bookings at a hub, both cancelled: `early` now, `late` six hours on (the hub's
    own signed time). Returns their request ids and the early cancel's time."""
    tomorrow = datetime.now(LOCAL_TIME).date() + timedelta(days=1)
    hub = Identity.generate("Ringelai")
    with Store(town_db) as store:
        log = Log(store)
        practice_with_slots(
            *(log, admin_key, "Praxis Dr. Aydin, Grafenau", "Stadtplatz 3", "08552 4411"),
            days=(tomorrow, tomorrow),
            times=("09:00", "09:30"),
        )
        grants.grant(log, admin_key, hub.public, "hub", hub.name)
        early_slot, late_slot = (slot.id for slot in booking.list_slots(store.conn))
        made = {
            "early": booking.request_booking(log, hub, early_slot, RESIDENTS[0]),
            "late": booking.request_booking(log, hub, late_slot, RESIDENTS[1]),
        }
        booking.cancel_booking(log, hub, request_id=made["early"])
        cancelled_at = store.conn.execute(
            "SELECT time FROM ops WHERE kind = 'booking.cancel'"
        ).fetchone()[0]
        body = msgspec.json.encode(CancelBody(reason="krank"))
        log.append(hub, "booking.cancel", made["late"], body, time_ms=cancelled_at + 6 * HOUR)
    return made, cancelled_at


def _faked_by(stamp: Path) -> tuple[str, ...]:
    """libfaketime following `stamp` (re-read every second); CLOCK_MONOTONIC stays real."""
    return (
        "env",
        f"LD_PRELOAD={LIBFAKETIME}",
        f"FAKETIME_TIMESTAMP_FILE={stamp}",
        "FAKETIME_CACHE_DURATION=1",
        "FAKETIME_DONT_FAKE_MONOTONIC=1",
    )


def _kept(town_db: Path, request: str) -> bool:
    with closing(sqlite3.connect(f"file:{town_db}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT body IS NOT NULL FROM ops WHERE kind = 'booking.request' AND entity = ?",
            (request,),
        ).fetchone()
    return bool(row[0])


def _set_clock(stamp: Path, moment_ms: int) -> None:
    """The daemon's wall clock from now on: `moment_ms`, as an offset from the real clock."""
    stamp.write_text(f"{(moment_ms - wall_clock_ms()) // 1000:+d}\n")


@contextmanager
def _write_lock(town_db: Path) -> Iterator[None]:
    """Hold the database's write lock, as a long transaction of another process would."""
    with closing(sqlite3.connect(town_db, timeout=60, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


def test_the_daemon_erases_when_a_body_falls_due_and_retries_a_failed_run(
    tmp_path: Path,
) -> None:
    town, _ = make_town(tmp_path)
    made, cancelled_at = _book_and_cancel(town.db, admin(town))
    early_due = cancelled_at + 7 * DAY_MS
    stamp = tmp_path / "faketime"
    _set_clock(stamp, early_due - 12 * HOUR)
    server = start_peer(town.home, "serve", prefix=_faked_by(stamp))
    try:
        wait_for(lambda: '"message": "retention run"' in server.output(), WAIT_S, "start run")
        assert _kept(town.db, made["early"])
        assert _kept(town.db, made["late"])
        # Twelve hours on: no day since the start run, by any clock, but the moment came.
        _set_clock(stamp, early_due + 60_000)
        wait_for(lambda: not _kept(town.db, made["early"]), WAIT_S, "the early body erased")
        assert _kept(town.db, made["late"])
        with _write_lock(town.db):
            _set_clock(stamp, early_due + 6 * HOUR + 60_000)
            wait_for(lambda: "retention run failed" in server.output(), WAIT_S, "a failed run")
            assert _kept(town.db, made["late"])
        wait_for(lambda: not _kept(town.db, made["late"]), WAIT_S, "the late body erased")
    finally:
        server.stop()


def test_the_schedule_runs_at_the_due_moment_daily_and_soon_after_a_failure() -> None:
    schedule = Schedule()
    wall, mono = 1_000 * DAY_MS, 50.0
    assert schedule.run_now(wall, mono, wall) == "full"  # at start
    schedule.ran("full", wall + 3 * HOUR, wall, mono)
    assert schedule.run_now(wall + HOUR, mono + 3600, wall + HOUR) is None
    assert schedule.run_now(wall + 3 * HOUR, mono + 3 * 3600, wall + 3 * HOUR) == "due"
    # A trusted time ahead of the local clock (signed by the server) brings it too.
    assert schedule.run_now(wall, mono, wall + 3 * HOUR) == "due"
    schedule.ran("due", None, wall + 3 * HOUR, mono + 3 * 3600)
    day_s = RUN_EVERY_MS / 1000
    assert schedule.run_now(wall + RUN_EVERY_MS - 1, mono + day_s - 1, wall) is None
    assert schedule.run_now(wall + RUN_EVERY_MS, mono + 10, wall) == "full"  # the wall jumped
    assert schedule.run_now(wall, mono + day_s, wall) == "full"  # a day went by
    schedule.failed(mono + 100)
    assert schedule.run_now(wall + 2 * RUN_EVERY_MS, mono + 100, wall + 2 * RUN_EVERY_MS) is None
    assert schedule.run_now(wall, mono + 100 + RETRY_FAILED_S, wall) == "full"
    assert RETRY_FAILED_S <= 300  # within minutes, not the next day
