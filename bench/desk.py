"""Desk benchmark: how fast the desk's pages answer over HTTP with 10,000 notices in the log.

Run from the repository root: `make bench` or `.venv/bin/python bench/desk.py [--quick]`.
Everything happens in a temporary directory; the script only reports and always exits 0,
naming each goal missed. See bench/README.md ("Desk benchmark") for the figures and the goals
(issue 15: page p95 < 100 ms at 10,000 notices, a poster PDF in < 1 s).

1. A town server's home is made with the real CLI (`dorfhub network init`). Into its log go,
   signed in-process with the library and many to a transaction: HUBS hubs in four groups,
   each with its `hub.status`, a third of them with an hour of sensor rollups and two with an
   open alert, the server's record of each hub's last pull (a few long ago, two never, some
   behind), and N notices from a fixed seed: 8 topics, one per category, German always, English
   in half of them, Leichte Sprache in a fifth; 40 % on display now, 35 % expired, 15 % starting
   later, 10 % retracted; for every hub (20 %), one or two groups (50 %) or one or two hubs
   (30 %). One notice has six versions, so that its page has a history to show.
2. A desk user is made with the real CLI (`dorfhub desk user add --role admin`), a real
   `dorfhub serve` is started on 127.0.0.1 on a port it picks itself (`--port 0`; or, with
   `--inherited-socket`, on a socket bound here and handed down with `--listen-fd`), and the
   script logs in as a browser does: the login form's CSRF token and cookie, then the session.
3. Each page is requested many times in rounds, one request of each page per round, so that
   drift in the machine's speed falls on every page alike, after a few warm-up rounds. A
   request's time runs from sending it until the whole answer is read, on one kept-alive
   connection as a browser keeps it. The live preview posts a German text that changes with
   each request, as while typing, once alone and once as the editor does after a pause: its
   three language panels at once, on three connections, until the last has answered.
4. Baselines, timed the same way in the same rounds: the server's cheapest answers,
   `GET /v1/hello` (the peer API) and a static file of the desk (`/desk/static/desk.css`:
   the desk's middleware, no session, no database), on the kept-alive connection and on a new
   connection for each request. "Over baseline" is a page's p50 minus the static file's on the
   kept-alive connection: what the page's own work costs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from msgspec.structs import replace
from repo_first import REPO  # before any package: puts them ahead of this directory

from content import grants
from content.bodies import Event, NoticeBody, RetractBody, Targets, encode_body
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log, append_in
from content.notices import new_notice_id, notice_body
from content.sensors import WINDOW_MS, alert_entity, rollup_entity
from node.home import Home
from node.listen import wait_for_ready_file

NOTICES = 10_000
HUBS = 36
REQUESTS = 120  # per page
PDF_REQUESTS = 30  # per poster: each costs a hundred milliseconds and more
SHEET_SHARE = 5  # a fifth of that for the weekly sheet, which takes seconds
WARM_UP_ROUNDS = 5
PAGE_GOAL_MS = 100.0
PDF_GOAL_MS = 1000.0
SEED = 20261203
CHUNK = 1000  # notices per write transaction while building
READY_TIMEOUT_S = 60.0
HTTP_TIMEOUT_S = 30.0
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
BERLIN = ZoneInfo("Europe/Berlin")
DESK_USER = "Maria Hofbauer"
DESK_PASSPHRASE = "Ilzer-Land-Bench-2026"
SEARCH_WORD = "Bürgerbus"
CATEGORY = "gesundheit"

# ---- the network -----------------------------------------------------------------------------

# Four groups of three villages; each village has three hubs (town hall, school, shop).
GROUPS = {
    "Ilzer Land": ("Ringelai", "Perlesreut", "Fürsteneck"),
    "Dreiburgenland": ("Saldenburg", "Thurmansbang", "Tittling"),
    "Nationalpark": ("Grafenau", "Spiegelau", "Neuschönau"),
    "Goldener Steig": ("Freyung", "Hinterschmiding", "Philippsreut"),
}
SITES = ("Rathaus", "Schule", "Dorfladen")
PLACES = ("Pfarrsaal", "Turnhalle", "Gasthaus zur Post", "Feuerwehrhaus", "Dorfplatz")
DAYS = (("Montag", "Monday"), ("Dienstag", "Tuesday"), ("Donnerstag", "Thursday"))


@dataclass(frozen=True)
class Hub:
    identity: Identity
    village: str
    group: str

    @property
    def key(self) -> str:
        return self.identity.key_id


# ---- a corpus of notices ---------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    category: str
    priorities: tuple[str, ...]
    event: bool
    title: tuple[str, str, str]  # German, English, Leichte Sprache
    body: tuple[str, str, str]


TOPICS = (
    Topic(
        "mobilitaet",
        ("normal",),
        False,
        ("Bürgerbus nach {ort}", "Community bus to {ort}", "Bürger·bus nach {ort}"),
        (
            "Der Bürgerbus fährt jeden {tag} um {uhr} Uhr ab {wo} nach {ort}. Anmeldung bis "
            "zum Vortag unter {tel}. Rollatoren und Kinderwagen können mit.",
            "The community bus leaves {wo} for {ort} every {tag_en} at {uhr}. Book by the day "
            "before on {tel}. Walkers and prams are welcome.",
            "Der Bürger·bus fährt am {tag} um {uhr} Uhr. Er fährt nach {ort}. Rufen Sie vorher "
            "an: {tel}.",
        ),
    ),
    Topic(
        "gesundheit",
        ("normal", "important"),
        False,
        ("Sprechstunde in {ort}", "Surgery hours in {ort}", "Arzt in {ort}"),
        (
            "Die Hausarztpraxis hält am {tag} von {uhr} Uhr an Sprechstunde im {wo}. Bitte "
            "bringen Sie Ihre Versichertenkarte mit. Termine unter {tel}.",
            "The family doctor holds surgery hours in the {wo} on {tag_en} from {uhr}. Please "
            "bring your insurance card. Appointments on {tel}.",
            "Der Arzt ist am {tag} im {wo}. Bringen Sie Ihre Karte mit.",
        ),
    ),
    Topic(
        "veranstaltung",
        ("normal",),
        True,
        ("Dorffest in {ort}", "Village fair in {ort}", "Fest in {ort}"),
        (
            "Am {tag} ab {uhr} Uhr feiert {ort} am {wo}. Es gibt Musik, Kaffee und Kuchen und "
            "eine Hüpfburg für die Kinder. Helfer melden sich unter {tel}.",
            "On {tag_en} from {uhr}, {ort} celebrates at the {wo}. Music, coffee and cake, and "
            "a bouncy castle for the children. Helpers please call {tel}.",
            "Am {tag} ist ein Fest in {ort}. Es gibt Musik und Kuchen.",
        ),
    ),
    Topic(
        "warnung",
        ("important", "emergency"),
        False,
        ("Wasser abkochen in {ort}", "Boil water in {ort}", "Wasser kochen in {ort}"),
        (
            "Im Trinkwasser von {ort} wurden Keime gefunden. Bitte kochen Sie Leitungswasser "
            "bis auf Weiteres ab. Auskunft beim Wasserzweckverband unter {tel}.",
            "Germs were found in the drinking water of {ort}. Please boil tap water until "
            "further notice. Information from the water board on {tel}.",
            "Das Wasser in {ort} ist nicht sauber. Kochen Sie das Wasser vor dem Trinken.",
        ),
    ),
    Topic(
        "verwaltung",
        ("normal",),
        False,
        ("Rathaus {ort} geschlossen", "Town hall {ort} closed", "Rat·haus {ort} zu"),
        (
            "Das Rathaus {ort} bleibt am {tag} geschlossen. In dringenden Fällen erreichen Sie "
            "die Verwaltung unter {tel}.",
            "The town hall of {ort} is closed on {tag_en}. In urgent cases call {tel}.",
            "Das Rat·haus in {ort} ist am {tag} zu.",
        ),
    ),
    Topic(
        "digitales",
        ("normal",),
        True,
        ("Handy-Sprechstunde im {wo}", "Phone help at the {wo}", "Hilfe mit dem Handy"),
        (
            "Schüler helfen am {tag} um {uhr} Uhr im {wo} bei Fragen zu Handy und Tablet. "
            "Kostenlos, ohne Anmeldung.",
            "Pupils help with phones and tablets at the {wo} on {tag_en} at {uhr}. Free, no "
            "booking needed.",
            "Schüler helfen Ihnen mit dem Handy. Am {tag} um {uhr} Uhr.",
        ),
    ),
    Topic(
        "verein",
        ("normal",),
        True,
        ("Feuerwehr {ort}: Übung", "Fire brigade {ort}: drill", "Feuer·wehr {ort} übt"),
        (
            "Die Freiwillige Feuerwehr {ort} übt am {tag} ab {uhr} Uhr am {wo}. Bitte halten "
            "Sie die Zufahrt frei. Neue Mitglieder sind willkommen: {tel}.",
            "The volunteer fire brigade of {ort} holds a drill at the {wo} on {tag_en} from "
            "{uhr}. Please keep the access road clear.",
            "Die Feuer·wehr übt am {tag}. Bitte parken Sie nicht am {wo}.",
        ),
    ),
    Topic(
        "allgemein",
        ("normal",),
        False,
        ("Fundsache in {ort}", "Found in {ort}", "Gefunden in {ort}"),
        (
            "Am {wo} in {ort} wurde ein Schlüsselbund gefunden. Abzuholen im Rathaus, "
            "Auskunft unter {tel}.",
            "A bunch of keys was found at the {wo} in {ort}. Collect it at the town hall, "
            "information on {tel}.",
            "Jemand hat Schlüssel gefunden. Sie sind im Rat·haus.",
        ),
    ),
)


def make_notice(rng: random.Random, now: int, hubs: list[Hub], state: str) -> NoticeBody:
    topic = rng.choice(TOPICS)
    day, day_en = rng.choice(DAYS)
    slots = {
        "ort": rng.choice([hub.village for hub in hubs]),
        "tag": day,
        "tag_en": day_en,
        "wo": rng.choice(PLACES),
        "uhr": f"{rng.randint(8, 19)}:{rng.choice(('00', '15', '30', '45'))}",
        "tel": f"0855{rng.randint(1, 9)} {rng.randint(1000, 9999)}",
    }
    texts = {
        lang: (topic.title[i].format(**slots), topic.body[i].format(**slots))
        for i, lang in enumerate(("de", "en", "de-LS"))
    }
    roll = rng.random()
    languages = ("de", "en", "de-LS") if roll < 0.2 else ("de", "en") if roll < 0.5 else ("de",)
    valid_from, valid_until = _window(rng, now, state)
    event = None
    if topic.event:
        start = valid_from + rng.randint(0, 10) * DAY + 18 * HOUR
        event = Event(start=start, end=start + 3 * HOUR, place=slots["wo"])
    hub_keys, groups = _targets(rng, hubs)
    return notice_body(
        *texts["de"],
        translations={lang: texts[lang] for lang in languages[1:]},
        category=topic.category,
        # Emergencies take over every screen: a handful, not one in ten warnings.
        priority=rng.choice(topic.priorities) if rng.random() < 0.05 else topic.priorities[0],
        valid_from=valid_from,
        valid_until=valid_until,
        event=event,
        hubs=hub_keys,
        groups=groups,
    )


def _window(rng: random.Random, now: int, state: str) -> tuple[int, int | None]:
    if state == "expired":
        start = now - rng.randint(20, 700) * DAY
        return start, start + rng.randint(1, 14) * DAY
    if state == "scheduled":
        start = now + rng.randint(1, 60) * DAY
        return start, start + rng.randint(1, 14) * DAY
    start = now - rng.randint(0, 60) * DAY - rng.randint(0, 23) * HOUR
    return start, None if rng.random() < 0.1 else now + rng.randint(1, 60) * DAY


def _targets(rng: random.Random, hubs: list[Hub]) -> tuple[list[str], list[str]]:
    roll = rng.random()
    if roll < 0.2:
        return [], []  # every hub
    if roll < 0.7:
        return [], rng.sample(sorted(GROUPS), rng.choice((1, 1, 1, 2)))
    return [hub.key for hub in rng.sample(hubs, rng.choice((1, 1, 2)))], []


def _states(rng: random.Random, count: int) -> list[str]:
    states = ["current"] * 40 + ["expired"] * 35 + ["scheduled"] * 15 + ["retracted"] * 10
    return [rng.choice(states) for _ in range(count)]


# ---- building the town -----------------------------------------------------------------------


@dataclass
class Town:
    home: Home
    hubs: list[Hub]
    showcase: str  # the notice with six versions
    posters: list[str] = field(default_factory=list)  # live notices to print
    build_s: float = 0.0
    notices: int = 0
    ops: int = 0


def dorfhub(*args: str, env: dict[str, str] | None = None) -> str:
    """The real command line; its output, or SystemExit with its error."""
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", *args],
        cwd=REPO,
        env=env or _environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise SystemExit(f"dorfhub {' '.join(args[:3])} failed: {done.stderr.strip()}")
    return done.stdout


def _environment(**extra: str) -> dict[str, str]:
    # Keys unprotected: the script signs with the admin key in-process, without a passphrase.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DORFHUB_")}
    return {**env, **extra}


def build_town(directory: Path, count: int) -> Town:
    started = time.perf_counter()
    path = directory / "town"
    dorfhub("network", "init", "--name", "Ilzer Land", "--home", str(path))
    home = Home.open(path)
    admin = home.publisher()
    rng = random.Random(SEED)
    now = wall_clock_ms()
    with home.store() as store:
        log = Log(store)
        hubs = _add_hubs(log, admin, rng, now)
        states = _states(rng, count)
        bodies = [make_notice(rng, now, hubs, state) for state in states]
        ids = [new_notice_id() for _ in bodies]
        # Many to a transaction: with a commit each, as `notices.publish` does, about 1,200 a
        # second go in here instead of 1,900.
        for first in range(0, count, CHUNK):
            with store.write() as conn:
                for notice_id, body in zip(
                    ids[first : first + CHUNK], bodies[first : first + CHUNK], strict=True
                ):
                    append_in(
                        conn, log.network_id, admin, "notice.put", notice_id, encode_body(body)
                    )
        with store.write() as conn:
            for notice_id, state in zip(ids, states, strict=True):
                if state == "retracted":
                    reason = RetractBody(reason="Termin abgesagt")
                    append_in(
                        conn,
                        log.network_id,
                        admin,
                        "notice.retract",
                        notice_id,
                        encode_body(reason),
                    )
        showcase = _showcase(log, admin, hubs, now)
        _record_pulls(log, admin, hubs, rng, now)
        ops = log.count()
    live = [i for i, s in zip(ids, states, strict=True) if s == "current"]
    town = Town(home, hubs, showcase, posters=[showcase, *live[:19]], notices=count + 1, ops=ops)
    town.build_s = time.perf_counter() - started
    return town


def _add_hubs(log: Log, admin: Identity, rng: random.Random, now: int) -> list[Hub]:
    hubs = [
        Hub(Identity.generate(f"{village} {site}"), village, group)
        for group, villages in GROUPS.items()
        for village in villages
        for site in SITES
    ][:HUBS]
    for hub in hubs:
        grants.grant(log, admin, hub.identity.public, "hub", hub.identity.name, groups=[hub.group])
    for index, hub in enumerate(hubs):
        _status(log, hub, rng)
        if index % 3 == 0:
            _rollups(log, hub, now)
        if index in (4, 17):
            _alert(log, hub, now - 2 * HOUR)
    return hubs


def _status(log: Log, hub: Hub, rng: random.Random) -> None:
    """A hub.status as the hub daemon writes it (node/daemon.py)."""
    body: dict[str, object] = {
        "name": hub.identity.name,
        "software": rng.choice(("dorfhub 0.9.0", "dorfhub 0.9.1")),
        "ops": 10_000,
        "clock_skew_s": 0,
        "clock_suspect": False,
        "quarantined": [],
        "disk_free_bytes": rng.randint(400, 20_000) * 1_000_000,
        "disk_total_bytes": 32_000_000_000,
        "clock_offset_s": rng.choice((0, 1, 2, -3, 45, 400)),
    }
    log.append(hub.identity, "hub.status", hub.key, encode_body(body))


SERIES = (
    ("s8-1", "co2", "ppm"),
    ("bme280-1", "temperature", "°C"),
    ("bme280-1", "humidity", "%"),
    ("sds011-1", "pm2_5", "µg/m³"),
)


def _rollups(log: Log, hub: Hub, now: int) -> None:
    """The last hour of 10-minute sensor rollups, as the hub's sensor loop signs them."""
    newest = now - now % WINDOW_MS - WINDOW_MS
    for start in range(newest - 5 * WINDOW_MS, newest + 1, WINDOW_MS):
        series = [
            {
                "sensor": sensor,
                "quantity": quantity,
                "unit": unit,
                "mean": 20.0,
                "min": 19.0,
                "max": 21.0,
                "count": 58,
                "samples": 60,
            }
            for sensor, quantity, unit in SERIES
        ]
        body = {"window_start": start, "window_end": start + WINDOW_MS, "series": series}
        entity = rollup_entity(hub.key, start)
        log.append(hub.identity, "sensor.rollup", entity, encode_body(body))


