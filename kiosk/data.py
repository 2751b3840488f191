"""The kiosk's window on the hub's store: the views it reads and the change detector.

One connection stays open for the kiosk's life. `PRAGMA data_version` on it changes whenever
another connection (the hub daemon, an admin's CLI) commits, which is how the kiosk notices new
notices and emergencies without sleeping blindly; `Store.log_version` then tells a new op from
the hub's own bookkeeping (sensor readings every five seconds), which no list shows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from enum import Enum

from content import help as helpdesk
from content.bodies import CATEGORIES
from content.booking import next_bookable_change
from content.clock import trusted_now
from content.identity import Identity
from content.log import Log
from content.notices import (
    Notice,
    active_notices,
    count_notices,
    get_notice,
    next_list_change,
)
from content.office_hours import OFFICE_HOURS_CATEGORY
from content.store import Store

# A list reads this many rows at a time (about eight screenfuls), the next ones as the resident
# scrolls near the end: a board may hold thousands of notices, but a resident reads the first
# few dozen, and every row read costs memory and time (all 6,825 of the benchmark's: 26 MB and
# 0.7 s).
LIST_CHUNK_ROWS = 100
# The home screen's "today": so many events and newest notices, read so many at a time.
TODAY_ROWS = 3
TODAY_PAGE = 20


class Change(Enum):
    NONE = "none"
    LOCAL = "local"  # only the hub's own tables: sensor readings, sync bookkeeping
    LOG = "log"  # an op came or went: any view may differ


class KioskData:
    def __init__(
        self, store: Store, hub: Identity, hub_name: str, wall_ms: Callable[[], int]
    ) -> None:
        self.store = store
        self.hub = hub
        self.hub_name = hub_name
        self.wall_ms = wall_ms
        self._version = store.data_version()
        self._log_version = store.log_version()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    @property
    def log(self) -> Log:
        return Log(self.store)

    def now_ms(self) -> int:
        """Trusted now: never earlier than the newest signed time this hub has seen."""
        return trusted_now(self.store.conn, self.wall_ms()).now_ms

    def changes(self) -> Change:
        """What another connection's commits since the last call changed."""
        version = self.store.data_version()
        if version == self._version:
            # Ops the kiosk wrote itself (a help request, a booking) move the log but not
            # data_version: taken in here, so the next commit by another connection is not
            # mistaken for a new op.
            self._log_version = self.store.log_version()
            return Change.NONE
        self._version = version
        log_version = self.store.log_version()
        if log_version == self._log_version:
            return Change.LOCAL
        self._log_version = log_version
        return Change.LOG

    def notices(
        self,
        category: str | None = None,
        limit: int | None = None,
        bodies: bool = True,
        *,
        offset: int = 0,
        events: bool = False,
        at_ms: int | None = None,
    ) -> list[Notice]:
        """The notices showing at this hub now (or at `at_ms`): emergencies first, then newest
        first; with `events`, only those with an event that has not ended, soonest first. A
        list asks without `bodies`; `notice()` then reads the one opened."""
        return active_notices(
            self.store.conn,
            hub=self.hub.key_id,
            at_ms=self.now_ms() if at_ms is None else at_ms,
            category=category,
            limit=limit,
            bodies=bodies,
            offset=offset,
            upcoming=events,
        )

    def count(
        self, category: str | None = None, *, events: bool = False, at_ms: int | None = None
    ) -> int:
        """How many notices `notices` finds with the same filters."""
        return count_notices(
            self.store.conn,
            hub=self.hub.key_id,
            at_ms=self.now_ms() if at_ms is None else at_ms,
            category=category,
            upcoming=events,
        )

    def category_counts(self, at_ms: int | None = None) -> dict[str, int]:
        """How many notices each category has now: the topics screen shows only those with
        some."""
        at = self.now_ms() if at_ms is None else at_ms
        return {name: self.count(name, at_ms=at) for name in CATEGORIES}

    def next_change(self, at_ms: int) -> int | None:
        """When what the screens show changes next with no commit: a notice starts or stops
        showing, an event ends, a free slot becomes bookable or no longer is. None: nothing."""
        moments = (
            next_list_change(self.store.conn, self.hub.key_id, at_ms),
            next_bookable_change(self.store.conn, at_ms),
        )
        return min((moment for moment in moments if moment is not None), default=None)

    # ---- home: "today" ----------------------------------------------------------------------

    def next_events(self, limit: int = TODAY_ROWS, at_ms: int | None = None) -> list[Notice]:
        """The next events (not ended yet), soonest first."""
        return self.notices(limit=limit, bodies=False, events=True, at_ms=at_ms)

    def newest_and_important(
        self, limit: int = TODAY_ROWS, at_ms: int | None = None
    ) -> tuple[list[Notice], Notice | None]:
        """The `limit` newest notices that are no emergency (that has its banner on every
        screen), by publication, and the newest important notice, if any. The board's order
        puts every emergency and important notice before the normal ones, so it is read in
        pages only until `limit` normal notices were seen: nothing newer can follow."""
        at = self.now_ms() if at_ms is None else at_ms
        seen: list[Notice] = []
        normal = 0
        while normal < limit:
            page = self.notices(limit=TODAY_PAGE, bodies=False, offset=len(seen), at_ms=at)
            seen += page
            normal += sum(1 for notice in page if notice.priority == "normal")
            if len(page) < TODAY_PAGE:
                break
        candidates = [notice for notice in seen if notice.priority != "emergency"]
        newest = sorted(candidates, key=lambda n: (n.published_at, n.id), reverse=True)[:limit]
        important = [notice for notice in seen if notice.priority == "important"]
        return newest, max(important, key=lambda n: (n.published_at, n.id), default=None)

    def next_office_hour(self, at_ms: int | None = None) -> Notice | None:
        """The guides' next office hour at this hub (or the one going on now): the soonest
        event of category `digitales` that has not ended, as content.help lists them."""
        found = self.notices(OFFICE_HOURS_CATEGORY, 1, bodies=False, events=True, at_ms=at_ms)
        return found[0] if found else None

    def emergency(self) -> Notice | None:
        """The newest active emergency for this hub; the notice order puts emergencies first."""
        first = active_notices(self.store.conn, hub=self.hub.key_id, at_ms=self.now_ms(), limit=1)
        return first[0] if first and first[0].priority == "emergency" else None

    def notice(self, notice_id: str) -> Notice | None:
        return get_notice(self.store.conn, notice_id)

    def ask_for_help(self, name: str, phone: str, kind: str = "") -> str:
        """A sealed help request made at this hub (`kind`: content.help.HELP_KINDS or ""); its
        id. Raises HelpError (nothing stored)."""
        return helpdesk.request_help(self.log, self.hub, name, phone, kind=kind)

    def help_requests(self) -> list[helpdesk.HelpRequest]:
        """Guide mode's list: this hub's requests, newest first, with name and phone only while
        the hub may read them (open, at most HUB_READ_DAYS old by trusted now)."""
        return helpdesk.help_requests_for_hub(self.store.conn, self.hub, self.now_ms())

    def mark_help_done(self, request_id: str) -> None:
        """Done, signed by the hub: the name leaves guide mode at once, and the hub daemon
        erases the request's key after its next round (content/help_hub_keys.py)."""
        helpdesk.mark_help_done(self.log, self.hub, request_id)
