"""The demo's practices: two practices with a week of slots, so booking can be tried at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from content import booking
from content.clock import wall_clock_ms
from node.cli_booking import create_practice
from node.home import Home

ALL_DAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")
DAYS = 7
ROOM = "Dorfhub – Beratungsraum"
PHONE = "Telefon (die Praxis ruft an)"


@dataclass(frozen=True)
class DemoPractice:
    name: str
    phone: str
    address: str
    specialty: str
    series: tuple[tuple[str, tuple[str, ...], str], ...]  # (service, start times, place)


PRACTICES = (
    DemoPractice(
        "Hausarztpraxis Dr. Huber, Freyung",
        "08551 9876",
        "Stadtplatz 12, 94078 Freyung",
        "Allgemeinmedizin",
        (
            ("video", ("09:00", "09:30", "10:00", "14:00", "14:30"), ROOM),
            ("phone", ("11:00", "11:20", "11:40"), PHONE),
        ),
    ),
    DemoPractice(
        "Praxis Dr. Aydin, Grafenau",
        "08552 4455",
        "Spitalstraße 3, 94481 Grafenau",
        "Innere Medizin",
        (
            ("video", ("08:30", "09:00", "15:00", "15:30", "16:00"), ROOM),
            ("rezept", ("12:00", "12:15"), PHONE),
        ),
    ),
)


def publish_demo_practices(home: Home, base_url: str) -> list[str]:
    """Create the demo practices on the town server and publish a week of slots from today,
    signed by each practice's own key; returns one German line per practice."""
    today = datetime.fromtimestamp(wall_clock_ms() / 1000, booking.LOCAL_TIME).date()
    last = today + timedelta(days=DAYS - 1)
    lines = []
    for spec in PRACTICES:
        made = create_practice(home, spec.name, spec.phone, spec.address, spec.specialty)
        with home.store() as store:
            practice = booking.get_practice(store.conn, made.identity.key_id)
            assert practice is not None
            slots = [
                slot
                for service, times, place in spec.series
                for slot in booking.expand_series(
                    practice, service, ALL_DAYS, today, last, times, 1, place
                )
            ]
            count = booking.publish_slots(store, made.identity, slots)
        feed = f"{base_url}/feeds/{made.feed_token}/bookings.ics"
        lines.append(f"{spec.name}: {count} Termine, Kalender für die Praxis: {feed}")
    return lines
