"""`dorfhub demo` builds a network whose nodes converge and verify, and serves the desk."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from content import booking, notices
from content.articles import articles_for_hub, picture
from content.bodies import encode_body
from content.clock import trusted_now
from content.help import request_help
from content.log import Log
from content.sensors import SensorAlertBody, alert_entity
from content.thresholds import CO2
from hardware.alerts import AlertChange, alert_texts
from node.demo_articles import ARTICLES
from node.demo_booking import PRACTICES
from node.demo_desk import ASKING, OFFERING, PATIENT
from node.home import Home
from tests.node.cli import DORFHUB, REPO, run_dorfhub
from tests.sync.procs import HOST, wait_for

SERVING = "Probieren Sie:"  # the line after which the demo only reports what happens
# Each event the demo reports follows a change by about a second (its look, a sync round).
EVENT_SECONDS = 60


@contextmanager
def demo_serving(
    directory: Path, *extra: str, environ: dict[str, str] | None = None
) -> Iterator[list[str]]:
    """`dorfhub demo --serve` (by default with --no-kiosk), its output lines as they come;
    SIGTERM (as Ctrl+C) at the end, after which the list holds all of it."""
    process = subprocess.Popen(
        [*DORFHUB, "demo", "--dir", str(directory), "--serve", *(extra or ["--no-kiosk"])],
        cwd=REPO,
        env={**(os.environ if environ is None else environ), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(SERVING in line for line in lines) or process.poll(), 240, "demo")
        assert process.poll() is None, "".join(lines)
        yield lines
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, "".join(lines)
        reader.join(timeout=30)


def log_in_to_desk(out: str) -> str:
    """Log in with the login the demo printed; the start page's HTML."""
    url, name, passphrase = printed_login_admin(out)
    today = log_in(url, name, passphrase, "/desk/")
    assert today.url == url
    return today.text


def log_in(url: str, name: str, passphrase: str, next_page: str = "") -> requests.Response:
    """Log in as a browser does: the form (its CSRF token and cookie), then the form posted;
    the page it lands on (without `next_page`, the role's own start page)."""
    with requests.Session() as browser:
        form = browser.get(f"{url}login", timeout=30)
        assert form.status_code == 200
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        data = {"csrf": token, "name": name, "passphrase": passphrase}
        if next_page:
            data["next"] = next_page
        page = browser.post(f"{url}login", data=data, timeout=60)
    assert page.status_code == 200, page.text
    return page


def printed_login(out: str, label: str) -> tuple[str, str, str]:
    """The desk's address and the login printed under the administrator's with `label`."""
    found = re.search(
        rf"Schreibtisch: (http://127\.0\.0\.1:\d+/desk/)  \(Anmeldung: .+\)\n"
        rf"(?:  .+\n)*?  {label}: +(.+) / (\S+)  \(",
        out,
    )
    assert found, out
    url, name, passphrase = found.groups()
    return url, name, passphrase


def printed_login_admin(out: str) -> tuple[str, str, str]:
    """The desk's address and the administrator's login."""
    found = re.search(
        r"Schreibtisch: (http://127\.0\.0\.1:\d+/desk/)  \(Anmeldung: (.+) / (\S+)\)", out
    )
    assert found, out
    url, name, passphrase = found.groups()
    return url, name, passphrase