def _alert(log: Log, hub: Hub, raised_at: int) -> None:
    titles = {"de": "Lüften bitte", "en": "Please air the room", "de-LS": "Bitte lüften"}
    body = {
        "sensor": "s8-1",
        "rule": "co2",
        "quantity": "co2",
        "level": "ventilate",
        "state": "active",
        "priority": "important",
        "value": 1450.0,
        "unit": "ppm",
        "raised_at": raised_at,
        "title": titles,
        "text": titles,
        "table_version": "bench",
        "source": "bench",
    }
    entity = alert_entity(hub.key, "s8-1", "co2", raised_at)
    log.append(hub.identity, "sensor.alert", entity, encode_body(body))


def _showcase(log: Log, admin: Identity, hubs: list[Hub], now: int) -> str:
    """A notice edited five times after it was published: each version changes something the
    history puts in words (a language added, the end, the targets, the priority, the title)."""
    first = notice_body(
        "Bürgerbus nach Grafenau",
        "Jeden Dienstag um 8:15 Uhr ab dem Dorfplatz.",
        category="mobilitaet",
        valid_from=now - 3 * DAY,
        valid_until=now + 30 * DAY,
        groups=["Ilzer Land"],
    )
    english = replace(
        first,
        title={**first.title, "en": "Community bus to Grafenau"},
        body={**first.body, "en": "Every Tuesday at 8:15 from the square."},
    )
    open_ended = replace(english, valid_until=None)
    widened = replace(
        open_ended, targets=Targets(hubs=[hubs[-1].key], groups=["Ilzer Land", "Nationalpark"])
    )
    important = replace(widened, priority="important")
    retitled = replace(
        important,
        title={**important.title, "de": "Bürgerbus nach Grafenau: neue Zeit"},
        body={**important.body, "de": "Ab sofort jeden Dienstag um 8:30 Uhr ab dem Dorfplatz."},
    )
    notice_id = new_notice_id()
    versions: tuple[NoticeBody, ...] = (first, english, open_ended, widened, important, retitled)
    for body in versions:
        log.append(admin, "notice.put", notice_id, encode_body(body))
    return notice_id


