"""Help requests: a resident asks for a digital guide at the kiosk; guides and the hub work them.

A request is a `help.request` op whose body (name, phone) is sealed to the town servers, the
network's guides and a key made for this one request, which the hub keeps only while it may
read the request (content/help_hub_keys.py): the hub's own node key is no recipient, so a kiosk
taken later opens nothing. Its state is public and separate: `help.update` ops, folded
into the `help_states` view by request id and joined with the requests only when read, so the
result does not depend on which of the two a node received first.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from content.bodies import HelpUpdateBody, Millis, encode_body
from content.clock import trusted_now
from content.errors import ContentError
from content.help_hub_keys import hub_may_read, keep_key, new_request_key, public_hex, request_keys
from content.identity import Identity
from content.local_time import local
from content.log import Log, append_in
from content.notices import Notice, active_notices
from content.office_hours import OFFICE_HOURS_CATEGORY
from content.ops import EntityId
from content.roles import help_request_prefix
from content.sealing import MAX_RECIPIENTS, SealError, open_with_key, seal

MAX_NAME = 80
MAX_PHONE = 30
PHONE_PATTERN = r"^[0-9 +()/-]*$"
# Roles that receive every help request of the network, besides the hub's key for the request.
RECIPIENT_ROLES = ("server", "guide")
# An office hour announced without an end is taken to last this long.
DEFAULT_EVENT_MS = 2 * 3600 * 1000
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
# What the help is about, as the kiosk asks first: Handy/Tablet, Formular/Amt,
# Arzttermin/Gesundheit, Sonstiges; "" for a request that does not say (and older requests).
HelpKind = Literal["", "device", "forms", "health", "other"]
HELP_KINDS: tuple[str, ...] = ("device", "forms", "health", "other")


class HelpError(ContentError):
    """A help request or update that cannot be made; nothing was stored."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field  # which input was wrong ("name", "phone"), for the screen to point at


class HelpRequestBody(msgspec.Struct, forbid_unknown_fields=True):
    """The sealed plaintext of a help.request."""

    name: Annotated[str, msgspec.Meta(max_length=MAX_NAME)]
    phone: Annotated[str, msgspec.Meta(max_length=MAX_PHONE, pattern=PHONE_PATTERN)]
    hub: Annotated[str, msgspec.Meta(max_length=MAX_NAME)]
    on_behalf: bool
    created: Millis
    # Not personal, but sealed with the rest: with the time and hub it would say who needs what.
    kind: HelpKind = ""


@dataclass(frozen=True)
class HelpRequest:
    id: str
    time_ms: int
    name: str
    phone: str
    on_behalf: bool
    state: str  # "open" | "done"
    readable: bool = True  # False: the hub no longer holds its key; name and phone are ""
    kind: str = ""  # HELP_KINDS, or "" (not said, or not readable)


_request_decoder = msgspec.json.Decoder(HelpRequestBody)


def request_help(
    log: Log, hub: Identity, name: str, phone: str, on_behalf: bool = False, kind: str = ""
) -> str:
    """Append a sealed help request made at `hub`; returns its id. Name, phone and the kind of
    help (HELP_KINDS) may be empty. Raises HelpError (nothing stored) for a bad name, phone or
    kind, AppendRefused if `hub` may not."""
    name, phone = name.strip(), phone.strip()
    if kind and kind not in HELP_KINDS:
        raise HelpError(f"the kind of help must be one of {', '.join(HELP_KINDS)}", "kind")
    problem = contact_problem(name, phone)
    if problem is not None:
        raise HelpError(*problem)
    conn = log.store.conn
    now_ms = trusted_now(conn).now_ms
    body = HelpRequestBody(
        name=name,
        phone=phone,
        hub=_hub_name(conn, hub),
        on_behalf=on_behalf,
        created=now_ms,
        kind=kind,  # type: ignore[arg-type]  # checked against HELP_KINDS above
    )
    request_key = new_request_key()
    recipients = sorted({*_network_recipients(conn, now_ms), public_hex(request_key)})
    if len(recipients) > MAX_RECIPIENTS:
        raise HelpError(f"a help request can be sealed to at most {MAX_RECIPIENTS} keys")
    try:
        box = seal(encode_body(body), recipients)
    except SealError as exc:
        raise HelpError(str(exc)) from None
    request_id = help_request_prefix(hub.key_id) + uuid.uuid4().hex[:20]
    with log.store.write() as write:
        append_in(write, log.network_id, hub, "help.request", request_id, box, recipients)
        keep_key(write, request_id, request_key, now_ms)
    return request_id