def test_demo_runs_and_all_nodes_agree(tmp_path: Path) -> None:
    with demo_serving(tmp_path / "demo") as lines:
        today = log_in_to_desk("".join(lines))
        practice = log_in(*printed_login("".join(lines), "als Praxis"))
        guide = log_in(*printed_login("".join(lines), "als Digitallotsin"))
        club = log_in(*printed_login("".join(lines), "als Verein"))
        url, admin_name, admin_passphrase = printed_login_admin("".join(lines))
        queue = log_in(url, admin_name, admin_passphrase, "/desk/moderation")
    assert "Guten Tag, Maria Hofbauer." in today
    assert '<th scope="row">Ringelai</th>' in today  # the hubs the demo enrolled
    assert '<th scope="row">Perlesreut</th>' in today
    # The practice lands on its bookings, the resident's booking opened with its own key ...
    assert practice.url.endswith("/desk/practice")
    assert PRACTICES[0].name in practice.text
    assert PATIENT.name in practice.text
    assert "12.03.1944" in practice.text  # the date of birth, sealed at the hub
    # ... and the guide on its queue, where the request from Ringelai waits, open.
    assert guide.url.endswith("/desk/guide")
    waiting = guide.text.split('id="requests-open"')[1].split('id="requests-done"')[0]
    assert ASKING[0] in waiting
    assert ASKING[1] in waiting
    assert "Ringelai" in waiting
    # The club starts on its (empty) submissions; the resident's notice waits for the admin,
    # opened with the admin's key, with the contact for questions.
    assert club.url.endswith("/desk/submissions")
    assert OFFERING[1] in queue.text
    assert OFFERING[3] in queue.text
    out = "".join(lines)
    assert "Aushänge – Ringelai" in out
    assert "Aus·hänge – Perlesreut" in out  # Leichte Sprache board
    assert "Notices – Ringelai (English)" in out
    perlesreut = out.split("Aus·hänge – Perlesreut")[1].split("Notices –")[0]
    assert "ACHTUNG, GEFAHR" in perlesreut  # the water-main emergency is shown there ...
    ringelai = out.split("Aushänge – Ringelai")[1].split("Aus·hänge")[0]
    assert "Wasserrohrbruch" not in ringelai  # ... and only there
    assert "Sperrmüll" not in out  # expired
    assert "Christkindlmarkt" not in out  # not yet shown
    assert "Kirchweg" not in out  # retracted
    assert "Bäckerwagen am Dorfplatz" in ringelai  # shown for the demo's first ten minutes
    assert re.search(r"»Bäckerwagen am Dorfplatz« endet um \d\d:\d\d", out)
    assert re.search(r"15:00\D+18:00", perlesreut)  # the seniors' afternoon, updated, wins
    digests = re.findall(r"Digest ([0-9a-f]{32})\s+ok", out)
    assert len(digests) == 3
    assert len(set(digests)) == 1
    climate = out.split("Raumklima (emulierte Sensoren):")[1]
    assert re.search(r"Ringelai\s+2\d,\d °C, \d\d % rel\. Feuchte, CO₂ \d{3} ppm", climate)
    assert re.search(r"Perlesreut\s+2\d,\d °C, .*CO₂ 1\d{3} ppm", climate)  # stuffy
    # The residents' data is never printed: only the practice and the guide read it.
    for personal in (PATIENT.name, PATIENT.phone, *ASKING, *OFFERING[3:]):
        assert personal not in out
    # Every hub holds the how-to library with every picture (its kiosk's "So funktioniert's").
    for hub in ("ringelai", "perlesreut"):
        home = Home.open(tmp_path / "demo" / hub)
        with home.store() as store:
            shown = articles_for_hub(store.conn, home.identity().key_id)
            assert sorted(article.id for article in shown) == sorted(
                article_id for article_id, *_ in ARTICLES
            )
            for article in shown:
                for step in article.body.steps:
                    assert picture(store.conn, step.picture.blob) is not None