def _record_pulls(log: Log, admin: Identity, hubs: list[Hub], rng: random.Random, now: int) -> None:
    """What the server records when a hub pulls (sync/server.py, `peers` row `inbound:KEY`):
    most hubs minutes ago and up to date, some behind, a few offline for hours, two never."""
    vector = log.version_vector()
    with log.store.write() as conn:
        for index, hub in enumerate(hubs):
            if index in (7, 29):
                continue  # never seen
            held = dict(vector)
            if index % 5 == 1:
                held[admin.key_id] -= rng.randint(1, 300)
            seen = now - (
                rng.randint(3, 9) * HOUR if index % 11 == 2 else rng.randint(1, 9) * MINUTE
            )
            conn.execute(
                "INSERT INTO peers (url, node, last_success, in_sync, peer_vector) "
                "VALUES (?, ?, ?, ?, ?)",
                (f"inbound:{hub.key}", hub.key, seen, held == vector, json.dumps(held)),
            )


def add_desk_user(home: Home) -> None:
    env = _environment(DORFHUB_DESK_PASSPHRASE=DESK_PASSPHRASE)
    args = ["desk", "user", "add", DESK_USER, "--role", "admin", "--home", str(home.path)]
    dorfhub(*args, env=env)


# ---- the server and the client ---------------------------------------------------------------


