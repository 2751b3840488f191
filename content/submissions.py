"""Submissions and moderation: notices that others write and an admin publishes.

Two kinds of author submit (`submission.put`):

- a hub, for a resident at its kiosk: a small notice for the "Biete / Suche" board (a lift,
  help between neighbours, lost and found), for that hub's board only;
- an editor (a club, a parish, the fire brigade: role `editor`), a notice as the desk's
  editor makes it, for hubs its grant names (the hubs whose grants name one of the groups of
  the editor's grants).

The body is sealed: it holds the notice and the contact (name, phone), which never leave it.
Its recipients are the town servers and the admins (every unrevoked key whose grant, valid
now, is `server` or `admin`), and an editor itself, so that it can read its own submissions
back in the desk. A hub's own node key is no recipient: a kiosk taken later opens nothing.

Nothing of a submission reaches a board before an admin accepts it: an admin then publishes
it as a `notice.put` signed with the admin's own key (an admin publishes notices anyway, so no
node needs a new rule to show it), id `n-<submission id>`, targeted only at what the submission
named, checked against what its author may name now; a `moderation.accept` beside it, in the
same transaction, records the decision. A rejection is a `moderation.accept` with `accepted`
false and a reason the submitter sees. Both are public and hold nothing personal.

What every node checks of a submission it cannot open (its id, its size, the daily limit per
author): content/submission_rules.py. Retention of the sealed body: content/retention.py.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

from content.authority import grant_valid_at
from content.bodies import (
    GrantBody,
    Millis,
    ModerationBody,
    NoticeBody,
    decode_body,
    encode_body,
)
from content.clock import trusted_now
from content.errors import ContentError

# The contact's limits are a help request's (the kiosk's screens say them from here too).
from content.help import MAX_NAME as MAX_NAME
from content.help import MAX_PHONE as MAX_PHONE
from content.help import PHONE_PATTERN as PHONE_PATTERN
from content.help import contact_problem
from content.identity import Identity
from content.limits import MAX_CLOCK_SKEW_MS
from content.log import Log, append_in
from content.notice_targets import Hub, network_of
from content.notices import notice_body
from content.sealing import MAX_RECIPIENTS, SealError, open_sealed, seal
from content.submission_rules import (
    DAY_MS,
    MODERATION_KIND,
    SUBMISSION_KIND,
    SUBMISSIONS_PER_DAY,
    notice_id_for,
    submission_author,
    submission_prefix,
    submissions_within_day,
)

MAX_TITLE = 100
MAX_TEXT = 1500
MAX_REASON = 500
# What a resident offers or looks for at the kiosk, and what the published title begins with.
RESIDENT_KINDS: dict[str, str] = {"biete": "Biete", "suche": "Suche", "fund": "Fundsache"}
# An editor's submission: a whole notice from the desk's editor.
EDITOR_KIND = "verein"
SubmissionKind = Literal["biete", "suche", "fund", "verein"]
# A resident's notice stays on the board this long from its acceptance.
RESIDENT_NOTICE_DAYS = 14
RECIPIENT_ROLES = ("server", "admin")
EDITOR_ROLE = "editor"
Status = Literal["pending", "accepted", "rejected"]


class SubmissionError(ContentError):
    """A submission or decision that cannot be made; nothing was stored."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        # Which input was wrong, for the screen to point at: "kind", "title", "text",
        # "contact_name", "contact_phone", "targets", or "" (the limit, the network).
        self.field = field


class SubmissionBody(msgspec.Struct, forbid_unknown_fields=True):
    """The sealed plaintext of a submission.put."""

    kind: SubmissionKind
    notice: NoticeBody
    contact_name: Annotated[str, msgspec.Meta(max_length=MAX_NAME)]
    contact_phone: Annotated[str, msgspec.Meta(max_length=MAX_PHONE, pattern=PHONE_PATTERN)]
    created: Millis
    # The hub a resident submitted at, by name ("" for an editor).
    hub: Annotated[str, msgspec.Meta(max_length=MAX_NAME)] = ""


