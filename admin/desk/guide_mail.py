"""Mail to the guides when a new help request waits at one of their hubs (docs/desk.md
"Guides"), if the town server's config.toml names an SMTP server:

    [mail]
    host = "smtp.landkreis.example"   # without it, no mail is sent
    port = 587
    starttls = true                   # or tls = true (port 465); neither: plain SMTP, which
                                      # is allowed to this machine only when logging in
    username = "dorfhub"              # optional, with password
    password = "…"
    sender = "dorfhub@landkreis.example"
    desk_url = "https://stadtserver.example/desk/"

    [mail.guides]                     # written by `dorfhub desk user add/email`
    "Frau Kern" = "kern@example.org"

A mail says only that a new request waits at hub X, and links to the desk: the person's name
and phone travel sealed and are opened in the guide's desk session, never in a mail. A town
server's call-back (a booking cancelled or rejected) names its hub only inside the sealed body,
so it is mailed to every guide as "a call-back".

The server remembers which requests it has mailed about in `guide-mail.json` in its home
(request ids and times only), so a restart mails nothing twice; when the file is first made,
the requests already there are taken as told (no mail about the past). A request whose mail
failed is tried again a minute later.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import sqlite3
import ssl
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from admin.desk.accounts import USERS_DIR, list_users, name_key
from admin.desk.guide_data import guide_hubs
from admin.desk.i18n import Translator
from content.grants import roles_of
from content.private_files import write_private
from content.roles import help_request_prefix

log = logging.getLogger("dorfhub.desk.mail")
STATE_FILE = "guide-mail.json"
CONFIG_FILE = "config.toml"
POLL_S = 2.0  # how often the log's version is looked at: one cheap read
RETRY_S = 60.0  # after a failed mail
# Requests older than this are neither mailed nor remembered (none is kept longer: 30 days).
WINDOW_MS = 31 * 24 * 3600 * 1000
SMTP_TIMEOUT_S = 20.0
MAX_ADDRESS_CHARS = 254
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[A-Za-z]{2,}$")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def address_problem(address: str) -> str | None:
    """Why this is no mail address the desk sends to (one plain address, nothing a mail header
    could read as more)."""
    if len(address) > MAX_ADDRESS_CHARS or not _ADDRESS.match(address):
        return f"not a mail address: {address!r}"
    return None


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    sender: str
    desk_url: str
    starttls: bool = False
    tls: bool = False
    username: str = ""
    password: str = ""
    guides: dict[str, str] = field(default_factory=dict)  # desk user's name -> address

    def address_of(self, name: str) -> str:
        wanted = name_key(name)
        return next((a for n, a in self.guides.items() if name_key(n) == wanted), "")


class MailConfigError(ValueError):
    """A [mail] table the server cannot send with; the message says which entry."""


def read_config(home: Path) -> MailConfig | None:
    """The [mail] table of the home's config.toml; None when it names no host."""
    try:
        with (home / CONFIG_FILE).open("rb") as handle:
            table = tomllib.load(handle).get("mail", {})
    except FileNotFoundError:
        return None
    if not isinstance(table, dict) or not table.get("host"):
        return None
    return parse_config(table)


def parse_config(table: dict[str, Any]) -> MailConfig:
    def text(name: str, default: str = "") -> str:
        value = table.get(name, default)
        if not isinstance(value, str):
            raise MailConfigError(f"[mail] {name} must be a string")
        return value.strip()

    starttls, tls = bool(table.get("starttls", False)), bool(table.get("tls", False))
    port = table.get("port", 465 if tls else 587 if starttls else 25)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise MailConfigError("[mail] port must be a port number")
    guides = table.get("guides", {})
    if not isinstance(guides, dict):
        raise MailConfigError("[mail.guides] maps desk users' names to mail addresses")
    config = MailConfig(
        host=text("host"),
        port=port,
        sender=text("sender"),
        desk_url=text("desk_url"),
        starttls=starttls,
        tls=tls,
        username=text("username"),
        password=text("password"),
        guides={str(name): str(address) for name, address in guides.items()},
    )
    if address_problem(config.sender):
        raise MailConfigError("[mail] sender must be a mail address")
    if not config.desk_url.startswith(("https://", "http://")):
        raise MailConfigError("[mail] desk_url must be the desk's address (https://…/desk/)")
    if config.username and not (tls or starttls) and config.host not in LOOPBACK_HOSTS:
        # A password must not cross the network in clear text.
        raise MailConfigError("[mail] username needs tls or starttls to another machine")
    return config


# ---- what is new ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRequest:
    request_id: str
    time_ms: int
    hub_key: str | None  # None: a town server's call-back
    hub_name: str


def recent_requests(conn: sqlite3.Connection, now_ms: int) -> list[NewRequest]:
    """Help requests of the last WINDOW_MS whose bodies are still held (sealed_items lists the
    sealed ops without the whole log), with the hub each names."""
    rows = conn.execute(
        "SELECT s.entity, s.author, s.time, k.name, "
        "EXISTS (SELECT 1 FROM json_each(k.grants) g WHERE json_extract(g.value, '$.role') = 'hub')"
        " FROM sealed_items s LEFT JOIN keys k ON k.key = s.author "
        "WHERE s.kind = 'help.request' AND s.time > ? ORDER BY s.time",
        (now_ms - WINDOW_MS,),
    )
    found = []
    for request_id, author, time_ms, name, is_hub in rows:
        made_at_hub = bool(is_hub) and request_id.startswith(help_request_prefix(author))
        hub_key = author if made_at_hub else None
        found.append(NewRequest(request_id, time_ms, hub_key, str(name or "") if hub_key else ""))
    return found


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    text: str


