"""What every node checks of a `submission.put` and a `moderation.accept`, however it arrived.

A submission's body is sealed, so a node that is no recipient sees only its header. What the
header shows is checked on every node as it applies the op (content/log.py), and the same check
refuses the op where it is written:

- the id names its author (`s-<author key>-…`), so nobody can take another author's id, and
  the author's submissions can be found by an index range;
- the sealed box is at most MAX_SUBMISSION_BOX_BYTES (the texts' limits, sealed to every
  recipient a network can have, fit several times over);
- at most SUBMISSIONS_PER_DAY submissions of one author within any 24 hours by the ops'
  signed times. Counted over the author's own earlier ops (lower seq) only, which every node
  holds before it applies this one (an author's ops apply in seq order): the verdict depends
  on the author's chain alone, never on arrival order. A later-dated earlier op counts too, so
  backdating gains nothing. A kiosk's residents are not known apart: their submissions are
  their hub's, so this is the limit per hub; an editor's (a club's) is its own.

This module imports only the op format, so the log can use it.
"""

from __future__ import annotations

import re
import sqlite3

from content.ops import Header

SUBMISSION_KIND = "submission.put"
MODERATION_KIND = "moderation.accept"
DAY_MS = 24 * 3600 * 1000
SUBMISSIONS_PER_DAY = 10
MAX_SUBMISSION_BOX_BYTES = 16 * 1024
_SUBMISSION_ID = re.compile("^s-([0-9a-f]{64})-[0-9a-f]{20}$")


def submission_prefix(author: str) -> str:
    """How the ids of an author's submissions begin: the id alone says whose it is."""
    return f"s-{author}-"


def submission_author(submission_id: str) -> str | None:
    """The author a submission id names, or None for an id that is no submission's."""
    match = _SUBMISSION_ID.match(submission_id)
    return None if match is None else match.group(1)


def notice_id_for(submission_id: str) -> str:
    """The id of the notice an accepted submission becomes: one per submission, so two admins
    accepting it at once write the same notice (last writer wins), never two."""
    return f"n-{submission_id}"


def submission_header_problem(header: Header) -> str | None:
    """What is wrong with a submission's header alone (checked with the body's schema)."""
    if submission_author(header.entity) != header.author:
        return "a submission's id must name its author (s-<author key>-<20 hex>)"
    if header.body_len > MAX_SUBMISSION_BOX_BYTES:
        return f"a submission is at most {MAX_SUBMISSION_BOX_BYTES} bytes sealed"
    return None


def submissions_within_day(conn: sqlite3.Connection, author: str, seq: int, time_ms: int) -> int:
    """The author's submissions before `seq` dated later than a day before `time_ms`."""
    prefix = submission_prefix(author)
    row = conn.execute(
        # An index range over ops (entity, kind): '.' follows '-' in ASCII.
        "SELECT count(*) FROM ops WHERE entity > ? AND entity < ? AND kind = ? "
        "AND author = ? AND seq < ? AND time > ?",
        (prefix, prefix[:-1] + ".", SUBMISSION_KIND, author, seq, time_ms - DAY_MS),
    ).fetchone()
    return int(row[0])


def submission_limit_problem(conn: sqlite3.Connection, header: Header) -> str | None:
    """Why this node refuses the op for the author's daily limit; None if it does not (or the
    op is no submission)."""
    if header.kind != SUBMISSION_KIND:
        return None
    if submissions_within_day(conn, header.author, header.seq, header.time) >= SUBMISSIONS_PER_DAY:
        return f"at most {SUBMISSIONS_PER_DAY} submissions a day per hub or editor"
    return None
