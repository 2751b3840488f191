"""`dorfhub demo`: a town server and two village hubs in ./demo-data, running and syncing.

The town server and the hub daemons are real processes on 127.0.0.1 (or `--host`), on ports
they pick (or from `--port-base` on); each hub reads three emulated room sensors on ptys
(node/demo_sensors.py). The hubs enrol with a pairing code that the administrator approves; the
administrator publishes a realistic noticeboard, and the hubs receive it over the peer API
within about a second (the long-poll). Each node prints its board, re-verifies its log and shows
the same digest. The town server's desk gets three logins, printed with its address: the
administrator, a practice and a digital guide, each with something to see (node/demo_desk.py).
With `--serve` the network keeps running and the demo says what happens in it
(node/demo_events.py). The demo's own CAP feed publishes a DWD-style heat warning for
Perlesreut, which the town server's poller brings to its board, and then cancels it
(node/demo_warnings.py).
"""

from __future__ import annotations

import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time as clock
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from pathlib import Path
from types import FrameType

from content import notices
from content.bodies import Attachment, Event
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log
from content.log_audit import verify_store
from kiosk.pin import set_pin
from node.board import LOCAL_TIME, render_board
from node.demo_articles import publish_demo_articles
from node.demo_booking import PRACTICES, publish_demo_practices
from node.demo_desk import (
    ADMIN_LOGIN,
    CLUB_LOGIN,
    GUIDE_LOGIN,
    PRACTICE_LOGIN,
    DeskLogin,
    ask_at_hub,
    grant_login,
    network_groups,
    practice_key,
    seal,
)
from node.demo_events import DemoWatch
from node.demo_sensors import emulated_sensors, show_room_climate
from node.demo_warnings import (
    DEMO_POLL_S,
    board_warning,
    configure_town,
    feed_server,
    heat_warning_round,
    map_cell,
)
from node.home import Home
from node.listen import ListenError, bind_listener, wait_for_ready_file
from node.setup import init_network, init_node, join_server
from sync import enrollment

MARKER = ".dorfhub-demo"
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
BAKERY_MINUTES = 10  # the bakery van's notice ends this long after the demo publishes it
NETWORK = "Ilzer Land"
HUBS = ("Ringelai", "Perlesreut")
GROUP = "Ilzer Land"
SYNC_DEADLINE_S = 20.0
START_DEADLINE_S = 20.0
WATCH_S = 1.0  # how often `--serve` looks for news
LOOPBACK = "127.0.0.1"


class DemoError(ValueError):
    """A node of the demo did not start; its own error line says why (one line, exit 1)."""


@dataclass
class DemoNode:
    name: str
    home: Home
    identity: Identity
    host: str = LOOPBACK  # where its daemon listens
    port: int = 0  # asked for (0: any free port), then the one its daemon serves on

    @property
    def url(self) -> str:
        return f"http://{connect_host(self.host)}:{self.port}"