@contextmanager
def serving(home: Home, inherited: bool) -> Iterator[str]:
    """A real `dorfhub serve` on 127.0.0.1, on a port it picks itself; yields its base URL.
    `inherited`: the listening socket is bound here and handed down (`--listen-fd`), as systemd
    socket activation does, instead of `--port 0`."""
    log_path, ready_file = home.path.parent / "serve.log", home.path.parent / "serve.ready"
    ready_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "node.cli", "serve", "--home", str(home.path)]
    listener = socket.create_server(("127.0.0.1", 0)) if inherited else None
    if listener is None:
        argv += ["--host", "127.0.0.1", "--port", "0"]
    else:
        argv += ["--listen-fd", str(listener.fileno())]
    argv += ["--ready-file", str(ready_file)]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=_environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            pass_fds=() if listener is None else (listener.fileno(),),
        )
    if listener is not None:
        listener.close()  # the server holds its own copy
    try:
        try:
            port = wait_for_ready_file(ready_file, proc, READY_TIMEOUT_S).port
        except RuntimeError as exc:
            output = log_path.read_text(errors="replace")
            raise SystemExit(f"dorfhub serve: {exc}\n{output}") from None
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def log_in(base: str) -> tuple[requests.Session, str]:
    """A session logged in as the desk user, and its CSRF token."""
    session = requests.Session()
    form = session.get(f"{base}/desk/login", timeout=HTTP_TIMEOUT_S)
    form.raise_for_status()
    token = _csrf(form.text)
    answer = session.post(
        f"{base}/desk/login",
        data={"name": DESK_USER, "passphrase": DESK_PASSPHRASE, "csrf": token, "next": ""},
        timeout=HTTP_TIMEOUT_S,
    )
    start = session.get(f"{base}/desk/", timeout=HTTP_TIMEOUT_S, allow_redirects=False)
    if answer.status_code != 200 or start.status_code != 200:
        raise SystemExit(f"login failed: {answer.status_code} then {start.status_code}")
    return session, _csrf(start.text)  # the session's token is in its pages' forms


