"""KioskData, the kiosk's window on the store, without a screen: what a commit changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from content import booking, sensors
from content import help as helpdesk
from content.booking import LOCAL_TIME
from content.clock import wall_clock_ms
from content.identity import load_identity
from content.log import Log
from content.notices import next_list_change
from content.store import Store
from kiosk import data as kiosk_data
from kiosk.data import Change, KioskData
from node.home import Home
from tests.booking.helpers import practice_with_slots
from tests.kiosk.hubhome import HubHome, publish_emergency, publish_notice, publish_window

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


def test_today_reads_the_next_events_newest_notices_and_office_hour(
    hub_home: HubHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Home's "today": the next events soonest first, the newest notices by publication (not
    the board's order, which puts the important heat warning first), the newest important one
    for its banner, never an emergency (it has its own), and the guides' next office hour."""
    publish_emergency(hub_home.path, hub_home.admin_key)
    newer = publish_notice(hub_home.path, hub_home.admin_key, "Chorprobe")
    home = Home.open(hub_home.path)
    with Store(home.db_path) as store:
        data = KioskData(store, home.identity(), home.config.name, wall_clock_ms)
        titles = [n.title["de"] for n in data.next_events()]
        assert titles == ["Sprechstunde der Digitallotsin", "Seniorennachmittag"]
        everything = data.notices()
        assert everything[0].priority == "emergency"
        by_age = sorted(
            (n for n in everything if n.priority != "emergency"),
            key=lambda n: (n.published_at, n.id),
            reverse=True,
        )
        # Read in pages of two, the order's important notice and the emergency before the
        # normal ones: the same three.
        for page in (20, 2):
            monkeypatch.setattr(kiosk_data, "TODAY_PAGE", page)
            newest, important = data.newest_and_important()
            assert [n.id for n in newest] == [n.id for n in by_age[:3]]
            assert newest[0].id == newer
            assert important is not None
            assert important.title["de"] == "Hitze: Bitte viel trinken"
        hour = data.next_office_hour()
        assert hour is not None
        assert hour.title["de"] == "Sprechstunde der Digitallotsin"
        counts = data.category_counts()
        assert counts["verwaltung"] == 0
        assert counts["warnung"] == 2  # the heat warning and the emergency
        assert counts["allgemein"] == 31
        assert sum(counts.values()) == len(everything)
