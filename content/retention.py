"""How long personal data is kept: one period per purpose, the county's shorter settings, and
the moment each sealed body falls due. Pure rules; the one SQL read (the settings) is at the end.

Personal data lives only in sealed bodies (`booking.request`, `help.request`,
`submission.put`). When a body falls due, every node erases it (content/pruning.py) and keeps
the header, which stays verifiable through its body hash. docs/privacy.md's retention table is
generated from `RETENTIONS` (`python -m content.retention`).

A county may shorten a period, never lengthen it, with a `network.settings` op signed by the
network root (the county is the controller: the decision is its own, not any admin's). A longer
period or an unknown name is refused at ingest on every node; reading the settings takes the
shorter of setting and default as well, so no node ever keeps data longer than the default.

This module imports nothing from the project but the op format, so the log can use it.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

import msgspec

from content.ops import OpError

DAY_MS = 24 * 3600 * 1000
# The shortest period a county may set: a booking whose slot a node does not know is accepted
# without its body once it may have been erased (content/retention_due.py), so a period of 0
# would let any relay strip such a body at once.
MIN_DAYS = 1
SETTINGS_KIND = "network.settings"


@dataclass(frozen=True)
class Retention:
    name: str
    kind: str  # the op kind whose sealed body holds the data
    days: int
    counts_from: str
    description: str


BOOKING_AFTER_APPOINTMENT = Retention(
    "booking_after_appointment",
    "booking.request",
    30,
    "the end of the appointment (the request, if its slot is unknown)",
    "name, date of birth, phone and consents of a booking that took place or stayed pending",
)
BOOKING_AFTER_CANCEL = Retention(
    "booking_after_cancel",
    "booking.request",
    7,
    "the cancellation, or the server's rejection",
    "the same for a booking that was cancelled or rejected (whichever period ends first)",
)
HELP_AFTER_DONE = Retention(
    "help_after_done",
    "help.request",
    14,
    "a guide or the hub marking it done",
    "name and phone of a help request that was dealt with",
)
HELP_AFTER_REQUEST = Retention(
    "help_after_request",
    "help.request",
    30,
    "the request",
    "the same for any help request, done or not: a call-back nobody marked done in a month "
    "is forgotten, not pending",
)
SUBMISSION_AFTER_DECISION = Retention(
    "submission_after_decision",
    "submission.put",
    7,
    "an admin's decision (accepted or rejected)",
    "text, name and phone of a notice submitted for the boards once an admin decided on it "
    "(the published notice and the decision's reason are public and stay)",
)
SUBMISSION_AFTER_SUBMISSION = Retention(
    "submission_after_submission",
    "submission.put",
    30,
    "the submission",
    "the same for any submission, decided or not: one nobody decided on in a month is "
    "forgotten, not pending",
)
RETENTIONS: tuple[Retention, ...] = (
    BOOKING_AFTER_APPOINTMENT,
    BOOKING_AFTER_CANCEL,
    HELP_AFTER_DONE,
    HELP_AFTER_REQUEST,
    SUBMISSION_AFTER_DECISION,
    SUBMISSION_AFTER_SUBMISSION,
)
DEFAULT_DAYS: dict[str, int] = {r.name: r.days for r in RETENTIONS}
ERASABLE_KINDS = frozenset(r.kind for r in RETENTIONS)
Days = Mapping[str, int]


class NetworkSettingsBody(msgspec.Struct, forbid_unknown_fields=True):
    """A county's settings for its network: for now, shorter retention periods (in days)."""

    retention_days: dict[str, Annotated[int, msgspec.Meta(ge=MIN_DAYS)]] = {}


def check_settings(entity: str, network_id: str, settings: NetworkSettingsBody) -> None:
    """Raise OpError unless the settings name known periods, each no longer than its default,
    and are about this network (the entity is the network id: one record, looked up by it)."""
    if entity != network_id:
        raise OpError("network.settings is about its own network: the entity is the network id")
    for name, days in settings.retention_days.items():
        default = DEFAULT_DAYS.get(name)
        if default is None:
            raise OpError(f"unknown retention period {name!r}")
        if days > default:
            raise OpError(f"retention period {name} may be shortened only (at most {default} days)")


def effective_days(settings: Days) -> dict[str, int]:
    """Each period as the network has set it, never longer than its default (a setting that
    slipped past the ingest check, from an older node's log, cannot lengthen it either)."""
    return {
        name: max(MIN_DAYS, min(default, settings.get(name, default)))
        for name, default in DEFAULT_DAYS.items()
    }


def booking_due(
    requested_at: int, appointment_end: int | None, ended_at: int | None, days: Days
) -> int:
    """When a booking's personal data falls due: 30 days after the appointment, or 7 after a
    cancellation or rejection (`ended_at`), whichever comes first (defaults)."""
    after = appointment_end if appointment_end is not None else requested_at
    due = after + days[BOOKING_AFTER_APPOINTMENT.name] * DAY_MS
    if ended_at is not None:
        due = min(due, ended_at + days[BOOKING_AFTER_CANCEL.name] * DAY_MS)
    return due


def help_due(requested_at: int, done_at: int | None, days: Days) -> int:
    """When a help request's personal data falls due: 14 days after it was done, and at most
    30 days after it was made (defaults)."""
    due = requested_at + days[HELP_AFTER_REQUEST.name] * DAY_MS
    if done_at is not None:
        due = min(due, done_at + days[HELP_AFTER_DONE.name] * DAY_MS)
    return due


def submission_due(submitted_at: int, decided_at: int | None, days: Days) -> int:
    """When a submission's sealed body falls due: 7 days after an admin decided on it, and at
    most 30 days after it was made (defaults)."""
    due = submitted_at + days[SUBMISSION_AFTER_SUBMISSION.name] * DAY_MS
    if decided_at is not None:
        due = min(due, decided_at + days[SUBMISSION_AFTER_DECISION.name] * DAY_MS)
    return due


def may_be_erased(kind: str, made_at: int, now_ms: int, days: Days) -> bool:
    """Whether an honest node may already have erased the body of an op of this kind made at
    `made_at`: the earliest any rule lets it go is the kind's shortest period after the op,
    since a cancellation or a "done" comes after the request at the earliest. Only for what a
    node cannot tell better (content/retention_due.py): a body missing before that was
    stripped by a relay, not erased."""
    periods = [days[r.name] for r in RETENTIONS if r.kind == kind]
    return bool(periods) and now_ms >= made_at + min(periods) * DAY_MS


def network_days(conn: sqlite3.Connection) -> dict[str, int]:
    """The periods in force on this node: the defaults, shortened by the network's latest
    `network.settings` (last writer wins on Lamport clock and author)."""
    row = conn.execute(
        "SELECT o.body FROM network n JOIN ops o ON o.entity = n.id "
        "WHERE o.kind = ? AND o.body IS NOT NULL ORDER BY o.lamport DESC, o.author DESC LIMIT 1",
        (SETTINGS_KIND,),
    ).fetchone()
    if row is None:
        return dict(DEFAULT_DAYS)
    try:
        settings = msgspec.json.decode(row[0], type=NetworkSettingsBody)
    except msgspec.DecodeError:
        return dict(DEFAULT_DAYS)  # checked at ingest: only a foreign log could hold this
    return effective_days(settings.retention_days)


def markdown_table() -> str:
    """The retention table of docs/privacy.md."""
    lines = [
        "| period | data | kept | counted from |",
        "|---|---|---|---|",
        *(
            f"| `{r.name}` | {r.description} (`{r.kind}`) | {r.days} days | {r.counts_from} |"
            for r in RETENTIONS
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown_table() + "\n")