def _csrf(html: str) -> str:
    found = _CSRF_FIELD.search(html)
    if found is None:
        raise SystemExit("no CSRF token in the page")
    return found[1]


# ---- measuring -------------------------------------------------------------------------------


class Browser:
    """The logged-in session, and two more connections with its cookies: a browser sends up to
    six requests to a server at once, each on a connection of its own."""

    def __init__(self, base: str, session: requests.Session) -> None:
        self.base = base
        self.sessions = [session]
        for _ in range(2):
            extra = requests.Session()
            extra.cookies.update(session.cookies)
            self.sessions.append(extra)
        self.pool = ThreadPoolExecutor(max_workers=len(self.sessions))

    def close(self) -> None:
        self.pool.shutdown()
        for session in self.sessions:
            session.close()


@dataclass
class Probe:
    label: str
    path: str
    count: int
    goal_ms: float | None = None  # None: a baseline
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str | list[str]] | None = None  # a POST
    headers: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)  # taken in turn instead of `path`
    expect: bytes = b""  # in every answer: a page that answers 200 but shows nothing is no page
    fresh: bool = False  # a new connection for each request instead of the session's
    typed: str = ""  # a form field that changes with every request, as while typing
    # Several requests at once, one per set of parameters, each on its own connection; the time
    # is until the last has answered.
    together: list[dict[str, str]] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def request(self, browser: Browser, turn: int) -> None:
        path = self.paths[turn % len(self.paths)] if self.paths else self.path
        form = self.form
        if form is not None and self.typed:
            form = {**form, self.typed: f"{form[self.typed]} {turn}"}
        started = time.perf_counter()
        if self.together:
            sends = [
                browser.pool.submit(self._send, session, browser.base + path, params, form)
                for session, params in zip(browser.sessions, self.together, strict=False)
            ]
            answers = [send.result() for send in sends]
        else:
            answers = [self._send(browser.sessions[0], browser.base + path, self.params, form)]
        elapsed = 1000 * (time.perf_counter() - started)
        for answer in answers:
            if answer.status_code != 200 or answer.history:
                self.failures.append(f"{answer.status_code} {path}")
            elif self.expect not in answer.content:
                self.failures.append(f"{self.expect.decode()!r} not in {path}")
        self.times_ms.append(elapsed)

    def _send(
        self,
        session: requests.Session,
        url: str,
        params: dict[str, str],
        form: dict[str, str | list[str]] | None,
    ) -> requests.Response:
        # requests.request opens and closes a connection of its own each time.
        send = requests.request if self.fresh else session.request
        return send(
            "GET" if form is None else "POST",
            url,
            params=params,
            data=form,
            headers=self.headers,
            timeout=HTTP_TIMEOUT_S,
        )


