"""Forked authors: those this node quarantined, and those hubs report in their status ops.

Two different ops for one `(author, seq)` mean a key was copied, or a node was restored from an
old backup. Every node keeps the op it saw first and refuses the key from then on
(docs/protocol.md), so nodes that saw different first ops drift apart. This is raised loudly:
the hub daemon's error log, the hub's `hub.status` op (so the town server learns of it), and
the top of `dorfhub status`. Recovery: docs/admin-publishing.md, "When a key forks".
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

from content.grants import key_info

_KEY = re.compile("^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Fork:
    author: str
    name: str | None  # None: this node holds no grant for the key
    roles: list[str]
    revoked: bool  # an admin has acted: the key is withdrawn
    reason: str
    seen_by: str | None = None  # None: this node quarantined it; else the reporting hub

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def quarantined_here(conn: sqlite3.Connection) -> list[Fork]:
    """Authors this node quarantined that it knows as keys of the network.

    A stranger can get any made-up key quarantined by sending it a broken chain; such keys have
    no grant here and are left out, so they cannot set off alarms."""
    forks = []
    for author, reason in conn.execute("SELECT author, reason FROM quarantine ORDER BY author"):
        info = key_info(conn, author)
        if info is not None:
            forks.append(Fork(author, info.name, info.roles, info.revoked, reason))
    return forks


def reported_by_hubs(conn: sqlite3.Connection, own_key: str) -> list[Fork]:
    """Forked authors the other hubs list in their latest status ops."""
    forks = []
    rows = conn.execute(
        "SELECT node, body FROM node_status WHERE kind = 'hub.status' AND body IS NOT NULL "
        "AND node != ? ORDER BY node",
        (own_key,),
    )
    for hub, body in rows:
        reported = _reported(body)
        if not reported:
            continue
        hub_info = key_info(conn, hub)
        hub_name = hub_info.name if hub_info else hub[:12]
        for author in reported:
            info = key_info(conn, author)
            forks.append(
                Fork(
                    author,
                    info.name if info else None,
                    info.roles if info else [],
                    bool(info and info.revoked),
                    "reported in the hub's status",
                    seen_by=hub_name,
                )
            )
    return forks


def _reported(body: str) -> list[str]:
    """The `quarantined` list of a status body; ops from before the field carry none. Ingest
    checks the list, so anything else here is from an older node and is ignored."""
    try:
        reported = json.loads(body).get("quarantined", [])
    except (ValueError, AttributeError):
        return []
    if not isinstance(reported, list):
        return []
    return [key for key in reported if isinstance(key, str) and _KEY.match(key)]
