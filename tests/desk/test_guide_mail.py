"""Mail to the guides about new help requests (admin/desk/guide_mail.py), received by a local
SMTP sink (aiosmtpd) on 127.0.0.1: the guide of the request's hub gets one mail naming the hub,
with a desk link and neither the person's name nor phone; a call-back goes to every guide;
nothing is mailed twice or about the time before mail was set up; a mail that fails is sent
later; and a real `dorfhub serve` sends one on its own.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from aiosmtpd.controller import Controller

from admin.desk.guide_mail import GuideMailer, MailConfigError, address_problem, parse_config
from admin.desk.i18n import Translator
from content.clock import wall_clock_ms
from content.help import request_help
from content.identity import Identity
from content.log import Log
from content.store import Store
from node.home import Home
from tests.desk.guide_world import KERN, LANG, add_guides, ask_for_help, grant_hub
from tests.node.cli import run_dorfhub
from tests.sync.conftest import running
from tests.sync.procs import wait_for

PERSON = ("Walburga Kreuzeder", "08555 918273")
DESK_URL = "https://stadtserver.example/desk/"


@dataclass
class Sink:
    """What the SMTP sink received: (recipients, message)."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpt, message in self.received if address in rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@dataclass
class Town:
    home: Path
    ringelai: Identity  # Ilzer Land: Frau Kern's
    tittling: Identity  # Dreiburgenland: Herr Lang's

    @property
    def db(self) -> Path:
        return self.home / "dorfhub.db"


