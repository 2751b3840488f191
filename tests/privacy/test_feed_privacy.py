"""The practices' calendar feeds (issue 14, finding 5): no person in SUMMARY (lock screens show
it), no entry after its retention period, and no feed in plain HTTP to another machine.

The transport rule is checked through the real feed router, called as uvicorn calls it with
the ASGI scope of a request: from another address, in plain HTTP or over TLS. Tests may use no
address but 127.0.0.1, and every 127.x address is loopback, so a real connection from
elsewhere cannot be made here; tests/privacy/test_retention_processes.py fetches a feed from a
real `dorfhub serve` over 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

import icalendar
import pytest
from fastapi import FastAPI

from admin.feed import feed_path, new_feed_token, practice_calendar
from admin.feed_http import NOT_OVER_TLS, feed_routes
from content import booking
from content.booking_allocation import allocate
from content.clock import wall_clock_ms
from content.retention import DAY_MS
from tests.booking.helpers import RESIDENTS, BookingNet, build_net, publish_days
from tests.content.conftest import Stores
from tests.content.helpers import sync
from tests.fresh_loop import run_in_fresh_loop


@pytest.fixture
def booked(stores: Stores) -> tuple[BookingNet, list[str]]:
    """A town with two confirmed bookings of practice A tomorrow; the first one cancelled."""
    net = build_net(stores)
    slots = publish_days(net, net.practice_a, days=1, times=("09:00", "09:30"))
    hub = net.hub_log("hub")
    made = [
        booking.request_booking(hub, net.hub, slots[0], RESIDENTS[0]),
        booking.request_booking(hub, net.hub, slots[1], RESIDENTS[1], on_behalf=True),
    ]
    sync(hub, net.town)
    allocate(net.town.store, net.server)
    booking.cancel_booking(hub, net.hub, request_id=made[0], reason="krank")
    sync(hub, net.town)
    return net, made


def _events(text: str | bytes) -> dict[str, icalendar.cal.Component]:
    calendar = icalendar.Calendar.from_ical(text)
    return {str(event["UID"]).split("@")[0]: event for event in calendar.walk("VEVENT")}


def test_the_person_stands_only_in_the_description(booked: tuple[BookingNet, list[str]]) -> None:
    net, made = booked
    text = practice_calendar(net.town.store.conn, net.server, net.practice_a.key_id, "PUBLISH")
    events = _events(text)
    assert set(events) == set(made)
    for request_id, person in zip(made, RESIDENTS[:2], strict=True):
        event = events[request_id]
        summary = str(event["SUMMARY"])
        assert summary == "Videosprechstunde (Dorfhub Ringelai)"
        for part in (*person.name.split(), "1938", "1941", "geb."):
            assert part not in summary
        description = str(event["DESCRIPTION"])
        born = "17.02.1938" if person is RESIDENTS[0] else "05.11.1941"
        assert description.startswith(f"{person.name} (geb. {born})")
        assert person.phone not in text  # only what the practice needs
    assert "mit Digitallotse" in str(events[made[1]]["DESCRIPTION"])


def test_entries_leave_the_feed_when_their_period_ends(
    booked: tuple[BookingNet, list[str]],
) -> None:
    net, (cancelled, confirmed) = booked
    now = wall_clock_ms()

    def feed(days: int, method: str = "PUBLISH") -> set[str]:
        conn, practice = net.town.store.conn, net.practice_a.key_id
        return set(
            _events(practice_calendar(conn, net.server, practice, method, now + days * DAY_MS))
        )

    assert feed(6) == {cancelled, confirmed}
    assert feed(6, "CANCEL") == {cancelled}
    # Cancelled: 7 days; the appointment tomorrow: 30 days after it.
    assert feed(8) == {confirmed}
    assert feed(8, "CANCEL") == set()
    assert feed(30) == {confirmed}
    assert feed(33) == set()


def _get(app: FastAPI, path: str, scheme: str, client: tuple[str, int]) -> tuple[int, bytes]:
    """One GET through the ASGI app, with the scope uvicorn would give it."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"stadtserver.example")],
        "client": client,
        "server": ("192.0.2.10", 443 if scheme == "https" else 8470),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    run_in_fresh_loop(app(scope, receive, send))
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return int(sent[0]["status"]), body


@pytest.mark.parametrize(
    ("scheme", "client", "allowed"),
    [
        ("http", ("203.0.113.9", 50_000), False),  # a practice's PC on the Internet
        ("http", ("192.168.178.20", 50_000), False),  # the town hall's LAN is no safer
        ("http", ("::ffff:203.0.113.9", 50_000), False),
        ("https", ("203.0.113.9", 50_000), True),
        ("http", ("127.0.0.1", 50_000), True),  # this machine, or its TLS proxy
        ("http", ("::1", 50_000), True),
    ],
)
def test_a_feed_goes_out_only_over_tls_or_to_this_machine(
    booked: tuple[BookingNet, list[str]], scheme: str, client: tuple[str, int], allowed: bool
) -> None:
    net, made = booked
    token = new_feed_token(net.town.store, net.practice_a.key_id)
    app = FastAPI()
    app.include_router(feed_routes(net.town.store.path, net.server))
    for kind in ("bookings", "cancellations"):
        status, body = _get(app, feed_path(token, kind), scheme, client)
        if allowed:
            assert status == 200
            assert made[0] in _events(body)
        else:
            assert status == 403
            assert json.loads(body)["detail"] == NOT_OVER_TLS
            assert b"VCALENDAR" not in body
            assert RESIDENTS[0].name.split()[1].encode() not in body
    # Refused before the token is looked at: a made-up one gets the same answer.
    status, _ = _get(app, feed_path("x" * 32), scheme, client)
    assert status == (404 if allowed else 403)