def contact_problem(name: str, phone: str) -> tuple[str, str] | None:
    """What is wrong with a person's name or phone number as typed (stripped): the message and
    which of the two ("name", "phone"); None if both may be sealed. Submissions take the same
    contact (content/submissions.py)."""
    if len(name) > MAX_NAME or not name.isprintable():
        return f"the name must be at most {MAX_NAME} printable characters", "name"
    if len(phone) > MAX_PHONE or not re.match(PHONE_PATTERN, phone):
        return (
            "the phone number may hold only digits, spaces and + - ( ) / "
            f"(at most {MAX_PHONE} characters)",
            "phone",
        )
    return None


def help_requests_for_hub(
    conn: sqlite3.Connection, hub: Identity, now_ms: int | None = None
) -> list[HelpRequest]:
    """The requests made at this hub, newest first. Name and phone only of those it may still
    read (open and younger than HUB_READ_DAYS at `now_ms`, trusted now if not given), opened
    with the request's own key; the others come with `readable` False."""
    now_ms = trusted_now(conn).now_ms if now_ms is None else now_ms
    keys = request_keys(conn)
    rows = conn.execute(
        "SELECT o.entity, o.time, o.body, coalesce(s.state, 'open') FROM ops o "
        "LEFT JOIN help_states s ON s.request_id = o.entity "
        # An erased request (content/retention.py) is gone from the guide's list too.
        "WHERE o.kind = 'help.request' AND o.author = ? AND o.body IS NOT NULL "
        "ORDER BY o.time DESC, o.lamport DESC",
        (hub.key_id,),
    )
    requests = []
    for request_id, time_ms, box, state in rows:
        key, created_ms = keys.get(request_id, (None, 0))
        body = None
        if key is not None and box is not None and hub_may_read(state, created_ms, now_ms):
            body = _opened(box, key)
        if body is None:
            requests.append(HelpRequest(request_id, time_ms, "", "", False, state, readable=False))
        else:
            requests.append(
                HelpRequest(
                    request_id,
                    time_ms,
                    body.name,
                    body.phone,
                    body.on_behalf,
                    state,
                    kind=body.kind,
                )
            )
    return requests


def _opened(box: bytes, key: X25519PrivateKey) -> HelpRequestBody | None:
    try:
        return _request_decoder.decode(open_with_key(box, key))
    except (SealError, msgspec.DecodeError):
        return None  # not a request this software can read


def mark_help_done(log: Log, hub_or_guide: Identity, request_id: str) -> str:
    """Append a public `help.update` setting the request's state to done; returns the op id.
    A guide may mark any request, a hub only its own (AppendRefused otherwise)."""
    return _set_state(log, hub_or_guide, request_id, "done")


def reopen_help(log: Log, hub_or_guide: Identity, request_id: str) -> str:
    """Append a `help.update` setting the request's state back to open (marked done by
    mistake, or the call did not reach the person); the same rights as `mark_help_done`. The
    request's retention then counts from the request again, and a hub that erased its key for
    the request (content/help_hub_keys.py) does not get it back: guides and servers read it."""
    return _set_state(log, hub_or_guide, request_id, "open")


