"""Retention on real processes (issue 14, finding 1): a town server and a hub daemon on
127.0.0.1 under libfaketime, bookings and help requests made on the hub's database as the kiosk
makes them, and an offline hub that comes back after two months.

The daemons' wall clock follows a file (FAKETIME_TIMESTAMP_FILE): first today, then ten days
on, when their daily run must erase the cancelled and the rejected booking and keep the rest.
Then `dorfhub retention run` (as cron runs it) two months on erases everything, the offline hub
takes the erased ops without their bodies and erases its own copy, and no file of any node,
nor the daemons' logs or the USB bundles, holds a name, birth date or phone number (UTF-8,
UTF-16 LE and BE) or a byte of any sealed box.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

import icalendar
import requests

from admin.feed import feed_path, new_feed_token
from content import booking
from content import help as helpdesk
from content.booking import LOCAL_TIME, Person
from content.identity import Identity, save_identity
from content.log import Log
from content.retention import ERASABLE_KINDS
from kiosk import slip as slips
from node.home import Home
from tests.booking.helpers import practice_with_slots
from tests.booking.privacy import assert_files_clean, box_slices, boxes_found
from tests.node.cli import carry, run_dorfhub
from tests.sync.conftest import PeerProcess, start_peer
from tests.sync.procs import LIBFAKETIME, Node, admin, make_hubs, make_town, wait_for

CANCELLED = Person("Walburga Kreuzeder", "1938-02-17", "08555 918273", consent=True)
TOMORROW = Person("Xaver Pfeilschifter", "1941-11-05", "0171 4455667", consent=True)
LOSES = Person("Zenzi Obermaier-Lang", "1950-07-29", "08556 771199", consent=True)
IN_20_DAYS = Person("Theodolinde Hirschbichler", "1933-04-08", "08553 700112", consent=True)
# Help requests carry a name and a phone; the birth dates here appear nowhere.
HELPED = Person("Kunigunde Stadlbauer", "1929-03-14", "08558 246810", consent=True)
WAITING = Person("Eustachius Pfannenstiel", "1931-09-23", "09901 135790", consent=True)
PEOPLE = (CANCELLED, TOMORROW, LOSES, IN_20_DAYS, HELPED, WAITING)
PRACTICE = "Hausarztpraxis Dr. Huber, Freyung"
WAIT_S = 60.0


def _faked_by(stamp: Path) -> tuple[str, ...]:
    """libfaketime following `stamp` (re-read every second); CLOCK_MONOTONIC stays real."""
    return (
        "env",
        f"LD_PRELOAD={LIBFAKETIME}",
        f"FAKETIME_TIMESTAMP_FILE={stamp}",
        "FAKETIME_CACHE_DURATION=1",
        "FAKETIME_DONT_FAKE_MONOTONIC=1",
    )


def _days_on(days: int) -> tuple[str, ...]:
    return (
        "env",
        f"LD_PRELOAD={LIBFAKETIME}",
        f"FAKETIME=+{days}d",
        "FAKETIME_DONT_FAKE_MONOTONIC=1",
    )


def _kept(home: Path) -> set[str]:
    """Entities whose sealed personal body the node holds (read-only beside its daemon)."""
    marks = ",".join("?" * len(ERASABLE_KINDS))
    with closing(sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            f"SELECT entity FROM ops WHERE kind IN ({marks}) AND body IS NOT NULL",
            sorted(ERASABLE_KINDS),
        ).fetchall()
    return {entity for (entity,) in rows}


def _holds_exactly(node: Node, entities: set[str]) -> bool:
    return _kept(node.home) == entities


def _state(node: Node, request_id: str) -> str | None:
    with node.store() as store:
        status = booking.booking_status(store.conn, request_id)
    return None if status is None else status.state


def _slot_at(node: Node, wanted: date, time: str) -> str:
    with node.store() as store:
        for slot in booking.list_slots(store.conn):
            start = slot.local_start()
            if start.date() == wanted and start.strftime("%H:%M") == time:
                return slot.id
    raise AssertionError(f"no slot on {wanted} at {time}")


def _feed_uids(town: PeerProcess, path: str) -> set[str]:
    """The feed from the real server over 127.0.0.1, parsed as calendar apps parse it; no
    person in any SUMMARY."""
    response = requests.get(town.url + path, timeout=10)
    assert response.status_code == 200
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    for event in events:
        for person in PEOPLE:
            assert person.name.split()[-1] not in str(event["SUMMARY"])
    return {str(event["UID"]).split("@")[0] for event in events}


def _save_slip(hub: Node, request_id: str) -> Path:
    """The kiosk's slip as it saves one when no printer is there."""
    with hub.store() as store:
        found = booking.slip(store.conn, request_id, "de")
    labels = {key: key for key in slips.LABEL_KEYS} | {"slip.by_phone": "Tel. {phone}"}
    pdf = slips.render_pdf(found, labels)
    delivery = slips.deliver(pdf, hub.home, slips.file_name(found, request_id), None)
    assert delivery.path is not None
    return delivery.path