@pytest.fixture(scope="module")
def town_with_guides(desk_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("guide-mail") / "town"
    shutil.copytree(desk_home, home)
    grant_hub(home, "Ringelai", ["Ilzer Land"])
    grant_hub(home, "Tittling", ["Dreiburgenland"])
    add_guides(home, [KERN, LANG])
    return home


@pytest.fixture
def town(town_with_guides: Path, tmp_path: Path) -> Town:
    """A copy of the town for each test, and two hub keys of its network to ask with."""
    home = tmp_path / "town"
    shutil.copytree(town_with_guides, home)
    hubs = {}
    for name, group in (("Ringelai", "Ilzer Land"), ("Tittling", "Dreiburgenland")):
        hubs[name] = grant_hub(home, name, [group])
    return Town(home, hubs["Ringelai"], hubs["Tittling"])


def configure(home: Path, port: int, **extra: Any) -> None:
    path = home / "config.toml"
    document = tomllib.loads(path.read_text())
    mail = document.setdefault("mail", {})
    mail.update(
        {
            "host": "127.0.0.1",
            "port": port,
            "sender": "dorfhub@landkreis.example",
            "desk_url": DESK_URL,
            **extra,
        }
    )
    path.write_text(tomli_w.dumps(document))


def mailer(town: Town) -> GuideMailer:
    return GuideMailer(town.home, town.db, wall_clock_ms, Translator())


def test_the_guide_of_the_hub_gets_a_mail_without_the_person(
    town: Town, sink: tuple[Sink, int]
) -> None:
    received, port = sink
    configure(town.home, port)
    before = ask_for_help(town.db, town.ringelai, *PERSON)
    mail = mailer(town)
    assert mail.run_once() == 0
    assert received.received == []  # what was there before mail was set up is not news

    ask_for_help(town.db, town.ringelai, *PERSON)
    assert mail.run_once() == 0
    assert [rcpt for rcpt, _ in received.received] == [[KERN.email]]
    message = received.to(KERN.email)[0]
    assert message["Subject"] == "Neue Hilfeanfrage in Ringelai / New help request at Ringelai"
    assert message["From"] == "dorfhub@landkreis.example"
    text = message.get_content()
    assert "Im Hub Ringelai wartet eine neue Hilfeanfrage" in text
    assert "A new help request waits at the Ringelai hub" in text
    assert f"{DESK_URL}guide" in text
    for secret in (*PERSON, "Walburga", "918273", before):
        assert secret not in message.as_string()

    # Nothing twice, also for a new mailer (a restarted server).
    assert mail.run_once() == 0
    assert mailer(town).run_once() == 0
    assert len(received.received) == 1

    ask_for_help(town.db, town.tittling, "Xaver Obermeier", "08504 112233")
    mail.run_once()
    assert [rcpt for rcpt, _ in received.received][1:] == [[LANG.email]]


def test_a_call_back_goes_to_every_guide(town: Town, sink: tuple[Sink, int]) -> None:
    received, port = sink
    configure(town.home, port)
    mail = mailer(town)
    mail.run_once()
    server = Home(town.home).identity()  # the town server's key: it raises call-backs
    with Store(town.db) as store:
        request_help(Log(store), server, *PERSON)
    mail.run_once()
    assert sorted(rcpt[0] for rcpt, _ in received.received) == sorted([KERN.email, LANG.email])
    message = received.to(KERN.email)[0]
    assert message["Subject"] == "Neuer Rückruf / New call-back"
    assert PERSON[0] not in message.as_string()


def test_a_guide_without_an_address_or_its_key_gets_none(
    town: Town, sink: tuple[Sink, int]
) -> None:
    received, port = sink
    configure(town.home, port)
    run_dorfhub("desk", "user", "email", KERN.name, home=town.home)  # no address: no mail
    mail = mailer(town)
    mail.run_once()
    ask_for_help(town.db, town.ringelai, *PERSON)
    mail.run_once()
    assert received.received == []
    run_dorfhub("desk", "user", "email", KERN.name, "kern@landkreis.example", home=town.home)
    run_dorfhub("desk", "user", "disable", LANG.name, home=town.home)
    ask_for_help(town.db, town.ringelai, *PERSON)
    ask_for_help(town.db, town.tittling, *PERSON)
    mail.run_once()
    assert [rcpt for rcpt, _ in received.received] == [["kern@landkreis.example"]]


def test_a_mail_that_failed_is_sent_later(town: Town, sink: tuple[Sink, int]) -> None:
    received, port = sink
    configure(town.home, free_port())  # nobody listens there
    mail = mailer(town)
    mail.run_once()
    ask_for_help(town.db, town.ringelai, *PERSON)
    assert mail.run_once() == 1
    configure(town.home, port)
    assert mail.run_once() == 0
    assert [rcpt for rcpt, _ in received.received] == [[KERN.email]]


def test_the_served_town_mails_a_new_request_on_its_own(town: Town, sink: tuple[Sink, int]) -> None:
    received, port = sink
    configure(town.home, port)
    with running(town.home) as server:
        # The mail loop's first look takes what is there as known; then the request comes.
        wait_for(lambda: (town.home / "guide-mail.json").exists(), 30, "the mail loop's start")
        ask_for_help(town.db, town.ringelai, *PERSON)
        wait_for(lambda: received.to(KERN.email), 60, "the mail to the guide")
        assert PERSON[0] not in server.output()


def test_the_mail_configuration_is_checked() -> None:
    base = {"host": "smtp.example", "sender": "a@b.example", "desk_url": DESK_URL}
    assert parse_config(base).port == 25
    assert parse_config({**base, "starttls": True}).port == 587
    assert parse_config({**base, "tls": True}).port == 465
    for wrong in (
        {"sender": "nobody"},
        {"desk_url": "stadtserver/desk"},
        {"port": 70000},
        {"username": "dorfhub", "password": "geheim"},  # in clear text to another machine
    ):
        with pytest.raises(MailConfigError):
            parse_config({**base, **wrong})
    assert parse_config({**base, "host": "127.0.0.1", "username": "u"}).username == "u"
    assert address_problem("kern@example.org") is None
    for bad in ("kern", "a@b", "kern@example.org, boss@example.org", "a b@example.org", "a@b\n.de"):
        assert address_problem(bad) is not None