_decoder = msgspec.json.Decoder(SubmissionBody)


@dataclass(frozen=True)
class Decision:
    accepted: bool
    reason: str
    notice_id: str
    author: str
    author_name: str
    time_ms: int


@dataclass(frozen=True)
class Submission:
    """A submission as one reader sees it: `body` None where it cannot open it (no
    recipient, or erased after its retention period)."""

    id: str
    author: str
    author_name: str
    time_ms: int
    body: SubmissionBody | None
    decision: Decision | None

    @property
    def status(self) -> Status:
        if self.decision is None:
            return "pending"
        return "accepted" if self.decision.accepted else "rejected"

    @property
    def title(self) -> str:
        return "" if self.body is None else self.body.notice.title["de"]


# ---- submitting --------------------------------------------------------------------------------


def submit_from_hub(
    log: Log,
    hub: Identity,
    kind: str,
    title: str,
    text: str,
    contact_name: str = "",
    contact_phone: str = "",
) -> str:
    """A resident's notice for this hub's "Biete / Suche" board, sealed with the contact;
    returns the submission's id. `kind`: one of RESIDENT_KINDS. Raises SubmissionError (with
    `.field`; nothing stored) for a bad input or when the hub reached its daily limit."""
    if kind not in RESIDENT_KINDS:
        raise SubmissionError(f"the kind must be one of {', '.join(RESIDENT_KINDS)}", "kind")
    title, text = _checked_texts(title, text)
    conn = log.store.conn
    now_ms = trusted_now(conn).now_ms
    shown = f"{RESIDENT_KINDS[kind]}: {title}"
    notice = notice_body(
        shown,
        text,
        valid_from=now_ms,
        valid_until=now_ms + RESIDENT_NOTICE_DAYS * DAY_MS,
        hubs=[hub.key_id],
    )
    hub_name = _key_name(conn, hub.key_id) or hub.name
    return _submit(log, hub, kind, notice, contact_name, contact_phone, hub_name, own=False)


def submit_from_editor(
    log: Log, editor: Identity, notice: NoticeBody, contact_name: str = "", contact_phone: str = ""
) -> str:
    """A club's notice (the desk's editor made it), for hubs and groups its grant names;
    returns the submission's id. Raises SubmissionError (nothing stored) for targets outside
    the grant, a text too long, attachments, or the daily limit."""
    for language in notice.title:
        _checked_texts(notice.title[language], notice.body.get(language, ""))
    if notice.attachments:
        raise SubmissionError("a submission carries no files", "attachments")
    problem = editor_targets_problem(
        log.store.conn, editor.key_id, notice.targets.hubs, notice.targets.groups
    )
    if problem is not None:
        raise SubmissionError(problem, "targets")
    return _submit(log, editor, EDITOR_KIND, notice, contact_name, contact_phone, "", own=True)


def _checked_texts(title: str, text: str) -> tuple[str, str]:
    title, text = title.strip(), text.strip()
    if not title:
        raise SubmissionError("a submission needs a title", "title")
    if len(title) > MAX_TITLE or not title.isprintable():
        raise SubmissionError(
            f"the title must be at most {MAX_TITLE} characters on one line", "title"
        )
    if len(text) > MAX_TEXT:
        raise SubmissionError(f"the text must be at most {MAX_TEXT} characters", "text")
    return title, text