def test_demo_refuses_a_foreign_directory(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    result = run_dorfhub("demo", "--dir", precious, "--no-kiosk", check=False)
    assert result.returncode == 1
    assert (precious / "thesis.txt").exists()


# ---- where it listens, and what it says while it serves (issue 18) ---------------------------


@contextmanager
def reserved_ports(count: int) -> Iterator[int]:
    """The first of `count` consecutive ports on 127.0.0.1, each bound here but not listening
    while the block runs: the system hands them to no one else, and the demo, which binds with
    SO_REUSEADDR as these sockets do, may still listen on them."""
    for _ in range(100):
        with ExitStack() as held:
            try:
                first = held.enter_context(_bound(0))
                base = first.getsockname()[1]
                for offset in range(1, count):
                    held.enter_context(_bound(base + offset))
            except OSError:
                continue
            yield base
            return
    raise AssertionError(f"no {count} free ports in a row")


def _bound(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def _said(lines: list[str], pattern: str) -> str | None:
    return next((line for line in list(lines) if re.search(pattern, line)), None)


def _wait_said(lines: list[str], pattern: str, what: str) -> str:
    return wait_for(lambda: _said(lines, pattern), EVENT_SECONDS, what)


def test_the_demo_listens_where_it_is_told_and_says_what_happens(tmp_path: Path) -> None:
    """--host and --port-base; no display, so it says it skips the kiosk; the climate lines
    are never empty; its hint publishes a notice as printed; and while it serves it reports a
    notice arriving and ending, a sensor alert raised and cleared, a booking confirmed and a
    request for help."""
    without_display = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    directory = tmp_path / "demo"
    listen = ("--host", HOST)
    with (
        reserved_ports(3) as base,
        demo_serving(
            directory, *listen, "--port-base", str(base), environ=without_display
        ) as lines,
    ):
        out = "".join(lines)
        nodes = f"Stadtserver http://{HOST}:{base}, Ringelai http://{HOST}:{base + 1}, "
        assert f"Das Netz läuft: {nodes}Perlesreut http://{HOST}:{base + 2}" in out, out
        assert "Kein Bildschirm (DISPLAY ist nicht gesetzt): der Kiosk von Ringelai " in out
        climate = out.split("Raumklima (emulierte Sensoren):\n")[1].splitlines()[:2]
        for hub, line in zip(("Ringelai", "Perlesreut"), climate, strict=True):
            fast = rf"  {hub}\s+2\d,\d °C, \d\d % rel\. Feuchte, CO₂ \d+ ppm, "
            assert re.match(fast, line), line
            assert re.search(r"PM2,5 \d+,\d µg/m³|Feinstaub: der Sensor läuft noch warm", line)

        hint = re.search(r"Probieren Sie: (.+) notice publish --home (\S+) --title … --body …", out)
        assert hint, out
        command, town = shlex.split(hint[1]), Path(shlex.split(hint[2])[0])
        title = "Glatteis am Kirchberg"
        publish = ["notice", "publish", "--home", str(town), "--title", title, "--body", "Streuen!"]
        published = subprocess.run(
            [*command, *publish], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert published.returncode == 0, published.stderr
        for hub in ("Ringelai", "Perlesreut"):
            arrived = rf"\d\d:\d\d  »{title}« hängt jetzt in .*{hub}"
            _wait_said(lines, arrived, f"the notice on {hub}")
        _end_now(town, title)
        ended = rf"»{title}« ist abgelaufen: Ringelai und Perlesreut nehmen den Aushang von selbst"
        _wait_said(lines, ended, "the notice leaving both boards")

        raised_at = _co2_alert(directory / "perlesreut")
        _wait_said(lines, r"  Perlesreut: Sensorwarnung ».*Lüften.*«, jetzt auch als", "the alert")
        _co2_alert(directory / "perlesreut", raised_at)
        _wait_said(lines, r"  Perlesreut: Sensorwarnung ».*« aufgehoben", "the alert cleared")

        practice, start = _book(directory / "ringelai")
        confirmed = rf"  Termin bestätigt: {re.escape(practice)}, {start} \(angefragt in Ringelai\)"
        _wait_said(lines, confirmed, "the booking confirmed")

        ringelai = Home(directory / "ringelai")
        with ringelai.store() as store:  # as the kiosk's help screen does
            request_help(Log(store), ringelai.identity(), "Erika Mustermann", "08555 1111")
        _wait_said(lines, r"  Ringelai: jemand bittet am Kiosk um Hilfe\.", "the help request")
    assert "Traceback" not in "".join(lines)


def _end_now(town: Path, title: str) -> None:
    """The administrator ends the notice now (as `notice update ID --until …` would)."""
    home = Home(town)
    with home.store() as store:
        [notice] = notices.active_notices(store.conn, search=title)
        now = trusted_now(store.conn).now_ms
        notices.update(Log(store), home.publisher(), notice.id, valid_until=now + 1000)


def _co2_alert(hub: Path, raised_at: int | None = None) -> int:
    """The op the hub's recorder appends when its CO2 rule raises the "ventilate" level (or,
    given when it was raised, clears it): without the five minutes of stuffy air first."""
    home = Home(hub)
    identity = home.identity()
    ventilate = CO2.levels[0]
    with home.store() as store:
        now = trusted_now(store.conn).now_ms
        raised = now if raised_at is None else raised_at
        kind, level = ("raised", ventilate) if raised_at is None else ("cleared", None)
        change = AlertChange(CO2, "co2", kind, level, ventilate, 1450.0, now, raised)
        title, text = alert_texts(change, home.config.name)
        body = SensorAlertBody(
            sensor="co2",
            rule=CO2.name,
            quantity="co2",
            level=ventilate.name,
            state=change.state,
            priority=ventilate.priority,
            value=1450.0,
            unit=CO2.unit,
            raised_at=raised,
            title=title,
            text=text,
            table_version=CO2.table_version,
            source=CO2.source,
        )
        entity = alert_entity(identity.key_id, "co2", CO2.name, raised)
        Log(store).append(identity, "sensor.alert", entity, encode_body(body))
    return raised


def _book(hub: Path) -> tuple[str, str]:
    """Book the first free slot at the hub, as its kiosk does; its practice and start."""
    home = Home(hub)
    person = booking.Person("Erika Mustermann", "1950-04-01", "08555 1111", consent=True)
    with home.store() as store:
        now = trusted_now(store.conn).now_ms
        slot = booking.list_slots(store.conn, bookable_at=now)[0]
        booking.request_booking(Log(store), home.identity(), slot.id, person)
    return slot.practice_name, slot.local_start().strftime("%d.%m.%Y %H:%M")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--port-base", "65534"), "argument --port-base: 65534 is not between 1 and 65533"),
        (("--port-base", "http"), "argument --port-base: not a whole number: 'http'"),
        (("--host", ""), "argument --host: not an address: ''"),
        (("--host", "no-such-host.invalid"), "cannot listen on no-such-host.invalid: "),
    ],
)
def test_bad_host_or_ports_are_one_line_and_touch_nothing(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    directory = tmp_path / "demo"
    result = run_dorfhub("demo", "--dir", directory, "--no-kiosk", *args, check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.startswith("dorfhub: error: ")
    assert said in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not directory.exists()


def test_a_port_in_use_is_one_line_and_touches_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    with socket.create_server((HOST, 0)) as taken:
        port = taken.getsockname()[1]
        result = run_dorfhub("demo", "--dir", directory, "--port-base", str(port), check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"dorfhub: error: port {port} on {HOST} is in use "
        f"(--port-base {port} takes {port}–{port + 2})\n"
    )
    assert not directory.exists()
