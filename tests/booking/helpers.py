"""A booking network built through the library on real SQLite files, and small tools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from content import booking, grants
from content.booking import LOCAL_TIME, Person, Practice
from content.clock import wall_clock_ms
from content.identity import Identity, PublicIdentity, network_id_for
from content.log import Log
from tests.content.conftest import Stores
from tests.content.helpers import sync

HOUR = 3_600_000
DAY = 24 * HOUR
# Personal data entered in the tests: none of it may show in public bodies or hub files.
RESIDENTS = (
    Person("Walburga Kreuzeder", "1938-02-17", "08555 918273", consent=True),
    Person("Xaver Pfeilschifter", "1941-11-05", "0171 4455667", consent=True),
    Person("Zenzi Obermaier-Lang", "1950-07-29", "", consent=True),
)


@dataclass
class BookingNet:
    network_id: str
    root: Identity
    admin: Identity
    server: Identity
    hub: Identity
    hub2: Identity
    guide: Identity
    practice_a: Identity
    practice_b: Identity
    town: Log
    stores: Stores

    def hub_log(self, name: str) -> Log:
        """A hub's store holding everything the town holds (as after a sync)."""
        log = self.stores.log(name, self.network_id)
        sync(self.town, log)
        return log

    def practice(self, identity: Identity) -> Practice:
        found = booking.get_practice(self.town.store.conn, identity.key_id)
        assert found is not None
        return found


def build_net(stores: Stores) -> BookingNet:
    root = Identity.generate("Netzwerk-Wurzel")
    admin = Identity.generate("Verwaltung")
    server = Identity.generate("Stadtserver")
    hub, hub2 = Identity.generate("Ringelai"), Identity.generate("Perlesreut")
    guide = Identity.generate("Frau Kern")
    practice_a = Identity.generate("Hausarztpraxis Dr. Huber, Freyung")
    practice_b = Identity.generate("Praxis Dr. Aydin, Grafenau")
    network_id = network_id_for(root.key_id)
    town = stores.log("town", network_id)
    grants.grant(town, root, admin.public, "admin", admin.name, may_grant=True)
    grants.grant(town, root, server.public, "server", server.name)
    for identity, role in ((hub, "hub"), (hub2, "hub"), (guide, "guide")):
        grants.grant(town, admin, identity.public, role, identity.name)
    for practice, phone in ((practice_a, "08551 9876"), (practice_b, "08552 1234")):
        grants.grant(town, admin, practice.public, "practice", practice.name)
        meta = booking.practice_meta(
            practice.name,
            "Stadtplatz 1, 94078 Freyung",
            phone,
            "Allgemeinmedizin",
            practice=practice.public,
            authority=server.public,
        )
        booking.publish_practice(town, practice, meta)
    return BookingNet(
        network_id, root, admin, server, hub, hub2, guide, practice_a, practice_b, town, stores
    )


def publish_days(
    net: BookingNet,
    practice: Identity,
    days: int = 3,
    times: tuple[str, ...] = ("09:00", "09:30", "10:00"),
    capacity: int = 1,
    service: str = "video",
) -> list[str]:
    """Slots on each of the next `days` days (every weekday), signed by the practice."""
    first = datetime.fromtimestamp(wall_clock_ms() / 1000, LOCAL_TIME).date() + timedelta(days=1)
    slots = booking.expand_series(
        net.practice(practice),
        service,
        ["mo", "di", "mi", "do", "fr", "sa", "so"],
        first,
        first + timedelta(days=days - 1),
        times,
        capacity,
        "Dorfhub – Beratungsraum",
    )
    booking.publish_slots(net.town.store, practice, slots)
    return [slot_id for slot_id, _ in slots]


def practice_with_slots(
    log: Log,
    admin: Identity,
    name: str,
    address: str,
    phone: str,
    days: tuple[date, date],
    times: tuple[str, ...],
    authority: PublicIdentity | None = None,
) -> Identity:
    """A practice granted by `admin`, its record naming `authority` (default: the one server
    key `log` knows), and a daily series of one-place video slots from days[0] to days[1] at
    `times`, all in `log`'s store; returns the practice's key."""
    practice = Identity.generate(name)
    grants.grant(log, admin, practice.public, "practice", name)
    named = authority or only_server(log)
    meta = booking.practice_meta(
        name, address, phone, "Allgemeinmedizin", practice=practice.public, authority=named
    )
    booking.publish_practice(log, practice, meta)
    found = booking.get_practice(log.store.conn, practice.key_id)
    assert found is not None
    every_day = ["mo", "di", "mi", "do", "fr", "sa", "so"]
    series = booking.expand_series(
        found, "video", every_day, *days, times, 1, "Dorfhub – Beratungsraum"
    )
    booking.publish_slots(log.store, practice, series)
    return practice


def only_server(log: Log) -> PublicIdentity:
    """The public identity of the one key with a server grant in `log`'s store."""
    servers = [key for key in grants.list_keys(log.store.conn) if "server" in key.roles]
    assert len(servers) == 1, f"{len(servers)} server keys"
    return PublicIdentity(servers[0].key, servers[0].seal)
