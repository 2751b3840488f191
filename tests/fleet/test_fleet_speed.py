"""The fleet of a Landkreis: 300 hubs, each with its status, 6 hours of rollups from 4 sensors,
an open alert at every tenth, and the server's record of its last pull. The time `fleet` and
`hub_detail` take is printed (`pytest -s`), not asserted: the queries' plans are checked in
test_fleet.py."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from content.clock import wall_clock_ms
from content.fleet import fleet, hub_detail
from tests.fleet.builder import alert, history, make_town, pulled, report

HUBS = 300
# The queries seek by index, so the length of the history hardly matters: with 7 days (2.4
# million rollup rows) fleet() took the same within the noise of a shared machine.
HOURS = 6


def test_fleet_of_300_hubs(tmp_path: Path) -> None:
    town = make_town(tmp_path / "town.db", [f"Hub {n:03d}" for n in range(HUBS)])
    now = wall_clock_ms()
    for index, hub in enumerate(town.hubs):
        report(town, hub)
        history(town, hub, now, HOURS)
        if index % 10 == 0:
            alert(town, hub, raised_at=now - 3_600_000)
    for hub in town.hubs:
        pulled(town, hub, behind=0)
    rollups = town.store.conn.execute("SELECT count(*) FROM sensor_rollups").fetchone()[0]
    rows = fleet(town.store.conn, now)
    assert len(rows) == HUBS
    assert all(len(row.sensors) == 4 and row.ops_text == "aktuell" for row in rows)
    assert sum(1 for row in rows if row.alerts) == HUBS // 10
    whole = _milliseconds(lambda: fleet(town.store.conn, now))
    one = _milliseconds(lambda: hub_detail(town.store.conn, town.hubs[150].key_id, now))
    print(
        f"\nfleet of {HUBS} hubs ({rollups:,} rollup rows, {len(town.log.version_vector())} "
        f"authors): fleet() median {whole:.0f} ms, hub_detail() median {one:.1f} ms"
    )
    town.store.close()


def _milliseconds(work: object) -> float:
    assert callable(work)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