def _submit(
    log: Log,
    author: Identity,
    kind: str,
    notice: NoticeBody,
    contact_name: str,
    contact_phone: str,
    hub_name: str,
    own: bool,
) -> str:
    contact_name, contact_phone = contact_name.strip(), contact_phone.strip()
    problem = contact_problem(contact_name, contact_phone)
    if problem is not None:
        raise SubmissionError(problem[0], f"contact_{problem[1]}")
    conn = log.store.conn
    now_ms = trusted_now(conn).now_ms
    seq = log.version_vector().get(author.key_id, 0) + 1
    if submissions_within_day(conn, author.key_id, seq, now_ms) >= SUBMISSIONS_PER_DAY:
        raise SubmissionError(
            f"at most {SUBMISSIONS_PER_DAY} submissions a day: please try again tomorrow"
        )
    body = SubmissionBody(
        kind=kind,  # type: ignore[arg-type]  # RESIDENT_KINDS or EDITOR_KIND, checked by callers
        notice=notice,
        contact_name=contact_name,
        contact_phone=contact_phone,
        created=now_ms,
        hub=hub_name,
    )
    own_keys = [author.public.seal_key] if own else []
    recipients = sorted({*_recipients(conn, now_ms), *own_keys})
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise SubmissionError(
            f"a submission is sealed to 1 to {MAX_RECIPIENTS} servers and admins; "
            f"this network has {len(recipients)}"
        )
    try:
        box = seal(encode_body(body), recipients)
    except SealError as exc:
        raise SubmissionError(str(exc)) from None
    submission_id = submission_prefix(author.key_id) + uuid.uuid4().hex[:20]
    log.append(author, SUBMISSION_KIND, submission_id, box, recipients)
    return submission_id


def _recipients(conn: sqlite3.Connection, now_ms: int) -> list[str]:
    """Seal keys of every unrevoked server and admin whose grant is valid now."""
    rows = conn.execute("SELECT seal, grants FROM keys WHERE revoke_op IS NULL AND seal != ''")
    return [
        seal_key
        for seal_key, grants_json in rows
        if any(
            grant["role"] in RECIPIENT_ROLES and grant_valid_at(grant, now_ms)
            for grant in json.loads(grants_json)
        )
    ]


# ---- what an editor may target -----------------------------------------------------------------


def editor_groups(conn: sqlite3.Connection, key: str, at_ms: int) -> list[str]:
    """The groups the key's unrevoked editor grants valid at `at_ms` name, each read from its
    own grant op (the keys view keeps only the latest grant's groups)."""
    row = conn.execute("SELECT revoke_op FROM keys WHERE key = ?", (key,)).fetchone()
    if row is None or row[0] is not None:
        return []
    groups: set[str] = set()
    for (body,) in conn.execute(
        "SELECT body FROM ops WHERE entity = ? AND kind = 'key.grant' AND body IS NOT NULL",
        (key,),
    ):
        grant = decode_body("key.grant", body)
        assert isinstance(grant, GrantBody)
        window = {"valid_from": grant.valid_from, "valid_until": grant.valid_until}
        if grant.role == EDITOR_ROLE and grant_valid_at(window, at_ms):
            groups.update(grant.groups)
    return sorted(groups, key=str.casefold)


def editor_hubs(conn: sqlite3.Connection, key: str, at_ms: int) -> list[Hub]:
    """The hubs an editor may submit for: those whose grants name one of its groups."""
    groups = set(editor_groups(conn, key, at_ms))
    return [hub for hub in network_of(conn).choices if groups & set(hub.groups)]


def editor_targets_problem(
    conn: sqlite3.Connection, key: str, hubs: Iterable[str], groups: Iterable[str]
) -> str | None:
    """Why an editor may not name these targets now; None if it may. At least one target:
    an editor never reaches every hub of the network."""
    hubs, groups = list(hubs), list(groups)
    now_ms = trusted_now(conn).now_ms
    own_groups = set(editor_groups(conn, key, now_ms))
    if not hubs and not groups:
        return "a submission names at least one of the editor's hubs or groups"
    outside_groups = sorted(set(groups) - own_groups)
    if outside_groups:
        return f"the editor's grant does not name the group {', '.join(outside_groups)}"
    own_hubs = {hub.key for hub in editor_hubs(conn, key, now_ms)}
    outside_hubs = sorted(set(hubs) - own_hubs)
    if outside_hubs:
        names = ", ".join(_key_name(conn, hub) or hub[:12] for hub in outside_hubs)
        return f"the hub {names} is in none of the editor's groups"
    return None