def letters_for(
    conn: sqlite3.Connection,
    users_dir: Path,
    config: MailConfig,
    request: NewRequest,
    words: Translator,
    now_ms: int,
) -> list[Letter]:
    """One mail for each guide with an address whose key holds the guide role now and whose
    hubs include the request's (every such guide for a call-back)."""
    network_id = str(conn.execute("SELECT id FROM network").fetchone()[0])
    letters = []
    for user in list_users(users_dir):
        address = config.address_of(user.name) if user.role == "guide" else ""
        if not address or "guide" not in roles_of(conn, network_id, user.key, at_ms=now_ms):
            continue
        if request.hub_key is not None:
            hubs = {hub.key for hub in guide_hubs(conn, user.key, now_ms)}
            if request.hub_key not in hubs:
                continue
        letters.append(_letter(address, config, request, words))
    return letters


def _letter(address: str, config: MailConfig, request: NewRequest, words: Translator) -> Letter:
    link = config.desk_url.rstrip("/") + "/guide"
    parts, subjects = [], []
    for language in ("de", "en"):
        values = {
            "hub": request.hub_name,
            "moment": words.moment(language, request.time_ms),
            "link": link,
        }
        kind = "hub" if request.hub_key else "callback"
        subjects.append(words.t(language, f"guide.mail.subject.{kind}", **values))
        parts.append(words.t(language, f"guide.mail.text.{kind}", **values))
    return Letter(address, " / ".join(subjects), "\n\n".join(parts) + "\n")


def send(config: MailConfig, letters: Iterable[Letter]) -> None:
    """Send the letters over one SMTP connection; OSError or smtplib.SMTPException if any
    fails."""
    letters = list(letters)
    if not letters:
        return
    context = ssl.create_default_context()
    if config.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=SMTP_TIMEOUT_S, context=context
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_S)
    with client:
        if config.starttls and not config.tls:
            client.starttls(context=context)
        if config.username:
            client.login(config.username, config.password)
        for letter in letters:
            message = EmailMessage()
            message["From"] = config.sender
            message["To"] = letter.to
            message["Subject"] = letter.subject
            message.set_content(letter.text)
            client.send_message(message)


# ---- the loop ---------------------------------------------------------------------------------


class GuideMailer:
    """Looks for new help requests in the server's log and mails the guides about them."""

    def __init__(
        self, home: Path, db_path: Path, now_ms: Callable[[], int], words: Translator
    ) -> None:
        self.home = home
        self.db_path = db_path
        self.now_ms = now_ms
        self.words = words
        self.state_path = home / STATE_FILE
        self.stop = threading.Event()
        self.conn: sqlite3.Connection | None = None  # the loop's own, for data_version
        self.thread = threading.Thread(target=self._loop, name="dorfhub-guide-mail", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        version: int | None = None
        retry_at: float | None = None
        while not self.stop.wait(POLL_S):
            try:
                current = self._data_version()
                due = retry_at is not None and time.monotonic() >= retry_at
                if current == version and not due:
                    continue
                version = current
                retry_at = time.monotonic() + RETRY_S if self.run_once() else None
            except Exception:
                log.exception("guide mail failed")  # never personal data: ids at most
                retry_at = time.monotonic() + RETRY_S

    def _data_version(self) -> int:
        """SQLite's count of commits by other connections: a change is worth a look."""
        if self.conn is None:
            self.conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def run_once(self) -> int:
        """Mail about the requests not mailed yet; returns how many requests still wait (their
        mail failed), to be tried again."""
        config = read_config(self.home)
        if config is None:
            return 0
        now = self.now_ms()
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30) as conn:
            requests = recent_requests(conn, now)
            seen = self._seen(requests)
            waiting = 0
            for request in requests:
                if request.request_id in seen:
                    continue
                letters = letters_for(conn, self.home / USERS_DIR, config, request, self.words, now)
                try:
                    send(config, letters)
                except (OSError, smtplib.SMTPException) as exc:
                    log.warning("mail about help request %s not sent: %s", request.request_id, exc)
                    waiting += 1
                    continue
                seen[request.request_id] = request.time_ms
                self._save(seen, now)
        return waiting

    def _seen(self, requests: list[NewRequest]) -> dict[str, int]:
        try:
            document = json.loads(self.state_path.read_text())
            return {str(k): int(v) for k, v in document.get("seen", {}).items()}
        except FileNotFoundError:
            # The first run: what is there already was before mail was set up.
            seen = {request.request_id: request.time_ms for request in requests}
            self._save(seen, self.now_ms())
            return seen

    def _save(self, seen: dict[str, int], now_ms: int) -> None:
        kept = {key: at for key, at in seen.items() if at > now_ms - WINDOW_MS}
        temporary = self.state_path.with_suffix(".tmp")
        write_private(temporary, json.dumps({"seen": kept}, sort_keys=True).encode())
        temporary.replace(self.state_path)


def start_mailer(home: Path, db_path: Path, now_ms: Callable[[], int], words: Translator) -> None:
    """Start the mail loop when the home's config names an SMTP server (a wrong [mail] table
    stops the server at start, with the entry named, rather than failing quietly later)."""
    if read_config(home) is None:
        return
    GuideMailer(home, db_path, now_ms, words).start()
