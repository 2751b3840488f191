"""The hub's key to each help request made at it, kept only while the hub may read the request.

A help request is sealed to the town servers, the guides and one X25519 key made for that
request alone; the node key of the hub is no recipient. The private half of the request's key
stays in this hub's database, in a table of its own that is no op and never synced, so guide
mode at the hub can open the request while it is open, for at most HUB_READ_DAYS. Once the
request is done, or older than that, the key is erased: overwritten with secure_delete, and the
write-ahead log that held an earlier copy truncated. The sealed body itself, which every node
holds, then opens only for the servers and the guides; a hub's files no longer open it, node.key
included.

Erasing is two steps so that a truncation blocked by a reader is tried again: the key is set to
NULL first (the row says "erased, WAL not yet truncated"), and the row goes once the WAL has been
truncated. The store zeroes what is overwritten or deleted (`secure_delete`, content/store.py);
the table is made by schema migration 13 and lives on every node, empty but on hubs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from content.store import Store, truncate_wal

HUB_READ_DAYS = 7
HUB_READ_MS = HUB_READ_DAYS * 24 * 3600 * 1000
TABLE = "hub_help_keys"
_RAW = serialization.Encoding.Raw


@dataclass(frozen=True)
class Erasure:
    """What one call of `erase_spent_keys` did."""

    erased: int  # keys overwritten by this call
    wal_truncated: bool  # no earlier copy of an erased key is left in the WAL


def hub_may_read(state: str, created_ms: int, now_ms: int) -> bool:
    """Whether the hub may still open a request it made: only while it is open, and for at most
    HUB_READ_DAYS (a weekly office hour at the hub sees the week's requests; the guides keep
    their own access through their keys)."""
    return state == "open" and now_ms < created_ms + HUB_READ_MS


def new_request_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def public_hex(key: X25519PrivateKey) -> str:
    return key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw).hex()


def keep_key(
    conn: sqlite3.Connection, request_id: str, key: X25519PrivateKey, created_ms: int
) -> None:
    """Store a request's key inside the caller's write transaction (the one that appends the
    request, so that neither is stored without the other)."""
    raw = key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    conn.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?)", (request_id, raw, created_ms))


def request_keys(conn: sqlite3.Connection) -> dict[str, tuple[X25519PrivateKey, int]]:
    """The keys not erased yet, with the time their request was made, by request id."""
    rows = conn.execute(f"SELECT request_id, private_key, created_ms FROM {TABLE}")
    return {
        request_id: (X25519PrivateKey.from_private_bytes(raw), created_ms)
        for request_id, raw, created_ms in rows
        if raw is not None
    }


def erase_spent_keys(store: Store, now_ms: int) -> Erasure | None:
    """Erase the keys of requests the hub may no longer read (done, too old, or gone from the
    log); None when there was nothing to do. Called by the hub daemon after every sync round."""
    conn = store.conn
    spent, pending = _spent_and_pending(conn, now_ms)
    if not spent and not pending:
        return None
    if spent:
        with store.write():
            conn.executemany(
                f"UPDATE {TABLE} SET private_key = NULL WHERE request_id = ?",
                [(request_id,) for request_id in spent],
            )
    truncated = truncate_wal(conn)
    if truncated:
        with store.write():
            conn.execute(f"DELETE FROM {TABLE} WHERE private_key IS NULL")
    return Erasure(len(spent), truncated)


def _spent_and_pending(conn: sqlite3.Connection, now_ms: int) -> tuple[list[str], bool]:
    """The requests whose key is to be erased now, and whether an erased key still waits for
    its WAL to be truncated."""
    rows = conn.execute(
        f"SELECT k.request_id, k.created_ms, k.private_key IS NULL, coalesce(s.state, 'open'), "
        "EXISTS (SELECT 1 FROM ops o WHERE o.entity = k.request_id AND o.kind = 'help.request') "
        f"FROM {TABLE} k LEFT JOIN help_states s ON s.request_id = k.request_id"
    ).fetchall()
    spent = [
        request_id
        for request_id, created_ms, erased, state, in_log in rows
        if not erased and not (in_log and hub_may_read(state, created_ms, now_ms))
    ]
    return spent, any(erased for _, _, erased, _, _ in rows)