def run_demo(
    directory: Path,
    keep_running: bool = False,
    kiosk: bool = False,
    display: bool = True,
    host: str = LOOPBACK,
    port_base: int | None = None,
) -> int:
    """`kiosk`: also open the first hub's touchscreen kiosk where there is a `display`.
    `host`: the address every node listens on; `port_base`: the town server's port, the hubs
    take the next ones (default: any free ports)."""
    ports = listen_ports(host, port_base)  # before anything is deleted or made
    # SIGTERM (systemd, `timeout`) ends the demo like Ctrl+C from the start, so the nodes
    # already started are stopped too, whenever it comes.
    signal.signal(signal.SIGTERM, _interrupt)
    _reset(directory)
    town = _town(directory, host, ports[0])
    # Each desk login's key is sealed in a thread while the nodes start (node/demo_desk.py).
    # Official warnings come from the demo's own CAP feed (node/demo_warnings.py).
    warnfeed = directory / "warnfeed"
    with ThreadPoolExecutor(2, "demo-desk") as sealing, feed_server(warnfeed) as feed_url:
        admin = seal(sealing, town.home, ADMIN_LOGIN)
        configure_town(town.home, town.identity, feed_url, DEMO_POLL_S)
        with _running(town, "serve"):
            grant_login(town.home, town.identity, admin.result(), ADMIN_LOGIN)
            _show_desk(town, [ADMIN_LOGIN])
            hubs = [
                _hub(directory, town, name, host, port)
                for name, port in zip(HUBS, ports[1:], strict=True)
            ]
            groups = network_groups(town.home, [GROUP])
            perlesreut = next(hub for hub in hubs if hub.name == "Perlesreut")
            map_cell(town.home, perlesreut.identity.key_id)  # its DWD warn cell
            guide_key = seal(sealing, town.home, GUIDE_LOGIN)
            with emulated_sensors(hubs), _all_running(hubs):
                club_key = seal(sealing, town.home, CLUB_LOGIN)
                guide = guide_key.result()
                grant_login(town.home, town.identity, guide, GUIDE_LOGIN, groups)
                grant_login(town.home, town.identity, club_key.result(), CLUB_LOGIN, groups)
                for line in publish_demo_practices(directory, town.home, town.url):
                    print(line)
                practice = practice_key(town.home, Home(directory / PRACTICES[0].home))
                practice_login = seal(sealing, town.home, PRACTICE_LOGIN, practice)
                _publish_and_watch(town, hubs)
                ringelai = hubs[0]
                for line in ask_at_hub(
                    ringelai.name, ringelai.home, ringelai.identity, practice.key_id, guide.key_id
                ):
                    print(line)
                _wait_until_equal([town, *hubs])
                _show(town, hubs)
                print()
                shown = partial(board_warning, perlesreut.home, perlesreut.identity.key_id)
                for line in heat_warning_round(warnfeed, wall_clock_ms(), shown):
                    print(line, flush=True)
                particulates_shown = show_room_climate(hubs)
                practice_login.result()
                logins = [ADMIN_LOGIN, PRACTICE_LOGIN, GUIDE_LOGIN, CLUB_LOGIN]
                if kiosk and not display:
                    _no_display(hubs[0])
                with _kiosk(hubs[0]) if kiosk and display else nullcontext() as window:
                    if keep_running:
                        _serve_until_interrupted(town, hubs, particulates_shown, logins)
                    elif window is not None:
                        print()
                        _show_desk(town, logins)
                        window.wait()
    return 0


def listen_ports(host: str, port_base: int | None) -> list[int]:
    """Each node's port (0: any free one), the town server's first. Each is bound once on
    `host` and let go, so that an address this machine does not have, or a port in use, is one
    line before the demo deletes or makes anything."""
    count = 1 + len(HUBS)
    ports = [0] * count if port_base is None else [port_base + i for i in range(count)]
    for port in dict.fromkeys(ports):
        try:
            bind_listener(host, port).close()
        except ListenError as exc:
            if port_base is None:
                raise
            last = port_base + count - 1
            raise ListenError(f"{exc} (--port-base {port_base} takes {port_base}–{last})") from None
    return ports


def connect_host(host: str) -> str:
    """The address for a URL to a node listening on `host`: a wildcard address is reached on
    this machine's loopback."""
    address = {"0.0.0.0": LOOPBACK, "::": "::1"}.get(host, host)  # noqa: S104 (compared)
    return f"[{address}]" if ":" in address else address


