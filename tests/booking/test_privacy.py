"""No name, birth date or phone number entered at a hub lands in a public op body or in any file
of a hub (database, WAL, shared memory), nor in plain text on the town server."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import booking
from content.booking_allocation import allocate
from tests.booking.helpers import RESIDENTS, BookingNet, publish_days
from tests.booking.privacy import assert_files_clean, assert_public_bodies_clean, needles
from tests.content.helpers import sync


def test_personal_data_stays_sealed(net: BookingNet, tmp_path: Path) -> None:
    slots = publish_days(net, net.practice_a, days=1)
    hub, hub2 = net.hub_log("hub"), net.hub_log("hub2")
    first = booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0])
    booking.request_booking(hub2, net.hub2, slots[0], RESIDENTS[1])  # loses the race
    third = booking.request_booking(
        hub2, net.hub2, slots[1], RESIDENTS[2], on_behalf=True, guide="Frau Kern"
    )
    sync(hub, net.town)
    sync(hub2, net.town)
    report = allocate(net.town.store, net.server)
    assert len(report.confirmed) == 2
    assert len(report.rejected) == 1
    assert len(report.help_requests) == 1
    booking.cancel_booking(hub, net.hub, request_id=first)
    sync(hub, net.town)
    allocate(net.town.store, net.server)
    for log in (hub, hub2):
        sync(net.town, log)
        sync(log, net.town)
    assert booking.booking_status(hub2.store.conn, third).state == "confirmed"  # type: ignore[union-attr]
    # The practice can read them all (so the data really is in the log, sealed).
    opened = booking.open_bookings(net.town.store.conn, net.practice_a, net.practice_a.key_id)
    assert {b.person.name for b in opened} == {p.name for p in RESIDENTS}
    assert assert_public_bodies_clean(net.town.store.conn, RESIDENTS) >= 10
    databases = [log.store.path for log in (net.town, hub, hub2)]
    assert any(Path(f"{path}-wal").exists() for path in databases)
    _scan(databases)
    net.stores.close_all()
    _scan(databases)


def _scan(databases: list[Path]) -> None:
    """Each database with its -wal and -shm files, scanned as raw bytes."""
    for database in databases:
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            if path.exists():
                data = path.read_bytes()
                for needle in needles(RESIDENTS):
                    assert needle not in data, f"{needle!r} in {path.name}"


def test_the_scan_finds_plain_text(tmp_path: Path) -> None:
    """The scanner itself: a file holding a birth date in German notation is caught."""
    home = tmp_path / "hub"
    home.mkdir()
    (home / "note.txt").write_text(f"geboren am 17.02.1938 ({RESIDENTS[0].name.split()[1]})")
    with pytest.raises(AssertionError, match=r"17\.02\.1938|Kreuzeder"):
        assert_files_clean([home], RESIDENTS[:1])
