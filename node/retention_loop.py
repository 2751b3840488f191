"""Retention on one node: erase what fell due in the store and the kiosk's saved slips, once at
start and then daily in the daemons (`dorfhub serve`, `dorfhub hub`), or on demand with
`dorfhub retention run` (cron, tests).

A saved slip (kiosk/slip.py) names no one, but its appointment time, place, practice and
booking code belong to one resident's health appointment: it goes when that booking's personal
data goes, or, for a booking this node does not know, when the after-appointment period has
passed since the appointment its file name gives.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from content.booking import LOCAL_TIME
from content.clock import trusted_now, wall_clock_ms
from content.pruning import booking_erased, erase_due
from content.retention import BOOKING_AFTER_APPOINTMENT, DAY_MS, network_days
from content.store import StoreError, truncate_wal
from node.home import Home

log = logging.getLogger("dorfhub.retention")
SLIPS_DIR = "slips"  # kiosk/slip.py SLIPS_DIR (the kiosk is not loaded for this)
RUN_EVERY_MS = DAY_MS
# How often the daemon looks at the clock: a clock read, nothing more. A Pi's clock may jump
# days when NTP first answers; the run then follows within seconds.
CHECK_EVERY_S = 2.0
# After a run whose WAL truncation a reader held off, it is tried again this often.
WAL_RETRY_S = 60.0
# kiosk/slip.py file_name: termin-YYYYMMDD-HHMM-<code or last 8 of the request id>[-N].pdf
SLIP_NAME = re.compile(
    r"^termin-(\d{8})-(\d{4})-([A-Z0-9]{4}-[A-Z0-9]{4}|[a-z0-9]{8})(?:-\d+)?\.pdf$"
)


@dataclass(frozen=True)
class SlipName:
    appointment_ms: int
    reference: str  # booking code, or the end of the request id while it was pending


def parse_slip_name(name: str) -> SlipName | None:
    """The appointment and booking a slip's file name gives; None for any other file."""
    found = SLIP_NAME.match(name)
    if found is None:
        return None
    try:
        moment = datetime.strptime(found[1] + found[2], "%Y%m%d%H%M").replace(tzinfo=LOCAL_TIME)
    except ValueError:
        return None
    return SlipName(int(moment.timestamp() * 1000), found[3])


def slip_due(name: SlipName, erased: bool | None, now_ms: int, after_appointment_days: int) -> bool:
    """Whether a slip goes now: with its booking's personal data, or (a booking unknown here)
    once the after-appointment period has passed since the appointment."""
    if erased is not None:
        return erased
    return now_ms >= name.appointment_ms + after_appointment_days * DAY_MS


def erase_slips(home_dir: Path, conn: sqlite3.Connection) -> int:
    """Delete the saved slips that fell due; returns how many."""
    folder = home_dir / SLIPS_DIR
    if not folder.is_dir():
        return 0
    now_ms = trusted_now(conn).now_ms
    days = network_days(conn)[BOOKING_AFTER_APPOINTMENT.name]
    erased = 0
    for path in sorted(folder.iterdir()):
        name = parse_slip_name(path.name)
        if name is None or not path.is_file():
            continue
        if slip_due(name, booking_erased(conn, name.reference), now_ms, days):
            path.unlink(missing_ok=True)
            erased += 1
    return erased


@dataclass(frozen=True)
class RetentionRun:
    line: str  # what was erased, for the CLI and the log
    wal_truncated: bool


def run_retention(home: Home) -> RetentionRun:
    """One run on this node."""
    with home.store() as store:
        report = erase_due(store)
        slips = erase_slips(home.path, store.conn)
    return RetentionRun(f"{report.line()}; {slips} saved slips deleted", report.wal_truncated)


class RetentionLoop(threading.Thread):
    """The daemons' run: at start, then whenever a day has passed by the wall clock (which a
    Pi may set forward by days at once) or by the monotonic clock (which never jumps back)."""

    def __init__(self, home: Home) -> None:
        super().__init__(name="dorfhub-retention", daemon=True)
        self.home = home
        self.stop = threading.Event()

    def run(self) -> None:
        due_wall, due_monotonic = 0, 0.0
        wal_due: float | None = None  # when to try the WAL truncation again, if pending
        while True:
            if wall_clock_ms() >= due_wall or time.monotonic() >= due_monotonic:
                wal_due = None if self._run_once() else time.monotonic() + WAL_RETRY_S
                due_wall = wall_clock_ms() + RUN_EVERY_MS
                due_monotonic = time.monotonic() + RUN_EVERY_MS / 1000
            elif wal_due is not None and time.monotonic() >= wal_due:
                wal_due = None if self._truncate() else time.monotonic() + WAL_RETRY_S
            if self.stop.wait(CHECK_EVERY_S):
                return

    def _run_once(self) -> bool:
        """A run; whether its WAL is truncated (a failed run is tried again the next day:
        erasure must never stop the daemon serving)."""
        try:
            done = run_retention(self.home)
        except (sqlite3.Error, OSError, StoreError) as exc:
            log.error("retention run failed", extra={"fields": {"error": str(exc)}})
            return True
        log.info("retention run", extra={"fields": {"result": done.line}})
        return done.wal_truncated

    def _truncate(self) -> bool:
        try:
            with self.home.store() as store:
                return truncate_wal(store.conn)
        except (sqlite3.Error, OSError, StoreError) as exc:
            log.error("WAL truncation failed", extra={"fields": {"error": str(exc)}})
            return True


def start_retention(home: Home) -> RetentionLoop:
    loop = RetentionLoop(home)
    loop.start()
    return loop
