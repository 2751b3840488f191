"""KioskData, the kiosk's window on the store, without a screen: what a commit changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from content import booking, sensors
from content import help as helpdesk
from content.booking import LOCAL_TIME
from content.clock import wall_clock_ms
from content.identity import load_identity
from content.log import Log
from content.notices import next_list_change
from content.store import Store
from kiosk.data import Change, KioskData
from node.home import Home
from tests.booking.helpers import practice_with_slots
from tests.kiosk.hubhome import HubHome, publish_notice, publish_window

MINUTE = 60_000


def _reading(store: Store) -> None:
    with store.write() as conn:
        sensors.insert_readings(conn, [(wall_clock_ms(), "scd30-1", "co2", 650.0, "ppm", "ok")])


def test_commits_are_told_apart_and_the_kiosks_own_ops_are_no_news(hub_home: HubHome) -> None:
    home = Home.open(hub_home.path)
    with Store(home.db_path) as mine, Store(home.db_path) as daemon:
        data = KioskData(mine, home.identity(), home.config.name, wall_clock_ms)
        assert data.changes() is Change.NONE
        _reading(daemon)
        assert data.changes() is Change.LOCAL
        assert data.changes() is Change.NONE
        publish_notice(hub_home.path, hub_home.admin_key, "Chorprobe")
        assert data.changes() is Change.LOG
        # A help request the kiosk writes itself: its own connection sees no new data_version.
        helpdesk.request_help(data.log, data.hub, "Anna", "0170")
        assert data.changes() is Change.NONE
        # The daemon's next readings are only readings, not news of an op.
        _reading(daemon)
        assert data.changes() is Change.LOCAL


def _one_slot(hub_home: HubHome, day: date) -> int:
    """A practice with one video slot at 09:00 on `day`, in the hub's store; its start (ms)."""
    with Store(hub_home.path / "dorfhub.db") as store:
        admin = load_identity(hub_home.admin_key)
        practice = practice_with_slots(
            Log(store),
            admin,
            "Praxis Dr. Huber",
            "Stadtplatz 1",
            "08551 9876",
            (day, day),
            ("09:00",),
        )
        slots = booking.list_slots(store.conn, practice.key_id)
        assert len(slots) == 1
        return slots[0].start


def test_the_next_change_is_the_earliest_of_notices_and_slots(hub_home: HubHome) -> None:
    now = wall_clock_ms()
    home = Home.open(hub_home.path)
    hub = home.identity().key_id
    start = _one_slot(hub_home, datetime.now(LOCAL_TIME).date() + timedelta(days=3))
    closes = start - 120 * MINUTE + 1  # video: two hours' notice, inside the 28-day horizon
    publish_window(hub_home.path, hub_home.admin_key, "Gleich", (now + MINUTE, None))
    with Store(home.db_path) as store:
        data = KioskData(store, home.identity(), home.config.name, wall_clock_ms)
        assert data.next_change(now) == now + MINUTE
        for at in (now + MINUTE, closes - 1):
            from_notices = next_list_change(store.conn, hub, at)
            expected = closes if from_notices is None else min(from_notices, closes)
            assert data.next_change(at) == expected
        # Once the slot has closed, only the notices are left to announce anything.
        assert data.next_change(closes) == next_list_change(store.conn, hub, closes)