def _set_state(log: Log, author: Identity, request_id: str, state: Literal["open", "done"]) -> str:
    try:
        msgspec.convert(request_id, EntityId)
    except msgspec.ValidationError:
        raise HelpError(f"not a help request id: {request_id!r}") from None
    return log.append(author, "help.update", request_id, encode_body(HelpUpdateBody(state=state)))


def guide_office_hours(conn: sqlite3.Connection, hub_name: str, now_ms: int) -> list[str]:
    """German lines saying when a digital guide is at this hub, soonest first, from the live
    notices in category `digitales` for this hub that announce an event not yet over."""
    return [
        _office_hour_line(n.event_start, n.event_end, n.place or "", n.title["de"])
        for n in _upcoming_office_hours(conn, hub_name, now_ms)
        if n.event_start is not None
    ]


def guide_office_hour_times(
    conn: sqlite3.Connection, hub_name: str, now_ms: int
) -> list[tuple[int, int]]:
    """(start, end) in ms of the office hours `guide_office_hours` lists, soonest first; an end
    not announced is DEFAULT_EVENT_MS after the start. For the kiosk's answer ("die nächste
    Sprechstunde ist Do 14 Uhr")."""
    return sorted(
        (n.event_start, _office_hour_end(n))
        for n in _upcoming_office_hours(conn, hub_name, now_ms)
        if n.event_start is not None
    )


def _upcoming_office_hours(conn: sqlite3.Connection, hub_name: str, now_ms: int) -> list[Notice]:
    """The hub's office-hour notices whose event is not over, by start."""
    hub_key = _hub_key(conn, hub_name)
    # A hub this node does not know by name sees only notices meant for every hub.
    notices = active_notices(conn, hub=hub_key or "", at_ms=now_ms, category=OFFICE_HOURS_CATEGORY)
    upcoming = [n for n in notices if n.event_start is not None and _office_hour_end(n) > now_ms]
    return sorted(upcoming, key=lambda n: n.event_start or 0)


def _office_hour_end(notice: Notice) -> int:
    """An office hour's end; one announced without an end lasts DEFAULT_EVENT_MS."""
    return notice.event_end or (notice.event_start or 0) + DEFAULT_EVENT_MS


def _office_hour_line(start_ms: int, end_ms: int | None, place: str, title: str) -> str:
    start = local(start_ms)
    when = f"{WEEKDAYS[start.weekday()]} {start:%d.%m.}, {start:%H:%M}"
    if end_ms is not None:
        end = local(end_ms)
        if end.date() == start.date():
            when += f"–{end:%H:%M}"
    parts = [f"{when} Uhr", place] if place else [f"{when} Uhr"]
    return f"{', '.join(parts)}: {title}"


def _network_recipients(conn: sqlite3.Connection, now_ms: int) -> list[str]:
    """Seal keys of every unrevoked server and guide whose grant is valid now."""
    rows = conn.execute("SELECT seal, grants FROM keys WHERE revoke_op IS NULL AND seal != ''")
    return [
        seal_key
        for seal_key, grants_json in rows
        if any(
            grant["role"] in RECIPIENT_ROLES
            and (grant["valid_from"] is None or grant["valid_from"] <= now_ms)
            and (grant["valid_until"] is None or now_ms < grant["valid_until"])
            for grant in json.loads(grants_json)
        )
    ]


def _hub_name(conn: sqlite3.Connection, hub: Identity) -> str:
    row = conn.execute("SELECT name FROM keys WHERE key = ?", (hub.key_id,)).fetchone()
    return str(row[0]) if row and row[0] else hub.name


def _hub_key(conn: sqlite3.Connection, hub_name: str) -> str | None:
    row = conn.execute(
        "SELECT k.key FROM keys k, json_each(k.grants) g "
        "WHERE k.name = ? AND json_extract(g.value, '$.role') = 'hub' ORDER BY k.key LIMIT 1",
        (hub_name,),
    ).fetchone()
    return None if row is None else str(row[0])
