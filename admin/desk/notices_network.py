"""The network's own lists, read from the keys view: the hubs a notice can be targeted at, the
groups their grants name, and the names of every key (for authors and older targets)."""

from __future__ import annotations

import sqlite3

from admin.desk.notices_form import Hub, Network
from content.grants import list_keys
from content.notices import Notice


def network_of(conn: sqlite3.Connection, notice: Notice | None = None) -> Network:
    """The hubs holding the hub role (not revoked) and their groups; for an edit, also the
    hubs and groups the notice names that have left the network since."""
    keys = list_keys(conn)
    hubs = tuple(
        Hub(k.key, k.name, tuple(k.groups)) for k in keys if "hub" in k.roles and not k.revoked
    )
    if notice is None:
        return Network(hubs)
    live = {hub.key for hub in hubs}
    names = {k.key: k.name for k in keys}
    former = tuple(
        Hub(key, names.get(key) or key[:12], ()) for key in notice.target_hubs if key not in live
    )
    held = {group for hub in hubs for group in hub.groups}
    return Network(hubs, former, tuple(g for g in notice.target_groups if g not in held))


def key_names(conn: sqlite3.Connection) -> dict[str, str]:
    return {key: name for key, name in conn.execute("SELECT key, name FROM keys")}