def targets_problem(conn: sqlite3.Connection, author: str, notice: NoticeBody) -> str | None:
    """Why a submission's notice may not be published to its targets now: a hub's only to
    itself, an editor's only within its grant (as it is at the decision)."""
    row = conn.execute(
        "SELECT grants FROM keys WHERE key = ? AND revoke_op IS NULL", (author,)
    ).fetchone()
    roles = {grant["role"] for grant in json.loads(row[0])} if row else set()
    if "hub" in roles and notice.targets.hubs == [author] and not notice.targets.groups:
        return None
    if EDITOR_ROLE in roles:
        return editor_targets_problem(conn, author, notice.targets.hubs, notice.targets.groups)
    return "a resident's notice goes only to the board of the hub it was made at"


# ---- reading -----------------------------------------------------------------------------------

_ROWS = (
    "SELECT o.entity, o.author, coalesce(k.name, ''), o.time, o.body FROM ops o "
    "LEFT JOIN keys k ON k.key = o.author WHERE o.kind = 'submission.put' "
)


def submissions_of(conn: sqlite3.Connection, reader: Identity) -> list[Submission]:
    """The reader's own submissions, newest first, opened with its key (an editor's)."""
    prefix = submission_prefix(reader.key_id)
    rows = conn.execute(
        _ROWS + "AND o.entity > ? AND o.entity < ? AND o.author = ? ORDER BY o.time DESC",
        (prefix, prefix[:-1] + ".", reader.key_id),
    ).fetchall()
    return [_submission(conn, row, reader) for row in rows]


def moderation_queue(
    conn: sqlite3.Connection, reader: Identity, now_ms: int | None = None
) -> list[Submission]:
    """The submissions no admin decided on yet, oldest first, opened with the reader's key (an
    admin's; one it cannot open is listed without its contents). An erased body is gone, and
    one dated ahead of `now_ms` (trusted now) by more than the clock skew a request may have
    waits until then: the daily limit counts by the ops' own times, so an author that dates
    its submissions a day apart each still brings the admins at most SUBMISSIONS_PER_DAY a day."""
    rows = conn.execute(
        _ROWS + f"AND {_PENDING} ORDER BY o.time, o.entity", (_shown_until(conn, now_ms),)
    ).fetchall()
    return [_submission(conn, row, reader) for row in rows]


def pending_count(conn: sqlite3.Connection, now_ms: int | None = None) -> int:
    """How many submissions wait for an admin, as `moderation_queue` lists them: the fleet
    page's and Today's badge."""
    row = conn.execute(
        "SELECT count(*) FROM sealed_items s JOIN ops o ON o.id = s.op_id "
        f"WHERE s.kind = 'submission.put' AND {_PENDING}",
        (_shown_until(conn, now_ms),),
    ).fetchone()
    return int(row[0])


_PENDING = (
    "o.body IS NOT NULL AND o.time <= ? AND NOT EXISTS "
    "(SELECT 1 FROM ops d WHERE d.entity = o.entity AND d.kind = 'moderation.accept')"
)


def _shown_until(conn: sqlite3.Connection, now_ms: int | None) -> int:
    return (trusted_now(conn).now_ms if now_ms is None else now_ms) + MAX_CLOCK_SKEW_MS


def get_submission(conn: sqlite3.Connection, submission_id: str, reader: Identity) -> Submission:
    row = conn.execute(_ROWS + "AND o.entity = ?", (submission_id,)).fetchone()
    if row is None:
        raise SubmissionError(f"no submission {submission_id!r}")
    return _submission(conn, row, reader)