def test_every_node_erases_on_time_and_keeps_what_it_must(tmp_path: Path) -> None:
    town, network_id = make_town(tmp_path)
    hub, offline = make_hubs(town, network_id, tmp_path, ["Ringelai", "Perlesreut"])
    tomorrow = datetime.now(LOCAL_TIME).date() + timedelta(days=1)
    with town.store() as store:
        practice = practice_with_slots(
            *(Log(store), admin(town), PRACTICE, "Stadtplatz 12, 94078 Freyung", "08551 9876"),
            days=(tomorrow, tomorrow + timedelta(days=20)),
            times=("09:00", "09:30"),
        )
        feed = feed_path(new_feed_token(store, practice.key_id))
    key_file = tmp_path / "praxis-huber.key"  # the practice's own, at its desk
    save_identity(practice, key_file)
    stamp = tmp_path / "faketime"
    stamp.write_text("+0d\n")
    server = start_peer(town.home, "serve", prefix=_faked_by(stamp))
    daemons = [server]
    try:
        daemons.append(start_peer(hub.home, "hub", "--peer", server.url, prefix=_faked_by(stamp)))
        made = _book_and_ask(town, hub, offline, tomorrow)
        slices = _check_before(town, hub, server, feed, made)
        assert TOMORROW.phone in _bookings_list(town, key_file, ())
        _check_daily_run(town, hub, server, feed, made, stamp)
    finally:
        for daemon in daemons:
            daemon.stop()
    _check_cron_run_and_offline_hub(tmp_path, [town, hub, offline], made, slices)
    listed = _bookings_list(town, key_file, _days_on(60))
    assert "no bookings" in listed
    assert "4 earlier bookings not shown" in listed  # the rejected one too
    assert not any(person.phone in listed for person in PEOPLE)


def _bookings_list(town: Node, key_file: Path, prefix: tuple[str, ...]) -> str:
    """What `dorfhub bookings list` shows the practice."""
    args = ("bookings", "list", "--practice-key", key_file)
    return run_dorfhub(*args, home=town.home, prefix=prefix).stdout


def _book_and_ask(town: Node, hub: Node, offline: Node, tomorrow: date) -> dict[str, str]:
    """Four bookings (one cancelled, one rejected) and two help requests (one done); the
    town's call-back request for the rejected resident. Returns their ids by name."""
    wait_for(lambda: _has_slots(hub), WAIT_S, "the practice's slots on the hub")
    carry(town.home, offline.home)  # the offline hub knows the slots, then goes quiet
    morning, later = _slot_at(hub, tomorrow, "09:00"), _slot_at(hub, tomorrow, "09:30")
    far = _slot_at(hub, tomorrow + timedelta(days=20), "09:00")
    hub_key: Identity = Home(hub.home).identity()
    made: dict[str, str] = {}
    with hub.store() as store:
        log = Log(store)
        made["cancelled"] = booking.request_booking(log, hub_key, morning, CANCELLED)
        made["tomorrow"] = booking.request_booking(log, hub_key, later, TOMORROW)
        made["in_20_days"] = booking.request_booking(log, hub_key, far, IN_20_DAYS)
    for name in ("cancelled", "tomorrow", "in_20_days"):
        wait_for(partial(_is, hub, made[name], "confirmed"), WAIT_S, f"{name} confirmed")
    with offline.store() as store:  # the same place, booked while offline: it loses
        made["loses"] = booking.request_booking(
            Log(store), Home(offline.home).identity(), later, LOSES
        )
    carry(offline.home, town.home)
    wait_for(partial(_is, town, made["loses"], "rejected"), WAIT_S, "the rejection")
    slips_made = [_save_slip(hub, made[name]) for name in ("cancelled", "tomorrow")]
    made["slip_cancelled"], made["slip_tomorrow"] = (str(path) for path in slips_made)
    with hub.store() as store:
        log = Log(store)
        made["helped"] = helpdesk.request_help(log, hub_key, HELPED.name, HELPED.phone)
        made["waiting"] = helpdesk.request_help(log, hub_key, WAITING.name, WAITING.phone)
        helpdesk.mark_help_done(log, hub_key, made["helped"])
        booking.cancel_booking(log, hub_key, request_id=made["cancelled"], reason="krank")
    with town.store() as store:
        made["call_back"] = store.conn.execute(
            "SELECT entity FROM ops WHERE kind = 'help.request' AND author = ?", (town.key(),)
        ).fetchone()[0]
    return made


