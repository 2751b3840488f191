"""The practices' iCalendar feeds from a real `dorfhub serve`: parsed with the `icalendar`
library, CRLF and folding checked on the raw bytes, cancellations, and wrong tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import icalendar
import requests

from content import booking, grants
from content.booking import LOCAL_TIME, Person
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log
from node.home import Home
from tests.booking.helpers import RESIDENTS
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, running
from tests.sync.helpers import Member
from tests.sync.procs import wait_for

HUBER = "Hausarztpraxis Dr. Huber, Freyung"
AYDIN = "Praxis Dr. Aydin, Grafenau"
# Long enough that the summary line must be folded, with umlauts near the fold.
LONG = Person(
    "Maria-Theresia Walburga Kreuzeder-Öttlmüller von Hinterschmiding-Große",
    "1936-12-24",
    "08556 3321",
    consent=True,
)


def _feed(peer: PeerProcess, path: str) -> requests.Response:
    return requests.get(peer.url + path, timeout=10)


def _events(text: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(text)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _check_lines(raw: bytes) -> None:
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    for line in lines:
        line.decode()  # no line ends inside a UTF-8 character


def _cancelled_in(peer: PeerProcess, path: str) -> bool:
    return b"STATUS:CANCELLED" in _feed(peer, path).content


def _decided(member: Member, request_id: str) -> booking.BookingStatus | None:
    member.sync()
    status = booking.booking_status(member.log.store.conn, request_id)
    return status if status is not None and status.state != "pending" else None


def test_the_feed_carries_confirmed_bookings_and_their_cancellation(tmp_path: Path) -> None:
    town = tmp_path / "town"
    network_id = run_dorfhub("network", "init", "--name", "Ilzer Land", home=town).stdout.strip()
    paths = {}
    for name in (HUBER, AYDIN):
        out = run_dorfhub(
            *("practice", "add", name, "--phone", "08551 9876", "--address", "Stadtplatz 12"),
            *("--key-out", tmp_path / f"praxis-{len(paths)}.key"),
            home=town,
        ).stdout
        paths[name] = out.split("calendar feed: ")[1].split()[0]
    day = datetime.fromtimestamp(wall_clock_ms() / 1000, LOCAL_TIME).date() + timedelta(days=2)
    run_dorfhub(
        *("slots", "publish", "--practice", HUBER, "--weekdays", "mo,di,mi,do,fr,sa,so"),
        *("--from", day.isoformat(), "--until", day.isoformat(), "--times", "09:00,10:00"),
        *("--place", "Dorfhub Ringelai – Beratungsraum"),
        *("--key", tmp_path / "praxis-0.key"),  # Huber's own key signs its slots
        home=town,
    )
    hub, hub2 = Identity.generate("Ringelai"), Identity.generate("Perlesreut")
    with Home(town).store() as store:
        for identity in (hub, hub2):
            grants.grant(Log(store), Home(town).publisher(), identity.public, "hub", identity.name)
    with running(town) as peer:
        member = Member.open(tmp_path / "hub.db", hub, network_id, peer.url)
        other_hub = Member.open(tmp_path / "hub2.db", hub2, network_id, peer.url)
        try:
            member.sync()
            other_hub.sync()
            slots = booking.list_slots(member.log.store.conn)
            made = [
                booking.request_booking(member.log, hub, slots[0].id, LONG),
                booking.request_booking(member.log, hub, slots[1].id, RESIDENTS[0]),
            ]
            # Booked offline on another hub: rejected, and never in the practice's calendar.
            lost = booking.request_booking(other_hub.log, hub2, slots[1].id, RESIDENTS[1])
            member.sync()
            decided = [wait_for(partial(_decided, member, r), 30, "decision") for r in made]
            assert [s.state for s in decided] == ["confirmed", "confirmed"]
            rejected = wait_for(partial(_decided, other_hub, lost), 30, "rejection")
            assert rejected.state == "rejected"

            response = _feed(peer, paths[HUBER])
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/calendar")
            _check_lines(response.content)
            assert b"\r\n " in response.content  # the long summary was folded
            calendar = icalendar.Calendar.from_ical(response.content)
            assert str(calendar["VERSION"]) == "2.0"
            assert "Dorfhub" in str(calendar["PRODID"])
            events = _events(response.content)
            assert set(events) == {f"{r}@dorfhub" for r in made}
            long_event = events[f"{made[0]}@dorfhub"]
            # Lock screens show SUMMARY: the person stands only in DESCRIPTION.
            assert str(long_event["SUMMARY"]) == "Videosprechstunde (Dorfhub Ringelai)"
            assert str(long_event["DESCRIPTION"]).startswith(f"{LONG.name} (geb. 24.12.1936)")
            assert long_event["DTSTART"].dt == datetime.fromtimestamp(slots[0].start / 1000, UTC)
            assert long_event["DTSTAMP"].dt.tzinfo is not None
            assert int(long_event["SEQUENCE"]) == 0
            assert str(long_event["STATUS"]) == "CONFIRMED"
            assert LONG.phone.encode() not in response.content  # only what the practice needs

            # The other practice's feed holds none of it; a wrong token gets nothing at all.
            other = _feed(peer, paths[AYDIN])
            assert other.status_code == 200
            assert _events(other.content) == {}
            token = paths[HUBER].split("/")[2]
            for wrong in (
                paths[HUBER].replace(token, token[:-1] + ("A" if token[-1] != "A" else "B")),
                "/feeds/short/bookings.ics",
                paths[HUBER].replace(token, "x" * 32),
            ):
                refused = _feed(peer, wrong)
                assert refused.status_code == 404
                assert b"Kreuzeder" not in refused.content
                assert b"BEGIN:VCALENDAR" not in refused.content

            booking.cancel_booking(member.log, hub, request_id=made[1], reason="krank")
            member.sync()
            wait_for(partial(_cancelled_in, peer, paths[HUBER]), 30, "the cancellation")
            updated = _feed(peer, paths[HUBER])
            _check_lines(updated.content)
            cancelled = _events(updated.content)[f"{made[1]}@dorfhub"]
            assert int(cancelled["SEQUENCE"]) == 1
            assert str(cancelled["STATUS"]) == "CANCELLED"
            notice = _feed(peer, paths[HUBER].replace("bookings.ics", "cancellations.ics"))
            _check_lines(notice.content)
            cancel_calendar = icalendar.Calendar.from_ical(notice.content)
            assert str(cancel_calendar["METHOD"]) == "CANCEL"
            assert set(_events(notice.content)) == {f"{made[1]}@dorfhub"}
            assert int(_events(notice.content)[f"{made[1]}@dorfhub"]["SEQUENCE"]) == 1
            assert str(icalendar.Calendar.from_ical(updated.content)["METHOD"]) == "PUBLISH"
        finally:
            member.close()
            other_hub.close()
