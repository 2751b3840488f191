"""A town for the practice tests: two practices made with `dorfhub practice add --key-out`,
each with a desk login made by `dorfhub desk user add --role practice --practice-key`, their
slot series published with their own keys (`slots publish --key`), and the admins of the desk
harness (tests/desk/conftest.py). Everything goes through the real CLI.

`book` makes a booking the way a kiosk does, on a hub's store with the hub's key; the town
server decides it when it serves (at start, and after every commit by another process).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests

from content import booking, grants
from content.booking import Person
from content.clock import wall_clock_ms
from content.identity import Identity
from content.local_time import local
from content.log import Log
from content.store import Store
from node.home import Home
from tests.desk.conftest import Login
from tests.node.cli import DORFHUB, REPO, run_dorfhub


@dataclass(frozen=True)
class PracticeLogin:
    login: Login
    practice: str  # the practice's name (its record)
    key_file: Path  # the practice's key, as `practice add --key-out` wrote it

    @property
    def name(self) -> str:
        return self.login.name

    @property
    def passphrase(self) -> str:
        return self.login.passphrase


HUBER = PracticeLogin(
    Login("Praxis Huber", "Wartezimmer-mit-Aquarium-9"),
    "Hausarztpraxis Dr. Huber, Freyung",
    Path("huber.key"),
)
AYDIN = PracticeLogin(
    Login("Praxis Aydin", "Stethoskop-und-Blutdruck-4"),
    "Praxis Dr. Aydin, Grafenau",
    Path("aydin.key"),
)
PRACTICES = (HUBER, AYDIN)
TIMES = "09:00,09:30,10:00"
PLACE = "Dorfhub – Beratungsraum"
EVERY_DAY = "mo,di,mi,do,fr,sa,so"


def key_file(home: Path, practice: PracticeLogin) -> Path:
    """Where the practice's key lies: beside the town's home, never inside it."""
    return home.parent / "practice-keys" / practice.key_file


def add_practices(home: Path, practices: Sequence[PracticeLogin], days: int = 5) -> None:
    """`practice add --key-out`, `desk user add --role practice --practice-key` and `slots
    publish --key` for each practice: slots every day from tomorrow for `days` days."""
    keys = home.parent / "practice-keys"
    keys.mkdir(mode=0o700, exist_ok=True)
    tomorrow = local(wall_clock_ms()).date() + timedelta(days=1)
    for number, practice in enumerate(practices):
        run_dorfhub(
            *("practice", "add", practice.practice, "--key-out", key_file(home, practice)),
            *("--phone", f"0855{number} 9876", "--address", "Stadtplatz 1, 94078 Freyung"),
            home=home,
        )
        publish_series(home, practice, tomorrow, tomorrow + timedelta(days=days - 1))
    procs = [_desk_user_add(home, practice) for practice in practices]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"desk user add failed: {err}"
        assert "added" in out


def publish_series(home: Path, practice: PracticeLogin, first: date, last: date) -> None:
    run_dorfhub(
        *(
            "slots",
            "publish",
            "--practice",
            practice.practice,
            "--weekdays",
            "mo,di,mi,do,fr,sa,so",
        ),
        *("--from", first.isoformat(), "--until", last.isoformat(), "--times", TIMES),
        *("--place", PLACE, "--key", key_file(home, practice)),
        home=home,
    )


def _desk_user_add(home: Path, practice: PracticeLogin) -> subprocess.Popen[str]:
    env = {**os.environ, "DORFHUB_DESK_PASSPHRASE": practice.passphrase}
    args = [*DORFHUB, "desk", "user", "add", practice.name, "--role", "practice"]
    args += ["--practice-key", str(key_file(home, practice)), "--home", str(home)]
    return subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def copy_home(source: Path, target: Path) -> Path:
    """A copy of a town home and the practices' keys beside it."""
    shutil.copytree(source, target)
    keys = source.parent / "practice-keys"
    if keys.exists():
        shutil.copytree(keys, target.parent / "practice-keys")
    return target


def practice_key(home: Path, practice: PracticeLogin) -> str:
    with Store(home / "dorfhub.db") as store:
        return booking.find_practice(store.conn, practice.practice).key


def slots_of(db: Path, practice_key: str) -> list[booking.Slot]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return booking.list_slots(conn, practice_key)


def grant_hub(home: Path, name: str) -> Identity:
    """A hub key granted by the town's admin key, for bookings made in the town's own store
    (the attack tests need bookings, not a hub process)."""
    hub = Identity.generate(name)
    with Store(home / "dorfhub.db") as store:
        grants.grant(Log(store), Home(home).publisher(), hub.public, "hub", name)
    return hub


def book(db: Path, hub: Identity, slot_id: str, person: Person) -> str:
    """A booking request as the kiosk makes it: on the hub's store, signed by the hub."""
    with Store(db) as store:
        return booking.request_booking(Log(store), hub, slot_id, person)


def status_of(db: Path, request_id: str) -> booking.BookingStatus | None:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return booking.booking_status(conn, request_id)


class DeskClient:
    """A logged-in desk session over plain requests (this machine: plain HTTP is served),
    for what a browser would not send: other practices' ids, forms without their token."""

    def __init__(self, base: str, user: Login) -> None:
        self.base = base
        self.http = requests.Session()
        form = self.http.get(f"{base}/desk/login", timeout=30)
        token = _csrf_in(form.text)
        answer = self.http.post(
            f"{base}/desk/login",
            data={"csrf": token, "name": user.name, "passphrase": user.passphrase},
            allow_redirects=False,
            timeout=60,
        )
        assert answer.status_code == 303, answer.text
        self.home = answer.headers["location"]

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.base}/desk{path}", allow_redirects=False, timeout=30)

    def post(self, path: str, data: dict[str, str], csrf: bool = True) -> requests.Response:
        """A form as the page sends it, with the session's token (or, `csrf` False, without:
        as another site would make the browser send it)."""
        if csrf:
            data = {**data, "csrf": self.csrf()}
        return self.http.post(
            f"{self.base}/desk{path}", data=data, allow_redirects=False, timeout=30
        )

    def csrf(self) -> str:
        """The session's token, from its start page's logout form."""
        start = self.http.get(f"{self.base}{self.home}", timeout=30)
        return _csrf_in(start.text)


def _csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)