def _has_slots(node: Node) -> bool:
    with node.store() as store:
        return len(booking.list_slots(store.conn)) == 42


def _is(node: Node, request_id: str, state: str) -> bool:
    return _state(node, request_id) == state


def _personal(made: dict[str, str]) -> set[str]:
    return {request for name, request in made.items() if not name.startswith("slip")}


def _check_before(
    town: Node, hub: Node, server: PeerProcess, feed: str, made: dict[str, str]
) -> dict[str, list[bytes]]:
    """Everything is there, sealed; returns slices of every box, to look for later."""
    everything = _personal(made)
    wait_for(lambda: _kept(town.home) == everything, WAIT_S, "all of it on the town")
    wait_for(lambda: _kept(hub.home) == everything, WAIT_S, "all of it on the hub")
    wait_for(partial(_is, town, made["cancelled"], "cancelled"), WAIT_S, "the cancel")
    with town.store() as store:
        slices = box_slices(store.conn)
    assert boxes_found([town.home], slices) == set(slices)  # so the scan below can fail
    assert _feed_uids(server, feed) == {made["cancelled"], made["tomorrow"], made["in_20_days"]}
    assert all(Path(made[name]).exists() for name in ("slip_cancelled", "slip_tomorrow"))
    assert_files_clean([town.home, hub.home], PEOPLE)  # sealed, never in plain text
    return slices


def _check_daily_run(
    town: Node, hub: Node, server: PeerProcess, feed: str, made: dict[str, str], stamp: Path
) -> None:
    """Ten days on: the daemons' daily run erases the cancelled (7 days) and the rejected
    booking and keeps the rest: the appointments of tomorrow and in 20 days (30 days after
    them), the help request done today (14 days) and the open one (30 days)."""
    stamp.write_text("+10d\n")
    gone = {made["cancelled"], made["loses"]}
    kept = _personal(made) - gone
    for node in (town, hub):
        wait_for(partial(_holds_exactly, node, kept), WAIT_S, f"{node.name}'s daily run")
    assert _feed_uids(server, feed) == {made["tomorrow"], made["in_20_days"]}
    # At start, and once the (faked) day had passed.
    assert server.output().count('"message": "retention run"') >= 2
    wait_for(lambda: not Path(made["slip_cancelled"]).exists(), WAIT_S, "the slip deleted")
    assert Path(made["slip_tomorrow"]).exists()


def _check_cron_run_and_offline_hub(
    tmp_path: Path, nodes: list[Node], made: dict[str, str], slices: dict[str, list[bytes]]
) -> None:
    """Two months on: `dorfhub retention run` erases the rest; the offline hub comes back by
    USB stick, takes the erased ops without bodies, erases its own copy, and brings nothing
    back."""
    town, hub, offline = nodes
    later = _days_on(60)
    for node in (town, hub):
        line = run_dorfhub("retention", "run", home=node.home, prefix=later).stdout
        assert line.startswith("erased the personal data of"), line
        assert _kept(node.home) == set()
    assert not Path(made["slip_tomorrow"]).exists()
    to_offline, back = tmp_path / "to-perlesreut.dhb", tmp_path / "from-perlesreut.dhb"
    run_dorfhub("bundle", "export", to_offline, home=town.home, prefix=later)
    imported = run_dorfhub("bundle", "import", to_offline, home=offline.home, prefix=later)
    assert " 0 rejected" in imported.stdout, imported.stdout
    assert offline.digest() == town.digest()  # every op, the erased ones without body
    assert _kept(offline.home) == {made["loses"]}  # its own, until its run
    run_dorfhub("retention", "run", home=offline.home, prefix=later)
    assert _kept(offline.home) == set()
    run_dorfhub("bundle", "export", back, home=offline.home, prefix=later)
    run_dorfhub("bundle", "import", back, home=town.home, prefix=later)
    assert _kept(town.home) == set()
    homes = [town.home, hub.home, offline.home]
    for home in homes:
        run_dorfhub("log", "verify", home=home, prefix=later)
    logs = sorted(tmp_path.glob("*.log"))
    assert len(logs) == 2
    scanned = [*homes, *logs, to_offline, back]
    assert_files_clean(scanned, PEOPLE)
    assert boxes_found(scanned, slices) == set()
    assert len(slices) == len(_personal(made))
