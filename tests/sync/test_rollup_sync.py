"""Sensor rollups and alerts made on a hub reach a real town server over the peer API; the alert
shows on the town's board for that hub and leaves it when the hub clears it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from content import notices, sensors
from content.grants import grant
from content.identity import Identity
from content.log import Log
from hardware.readings import QUANTITY_UNITS, Reading
from hardware.recorder import Recorder
from node.home import Home
from tests.sync.conftest import running
from tests.sync.helpers import Member

MINUTE = 60_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z, on a 10-minute boundary


def _granted_hub(town: Path) -> tuple[str, Identity]:
    home = Home(town)
    hub = Identity.generate("Ringelai")
    with home.store() as store:
        log = Log(store)
        grant(log, home.publisher(), hub.public, "hub", hub.name)
        return log.network_id, hub


@contextmanager
def _town_db(town: Path) -> Iterator[sqlite3.Connection]:
    """The town's database read-only, while its server runs."""
    with closing(sqlite3.connect(f"file:{town / 'dorfhub.db'}?mode=ro", uri=True)) as conn:
        yield conn


def _feed(recorder: Recorder, start: int, end: int, celsius: float) -> None:
    for t in range(start, end, 10_000):
        for quantity, value in (("temperature", celsius), ("humidity", 40.0), ("co2", 700.0)):
            unit = QUANTITY_UNITS[quantity]
            recorder.record(Reading(t, "bme280-1", quantity, value, unit, "ok"))
        if t % MINUTE == 0:
            recorder.tick(t)
    recorder.tick(end)


def test_rollups_and_an_alert_reach_the_town_server(town: Path, tmp_path: Path) -> None:
    network_id, hub = _granted_hub(town)
    with running(town) as server:
        member = Member.open(tmp_path / "hub.db", hub, network_id, server.url)
        try:
            member.sync()  # the hub learns its own grant first
            recorder = Recorder(member.log.store, member.log, hub, hub.name)
            _feed(recorder, T0, T0 + 25 * MINUTE, 34.0)
            hub_conn = member.log.store.conn
            made = sensors.rollups(hub_conn)
            (alert,) = sensors.alerts(hub_conn)
            assert len(made) == 6  # two windows, three series
            pushed = member.sync()
            assert pushed.rejected == []
            assert pushed.pushed >= 3
            with _town_db(town) as conn:
                assert sensors.rollups(conn) == made
                assert [a.id for a in sensors.alerts(conn)] == [alert.id]
                (shown,) = notices.active_notices(conn)
                assert (shown.id, shown.author, shown.priority) == (
                    alert.id,
                    hub.key_id,
                    "important",
                )
                assert notices.active_notices(conn, hub=hub.key_id) == [shown]
                assert notices.active_notices(conn, hub=Identity.generate("x").key_id) == []

            _feed(recorder, T0 + 25 * MINUTE, T0 + 45 * MINUTE, 22.0)
            assert member.sync().rejected == []
            with _town_db(town) as conn:
                assert notices.active_notices(conn) == []
                assert sensors.alerts(conn) == []
                assert len(sensors.rollups(conn, hub=hub.key_id)) == 12
        finally:
            member.close()
