"""Retention on one node: erase what fell due in the store and the kiosk's saved slips, in the
daemons (`dorfhub serve`, `dorfhub hub`) at start, whenever the next body falls due and at
least daily (`Schedule`), or on demand with `dorfhub retention run` (cron, tests).

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

from content import retention_due
from content.booking import LOCAL_TIME
from content.clock import trusted_now, wall_clock_ms
from content.pruning import booking_erased, erase_due
from content.retention import BOOKING_AFTER_APPOINTMENT, DAY_MS, network_days
from content.store import Store, StoreError, truncate_wal
from node.home import Home

log = logging.getLogger("dorfhub.retention")
SLIPS_DIR = "slips"  # kiosk/slip.py SLIPS_DIR (the kiosk is not loaded for this)
# A full run (every due moment computed again) at least this often.
RUN_EVERY_MS = DAY_MS
# How often the daemon looks at the clocks and the log's version: cheap reads, nothing more. A
# Pi's clock may jump days when NTP first answers; the run then follows within seconds.
CHECK_EVERY_S = 2.0
# After a run whose WAL truncation a reader held off, it is tried again this often.
WAL_RETRY_S = 60.0
# After a failed run (a database locked for longer than the store waits), the next one comes
# this much later: soon, and not in a tight loop.
RETRY_FAILED_S = 30.0
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
    next_due: int | None  # trusted time at which the next body held here falls due


def run_retention(home: Home, store: Store | None = None, everything: bool = True) -> RetentionRun:
    """One run on this node (on `store` if given, else on a store opened for it); see
    content/pruning.erase_due for `everything`."""
    if store is None:
        with home.store() as own:
            return run_retention(home, own, everything)
    report = erase_due(store, everything=everything)
    slips = erase_slips(home.path, store.conn)
    line = f"{report.line()}; {slips} saved slips deleted"
    return RetentionRun(line, report.wal_truncated, report.next_due)


@dataclass
class Schedule:
    """When the daemon's next run is, by three clocks: the trusted time the due moments are in,
    the wall clock (a Pi may set it forward by days at once) and the monotonic clock (which
    never jumps back). Pure: the rules are tested with explicit times.

    A run comes at the earliest of: the moment the next body falls due (`next_due`, from the
    index of due moments, read again whenever the log changes); a day after the last full run,
    by either clock (a full run computes every due moment again); and a failed run's retry,
    RETRY_FAILED_S after it failed (until then nothing runs, so a locked database is not
    hammered)."""

    full_wall: int = 0  # wall clock (ms) from which a full run is due
    full_monotonic: float = 0.0  # the same by the monotonic clock (s)
    next_due: int | None = None  # trusted time (ms) at which a body falls due
    retry_at: float | None = None  # monotonic time of a failed run's retry

    def run_now(self, wall_ms: int, monotonic_s: float, trusted_ms: int) -> str | None:
        """ "full", "due" or None: the kind of run to make now."""
        if self.retry_at is not None:
            return "full" if monotonic_s >= self.retry_at else None
        if wall_ms >= self.full_wall or monotonic_s >= self.full_monotonic:
            return "full"
        if self.next_due is not None and trusted_ms >= self.next_due:
            return "due"
        return None

    def ran(self, kind: str, next_due: int | None, wall_ms: int, monotonic_s: float) -> None:
        self.retry_at = None
        self.next_due = next_due
        if kind == "full":
            self.full_wall = wall_ms + RUN_EVERY_MS
            self.full_monotonic = monotonic_s + RUN_EVERY_MS / 1000

    def failed(self, monotonic_s: float) -> None:
        self.retry_at = monotonic_s + RETRY_FAILED_S


class RetentionLoop(threading.Thread):
    """The daemons' runs (Schedule), on a store of the thread's own, with the WAL truncation
    tried again every WAL_RETRY_S while a reader holds it off."""

    def __init__(self, home: Home) -> None:
        super().__init__(name="dorfhub-retention", daemon=True)
        self.home = home
        self.stop = threading.Event()
        self.schedule = Schedule()
        self.log_version: int | None = None
        self.wal_due: float | None = None  # when to try the WAL truncation again, if pending

    def run(self) -> None:
        store: Store | None = None
        try:
            while True:
                store = store or self._open()
                if store is not None:
                    self._step(store)
                if self.stop.wait(CHECK_EVERY_S):
                    return
        finally:
            if store is not None:
                store.close()

    def _open(self) -> Store | None:
        try:
            return self.home.store()
        except (sqlite3.Error, OSError, StoreError) as exc:
            log.error("retention: cannot open the store", extra={"fields": {"error": str(exc)}})
            return None

    def _step(self, store: Store) -> None:
        """Look at the clocks and the log (cheap reads), and run if it is time."""
        try:
            trusted = trusted_now(store.conn).now_ms
            self._follow_log(store)
        except sqlite3.Error as exc:
            log.error("retention: cannot read the store", extra={"fields": {"error": str(exc)}})
            return
        kind = self.schedule.run_now(wall_clock_ms(), time.monotonic(), trusted)
        if kind is not None:
            self._run(store, kind)
        elif self.wal_due is not None and time.monotonic() >= self.wal_due:
            self._truncate(store)

    def _follow_log(self, store: Store) -> None:
        """A new op may bring a due moment forward (a cancellation): read the index again."""
        version = store.log_version()
        if version == self.log_version:
            return
        self.log_version = version
        coming = [retention_due.next_due(store.conn), self.schedule.next_due]
        self.schedule.next_due = min((t for t in coming if t is not None), default=None)

    def _run(self, store: Store, kind: str) -> None:
        """A run; erasure must never stop the daemon serving, so a failure is logged and the
        run tried again within minutes."""
        try:
            done = run_retention(self.home, store, everything=kind == "full")
        except (sqlite3.Error, OSError, StoreError) as exc:
            self.schedule.failed(time.monotonic())
            log.error(
                "retention run failed, trying again shortly",
                extra={"fields": {"error": str(exc), "retry_s": RETRY_FAILED_S}},
            )
            return
        self.schedule.ran(kind, done.next_due, wall_clock_ms(), time.monotonic())
        self.log_version = store.log_version()
        log.info("retention run", extra={"fields": {"result": done.line, "kind": kind}})
        self.wal_due = None if done.wal_truncated else time.monotonic() + WAL_RETRY_S

    def _truncate(self, store: Store) -> None:
        try:
            truncated = truncate_wal(store.conn)
        except sqlite3.Error as exc:
            log.error("WAL truncation failed", extra={"fields": {"error": str(exc)}})
            truncated = False
        self.wal_due = None if truncated else time.monotonic() + WAL_RETRY_S


def start_retention(home: Home) -> RetentionLoop:
    loop = RetentionLoop(home)
    loop.start()
    return loop
