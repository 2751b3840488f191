"""The demo's desk logins: an administrator, a practice, a digital guide and a club
(docs/desk.md).

Each is made as `dorfhub desk user add` makes it, with the library calls of node/cli_desk.py:
a new key for the administrator and for the guide, granted by the town's admin key (the guide
for the group its hubs are in, spelled as the network spells it); for the practice its own key
(node.key in its demo home), taken only as the key of a practice granted at the town that has
signed its record, and granted nothing more.

Every key file is sealed with the stored Argon2id parameters (admin/desk/accounts.py DEFAULT_KDF):
cheaper ones are for the tests of that module alone, none is documented for a demo, and the
demo's files are what a real server's are. A seal takes
up to a second on a busy two-core machine, and Argon2id lets go of the GIL, so each key is
sealed in a thread (`seal`) while the demo starts its nodes and publishes; the grants, which
write to the town's log, are made in the demo's own thread.

So that each login has something to see, a resident at Ringelai books the practice, another
asks for help and a third submits a notice for the "Biete / Suche" board, through the library as
the kiosk does (`ask_at_hub`): all sealed as always. The submission waits in the administrator's
moderation queue; the club (role `editor`, for the hubs' group) submits its own at the desk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from admin.desk.accounts import USERS_DIR, AccountError, add_user
from content import booking
from content.clock import trusted_now
from content.grants import grant, key_info
from content.help import request_help
from content.identity import Identity
from content.log import Log
from content.notice_targets import network_of
from content.store import Store
from content.submissions import submit_from_hub
from node.board import local
from node.home import Home

DEADLINE_S = 20.0  # for an op to travel between the demo's nodes, and the town to decide


@dataclass(frozen=True)
class DeskLogin:
    name: str
    passphrase: str
    role: str
    label: str = ""  # printed before it, under the administrator's
    shows: str = ""  # what it opens at the desk, printed after it


ADMIN_LOGIN = DeskLogin("Maria Hofbauer", "Ilzer-Land-Demo", "admin")
PRACTICE_LOGIN = DeskLogin(
    "Praxis Dr. Huber", "Praxis-Huber-Demo", "practice", "als Praxis", "Buchungen und Termine"
)
GUIDE_LOGIN = DeskLogin(
    "Frau Kern", "Lotsin-Kern-Demo", "guide", "als Digitallotsin", "Hilfeanfragen"
)
CLUB_LOGIN = DeskLogin(
    "Schützenverein Ringelai", "Verein-Ringelai-Demo", "editor", "als Verein", "Aushänge einreichen"
)
# The demo's residents at Ringelai: sealed at the hub, read at the desk by the practice's and the
# guide's session only. Never printed by the demo.
PATIENT = booking.Person("Theresia Weinberger", "1944-03-12", "08555 2468", consent=True)
ASKING = ("Josef Hainz", "08555 1357")
OFFERING = (
    "biete",
    "Mitfahrgelegenheit nach Grafenau",
    "Jeden Dienstag gegen 9 Uhr, zurück gegen 12 Uhr. Platz für zwei Personen.",
    "Anton Brunner",
    "08555 3141",
)


def seal(
    executor: Executor, town: Home, login: DeskLogin, key: Identity | None = None
) -> Future[Identity]:
    """Seal the login's key file in a thread (a new key, or `key`); its key, when done."""
    return executor.submit(_add, town, login, key)


def _add(town: Home, login: DeskLogin, key: Identity | None) -> Identity:
    users = town.path / USERS_DIR
    identity, _path = add_user(users, login.name, login.role, login.passphrase, key=key)
    return identity


def grant_login(
    town: Home, admin: Identity, key: Identity, login: DeskLogin, groups: list[str] | None = None
) -> None:
    """Grant the login's key its role (a guide and a club their groups), as `desk user add`
    does."""
    with town.store() as store:
        grant(Log(store), admin, key.public, login.role, login.name, groups=groups)


def network_groups(town: Home, typed: list[str]) -> list[str]:
    """The groups as the network's hubs spell them, as `desk user add --group` checks them."""
    with town.store() as store:
        groups, unknown = network_of(store.conn).find_groups(typed)
    if unknown:
        raise AccountError(f"no group {', '.join(unknown)} among the demo's hubs")
    return groups


def practice_key(town: Home, practice: Home) -> Identity:
    """The practice's own key, as `desk user add --role practice --practice-key` takes it: the
    key of a practice granted at the town that has signed its record."""
    key = practice.identity()
    with town.store() as store:
        info = key_info(store.conn, key.key_id)
        record = booking.get_practice(store.conn, key.key_id)
    if info is None or info.revoked or "practice" not in info.roles or record is None:
        raise AccountError(f"{practice.path.name}: no practice with a record at the town")
    return key


def ask_at_hub(
    hub_name: str, hub: Home, identity: Identity, practice: str, guide: str
) -> list[str]:
    """At the hub, as its kiosk does: book the first free slot of `practice` (a key id) and ask
    for help, once the guide's grant is there (a request is sealed to the guides the hub knows
    of). Waits until the town has confirmed the booking and the hub knows it, so the slot is
    taken there too. One German line each, without the residents' data."""
    with hub.store() as store:
        _until(lambda: _bookable(store, practice), f"{hub_name} has no slot of the practice")
        slot = _bookable(store, practice)[0]
        request = booking.request_booking(Log(store), identity, slot.id, PATIENT)
        _until(lambda: _granted(store, guide), f"{hub_name} does not know the guide")
        request_help(Log(store), identity, *ASKING)
        # Sealed to the admins and servers the hub knows: the desk's admin was granted first.
        submit_from_hub(Log(store), identity, *OFFERING)
        _until(lambda: _confirmed(store, request), f"the booking at {hub_name} was not confirmed")
    return [
        f"{hub_name}: Termin gebucht und vom Stadtserver bestätigt: {slot.practice_name}, "
        f"{local(slot.start)} (die Praxis sieht ihn am Schreibtisch)",
        f"{hub_name}: eine Bitte um Hilfe wartet auf die Digitallotsin (Name und Telefon "
        "verschlüsselt)",
        f"{hub_name}: ein Aushang »{OFFERING[1]}« wartet auf die Prüfung am Schreibtisch",
    ]


def _bookable(store: Store, practice: str) -> list[booking.Slot]:
    now = trusted_now(store.conn).now_ms
    return booking.list_slots(store.conn, practice=practice, bookable_at=now)


def _granted(store: Store, key: str) -> bool:
    info = key_info(store.conn, key)
    return info is not None and "guide" in info.roles


def _confirmed(store: Store, request: str) -> bool:
    status = booking.booking_status(store.conn, request)
    return status is not None and status.state == "confirmed"


def _until(done: Callable[[], object], failed: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{failed} in time (see the *.log files)")
        time.sleep(0.05)