def probes(town: Town, csrf: str, requests_n: int, pdf_n: int) -> list[Probe]:
    hub = town.hubs[0]  # in the first group, with sensors
    alert_hub = town.hubs[4]  # with sensors and an open alert
    # Next week: a whole week of the hub's board, whatever the weekday of the run.
    year, week, _ = (datetime.now(BERLIN).date() + timedelta(weeks=1)).isocalendar()
    preview_form: dict[str, str | list[str]] = {
        "csrf": csrf,
        "notice_id": town.showcase,
        "title_de": "Bürgerbus nach Grafenau: neue Zeit",
        "body_de": "Ab sofort jeden Dienstag um 8:30 Uhr ab dem Dorfplatz. " * 6,
        "title_en": "Community bus to Grafenau",
        "body_en": "Every Tuesday at 8:30 from the square.",
        "title_ls": "",
        "body_ls": "",
        "category": "mobilitaet",
        "priority": "important",
        "event_start_date": "",
        "event_start_time": "",
        "event_end_date": "",
        "event_end_time": "",
        "place": "Dorfplatz",
        "hubs": [hub.key],
    }
    row = b'href="/desk/notices/n-'  # a row of the list
    return [
        Probe("baseline: GET /v1/hello (peer API)", "/v1/hello", requests_n),
        Probe("baseline: static file /desk/static/desk.css", "/desk/static/desk.css", requests_n),
        Probe("baseline: /v1/hello, new connection each", "/v1/hello", requests_n, fresh=True),
        Probe(
            "baseline: static file, new connection each",
            "/desk/static/desk.css",
            requests_n,
            fresh=True,
        ),
        Probe("start page /desk/", "/desk/", requests_n, PAGE_GOAL_MS, expect=b"<h1"),
        Probe("notice list (current)", "/desk/notices", requests_n, PAGE_GOAL_MS, expect=row),
        Probe(
            f"notice list, search {SEARCH_WORD!r}",
            "/desk/notices",
            requests_n,
            PAGE_GOAL_MS,
            params={"q": SEARCH_WORD},
            expect=row,
        ),
        Probe(
            f"notice list, category {CATEGORY}",
            "/desk/notices",
            requests_n,
            PAGE_GOAL_MS,
            params={"category": CATEGORY},
            expect=row,
        ),
        Probe(
            "notice list, for one hub",
            "/desk/notices",
            requests_n,
            PAGE_GOAL_MS,
            params={"target": f"hub:{hub.key}"},
            expect=row,
        ),
        Probe(
            "notice list, retracted tab",
            "/desk/notices",
            requests_n,
            PAGE_GOAL_MS,
            params={"state": "retracted"},
            expect=row,
        ),
        Probe(
            "notice page with history (6 versions)",
            f"/desk/notices/{town.showcase}",
            requests_n,
            PAGE_GOAL_MS,
            expect=b"neue Zeit",
        ),
        Probe(
            "notice editor",
            f"/desk/notices/{town.showcase}/edit",
            requests_n,
            PAGE_GOAL_MS,
            expect=b'name="title_de"',
        ),
        Probe(
            "live preview POST (htmx, one language)",
            "/desk/preview",
            requests_n,
            PAGE_GOAL_MS,
            params={"lang": "de"},
            form=preview_form,
            headers={"HX-Request": "true"},
            expect=b"data:image/png;base64,",  # the kiosk's QR code
            typed="body_de",
        ),
        # What the editor sends after each pause in typing: each language tab's panel listens
        # to the whole form (partials/preview_panel.html), so all three post at once.
        Probe(
            "live preview, the editor's 3 panels at once",
            "/desk/preview",
            requests_n,
            PAGE_GOAL_MS,
            form=preview_form,
            headers={"HX-Request": "true"},
            expect=b"data:image/png;base64,",
            typed="body_de",
            together=[{"lang": lang} for lang in ("de", "en", "de-LS")],
        ),
        Probe(
            f"fleet table /desk/hubs ({len(town.hubs)} hubs)",
            "/desk/hubs",
            requests_n,
            PAGE_GOAL_MS,
            expect=hub.identity.name.encode(),
        ),
        Probe(
            "hub page (sensors, an alert)",
            f"/desk/hubs/{alert_hub.key}",
            requests_n,
            PAGE_GOAL_MS,
            expect=alert_hub.identity.name.encode(),
        ),
        Probe(
            f"poster PDF ({len(town.posters)} notices in turn)",
            "",
            pdf_n,
            PDF_GOAL_MS,
            paths=[f"/desk/notices/{notice}/poster.pdf" for notice in town.posters],
            expect=b"%PDF",
        ),
        Probe(
            f"weekly sheet PDF (one hub, {year}-W{week:02d})",
            f"/desk/hubs/{hub.key}/sheet.pdf",
            max(1, pdf_n // SHEET_SHARE),
            PDF_GOAL_MS,
            params={"week": f"{year}-W{week:02d}", "lang": "de"},
            expect=b"%PDF",
        ),
    ]


def measure(browser: Browser, probes: list[Probe]) -> None:
    """Rounds of one request per probe, so that drift in the machine's speed falls on every
    probe alike; a probe with fewer requests takes part in rounds spread evenly over the run.
    The warm-up rounds are not kept; a PDF is warmed up once, as it takes far longer."""
    rounds = max(probe.count for probe in probes)
    for turn in range(WARM_UP_ROUNDS):
        for probe in probes:
            if turn == 0 or probe.count == rounds:
                probe.request(browser, turn)
    for probe in probes:
        probe.times_ms.clear()
        probe.failures.clear()
    for turn in range(rounds):
        for probe in probes:
            if turn * probe.count // rounds != (turn + 1) * probe.count // rounds:
                probe.request(browser, turn)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---- the report ------------------------------------------------------------------------------

HEADER = (
    "page",
    "requests",
    "p50 ms",
    "p95 ms",
    "max ms",
    "p50 over baseline",
    "goal",
    "meets goal",
)


def rows(probes: list[Probe]) -> list[tuple[str, ...]]:
    baseline = statistics.median(probes[1].times_ms)
    made: list[tuple[str, ...]] = []
    for probe in probes:
        p50, p95 = statistics.median(probe.times_ms), percentile(probe.times_ms, 0.95)
        if probe.goal_ms is None:
            over, goal, verdict = "—", "—", "—"
        else:
            over = f"+{p50 - baseline:,.1f} ms"
            goal = f"p95 < {probe.goal_ms:,.0f} ms"
            verdict = "yes" if p95 < probe.goal_ms and not probe.failures else "NO"
        made.append(
            (
                probe.label,
                f"{len(probe.times_ms)}",
                f"{p50:,.1f}",
                f"{p95:,.1f}",
                f"{max(probe.times_ms):,.1f}",
                over,
                goal,
                verdict,
            )
        )
    return made


def table(body: list[tuple[str, ...]]) -> str:
    """A Markdown table, figures right-aligned."""
    cells = [HEADER, *body]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    numeric = {1, 2, 3, 4, 5}

    def line(row: tuple[str, ...]) -> str:
        padded = [
            text.rjust(width) if i in numeric else text.ljust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w + 1) + ":" if i in numeric else "-" * (w + 2) for i, w in enumerate(widths)]
    return "\n".join([line(cells[0]), "|" + "|".join(rule) + "|", *map(line, cells[1:])])


