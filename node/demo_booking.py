"""The demo's practices: two practices with a week of slots, so booking can be tried at once.

Each practice is a node of its own beside the town server, as at a real practice: its key is
made in its own demo home and never enters the server's. The town grants its public key (what
`dorfhub practice add --public-key` does); the practice's node pulls the grant from the running
town server, signs its record naming the town server as its booking authority, publishes a
week of slots with its own key, and pushes them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from content import booking
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log
from node.home import Home
from node.practices import RecordFields, add_practice, publish_record
from node.setup import init_node
from sync.client import PeerClient, sync_round

ALL_DAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")
DAYS = 7
ROOM = "Dorfhub – Beratungsraum"
PHONE = "Telefon (die Praxis ruft an)"


@dataclass(frozen=True)
class DemoPractice:
    home: str  # the practice's own demo home, beside the town server's
    name: str
    phone: str
    address: str
    specialty: str
    series: tuple[tuple[str, tuple[str, ...], str], ...]  # (service, start times, place)


PRACTICES = (
    DemoPractice(
        "praxis-huber",
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
        "praxis-aydin",
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


def publish_demo_practices(directory: Path, town: Home, base_url: str) -> list[str]:
    """Set up the demo practices, each in its own home under `directory`, with the town
    server running at `base_url`; returns one German line per practice."""
    return [_practice(directory / spec.home, spec, town, base_url) for spec in PRACTICES]


def _practice(path: Path, spec: DemoPractice, town: Home, base_url: str) -> str:
    network_id = town.config.network_id
    home, identity = init_node(path, "practice", spec.name, network_id, base_url)
    made = add_practice(town, spec.name, identity.public)
    _sync(home, identity, base_url)  # the grant reaches the practice's node
    fields = RecordFields(phone=spec.phone, address=spec.address, specialty=spec.specialty)
    publish_record(home, identity, fields, town.identity().public)
    today = datetime.fromtimestamp(wall_clock_ms() / 1000, booking.LOCAL_TIME).date()
    last = today + timedelta(days=DAYS - 1)
    with home.store() as store:
        practice = booking.get_practice(store.conn, identity.key_id)
        assert practice is not None
        slots = [
            slot
            for service, times, place in spec.series
            for slot in booking.expand_series(
                practice, service, ALL_DAYS, today, last, times, 1, place
            )
        ]
        count = booking.publish_slots(store, identity, slots)
    _sync(home, identity, base_url)
    feed = f"{base_url}/feeds/{made.feed_token}/bookings.ics"
    return (
        f"{spec.name}: {count} Termine, Schlüssel nur in {path.name}/, "
        f"Kalender für die Praxis: {feed}"
    )


def _sync(home: Home, identity: Identity, base_url: str) -> None:
    client = PeerClient(base_url, identity, home.config.network_id)
    try:
        with home.store() as store:
            sync_round(Log(store), client)
    finally:
        client.close()
