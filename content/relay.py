"""Which attachment bodies travel where (docs/protocol.md "Attachments travel where they are
shown").

A `blob.put` is the one kind whose body travels apart from its header: every node takes every
header (its log stays complete and verifiable, its version vector dense), but a hub takes a
file's bytes only when a notice or a how-to article it shows names the file. Rural links are
metered, and a 4 MB poster for one village is nothing the next village should pay for. The
town server (and any node of an admin) holds every body: the desk shows every notice's files.

Who decides: the sender, for each receiver (a pull's caller, a push's peer, a `--for` bundle),
and the receiver, for itself: a hub asks its peers for the bodies it wants and lacks
(`wanted_bodies`), so a body that went by header only (a notice retargeted later, a
neighbour that relayed without it) still comes, from any peer that holds it.
"""

from __future__ import annotations

import sqlite3

from content.articles import FOR_HUB as ARTICLE_FOR_HUB
from content.articles import LIVE as ARTICLE_LIVE
from content.bodies import DETACHED_KINDS as DETACHED_KINDS
from content.clock import trusted_now
from content.grants import roles_of
from content.notices import FOR_HUB
from content.ops import RawOp

# Receivers that get every body: the desk on the town server shows every notice's files.
EVERY_BODY_ROLES = frozenset({"server", "admin", "root"})

# The files of the live notices a hub shows now or later (not retracted, not ended), targeted
# as the board targets them (every hub, the hub, or one of its groups).
_NEEDED = (
    "SELECT DISTINCT json_extract(a.value, '$.blob') FROM notices n, json_each(n.attachments) a "
    "WHERE n.attachments != '[]' AND n.op_id IS NOT NULL AND n.retract_op IS NULL"
    f" AND (n.valid_until IS NULL OR n.valid_until > :now) AND {FOR_HUB}"
    # The pictures of the how-to articles the hub shows (content/articles.py).
    " UNION SELECT p.value FROM articles a, json_each(a.pictures) p"
    f" WHERE {ARTICLE_LIVE} AND {ARTICLE_FOR_HUB}"
)
# Files whose header is held here and whose body is not (by any author's blob.put).
_LACKING = (
    "SELECT b.hash FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM ops o"
    " WHERE o.entity = b.hash AND o.kind = 'blob.put' AND o.body IS NOT NULL)"
)


def needed_blobs(conn: sqlite3.Connection, hub: str, now_ms: int | None = None) -> frozenset[str]:
    """The files `hub` needs: those of the live notices targeted at it, by this node's view."""
    if conn.execute("SELECT 1 FROM blobs LIMIT 1").fetchone() is None:
        return frozenset()  # no file at all: no notice read, for every pull of a plain log
    now = trusted_now(conn).now_ms if now_ms is None else now_ms
    return frozenset(row[0] for row in conn.execute(_NEEDED, {"now": now, "hub": hub}))


def bodies_for(conn: sqlite3.Connection, network_id: str, node: str) -> frozenset[str] | None:
    """The blob bodies to send to `node` (None: every body, for the town server and admins)."""
    now = trusted_now(conn).now_ms
    if EVERY_BODY_ROLES & set(roles_of(conn, network_id, node, at_ms=now)):
        return None
    return needed_blobs(conn, node, now)


def takes_detached(conn: sqlite3.Connection, network_id: str, own_key: str) -> bool:
    """Whether this node takes a file's header without its body: a hub does, as the sender
    judged it does not show the file, and so does a hub whose own grant is still on its way
    (in the same bundle or pull); the town server never does (it must show them all)."""
    return not EVERY_BODY_ROLES & set(roles_of(conn, network_id, own_key))


def wanted_bodies(conn: sqlite3.Connection, hub: str, limit: int) -> list[str]:
    """Files this hub needs whose body it lacks (at most `limit`, in hash order)."""
    lacking = {row[0] for row in conn.execute(_LACKING)}
    if not lacking:
        return []  # the usual case: one cheap look at the blobs, no notice read
    return sorted(lacking & needed_blobs(conn, hub))[:limit]


def whole_blob(conn: sqlite3.Connection, digest: str) -> RawOp | None:
    """A blob.put op of the file `digest` with its body, if this node holds one whole."""
    row = conn.execute(
        "SELECT header, signature, body FROM ops "
        "WHERE entity = ? AND kind = 'blob.put' AND body IS NOT NULL LIMIT 1",
        (digest,),
    ).fetchone()
    return RawOp(*row) if row else None


def files_of(conn: sqlite3.Connection, notice_ids: set[str]) -> frozenset[str]:
    """The files the current versions of these notices name."""
    found: set[str] = set()
    for notice_id in notice_ids:
        rows = conn.execute(
            "SELECT json_extract(a.value, '$.blob') FROM notices n, json_each(n.attachments) a "
            "WHERE n.id = ?",
            (notice_id,),
        )
        found.update(row[0] for row in rows)
    return frozenset(found)
