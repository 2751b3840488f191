"""Op-log benchmark: append+sign, ingest+verify, raw Ed25519, database size and notice search.

Run from the repository root: `make bench` or `.venv/bin/python bench/oplog.py [--notices N]`.
Everything happens in a temporary directory; the script only reports and always exits 0.
See bench/README.md for what each figure means and the goals.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cryptography
import repo_first  # noqa: F401  (before any package: puts them ahead of this directory)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from content import grants, notices, signature_checks
from content.bodies import LANGUAGES, Event, NoticeBody
from content.clock import wall_clock_ms
from content.identity import Identity, network_id_for
from content.log import Log
from content.ops import RawOp, decode_header
from content.store import Store
from sync.protocol import decode_batch, make_batches

DAY = 24 * 3_600_000
SEED = 20261125
SEARCH_REPEATS = 5
SEARCH_LIMIT = 50
RAW_VERIFY_OPS = 5000
RAW_VERIFY_PASSES = 3
INGEST_GOAL = 0.5
SEARCH_P95_GOAL_MS = 5.0  # issue 20 (the floor before: 20 ms)
# A hub's board: how many notices it shows, and one page of them (issue 20).
BOARD_PAGE = 20
BOARD_REPEATS = 30
BOARD_GOAL_MS = 5.0
GROUP = "Ilzer Land"

# ---- a realistic corpus ----------------------------------------------------------------------

VILLAGES = (
    "Ringelai",
    "Perlesreut",
    "Grafenau",
    "Freyung",
    "Schönberg",
    "Hohenau",
    "Mauth",
    "Eppenschlag",
    "Innernzell",
    "Thurmansbang",
    "Saldenburg",
    "Fürsteneck",
    "Röhrnbach",
    "Waldkirchen",
)
# (de, en, de-LS) for "where in the village".
PLACES = (
    ("im Pfarrheim", "at the parish hall", "im Pfarr·heim"),
    ("im Feuerwehrhaus", "at the fire station", "im Feuer·wehr·haus"),
    ("im Dorfhub", "at the village hub", "im Dorf·hub"),
    ("in der Turnhalle", "in the gym", "in der Turn·halle"),
    ("im Gasthaus zur Post", "at the Gasthaus zur Post", "im Gast·haus zur Post"),
    ("am Rathausplatz", "on the town hall square", "am Rat·haus"),
    ("in der Mehrzweckhalle", "in the community hall", "in der großen Halle"),
)
WEEKDAYS = (
    ("Montag", "Monday"),
    ("Dienstag", "Tuesday"),
    ("Mittwoch", "Wednesday"),
    ("Donnerstag", "Thursday"),
    ("Freitag", "Friday"),
    ("Samstag", "Saturday"),
)
PEOPLE = ("Frau Kern", "Herr Huber", "Frau Wimmer", "Herr Ebner", "Frau Gruber", "Herr Pöschl")
CLUBS = (
    ("Freiwillige Feuerwehr", "volunteer fire brigade", "Feuer·wehr"),
    ("Gartenbauverein", "gardening club", "Garten·verein"),
    ("Trachtenverein", "folk costume society", "Trachten·verein"),
    ("Schützenverein", "shooting club", "Schützen·verein"),
    ("Sportverein", "sports club", "Sport·verein"),
    ("Obst- und Gartenbauverein", "fruit growers' club", "Obst·verein"),
)


@dataclass(frozen=True)
class Topic:
    """One kind of notice: titles and aligned sentence lists in de, en and de-LS."""

    category: str
    priorities: tuple[str, ...]
    title: tuple[str, str, str]
    sentences: tuple[tuple[str, str, str], ...]
    event: bool = False


TOPICS = (
    Topic(
        "mobilitaet",
        ("normal",),
        (
            "Bürgerbus nach {ort} am {tag}",
            "Community bus to {ort} on {tag_en}",
            "Der Bürger·bus fährt am {tag} nach {ort}",
        ),
        (
            (
                "Der Bürgerbus fährt am {tag} um {uhr} Uhr {wo} ab.",
                "The community bus leaves {wo_en} on {tag_en} at {uhr}.",
                "Der Bus fährt am {tag} um {uhr} Uhr los.",
            ),
            (
                "Bitte melden Sie sich bis zum Vortag unter {tel} an.",
                "Please book by the day before on {tel}.",
                "Rufen Sie vorher an: {tel}.",
            ),
            (
                "Rollatoren und Einkaufstaschen werden gerne mitgenommen.",
                "Walkers and shopping bags are welcome.",
                "Sie können Ihren Rollator mitnehmen.",
            ),
        ),
    ),
    Topic(
        "mobilitaet",
        ("normal", "important"),
        (
            "Umleitung der Buslinie in {ort}",
            "Bus diversion in {ort}",
            "Der Bus fährt in {ort} anders",
        ),
        (
            (
                "Wegen Straßenbauarbeiten hält die Linie 6120 ab {tag} nicht am Rathaus.",
                "Because of roadworks, line 6120 will not stop at the town hall from {tag_en}.",
                "Die Straße wird gebaut. Der Bus hält nicht am Rat·haus.",
            ),
            (
                "Eine Ersatzhaltestelle ist {wo} eingerichtet.",
                "A replacement stop has been set up {wo_en}.",
                "Der Bus hält {wo}.",
            ),
            (
                "Der Fahrplan hängt im Schaukasten aus.",
                "The timetable is posted in the notice case.",
                "Den Fahr·plan finden Sie im Schau·kasten.",
            ),
        ),
    ),
    Topic(
        "veranstaltung",
        ("normal",),
        (
            "Seniorennachmittag in {ort}",
            "Afternoon for older residents in {ort}",
            "Nachmittag für Senioren in {ort}",
        ),
        (
            (
                "Kaffee, Kuchen und Musik mit der Stubnmusi am {tag} um {uhr} Uhr {wo}.",
                "Coffee, cake and music by the Stubnmusi on {tag_en} at {uhr} {wo_en}.",
                "Es gibt Kaffee und Kuchen. Es gibt Musik.",
            ),
            (
                "Wer abgeholt werden möchte, meldet sich bitte unter {tel}.",
                "If you would like a lift, please call {tel}.",
                "Wir holen Sie gern ab. Rufen Sie an: {tel}.",
            ),
            (
                "Der Eintritt ist frei, Spenden sind willkommen.",
                "Admission is free; donations are welcome.",
                "Sie müssen nichts bezahlen.",
            ),
        ),
        event=True,
    ),
    Topic(
        "veranstaltung",
        ("normal",),
        ("Dorffest des {club} in {ort}", "{club_en} village fair in {ort}", "Fest in {ort}"),
        (
            (
                "Der {club} lädt am {tag} ab {uhr} Uhr {wo} zum Dorffest ein.",
                "The {club_en} invites everyone to the village fair on {tag_en} from {uhr} "
                "{wo_en}.",
                "Der {club_ls} feiert ein Fest. Es ist am {tag}.",
            ),
            (
                "Für Kinder gibt es eine Hüpfburg und Kinderschminken.",
                "There is a bouncy castle and face painting for children.",
                "Für Kinder gibt es eine Hüpf·burg.",
            ),
            (
                "Bei Regen findet das Fest in der Mehrzweckhalle statt.",
                "If it rains, the fair moves into the community hall.",
                "Wenn es regnet, feiern wir in der Halle.",
            ),
            (
                "Kuchenspenden bitte bei {person} abgeben.",
                "Please hand cake donations to {person}.",
                "Sie können einen Kuchen bringen. Geben Sie ihn {person}.",
            ),
        ),
        event=True,
    ),
    Topic(
        "gesundheit",
        ("normal",),
        (
            "Grippeimpfung in der Hausarztpraxis {ort}",
            "Flu vaccinations at the family doctor in {ort}",
            "Impfung gegen Grippe in {ort}",
        ),
        (
            (
                "Die Hausarztpraxis in {ort} impft ab {tag} gegen Grippe und Corona.",
                "The family practice in {ort} vaccinates against flu and Covid from {tag_en}.",
                "Der Haus·arzt impft gegen Grippe.",
            ),
            (
                "Termine vereinbaren Sie unter {tel} oder direkt am Dorfhub.",
                "Book an appointment on {tel} or right here at the hub.",
                "Sie können einen Termin machen. Rufen Sie an: {tel}.",
            ),
            (
                "Bitte bringen Sie Ihren Impfpass mit.",
                "Please bring your vaccination record.",
                "Bringen Sie Ihren Impf·pass mit.",
            ),
        ),
    ),
    Topic(
        "gesundheit",
        ("normal", "important"),
        (
            "Apotheken-Notdienst am {tag}",
            "Emergency pharmacy on {tag_en}",
            "Apotheke am {tag} offen",
        ),
        (
            (
                "Den Notdienst am {tag} übernimmt die Marien-Apotheke in {ort}.",
                "On {tag_en} the Marien pharmacy in {ort} is on emergency duty.",
                "Am {tag} ist die Apotheke in {ort} offen.",
            ),
            (
                "Sie erreichen die Apotheke rund um die Uhr unter {tel}.",
                "You can reach the pharmacy day and night on {tel}.",
                "Sie können immer anrufen: {tel}.",
            ),
        ),
    ),
    Topic(
        "verwaltung",
        ("normal",),
        (
            "Sperrmüllabholung in {ort}",
            "Bulky waste collection in {ort}",
            "Sperr·müll in {ort}",
        ),
        (
            (
                "Die nächste Sperrmüllabholung in {ort} ist am {tag}.",
                "The next bulky waste collection in {ort} is on {tag_en}.",
                "Am {tag} wird der Sperr·müll abgeholt.",
            ),
            (
                "Bitte stellen Sie den Sperrmüll bis 7 Uhr an die Straße.",
                "Please put bulky waste out by the road before 7 am.",
                "Stellen Sie den Müll früh an die Straße.",
            ),
            (
                "Elektrogeräte und Grüngut werden getrennt abgeholt.",
                "Electrical appliances and green waste are collected separately.",
                "Geräte mit Strom werden extra abgeholt.",
            ),
        ),
    ),
    Topic(
        "verwaltung",
        ("normal",),
        (
            "Sprechstunde des Bürgermeisters in {ort}",
            "Mayor's office hours in {ort}",
            "Der Bürger·meister hat Zeit für Sie",
        ),
        (
            (
                "Der Bürgermeister ist am {tag} von {uhr} Uhr an {wo} für Sie da.",
                "The mayor is available {wo_en} on {tag_en} from {uhr}.",
                "Der Bürger·meister ist am {tag} da. Sie können mit ihm reden.",
            ),
            (
                "Anträge für Wohngeld und Führungszeugnis können Sie mitbringen.",
                "You can bring applications for housing benefit and certificates of conduct.",
                "Sie können Anträge mitbringen.",
            ),
        ),
    ),
    Topic(
        "warnung",
        ("important", "emergency"),
        (
            "Wasserrohrbruch in {ort}: Leitungswasser abkochen",
            "Burst water main in {ort}: boil tap water",
            "Wasser in {ort} bitte abkochen",
        ),
        (
            (
                "Nach einem Wasserrohrbruch muss das Leitungswasser in {ort} abgekocht werden.",
                "After a burst water main, tap water in {ort} must be boiled.",
                "Ein Wasser·rohr ist kaputt. Kochen Sie das Wasser ab.",
            ),
            (
                "Trinkwasser in Flaschen gibt es {wo}.",
                "Bottled drinking water is handed out {wo_en}.",
                "Wasser in Flaschen gibt es {wo}.",
            ),
            (
                "Auskunft erteilt die Gemeinde unter {tel}.",
                "The municipality answers questions on {tel}.",
                "Fragen? Rufen Sie an: {tel}.",
            ),
        ),
    ),
    Topic(
        "warnung",
        ("important",),
        ("Hitzewarnung für {ort}", "Heat warning for {ort}", "Es wird sehr heiß"),
        (
            (
                "Der Deutsche Wetterdienst warnt vor starker Wärmebelastung.",
                "The German weather service warns of strong heat stress.",
                "Es wird sehr heiß.",
            ),
            (
                "Trinken Sie viel, meiden Sie die Mittagssonne und schauen Sie nach Ihren "
                "Nachbarn.",
                "Drink plenty, avoid the midday sun and look in on your neighbours.",
                "Trinken Sie viel Wasser. Bleiben Sie mittags im Schatten.",
            ),
            (
                "Der Dorfhub ist als kühler Raum bis 18 Uhr geöffnet.",
                "The village hub is open as a cool room until 6 pm.",
                "Im Dorf·hub ist es kühl.",
            ),
        ),
    ),
    Topic(
        "digitales",
        ("normal",),
        (
            "Sprechstunde der Digitallotsin in {ort}",
            "Digital guide office hours in {ort}",
            "Hilfe mit Handy und Computer",
        ),
        (
            (
                "{person} hilft am {tag} um {uhr} Uhr {wo} beim Smartphone und bei "
                "Online-Formularen.",
                "{person} helps with smartphones and online forms on {tag_en} at {uhr} {wo_en}.",
                "{person} hilft Ihnen. Sie erklärt das Handy.",
            ),
            (
                "Auch die Videosprechstunde mit dem Hausarzt wird gemeinsam ausprobiert.",
                "You can also try a video consultation with your doctor.",
                "Sie hilft beim Arzt·termin mit Video.",
            ),
            (
                "Ohne Anmeldung, Kaffee steht bereit.",
                "No appointment needed; coffee is ready.",
                "Sie müssen sich nicht anmelden.",
            ),
        ),
        event=True,
    ),
    Topic(
        "digitales",
        ("normal",),
        (
            "Neues WLAN im Dorfhub {ort}",
            "New Wi-Fi at the {ort} village hub",
            "Internet im Dorf·hub",
        ),
        (
            (
                "Im Dorfhub {ort} gibt es jetzt kostenloses WLAN für alle.",
                "The {ort} village hub now has free Wi-Fi for everyone.",
                "Im Dorf·hub gibt es jetzt Internet. Es kostet nichts.",
            ),
            (
                "Das Passwort erfahren Sie bei {person}.",
                "Ask {person} for the password.",
                "Fragen Sie {person} nach dem Pass·wort.",
            ),
        ),
    ),
    Topic(
        "verein",
        ("normal",),
        (
            "Jahreshauptversammlung {club}",
            "{club_en} annual general meeting",
            "Treffen vom {club_ls}",
        ),
        (
            (
                "Die Jahreshauptversammlung des {club} ist am {tag} um {uhr} Uhr {wo}.",
                "The {club_en} annual meeting is on {tag_en} at {uhr} {wo_en}.",
                "Der {club_ls} trifft sich am {tag}.",
            ),
            (
                "Auf der Tagesordnung stehen Neuwahlen und Ehrungen langjähriger Mitglieder.",
                "The agenda includes elections and honours for long-standing members.",
                "Es wird gewählt. Alte Mitglieder werden geehrt.",
            ),
            (
                "Anträge bitte schriftlich bei {person} einreichen.",
                "Please send motions in writing to {person}.",
                "Schreiben Sie Ihre Fragen an {person}.",
            ),
        ),
        event=True,
    ),
    Topic(
        "allgemein",
        ("normal",),
        ("Fundsache in {ort}", "Lost and found in {ort}", "Etwas gefunden in {ort}"),
        (
            (
                "Am {tag} wurde {wo} ein Schlüsselbund mit rotem Anhänger gefunden.",
                "A bunch of keys with a red tag was found {wo_en} on {tag_en}.",
                "Jemand hat Schlüssel gefunden.",
            ),
            (
                "Abholung im Fundbüro der Gemeinde, Telefon {tel}.",
                "Collect it from the municipal lost property office, phone {tel}.",
                "Die Schlüssel sind im Rat·haus. Rufen Sie an: {tel}.",
            ),
        ),
    ),
    Topic(
        "allgemein",
        ("normal",),
        (
            "Nachbarschaftshilfe in {ort} sucht Helfer",
            "Neighbourly help in {ort} needs volunteers",
            "Helfer gesucht in {ort}",
        ),
        (
            (
                "Die Nachbarschaftshilfe sucht Menschen, die Einkäufe oder Fahrten übernehmen.",
                "The neighbourhood help group is looking for people to shop or drive.",
                "Wir suchen Helfer. Sie kaufen ein oder fahren Menschen zum Arzt.",
            ),
            (
                "Schon eine Stunde pro Woche hilft älteren Nachbarinnen und Nachbarn sehr.",
                "Even one hour a week is a great help to older neighbours.",
                "Eine Stunde in der Woche hilft schon.",
            ),
            (
                "Melden Sie sich bei {person} unter {tel}.",
                "Contact {person} on {tel}.",
                "Rufen Sie {person} an: {tel}.",
            ),
        ),
    ),
)

QUERIES = (
    # single German words
    "Bürgerbus",
    "Sperrmüll",
    "Grippe",
    "Apotheke",
    "Wasserrohrbruch",
    "Dorffest",
    "Jahreshauptversammlung",
    "Fundsache",
    "Hitzewarnung",
    "WLAN",
    "Umleitung",
    "Kaffee",
    "Bürgermeister",
    "Impfpass",
    "Nachbarschaftshilfe",
    "Ringelai",
    "Perlesreut",
    "Mauth",
    "Feuerwehr",
    "Stubnmusi",
    # prefixes
    "Impf",
    "Sperr",
    "Feuerw",
    "Gartenb",
    "Haus",
    "Wass",
    "Not",
    "Treff",
    # umlaut words, typed with and without umlauts
    "Schönberg",
    "Röhrnbach",
    "Fürsteneck",
    "Hüpfburg",
    "Grüngut",
    "Führungszeugnis",
    "Gruengut",
    "Schonberg",
    # English
    "bus",
    "vaccination",
    "pharmacy",
    "fair",
    "mayor",
    "neighbours",
    "boil water",
    # Leichte Sprache
    "Dorf·hub",
    "Rat·haus",
    "Garten·verein",
    "Hüpf·burg",
    "kaputt",
    # two words
    "Bus Grafenau",
    "Apotheke Freyung",
)


def _slots(rng: random.Random) -> dict[str, str]:
    day, day_en = rng.choice(WEEKDAYS)
    where, where_en, _ = rng.choice(PLACES)
    club, club_en, club_ls = rng.choice(CLUBS)
    return {
        "ort": rng.choice(VILLAGES),
        "tag": day,
        "tag_en": day_en,
        "wo": where,
        "wo_en": where_en,
        "club": club,
        "club_en": club_en,
        "club_ls": club_ls,
        "person": rng.choice(PEOPLE),
        "uhr": f"{rng.randint(8, 19)}:{rng.choice(('00', '15', '30', '45'))}",
        "tel": f"0855{rng.randint(1, 9)} {rng.randint(1000, 9999)}",
    }


def _texts(topic: Topic, rng: random.Random) -> dict[str, tuple[str, str]]:
    """Title and a 2-3 sentence body in each language, with the same slots filled in."""
    slots = _slots(rng)
    count = min(len(topic.sentences), rng.choice((2, 3)))
    picked = [topic.sentences[0], *rng.sample(topic.sentences[1:], count - 1)]
    return {
        lang: (
            topic.title[i].format(**slots),
            " ".join(sentence[i] for sentence in picked).format(**slots),
        )
        for i, lang in enumerate(LANGUAGES)
    }


def _window(rng: random.Random, now: int) -> tuple[int, int | None]:
    """Mostly live now; some expired, some not shown yet, some without an end."""
    roll = rng.random()
    if roll < 0.10:
        start = now - rng.randint(20, 400) * DAY
        return start, start + rng.randint(1, 14) * DAY
    if roll < 0.15:
        return now + rng.randint(1, 30) * DAY, None
    start = now - rng.randint(0, 60) * DAY
    return start, None if roll > 0.9 else now + rng.randint(1, 60) * DAY


def make_notices(count: int, seed: int, now: int, hubs: list[str]) -> list[NoticeBody]:
    rng = random.Random(seed)
    return [_notice(rng, now, hubs) for _ in range(count)]


def _notice(rng: random.Random, now: int, hubs: list[str]) -> NoticeBody:
    topic = rng.choice(TOPICS)
    texts = _texts(topic, rng)
    valid_from, valid_until = _window(rng, now)
    event = None
    if topic.event:
        start = valid_from + rng.randint(1, 20) * DAY
        event = Event(start=start, end=start + 3 * 3_600_000, place=PLACES[0][0])
    targeted = rng.random() < 0.3
    return notices.notice_body(
        *texts["de"],
        translations=texts,
        category=topic.category,
        priority=rng.choice(topic.priorities),
        valid_from=valid_from,
        valid_until=valid_until,
        event=event,
        hubs=rng.sample(hubs, 1) if targeted else [],
        groups=[] if targeted else [GROUP],
    )


# ---- the network -----------------------------------------------------------------------------


@dataclass
class Network:
    root: Identity
    admin: Identity

    @property
    def network_id(self) -> str:
        return network_id_for(self.root.key_id)


def new_network() -> Network:
    return Network(Identity.generate("Netzwerk-Wurzel"), Identity.generate("Verwaltung"))


def open_store(path: Path, network: Network) -> Store:
    store = Store(path)
    store.set_network(network.network_id)
    return store


def author_store(path: Path, network: Network, hubs: tuple[Identity, ...] = ()) -> Log:
    """The admin's store; the hubs are granted in GROUP, so that a hub's board is the notices
    for every hub of the group and the ones named for it."""
    log = Log(open_store(path, network))
    grants.grant(log, network.root, network.admin.public, "admin", "Verwaltung", may_grant=True)
    for hub in hubs:
        grants.grant(log, network.admin, hub.public, "hub", hub.name, groups=[GROUP])
    return log


# ---- measurements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    measure: str
    value: str
    goal: str
    verdict: str


HEADER = Row("measure", "value", "baseline/goal", "verdict")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def publish_all(log: Log, admin: Identity, bodies: list[NoticeBody]) -> None:
    for body in bodies:
        notices.publish(log, admin, body)


def bundle_batches(ops: list[RawOp]) -> list[list[RawOp]]:
    """The ops as a USB bundle or a sync push carries them: 64 KiB batches (decoded here,
    before the clock starts)."""
    return [decode_batch(batch.data) for batch in make_batches(ops)]


def ingest_bundle(log: Log, batches: list[list[RawOp]]) -> None:
    """What `dorfhub bundle import` does once the file is read: whole batches in transactions
    of at least `VERIFY_AHEAD_OPS` ops, each checked by the verify worker."""
    report = log.ingest_batches(batches)
    if len(report.applied) != sum(map(len, batches)):
        print(f"warning: ingest: {report.summary()}", file=sys.stderr)


def ingest_each(log: Log, batches: list[list[RawOp]]) -> None:
    """How a bundle was imported before `Log.ingest_batches`: one `Log.ingest` per batch, each
    checked on its own (inline: a 64 KiB batch is below `signature_checks.PARALLEL_MIN_OPS`)."""
    for batch in batches:
        report = log.ingest(batch)
        if len(report.applied) != len(batch):
            print(f"warning: ingest: {report.summary()}", file=sys.stderr)


def raw_verify_rate(ops: list[RawOp]) -> float:
    """Ed25519 verifications per second over the ops' own header bytes and signatures
    (median of a few passes over at most RAW_VERIFY_OPS ops)."""
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(decode_header(ops[0].header).author))
    pairs = [(op.signature, op.header) for op in ops[:RAW_VERIFY_OPS]]
    verify_all(key, pairs[:200])
    rates = [len(pairs) / timed(lambda: verify_all(key, pairs)) for _ in range(RAW_VERIFY_PASSES)]
    return statistics.median(rates)


def verify_all(key: Ed25519PublicKey, pairs: list[tuple[bytes, bytes]]) -> None:
    for signature, header in pairs:
        key.verify(signature, header)


def db_bytes(store: Store) -> int:
    """Main file plus WAL after a truncating checkpoint."""
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = Path(f"{store.path}-wal")
    return store.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def search_times(conn: sqlite3.Connection, limit: int | None = None) -> list[float]:
    """Milliseconds per search, over every query and repeat, after one warm-up pass."""
    for query in QUERIES:
        notices.active_notices(conn, search=query, limit=limit)
    samples = []
    for _ in range(SEARCH_REPEATS):
        for query in QUERIES:
            start = time.perf_counter()
            notices.active_notices(conn, search=query, limit=limit)
            samples.append(1000 * (time.perf_counter() - start))
    return samples


def board_times(conn: sqlite3.Connection, hub: str) -> dict[str, list[float]]:
    """Milliseconds per query of a hub's board as the kiosk asks (the count, a page in the
    middle of the list, without bodies), and the same queries over the whole network's
    notices: the baseline, the cost of the display window and order without any targeting."""
    total = notices.count_notices(conn, hub=hub)
    offset = max(0, total // 2 - BOARD_PAGE)
    queries: dict[str, Callable[[], object]] = {
        "count": lambda: notices.count_notices(conn, hub=hub),
        "page": lambda: notices.active_notices(
            conn, hub=hub, limit=BOARD_PAGE, offset=offset, bodies=False
        ),
        "count, every hub": lambda: notices.count_notices(conn),
        "page, every hub": lambda: notices.active_notices(
            conn, limit=BOARD_PAGE, offset=offset, bodies=False
        ),
    }
    samples: dict[str, list[float]] = {name: [] for name in queries}
    for round_ in range(BOARD_REPEATS + 1):  # the first round warms up
        for name, query in queries.items():
            start = time.perf_counter()
            query()
            if round_:
                samples[name].append(1000 * (time.perf_counter() - start))
    samples["shown"] = [float(total)]
    return samples


def search_hits(conn: sqlite3.Connection) -> list[int]:
    return [len(notices.active_notices(conn, search=query)) for query in QUERIES]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---- the run ---------------------------------------------------------------------------------


@dataclass
class Results:
    count: int
    append_s: float = 0.0
    ingest_ops: int = 0
    ingest_s: float = 0.0
    batches: int = 0
    each_s: float = 0.0  # the same batches, one Log.ingest each
    raw_rate: float = 0.0
    payload_bytes: int = 0
    author_db: int = 0
    ingest_db: int = 0
    search_ms: list[float] = field(default_factory=list)
    search_limited_ms: list[float] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    board: dict[str, list[float]] = field(default_factory=dict)


WARM_UP_NOTICES = signature_checks.PARALLEL_MIN_OPS + 44


def warm_up(directory: Path, hubs: list[str]) -> None:
    """A small throwaway run so that imports, caches and code paths are hot, and the verify
    worker is running, as it is in a daemon after its first big batch (starting it costs about
    half a second once per process)."""
    network = new_network()
    log = author_store(directory / "warm-author.db", network)
    bodies = make_notices(WARM_UP_NOTICES, SEED + 1, wall_clock_ms(), hubs)
    publish_all(log, network.admin, bodies)
    target = Log(open_store(directory / "warm-ingest.db", network))
    ingest_bundle(target, bundle_batches(list(log.ops_missing_from({}))))
    notices.active_notices(target.store.conn, search="Bus")
    log.store.close()
    target.store.close()


def run(count: int, directory: Path, profile: bool) -> Results:
    hubs = tuple(Identity.generate(f"hub-{i}") for i in range(4))
    keys = [hub.key_id for hub in hubs]
    warm_up(directory, keys)
    network = new_network()
    bodies = make_notices(count, SEED, wall_clock_ms(), keys)
    results = Results(count)
    author = author_store(directory / "author.db", network, hubs)
    results.append_s = profiled(
        profile, "append", lambda: publish_all(author, network.admin, bodies)
    )
    ops = list(author.ops_missing_from({}))
    target = Log(open_store(directory / "ingest.db", network))
    batches = bundle_batches(ops)
    results.ingest_ops, results.batches = len(ops), len(batches)
    results.ingest_s = profiled(profile, "ingest", lambda: ingest_bundle(target, batches))
    each = Log(open_store(directory / "each.db", network))
    results.each_s = timed(lambda: ingest_each(each, batches))
    each.store.close()
    results.raw_rate = raw_verify_rate(ops[1:])  # ops[0] is the root's grant
    results.payload_bytes = sum(
        len(op.header) + len(op.signature) + len(op.body or b"") for op in ops
    )
    results.author_db = db_bytes(author.store)
    results.ingest_db = db_bytes(target.store)
    measure_search(target.store.conn, results, profile)
    results.board = board_times(target.store.conn, keys[0])
    author.store.close()
    target.store.close()
    return results


def measure_search(conn: sqlite3.Connection, results: Results, profile: bool) -> None:
    results.hits = search_hits(conn)
    results.search_ms = search_times(conn)
    results.search_limited_ms = search_times(conn, SEARCH_LIMIT)
    if profile:
        profiled(True, "search", lambda: search_times(conn))


def profiled(enabled: bool, name: str, action: Callable[[], object]) -> float:
    """Time `action`; with --profile, also print its top functions (timings then include
    profiler overhead, so do not compare them with a plain run)."""
    if not enabled:
        return timed(action)
    profiler = cProfile.Profile()
    seconds = timed(lambda: profiler.runcall(action))
    print(f"\n## profile: {name} ({seconds:.2f} s under cProfile)\n")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(18)
    return seconds


def rows(r: Results) -> list[Row]:
    return [*throughput_rows(r), *size_rows(r), *search_rows(r), *board_rows(r)]


def board_rows(r: Results) -> list[Row]:
    shown = int(r.board["shown"][0])
    goal = f"< {BOARD_GOAL_MS:.0f} ms"
    result = []
    for name in ("count", "page"):
        p95 = percentile(r.board[name], 0.95)
        base = percentile(r.board[f"{name}, every hub"], 0.95)
        what = f"board {name} p95, one hub ({shown:,} shown)"
        if name == "page":
            what = f"board page p95, {BOARD_PAGE} of one hub's {shown:,}"
        result.append(Row(what, f"{p95:.1f} ms", goal, verdict(p95 < BOARD_GOAL_MS)))
        result.append(
            Row(f"  baseline: the same {name} over every notice", f"{base:.1f} ms", "—", "—")
        )
    return result


def throughput_rows(r: Results) -> list[Row]:
    append_rate = r.count / r.append_s
    ingest_rate = r.ingest_ops / r.ingest_s
    ratio = ingest_rate / r.raw_rate
    return [
        Row("append+sign (notices.publish, 1 tx each)", f"{append_rate:,.0f} ops/s", "—", "—"),
        Row(
            f"ingest+verify (bundle: {r.batches} batches of 64 KiB)",
            f"{ingest_rate:,.0f} ops/s",
            f"{r.ingest_ops / r.each_s:,.0f} ops/s with one Log.ingest per batch",
            "—",
        ),
        Row("raw Ed25519 verify (cryptography)", f"{r.raw_rate:,.0f} ops/s", "—", "—"),
        Row(
            "ingest / raw verify",
            f"{ratio:.3f}",
            f">= {INGEST_GOAL}",
            verdict(ratio >= INGEST_GOAL),
        ),
    ]


def size_rows(r: Results) -> list[Row]:
    payload = f"op payload {r.payload_bytes / r.ingest_ops:,.0f} B"
    return [
        Row("DB bytes per notice, author store", f"{r.author_db / r.count:,.0f} B", payload, "—"),
        Row(
            "DB bytes per notice, ingesting store", f"{r.ingest_db / r.count:,.0f} B", payload, "—"
        ),
    ]


def search_rows(r: Results) -> list[Row]:
    """The goal is on a search as the kiosk and `notice list --search` run it: the first page
    of SEARCH_LIMIT matches. Fetching every match is shown beside it."""
    median = statistics.median(r.search_limited_ms)
    p95 = percentile(r.search_limited_ms, 0.95)
    goal = f"< {SEARCH_P95_GOAL_MS:.0f} ms"
    queries = f"{len(QUERIES)} queries x {SEARCH_REPEATS}"
    return [
        Row(f"search median, first {SEARCH_LIMIT} ({queries})", f"{median:.1f} ms", "—", "—"),
        Row(
            f"search p95, first {SEARCH_LIMIT}",
            f"{p95:.1f} ms",
            goal,
            verdict(p95 < SEARCH_P95_GOAL_MS),
        ),
        Row("search p95, every match", f"{percentile(r.search_ms, 0.95):.1f} ms", "—", "—"),
        Row(
            "search hits per query (median / max)",
            f"{statistics.median(r.hits):.0f} / {max(r.hits)}",
            "—",
            "—",
        ),
    ]


def verdict(ok: bool) -> str:
    return "meets goal" if ok else "misses goal"


def table(body: list[Row]) -> str:
    """A Markdown table with the value column right-aligned."""
    cells = [[c.measure, c.value, c.goal, c.verdict] for c in [HEADER, *body]]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]

    def line(row: list[str]) -> str:
        padded = [
            text.rjust(width) if i == 1 else text.ljust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w + 1) + ":" if i == 1 else "-" * (w + 2) for i, w in enumerate(widths)]
    return "\n".join([line(cells[0]), "|" + "|".join(rule) + "|", *map(line, cells[1:])])


def machine() -> str:
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs ({cpu_model()}); "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"cryptography {cryptography.__version__}"
    )


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=10_000, help="notices to append")
    parser.add_argument("--quick", action="store_true", help="small smoke run (300 notices)")
    parser.add_argument("--profile", action="store_true", help="print cProfile top functions")
    args = parser.parse_args(argv)
    count = 300 if args.quick else max(1, args.notices)
    print(f"Machine: {machine()}")
    print(f"Notices: {count}\n")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dorfhub-bench-") as directory:
        results = run(count, Path(directory), args.profile)
    print()
    print(table(rows(results)))
    print(f"\nTotal run time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
