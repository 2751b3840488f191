"""Body schemas per op kind, and the pure check that a body fits its header.

Bodies are JSON decoded strictly into typed structs (msgspec), except blobs (raw bytes) and
sealed kinds (a sealed box whose recipients must equal the header's `sealed_to`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec

from content.article_bodies import ArticleBody, check_article
from content.booking_bodies import (
    BOOKING_SCHEMAS,
    CancelBody,
    DecisionBody,
    PracticeMetaBody,
    SlotBody,
    SlotWithdrawBody,
    check_booking_op,
    check_request_header,
)
from content.languages import LANGUAGES as LANGUAGES
from content.languages import Language as Language
from content.limits import MAX_ATTACHMENT_BYTES as MAX_ATTACHMENT_BYTES
from content.limits import MAX_JSON_BODY_BYTES as MAX_JSON_BODY_BYTES
from content.limits import MAX_NAME_CHARS, MAX_REPORTED_FORKS
from content.names import name_problem
from content.ops import Header, Hex32, NonNegativeInt, OpError
from content.retention import ERASABLE_KINDS, NetworkSettingsBody, check_settings
from content.roles import GRANTABLE_ROLES, KNOWN_KINDS, SEALED_KINDS, help_request_prefix
from content.sealing import SealError, recipients_of
from content.sensors import SensorAlertBody, SensorRollupBody, check_sensor_op
from content.submission_rules import notice_id_for, submission_author, submission_header_problem
from content.warning_bodies import Official

PRIORITIES = ("normal", "important", "emergency")
Priority = Literal["normal", "important", "emergency"]
CATEGORIES = (
    "allgemein",
    "veranstaltung",
    "gesundheit",
    "mobilitaet",
    "verwaltung",
    "warnung",
    "digitales",
    "verein",
)
Category = Literal[
    "allgemein",
    "veranstaltung",
    "gesundheit",
    "mobilitaet",
    "verwaltung",
    "warnung",
    "digitales",
    "verein",
]
MAX_ATTACHMENTS = 8
# Kinds whose superseded bodies a node may prune locally (these travel only with their body),
# and the sealed kinds whose bodies every node erases after their retention period (those
# travel without it once erased: content/retention.py).
PRUNABLE_KINDS = frozenset({"notice.put", "hub.status", "server.status"}) | ERASABLE_KINDS
# Kinds whose body travels apart from its header: a hub holds a file's header without its bytes
# when it shows no notice that names the file (content/relay.py).
DETACHED_KINDS = frozenset({"blob.put"})
# Kinds that a node reports about itself: the entity must be the author.
SELF_REPORT_KINDS = frozenset({"hub.status", "server.status"})

# A notice's title, text and event place, in characters: the desk's editor and the command
# line say these limits before the schema refuses a longer text.
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 20_000
MAX_PLACE_CHARS = 200

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE_CHARS)]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME_CHARS)]
Group = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9ÄÖÜäöüß ._-]{1,60}$")]
Millis = Annotated[int, msgspec.Meta(ge=0, le=2**53)]


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class GrantBody(Strict):
    key: Hex32
    seal: Hex32
    role: str
    name: Name
    groups: list[Group] = []
    valid_from: Millis | None = None
    valid_until: Millis | None = None
    may_grant: bool = False


class RevokeBody(Strict):
    key: Hex32
    after_seq: NonNegativeInt
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class Event(Strict):
    start: Millis
    end: Millis | None = None
    place: Annotated[str, msgspec.Meta(max_length=MAX_PLACE_CHARS)] = ""


class Attachment(Strict):
    blob: Hex32
    name: Name
    mime: Annotated[str, msgspec.Meta(pattern="^[a-z]+/[a-z0-9.+-]+$")]
    size: Annotated[int, msgspec.Meta(ge=1, le=MAX_ATTACHMENT_BYTES)]


class Targets(Strict):
    """Empty lists on both sides mean: every hub of the network."""

    hubs: list[Hex32] = []
    groups: list[Group] = []


class NoticeBody(Strict):
    title: dict[Language, Title]
    body: dict[Language, Text]
    category: Category
    valid_from: Millis
    priority: Priority = "normal"
    valid_until: Millis | None = None
    event: Event | None = None
    targets: Targets = msgspec.field(default_factory=Targets)
    attachments: Annotated[list[Attachment], msgspec.Meta(max_length=MAX_ATTACHMENTS)] = []
    # An official warning's source (content/warning_bodies.py). Left out of the JSON when None
    # (encode_body), so every other notice's bytes are what they were before warnings existed.
    official: Official | None = None


class RetractBody(Strict):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class NetworkMetaBody(Strict):
    name: Name


class ModerationBody(Strict):
    """An admin's decision on a submission (content/submissions.py): public, so the submitter
    sees it, and with nothing personal in it. Accepted: the id of the notice it became;
    rejected: the reason the submitter reads."""

    accepted: bool
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
    notice: str = ""


class HelpUpdateBody(Strict):
    """Public on purpose: a state, never who asked or what for."""

    state: Literal["open", "done"]


SCHEMAS: dict[str, type[msgspec.Struct]] = {
    "key.grant": GrantBody,
    "key.revoke": RevokeBody,
    "notice.put": NoticeBody,
    "notice.retract": RetractBody,
    "article.put": ArticleBody,
    "article.retract": RetractBody,
    "network.meta": NetworkMetaBody,
    "network.settings": NetworkSettingsBody,
    "help.update": HelpUpdateBody,
    "moderation.accept": ModerationBody,
    "sensor.rollup": SensorRollupBody,
    "sensor.alert": SensorAlertBody,
    **BOOKING_SCHEMAS,
}
_decoders = {kind: msgspec.json.Decoder(schema) for kind, schema in SCHEMAS.items()}
_any_object = msgspec.json.Decoder(dict[str, Any])
# Authors a hub reports as forked (hub.status `quarantined`): they reach admins' terminals.
ReportedForks = Annotated[list[Hex32], msgspec.Meta(max_length=MAX_REPORTED_FORKS)]
Bytes = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Seconds = Annotated[int, msgspec.Meta(ge=-(2**40), le=2**40)]


class HubStatusChecked(msgspec.Struct):
    """The fields of a hub.status body that reach admins (`dorfhub status`, the desk's fleet).
    The body is otherwise free-form, and each of these may be missing: hubs of older versions
    send fewer."""

    quarantined: ReportedForks = []
    # The file system of the hub's home (shutil.disk_usage), since the desk's fleet.
    disk_free_bytes: Bytes | None = None
    disk_total_bytes: Bytes | None = None
    # The town server's clock minus the hub's, learnt at the hub's last hello with it (its
    # signed requests are already corrected by it); positive: the hub's clock is behind.
    clock_offset_s: Seconds | None = None


def encode_body(body: msgspec.Struct | dict[str, Any]) -> bytes:
    if isinstance(body, NoticeBody) and body.official is None:
        # Older nodes refuse an unknown field: only warnings carry it (docs/protocol.md).
        fields = msgspec.to_builtins(body)
        del fields["official"]
        return msgspec.json.encode(fields)
    return msgspec.json.encode(body)


def decode_body(kind: str, body: bytes) -> Any:
    """Decode a stored body that passed `check_body` once; raises OpError if it does not parse."""
    try:
        decoder = _decoders.get(kind, _any_object)
        return decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise OpError(f"invalid {kind} body: {exc}") from None


def check_kind_body(header: Header, body: bytes | None, pruned_ok: bool = False) -> Any:
    """Check what a body must be for its kind; raise OpError with the reason if it is not.
    Returns the decoded JSON body (None for pruned, sealed and blob bodies).

    `pruned_ok` admits a missing body of a prunable or detached kind: when a node replays its
    own log, or for a file's header that a hub takes without the bytes (content/relay.py);
    never for other ops from peers (a relay could otherwise strip bodies to hide content)."""
    if header.kind not in KNOWN_KINDS:
        raise OpError(f"unknown kind {header.kind}")
    if header.kind in SELF_REPORT_KINDS and header.entity != header.author:
        raise OpError(f"{header.kind} is a report about its author's own node")
    if header.kind == "help.request" and _names_another_author(header):
        raise OpError("a help request's id names another author")
    if header.kind == "booking.request":
        check_request_header(header)
    if header.kind == "submission.put" and (problem := submission_header_problem(header)):
        raise OpError(problem)
    sealed = header.kind in SEALED_KINDS
    if not sealed and header.sealed_to:
        raise OpError(f"{header.kind} bodies are public and must not be sealed")
    if sealed and not header.sealed_to:
        raise OpError(f"{header.kind} carries personal data and must be sealed")
    if body is None:
        if not (pruned_ok and header.kind in PRUNABLE_KINDS | DETACHED_KINDS):
            raise OpError(f"{header.kind} op arrived without its body")
        return None
    if sealed:
        _check_sealed(header, body)
        return None
    if header.kind == "blob.put":
        _check_blob(header, body)
        return None
    return _check_json(header, body)


def _check_sealed(header: Header, body: bytes) -> None:
    try:
        recipients = recipients_of(body)
    except SealError as exc:
        raise OpError(f"invalid sealed body: {exc}") from None
    if recipients != header.sealed_to:
        raise OpError("sealed body recipients differ from the header's sealed_to")


def _check_blob(header: Header, body: bytes) -> None:
    if len(body) > MAX_ATTACHMENT_BYTES:
        raise OpError(f"attachment too large ({len(body)} bytes, limit {MAX_ATTACHMENT_BYTES})")
    if header.entity != header.body_hash:
        raise OpError("a blob's entity id must be its content hash")


def _check_json(header: Header, body: bytes) -> Any:
    if len(body) > MAX_JSON_BODY_BYTES:
        raise OpError(f"{header.kind} body too large ({len(body)} bytes)")
    parsed = decode_body(header.kind, body)
    if isinstance(parsed, GrantBody):
        _check_grant(header, parsed)
    elif isinstance(parsed, RevokeBody):
        if parsed.key != header.entity:
            raise OpError("a revoke's entity id must be the revoked key")
    elif isinstance(parsed, NoticeBody):
        _check_notice(parsed)
    elif isinstance(parsed, ArticleBody):
        check_article(parsed)
    elif isinstance(parsed, ModerationBody):
        _check_moderation(header, parsed)
    elif isinstance(parsed, NetworkMetaBody):
        _check_display_name("network", parsed.name)
    elif isinstance(parsed, NetworkSettingsBody):
        check_settings(header.entity, header.net, parsed)
    elif header.kind == "hub.status":
        _check_hub_status(parsed)
    elif isinstance(parsed, SensorRollupBody | SensorAlertBody):
        # A hub speaks only about its own sensors: checked here, so every node refuses it.
        check_sensor_op(header, parsed)
    elif isinstance(
        parsed, PracticeMetaBody | SlotBody | SlotWithdrawBody | DecisionBody | CancelBody
    ):
        check_booking_op(header, parsed)
    return parsed


def _check_grant(header: Header, grant: GrantBody) -> None:
    if grant.key != header.entity:
        raise OpError("a grant's entity id must be the granted key")
    if grant.role not in GRANTABLE_ROLES:
        raise OpError(f"unknown role {grant.role!r}")
    if grant.may_grant and grant.role != "admin":
        raise OpError("only admins can be allowed to grant")
    _check_display_name("grant", grant.name)
    if _reversed(grant.valid_from, grant.valid_until):
        raise OpError("grant validity ends before it starts")


def _check_display_name(what: str, name: str) -> None:
    # Part of every node's op check, so no admin key (hostile, or an old version's) can spread
    # a name that a terminal or a kiosk would act on instead of showing.
    problem = name_problem(name)
    if problem is not None:
        raise OpError(f"{what} name {problem}")


def _check_notice(notice: NoticeBody) -> None:
    if "de" not in notice.title or "de" not in notice.body:
        raise OpError("a notice needs a German title and body")
    if _reversed(notice.valid_from, notice.valid_until):
        raise OpError("notice display window ends before it starts")
    if notice.event and _reversed(notice.event.start, notice.event.end):
        raise OpError("event ends before it starts")
    if notice.official is not None:
        _check_display_name("warning source", notice.official.source)


def _check_moderation(header: Header, decision: ModerationBody) -> None:
    if submission_author(header.entity) is None:
        raise OpError("a moderation decision's entity must be a submission id")
    if decision.accepted and decision.notice != notice_id_for(header.entity):
        raise OpError("an accepted submission names the notice it became (n-<submission id>)")
    if not decision.accepted and (decision.notice or not decision.reason.strip()):
        raise OpError("a rejected submission names no notice and gives a reason")


def _check_hub_status(status: dict[str, Any]) -> None:
    """hub.status is free-form, but what admins are shown is checked: the forked authors it
    reports (only key ids, and a bounded number of them), the disk and the clock offset."""
    try:
        msgspec.convert(status.get("quarantined", []), ReportedForks)
    except msgspec.ValidationError:
        raise OpError(
            f"hub.status quarantined must list at most {MAX_REPORTED_FORKS} author keys"
        ) from None
    try:
        checked = msgspec.convert(status, HubStatusChecked)
    except msgspec.ValidationError as exc:
        raise OpError(f"invalid hub.status body: {exc}") from None
    free, total = checked.disk_free_bytes, checked.disk_total_bytes
    if (free is None) != (total is None) or (free or 0) > (total or 0):
        raise OpError("hub.status disk_free_bytes and disk_total_bytes go together, free <= total")


def _names_another_author(header: Header) -> bool:
    """Help request ids made by content/help.py embed their author, so an update can be checked
    against the id alone; nobody may take another author's id (older ids name nobody)."""
    named = re.match("h-([0-9a-f]{64})-", header.entity)
    return named is not None and header.entity[: named.end()] != help_request_prefix(header.author)


def _reversed(start: int | None, end: int | None) -> bool:
    return start is not None and end is not None and end <= start
