"""A hub's home directory as the kiosk finds it after syncing, built with the real library.

The hub's store holds the network's grants (root, admin, town server, a guide, the hub) and a
noticeboard, as if they had arrived from the town server. The admin's key file lives beside the
home, so another process can publish "from the town" into the same SQLite file.

Also a small command for tests that need a second process:
    python -m tests.kiosk.hubhome publish-emergency HOME ADMIN_KEY   (prints id, then time)
    python -m tests.kiosk.hubhome retract HOME ADMIN_KEY NOTICE_ID
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from content import grants, notices
from content.bodies import Event
from content.clock import wall_clock_ms
from content.identity import Identity, load_identity, network_id_for, save_identity
from content.log import Log
from content.store import Store
from node.demo_articles import publish_demo_articles
from node.home import Home, NodeConfig

HOUR = 3_600_000
DAY = 24 * HOUR
GROUP = "Ilzer Land"
VILLAGE = "Ringelai"


@dataclass
class HubHome:
    path: Path
    admin_key: Path
    hub: Identity
    guide: Identity
    server: Identity
    notice_ids: list[str]
    event_id: str


def make_hub_home(directory: Path, extra_notices: int = 0) -> HubHome:
    root = Identity.generate("Netzwerk-Wurzel")
    admin = Identity.generate("Verwaltung")
    server = Identity.generate("Stadtserver Freyung")
    guide = Identity.generate("Frau Kern")
    network_id = network_id_for(root.key_id)
    home = Home.create(
        directory / "hub", NodeConfig(name=VILLAGE, role="hub", network_id=network_id)
    )
    hub = home.create_identity("node.key", VILLAGE)
    admin_key = directory / "admin.key"
    save_identity(admin, admin_key)
    now = wall_clock_ms()
    with home.store() as store:
        store.set_network(network_id)
        log = Log(store)
        grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
        grants.grant(log, root, server.public, "server", server.name)
        grants.grant(log, admin, hub.public, "hub", VILLAGE, groups=[GROUP])
        grants.grant(log, admin, guide.public, "guide", guide.name, groups=[GROUP])
        ids = [
            _put(
                log,
                admin,
                "Bürgerbus nach Grafenau",
                "Jeden Dienstag um 8:15 Uhr.",
                now,
                category="mobilitaet",
                english=("Community bus", "Every Tuesday at 8:15."),
            ),
            _put(
                log,
                admin,
                "Hitze: Bitte viel trinken",
                "Der Dorfhub ist kühl.",
                now,
                category="warnung",
                priority="important",
            ),
            _put(
                log,
                admin,
                "Grippeimpfung",
                "Dr. Huber impft gegen Grippe.",
                now - HOUR,
                category="gesundheit",
            ),
        ]
        # Published first but happening first: the events list orders by the event's time.
        ids.append(
            _put(
                log,
                admin,
                "Sprechstunde der Digitallotsin",
                "Frau Kern hilft beim Smartphone.",
                now,
                category="digitales",
                event=Event(start=now + DAY, end=now + DAY + 2 * HOUR, place="Dorfhub"),
            )
        )
        event_id = _put(
            log,
            admin,
            "Seniorennachmittag",
            "Kaffee, Kuchen und Musik.",
            now,
            category="veranstaltung",
            event=Event(start=now + 2 * DAY, end=now + 2 * DAY + 3 * HOUR, place="Pfarrheim"),
        )
        ids.append(event_id)
        for number in range(extra_notices):
            ids.append(
                _put(
                    log,
                    admin,
                    f"Aushang Nummer {number}",
                    f"Text {number}.",
                    now - number,
                    category="allgemein",
                )
            )
        # The how-to library the demo ships (So funktioniert's), for every hub.
        publish_demo_articles(log, admin)
    return HubHome(home.path, admin_key, hub, guide, server, ids, event_id)


def _put(
    log: Log,
    admin: Identity,
    title: str,
    body: str,
    valid_from: int,
    category: str,
    priority: str = "normal",
    event: Event | None = None,
    english: tuple[str, str] | None = None,
) -> str:
    return notices.publish(
        log,
        admin,
        notices.notice_body(
            title,
            body,
            category=category,
            priority=priority,
            valid_from=valid_from - 1000,
            valid_until=valid_from + 30 * DAY,
            event=event,
            translations={"en": english} if english else None,
            groups=[GROUP],
        ),
    )


def publish_notice(home: Path, admin_key: Path, title: str) -> str:
    """A normal notice for the hub's group, published as a sync would bring it in."""
    with Store(home / "dorfhub.db") as store:
        admin = load_identity(admin_key)
        return _put(Log(store), admin, title, "Neu.", wall_clock_ms(), "allgemein")


def publish_window(home: Path, admin_key: Path, title: str, shown: tuple[int, int | None]) -> str:
    """A notice for the hub's group shown from `shown[0]` until `shown[1]` (wall-clock ms)."""
    valid_from, valid_until = shown
    body = notices.notice_body(
        title, "Nur für kurze Zeit.", valid_from=valid_from, valid_until=valid_until, groups=[GROUP]
    )
    with Store(home / "dorfhub.db") as store:
        return notices.publish(Log(store), load_identity(admin_key), body)


def publish_emergency(home: Path, admin_key: Path) -> str:
    admin = load_identity(admin_key)
    with Store(home / "dorfhub.db") as store:
        now = wall_clock_ms()
        return notices.publish(
            Log(store),
            admin,
            notices.notice_body(
                "Wasserrohrbruch: Leitungswasser abkochen",
                "Trinkwasser gibt es am Feuerwehrhaus.",
                category="warnung",
                priority="emergency",
                valid_from=now - 1000,
                valid_until=now + DAY,
                groups=[GROUP],
            ),
        )


def retract(home: Path, admin_key: Path, notice_id: str) -> None:
    with Store(home / "dorfhub.db") as store:
        notices.retract(Log(store), load_identity(admin_key), notice_id, "behoben")


if __name__ == "__main__":
    command, home_arg, key_arg, *rest = sys.argv[1:]
    if command == "publish-emergency":
        print(publish_emergency(Path(home_arg), Path(key_arg)))
    else:
        retract(Path(home_arg), Path(key_arg), rest[0])
    print(time.time(), flush=True)
