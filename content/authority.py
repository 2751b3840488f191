"""May this author write this op? A pure decision over the author's grants and revocation.

The answer depends only on the op's header and the key.grant / key.revoke ops in the log, never
on arrival order: the log engine re-asks whenever those change. Two kinds also read the op's
body: a guide's notice must be an office hour for groups the guide's own grants name
(content/office_hours.py), a guide's article must be for such groups (content/articles_rule.py);
the record then carries each guide grant's groups (content/guides.py), which no later op
changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from content.article_bodies import ArticleBody
from content.articles_rule import guide_article_problem
from content.bodies import NoticeBody
from content.booking_ids import practice_owns, request_names_authority
from content.office_hours import office_hours_problem
from content.ops import Header
from content.roles import (
    KEY_KINDS,
    OWN_REQUESTS_ONLY,
    ROLE_KINDS,
    ROOT,
    guide_article_prefix,
    guide_notice_prefix,
    help_request_prefix,
)
from content.warning_bodies import WARNING_PREFIX, warning_problem

Outcome = Literal["ok", "unknown", "denied"]


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class KeyRecord:
    """What the keys view knows about one author."""

    grants: list[dict[str, Any]]
    revoked_after_seq: int | None

    @classmethod
    def from_row(cls, grants_json: str, revoked_after_seq: int | None) -> KeyRecord:
        return cls(json.loads(grants_json), revoked_after_seq)

    @property
    def timeless(self) -> bool:
        """The verdict for a kind depends on nothing but the kind: no revocation, no window,
        and no role whose verdict for some kind depends on the op's entity."""
        return self.revoked_after_seq is None and all(
            g["valid_from"] is None
            and g["valid_until"] is None
            and g["role"] not in OWN_REQUESTS_ONLY
            for g in self.grants
        )


OK = Verdict("ok")


def authorize(
    header: Header, is_root: bool, record: KeyRecord | None, body: object = None
) -> Verdict:
    """`body`: the op's decoded body where the verdict may depend on it (a guide's notice);
    None for a body pruned here, which was checked when the op was applied."""
    if is_root:
        if header.kind in ROLE_KINDS[ROOT]:
            return OK
        return Verdict("denied", f"the network root does not author {header.kind}")
    if record is None or not record.grants:
        return Verdict("unknown", "unknown author (no key.grant seen yet)")
    if record.revoked_after_seq is not None and header.seq > record.revoked_after_seq:
        return Verdict("denied", f"key revoked after its op {record.revoked_after_seq}")
    roles = sorted({g["role"] for g in record.grants})
    usable = [g for g in record.grants if header.kind in ROLE_KINDS[g["role"]]]
    if not usable:
        return Verdict("denied", f"{header.kind} needs another role than {', '.join(roles)}")
    usable = [g for g in usable if _may_touch(g["role"], header)]
    if not usable:
        return Verdict("denied", _not_yours(header.kind, roles))
    if header.kind in KEY_KINDS:
        usable = [g for g in usable if g["may_grant"]]
        if not usable:
            return Verdict("denied", "this admin was not allowed to grant by the network root")
    usable = [g for g in usable if grant_valid_at(g, header.time)]
    if not usable:
        return Verdict("denied", "op time lies outside the validity of the author's grant")
    if isinstance(body, NoticeBody):
        problems = [_office_hours_problem(g, body) for g in usable]
        if None not in problems:
            return Verdict("denied", str(problems[0]))
    if isinstance(body, ArticleBody):
        problems = [_article_problem(g, body) for g in usable]
        if None not in problems:
            return Verdict("denied", str(problems[0]))
    return OK


def _article_problem(grant: dict[str, Any], article: ArticleBody) -> str | None:
    """What keeps this grant from allowing the article (a guide's: only for its groups)."""
    if grant["role"] != "guide":
        return None
    return guide_article_problem(article, grant.get("groups", []))


def _office_hours_problem(grant: dict[str, Any], notice: NoticeBody) -> str | None:
    """What keeps this grant from allowing the notice (a guide's: only its office hours; a
    warnings key's: only official warnings)."""
    if grant["role"] == "warnings":
        return warning_problem(notice)
    if grant["role"] != "guide":
        return None
    return office_hours_problem(notice, grant.get("groups", []))


def _may_touch(role: str, header: Header) -> bool:
    """Whether the role may write this kind about this entity (a hub: its own requests only)."""
    if header.kind not in OWN_REQUESTS_ONLY.get(role, frozenset()):
        return True
    if role == "practice":
        return practice_owns(header.kind, header.entity, header.author)
    if role == "server":
        return request_names_authority(header.entity, header.author)
    if role == "warnings":
        return header.entity.startswith(WARNING_PREFIX)
    if role == "guide" and header.kind.startswith("article."):
        return header.entity.startswith(guide_article_prefix(header.author))
    if role == "guide":
        return header.entity.startswith(guide_notice_prefix(header.author))
    return header.entity.startswith(help_request_prefix(header.author))


def _not_yours(kind: str, roles: list[str]) -> str:
    if kind == "help.update":
        return "a hub may update only the help requests it made itself"
    if kind == "booking.decision":
        return "a server decides only the requests that name it as the practice's authority"
    if kind in ("article.put", "article.retract"):
        return "a guide writes only articles whose id names the guide"
    if kind in ("notice.put", "notice.retract") and "warnings" in roles:
        return f"a warnings key writes only notices whose id begins {WARNING_PREFIX}"
    if kind in ("notice.put", "notice.retract"):
        return "a guide writes only notices whose id names the guide (its office hours)"
    return f"a practice may write {kind} only about itself, its own slots and their bookings"


def grant_valid_at(grant: dict[str, Any], time_ms: int) -> bool:
    """Whether the grant's validity window (from inclusive, until exclusive) covers the time."""
    start, end = grant["valid_from"], grant["valid_until"]
    return (start is None or time_ms >= start) and (end is None or time_ms < end)