def decision_of(conn: sqlite3.Connection, submission_id: str) -> Decision | None:
    """The latest decision on a submission (Lamport clock, then author), if any."""
    row = conn.execute(
        "SELECT o.body, o.author, coalesce(k.name, ''), o.time FROM ops o "
        "LEFT JOIN keys k ON k.key = o.author WHERE o.entity = ? AND o.kind = ? "
        "ORDER BY o.lamport DESC, o.author DESC LIMIT 1",
        (submission_id, MODERATION_KIND),
    ).fetchone()
    if row is None:
        return None
    body = decode_body(MODERATION_KIND, row[0])
    assert isinstance(body, ModerationBody)
    return Decision(body.accepted, body.reason, body.notice, row[1], row[2], row[3])


def _submission(
    conn: sqlite3.Connection, row: tuple[str, str, str, int, bytes | None], reader: Identity
) -> Submission:
    entity, author, name, time_ms, box = row
    return Submission(
        entity, author, name, time_ms, _opened(box, reader), decision_of(conn, entity)
    )


def _opened(box: bytes | None, reader: Identity) -> SubmissionBody | None:
    if box is None:
        return None
    try:
        return _decoder.decode(open_sealed(box, reader))
    except (SealError, msgspec.DecodeError):
        return None


# ---- deciding ----------------------------------------------------------------------------------


def accept_submission(log: Log, admin: Identity, submission_id: str) -> str:
    """Publish the submission as the admin's notice and record the acceptance, in one
    transaction; returns the notice's id. Raises SubmissionError if it was decided already,
    cannot be opened, or its targets are no longer its author's to name."""
    conn = log.store.conn
    submission = _undecided(conn, submission_id, admin)
    body = submission.body
    assert body is not None
    problem = targets_problem(conn, submission.author, body.notice)
    if problem is not None:
        raise SubmissionError(problem, "targets")
    now_ms = trusted_now(conn).now_ms
    notice = body.notice
    if body.kind in RESIDENT_KINDS:
        # A resident's notice is on the board for its days from now, not from when it was made.
        notice = msgspec.structs.replace(
            notice, valid_from=now_ms, valid_until=now_ms + RESIDENT_NOTICE_DAYS * DAY_MS
        )
    elif notice.valid_until is not None and notice.valid_until <= now_ms:
        raise SubmissionError("the notice's display window is over: reject it with a reason")
    notice_id = notice_id_for(submission_id)
    decision = ModerationBody(accepted=True, notice=notice_id)
    with log.store.write() as write:
        append_in(write, log.network_id, admin, "notice.put", notice_id, encode_body(notice))
        append_in(
            write, log.network_id, admin, MODERATION_KIND, submission_id, encode_body(decision)
        )
    return notice_id


def reject_submission(log: Log, admin: Identity, submission_id: str, reason: str) -> None:
    """Record the rejection with a reason the submitter sees; nothing is published."""
    reason = reason.strip()
    if not reason:
        raise SubmissionError("a rejection says why, for the submitter", "reason")
    if len(reason) > MAX_REASON or not reason.isprintable():
        raise SubmissionError(
            f"the reason must be at most {MAX_REASON} characters on one line", "reason"
        )
    conn = log.store.conn
    if submission_author(submission_id) is None:
        raise SubmissionError(f"no submission {submission_id!r}")
    if decision_of(conn, submission_id) is not None:
        raise SubmissionError("an admin decided on this submission already", "decided")
    decision = ModerationBody(accepted=False, reason=reason)
    log.append(admin, MODERATION_KIND, submission_id, encode_body(decision))


def _undecided(conn: sqlite3.Connection, submission_id: str, admin: Identity) -> Submission:
    submission = get_submission(conn, submission_id, admin)
    if submission.decision is not None:
        raise SubmissionError("an admin decided on this submission already", "decided")
    if submission.body is None:
        raise SubmissionError("this submission cannot be opened with this key (or was erased)")
    return submission


def _key_name(conn: sqlite3.Connection, key: str) -> str:
    row = conn.execute("SELECT name FROM keys WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row and row[0] else ""