def dorfhub_command() -> str:
    """How to call `dorfhub` in the shell that started the demo: the bare name where PATH
    finds this installation, else its script (`.venv/bin/dorfhub` after `make run`)."""
    script = Path(sys.executable).parent / "dorfhub"
    found = shutil.which("dorfhub")
    if found and Path(found).resolve() == script.resolve():
        return "dorfhub"
    if not script.exists():
        return f"{shlex.quote(sys.executable)} -m node.cli"
    try:
        return shlex.quote(str(script.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(script))


def _no_display(hub: DemoNode) -> None:
    print(
        f"\nKein Bildschirm (DISPLAY ist nicht gesetzt): der Kiosk von {hub.name} öffnet sich "
        f"nicht. An einem Bildschirm: {dorfhub_command()} kiosk --home "
        f"{shlex.quote(str(hub.home.path))}"
    )


DEMO_PIN = "1234"


@contextmanager
def _kiosk(hub: DemoNode) -> Iterator[subprocess.Popen[bytes]]:
    """The hub's kiosk in its own process (Kivy stays out of this one); closed on the way out."""
    set_pin(hub.home.path, DEMO_PIN)
    print(f"\nKiosk von {hub.name} geöffnet; Lotsen-PIN {DEMO_PIN}")
    with _dorfhub(hub.home, "kiosk") as process:
        yield process


@contextmanager
def _all_running(hubs: list[DemoNode]) -> Iterator[None]:
    if not hubs:
        yield
        return
    with _running(hubs[0], "hub"), _all_running(hubs[1:]):
        yield


@contextmanager
def _running(node: DemoNode, command: str) -> Iterator[None]:
    """Run `dorfhub serve|hub` for this node on its host and port (0: any free one) and learn
    the port it serves on from its ready file; stop it with SIGTERM on the way out."""
    ready_file = node.home.path / f"{command}.ready"
    ready_file.unlink(missing_ok=True)
    listen = ("--host", node.host, "--port", str(node.port), "--ready-file", str(ready_file))
    with _dorfhub(node.home, command, *listen) as process:
        try:
            node.port = wait_for_ready_file(ready_file, process, START_DEADLINE_S).port
        except RuntimeError as exc:
            log = node.home.path / f"{command}.log"
            prefix = "dorfhub: error: "
            said = [line.removeprefix(prefix) for line in _lines(log) if line.startswith(prefix)]
            if said:  # a port taken since listen_ports looked, say
                raise DemoError(f"{node.name}: {said[-1]}") from None
            raise RuntimeError(f"{node.name} did not start: {exc} (see {log})") from None
        yield


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []


@contextmanager
def _dorfhub(home: Home, command: str, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """`dorfhub COMMAND --home HOME …` in its own process, logging to HOME/COMMAND.log; ended
    with SIGTERM (SIGKILL after 10 s) on the way out."""
    log_file = (home.path / f"{command}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cli", command, "--home", str(home.path), *extra],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()


def _reset(directory: Path) -> None:
    if directory.exists():
        if not (directory / MARKER).exists():
            raise ValueError(
                f"{directory} exists and is not a demo directory; choose another --dir"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("created by `dorfhub demo`; deleted by the next run\n")


def _town(directory: Path, host: str, port: int) -> DemoNode:
    home = init_network(directory / "stadtserver", NETWORK, "Stadtserver Freyung")
    print(f"Netzwerk »{NETWORK}«: {home.config.network_id}")
    return DemoNode("Stadtserver Freyung", home, home.identity("admin.key"), host, port)


def _show_desk(town: DemoNode, logins: list[DeskLogin]) -> None:
    """The desk's address with the administrator's login, and under it the others made yet."""
    admin, *others = logins
    print(f"Schreibtisch: {town.url}/desk/  (Anmeldung: {admin.name} / {admin.passphrase})")
    width = max((len(login.label) for login in others), default=0) + 1
    for login in others:
        label = f"{login.label}:"
        print(f"  {label:<{width}} {login.name} / {login.passphrase}  ({login.shows})")


def _hub(directory: Path, town: DemoNode, name: str, host: str, port: int) -> DemoNode:
    """A new hub asks to join with its pairing code; the administrator approves that code."""
    home, identity = init_node(directory / name.lower(), "hub", name, server_url=town.url)
    code = join_server(home)
    with town.home.store() as store:
        enrollment.approve(Log(store), town.identity, code, [GROUP])
    print(f"{name}: Kopplungscode {code} vom Stadtserver bestätigt")
    return DemoNode(name, home, identity, host, port)


def _wait_until_equal(nodes: list[DemoNode]) -> None:
    """Until every node holds the same log, including each hub's status report."""
    town, hubs = nodes[0], nodes[1:]
    deadline = clock.monotonic() + SYNC_DEADLINE_S
    while clock.monotonic() < deadline:
        with town.home.store() as store:
            reported = {row[0] for row in store.conn.execute("SELECT node FROM node_status")}
        have_status = all(hub.identity.key_id in reported for hub in hubs)
        if have_status and len({_digest(node) for node in nodes}) == 1:
            return
        clock.sleep(0.1)
    raise RuntimeError("the demo nodes did not converge in time (see the *.log files)")


def _digest(node: DemoNode) -> str:
    with node.home.store() as store:
        return Log(store).digest()


def _publish_and_watch(town: DemoNode, hubs: list[DemoNode]) -> None:
    """Publish on the town server and time until every hub holds all of it."""
    with town.home.store() as store:
        keys = {hub.name: hub.identity.key_id for hub in hubs}
        _publish_notices(Log(store), town.identity, keys)
        # The how-to library, for every hub: its kiosks show it under "So funktioniert's".
        publish_demo_articles(Log(store), town.identity)
        published = clock.monotonic()
        target = Log(store).version_vector()[town.identity.key_id]
    waiting = list(hubs)
    while waiting and clock.monotonic() - published < SYNC_DEADLINE_S:
        for hub in list(waiting):
            with hub.home.store() as store:
                if Log(store).version_vector().get(town.identity.key_id, 0) >= target:
                    seconds = clock.monotonic() - published
                    print(f"{hub.name}: alle neuen Aushänge nach {seconds:.2f} s da")
                    waiting.remove(hub)
        clock.sleep(0.02)


def _serve_until_interrupted(
    town: DemoNode,
    hubs: list[DemoNode],
    particulates_shown: set[str],
    logins: list[DeskLogin],
) -> None:
    """Keep the network running and say what happens in it, until Ctrl+C or SIGTERM."""
    keys = [(hub, hub.identity.key_id) for hub in hubs]
    watch = DemoWatch(town, keys, wall_clock_ms(), particulates_shown)
    print(
        f"\nDas Netz läuft: Stadtserver {town.url}, "
        + ", ".join(f"{hub.name} {hub.url}" for hub in hubs)
    )
    _show_desk(town, logins)
    home = shlex.quote(str(town.home.path))
    print(
        f"Probieren Sie: {dorfhub_command()} notice publish --home {home} --title … --body …"
        "  (Strg+C beendet)"
    )
    print("Was im Netz geschieht, steht ab jetzt hier:", flush=True)
    try:
        while True:
            try:
                news = watch.news(wall_clock_ms())
            except sqlite3.OperationalError:  # a node busy past the timeout: look again soon
                news = []
            for line in news:
                print(line, flush=True)
            clock.sleep(WATCH_S)
    except KeyboardInterrupt:
        print()


def _interrupt(sig: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _publish_notices(log: Log, admin: Identity, hub_keys: dict[str, str]) -> None:
    """Publish the demo's noticeboard: new, updated, expired, future and retracted notices."""
    now = wall_clock_ms()

    def put(
        texts: dict[str, tuple[str, str]],
        category: str,
        priority: str = "normal",
        starts: int = -HOUR,
        ends: int | None = 30 * DAY,
        hubs: tuple[str, ...] = (),
        event: Event | None = None,
        attachments: list[Attachment] | None = None,
    ) -> str:
        body = notices.notice_body(
            *texts["de"],
            translations=texts,
            category=category,
            priority=priority,
            valid_from=now + starts,
            valid_until=None if ends is None else now + ends,
            event=event,
            hubs=[hub_keys[name] for name in hubs],
            groups=[] if hubs else [GROUP],
            attachments=attachments,
        )
        return notices.publish(log, admin, body)

    timetable = notices.attach(
        log,
        admin,
        b"Haltestelle;Abfahrt\nRingelai Rathaus;08:15\nPerlesreut Marktplatz;08:35\n"
        b"Grafenau Stadtplatz;09:05\n",
        "fahrplan-buergerbus.csv",
        "text/csv",
    )
    put(BUS, "mobilitaet", attachments=[timetable])
    put(GUIDE, "digitales", hubs=("Ringelai",), event=_next(now, 3, 14, 16, "Dorfhub Ringelai"))
    senior = put(
        SENIORS, "veranstaltung", hubs=("Perlesreut",), event=_next(now, 4, 14, 17, "Pfarrheim")
    )
    notices.update(log, admin, senior, event=_next(now, 4, 15, 18, "Pfarrheim Perlesreut"))
    put(HEAT, "warnung", priority="important", ends=3 * DAY)
    put(WATER, "warnung", priority="emergency", hubs=("Perlesreut",), ends=2 * DAY)
    put(FLU, "gesundheit", ends=14 * DAY)
    # Ends while the demo runs: the kiosk takes it down by itself, with no op and no network.
    put(
        _bakery(_local_time(now + BAKERY_MINUTES * MINUTE)),
        "allgemein",
        ends=BAKERY_MINUTES * MINUTE,
    )
    put(BULKY_WASTE, "verwaltung", starts=-10 * DAY, ends=-DAY)  # expired: not shown
    put(CHRISTMAS_MARKET, "veranstaltung", starts=3 * DAY)  # not shown yet
    closed = put(ROAD, "verwaltung", hubs=("Ringelai",))
    notices.retract(log, admin, closed, "Sperrung aufgehoben")


def _local_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TIME).strftime("%H:%M")


def _next(now: int, days: int, start_hour: int, end_hour: int, place: str) -> Event:
    """An event `days` from today, from `start_hour` to `end_hour` local time."""
    day = datetime.fromtimestamp(now / 1000, LOCAL_TIME).date() + timedelta(days=days)

    def at(hour: int) -> int:
        return int(datetime.combine(day, time(hour), LOCAL_TIME).timestamp() * 1000)

    return Event(start=at(start_hour), end=at(end_hour), place=place)


def _show(town: DemoNode, hubs: list[DemoNode]) -> None:
    for hub, language in zip(hubs, ("de", "de-LS"), strict=True):
        with hub.home.store() as store:
            found = notices.active_notices(store.conn, hub=hub.identity.key_id)
        print("\n" + render_board(hub.name, found, language))
    with hubs[0].home.store() as store:
        found = notices.active_notices(store.conn, hub=hubs[0].identity.key_id)
    print("\n" + render_board(f"{hubs[0].name} (English)", found, "en"))
    with town.home.store() as store:
        hits = notices.active_notices(store.conn, search="bus")
        bakery = notices.active_notices(store.conn, search="Bäckerwagen")
    print(f"\nSuche »bus« auf dem Stadtserver: {', '.join(n.title['de'] for n in hits)}")
    for notice in bakery:
        if notice.valid_until is not None:
            print(
                f"»{notice.title['de']}« endet um {_local_time(notice.valid_until)}: dann nimmt "
                "jeder Kiosk den Aushang von selbst ab, auch ohne Netz."
            )
    print("\nPrüfung (log verify) und Stand der Knoten:")
    for node in (town, *hubs):
        with node.home.store() as store:
            report = verify_store(store)
            verdict = "ok" if report.ok else f"FEHLER: {report.problems[0]}"
            log = Log(store)
            print(f"  {node.name:<22} {log.count():>3} Ops  Digest {log.digest()}  {verdict}")


BUS = {
    "de": (
        "Bürgerbus nach Grafenau – jeden Dienstag",
        "Der Bürgerbus fährt jeden Dienstag um 8:15 Uhr ab dem Rathaus Ringelai über Perlesreut "
        "nach Grafenau (Ärztehaus, Apotheke, Markt). Rückfahrt 12:30 Uhr. Bitte bis Montag "
        "18 Uhr unter 08555 1234 anmelden. Rollatoren werden mitgenommen.",
    ),
    "en": (
        "Community bus to Grafenau – every Tuesday",
        "The community bus leaves Ringelai town hall every Tuesday at 8:15 via Perlesreut for "
        "Grafenau (doctors, pharmacy, market). Return at 12:30. Please book by Monday 6 pm on "
        "08555 1234. Walkers are welcome.",
    ),
    "de-LS": (
        "Der Bürger·bus fährt jeden Dienstag nach Grafenau",
        "Der Bus fährt um 8 Uhr 15. Er fährt am Rat·haus in Ringelai los. Er fährt zum Arzt, "
        "zur Apotheke und zum Markt. Um 12 Uhr 30 fährt er zurück. Rufen Sie vorher an: "
        "08555 1234. Sie können Ihren Rollator mitnehmen.",
    ),
}
GUIDE = {
    "de": (
        "Sprechstunde der Digitallotsin",
        "Frau Kern, unsere Digitallotsin, hilft beim Smartphone, bei Online-Formularen und bei "
        "der Videosprechstunde mit dem Hausarzt. Ohne Anmeldung, Kaffee steht bereit.",
    ),
    "en": (
        "Digital guide office hours",
        "Ms Kern, our digital guide, helps with smartphones, online forms and video "
        "consultations with your doctor. No appointment needed; coffee is ready.",
    ),
    "de-LS": (
        "Hilfe mit Handy und Computer",
        "Frau Kern hilft Ihnen. Sie erklärt das Handy. Sie hilft bei Formularen im Internet. "
        "Sie hilft beim Arzt·termin mit Video. Sie müssen sich nicht anmelden.",
    ),
}
SENIORS = {
    "de": (
        "Seniorennachmittag im Pfarrheim",
        "Kaffee, Kuchen und Musik mit der Stubnmusi. Wer abgeholt werden möchte, meldet sich "
        "bitte im Dorfhub oder unter 08555 4321.",
    ),
    "en": (
        "Afternoon for older residents",
        "Coffee, cake and music by the Stubnmusi band. If you would like a lift, ask at the "
        "village hub or call 08555 4321.",
    ),
    "de-LS": (
        "Nachmittag für Seniorinnen und Senioren",
        "Es gibt Kaffee und Kuchen. Es gibt Musik. Wir holen Sie gern ab. Sagen Sie im Dorf·hub "
        "Bescheid. Oder rufen Sie an: 08555 4321.",
    ),
}
HEAT = {
    "de": (
        "Hitze: Bitte viel trinken",
        "Der Deutsche Wetterdienst warnt vor starker Wärmebelastung. Trinken Sie über den Tag "
        "verteilt, meiden Sie die Mittagssonne und schauen Sie nach Ihren Nachbarn. Der Dorfhub "
        "ist als kühler Raum von 10 bis 18 Uhr geöffnet.",
    ),
    "en": (
        "Heat: please drink plenty",
        "The German weather service warns of strong heat stress. Drink throughout the day, avoid "
        "the midday sun and look in on your neighbours. The village hub is open as a cool room "
        "from 10 am to 6 pm.",
    ),
    "de-LS": (
        "Es ist sehr heiß. Trinken Sie viel.",
        "Trinken Sie viel Wasser. Bleiben Sie mittags im Schatten. Fragen Sie Ihre Nachbarn: "
        "Geht es Ihnen gut? Im Dorf·hub ist es kühl. Er ist von 10 bis 18 Uhr offen.",
    ),
}
WATER = {
    "de": (
        "Wasserrohrbruch: Leitungswasser abkochen",
        "Nach einem Wasserrohrbruch in der Marktstraße muss das Leitungswasser in Perlesreut "
        "bis auf Weiteres abgekocht werden. Trinkwasser gibt es am Feuerwehrhaus.",
    ),
    "en": (
        "Burst water main: boil tap water",
        "After a burst water main in Marktstraße, tap water in Perlesreut must be boiled until "
        "further notice. Drinking water is handed out at the fire station.",
    ),
    "de-LS": (
        "Wasser aus der Leitung bitte abkochen",
        "Ein Wasser·rohr ist kaputt. Kochen Sie das Wasser ab. Dann können Sie es trinken. "
        "Am Feuer·wehr·haus gibt es Wasser in Flaschen.",
    ),
}
FLU = {
    "de": (
        "Grippeimpfung in der Hausarztpraxis",
        "Die Hausarztpraxis Dr. Huber in Freyung impft gegen Grippe und Corona. Termine können "
        "Sie bald direkt hier am Dorfhub buchen oder unter 08551 9876 vereinbaren.",
    ),
    "en": (
        "Flu vaccinations at the family doctor",
        "Dr Huber's practice in Freyung vaccinates against flu and Covid. You will soon be able "
        "to book here at the hub, or call 08551 9876.",
    ),
    "de-LS": (
        "Impfung gegen Grippe",
        "Dr. Huber impft gegen Grippe. Sie können einen Termin machen. Rufen Sie an: 08551 9876.",
    ),
}
BULKY_WASTE = {
    "de": ("Sperrmüllabholung", "Die Sperrmüllabholung war am vergangenen Samstag."),
    "en": ("Bulky waste collection", "Bulky waste was collected last Saturday."),
    "de-LS": ("Sperr·müll", "Der Sperr·müll wurde am Samstag abgeholt."),
}
CHRISTMAS_MARKET = {
    "de": ("Christkindlmarkt am Rathausplatz", "Glühwein, Bratwürste und der Kinderchor."),
    "en": ("Christmas market at the town hall square", "Mulled wine, sausages, children's choir."),
    "de-LS": ("Weihnachts·markt am Rat·haus", "Es gibt Glüh·wein und Brat·würste."),
}


def _bakery(until: str) -> dict[str, tuple[str, str]]:
    return {
        "de": (
            "Bäckerwagen am Dorfplatz",
            f"Der Bäckerwagen steht heute bis {until} Uhr am Dorfplatz: frische Semmeln, Brot "
            "und Kuchen.",
        ),
        "en": (
            "Bakery van at the village square",
            f"The bakery van is at the village square until {until} today: fresh rolls, bread "
            "and cake.",
        ),
        "de-LS": (
            "Der Bäcker·wagen ist da",
            f"Der Bäcker·wagen steht am Dorf·platz. Er bleibt bis {until} Uhr. Es gibt Semmeln, "
            "Brot und Kuchen.",
        ),
    }


ROAD = {
    "de": ("Sperrung Kirchweg", "Der Kirchweg ist wegen Bauarbeiten gesperrt."),
    "en": ("Kirchweg closed", "Kirchweg is closed for roadworks."),
    "de-LS": ("Der Kirch·weg ist zu", "Auf dem Kirch·weg wird gebaut."),
}