def machine() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        cpu = names[0] if names else "unknown CPU"
    except OSError:
        cpu = platform.processor() or "unknown CPU"
    load = f", load average {os.getloadavg()[0]:.2f}"
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs ({cpu}); Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}{load}"
    )


def verdicts(probes: list[Probe]) -> list[str]:
    """One line per goal missed, or per page that did not answer as it should."""
    lines = []
    for probe in probes:
        if probe.failures:
            shown = ", ".join(sorted(set(probe.failures))[:3])
            lines.append(f"FAILED: {probe.label}: {len(probe.failures)} bad answers ({shown})")
        if probe.goal_ms is not None and percentile(probe.times_ms, 0.95) >= probe.goal_ms:
            p95 = percentile(probe.times_ms, 0.95)
            lines.append(
                f"GOAL MISSED: {probe.label}: p95 {p95:,.1f} ms, goal < {probe.goal_ms:,.0f} ms"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--notices", type=int, default=NOTICES, help="notices in the log")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed requests per page")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1,000 notices, 20 requests"
    )
    parser.add_argument(
        "--inherited-socket",
        action="store_true",
        help="serve through --listen-fd (a socket bound here, as systemd hands one down)",
    )
    args = parser.parse_args(argv)
    count = 1_000 if args.quick else max(1, args.notices)
    requests_n = 20 if args.quick else max(1, args.requests)
    pdf_n = max(1, requests_n * PDF_REQUESTS // REQUESTS)
    print(f"Machine: {machine()}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dorfhub-bench-desk-") as directory:
        town = build_town(Path(directory), count)
        print(
            f"Town: {town.notices:,} notices, {len(town.hubs)} hubs, {town.ops:,} ops in the log, "
            f"built in {town.build_s:.1f} s"
        )
        add_desk_user(town.home)
        how = "--listen-fd (inherited socket)" if args.inherited_socket else "--port 0"
        print(f"Server: dorfhub serve {how}; one kept-alive session unless said otherwise")
        with serving(town.home, args.inherited_socket) as base:
            session, csrf = log_in(base)
            measured = probes(town, csrf, requests_n, pdf_n)
            browser = Browser(base, session)
            took = time.perf_counter()
            try:
                measure(browser, measured)
            finally:
                browser.close()
            print(f"Requests: {time.perf_counter() - took:.1f} s\n")
    print(table(rows(measured)))
    missed = verdicts(measured)
    print()
    print("\n".join(missed) if missed else "Every page and PDF meets its goal.")
    print(f"\nTotal run time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
