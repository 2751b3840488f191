"""Enrollment: a new node shows a pairing code; an admin who sees the same code approves it.

The code is derived from the node's public key, so the node can show it before it ever reached
the server, and an attacker who enrolls another key gets a different code.

Anyone can make keys and ask, so at most MAX_PENDING_ENROLLMENTS requests wait: a new one pushes
out the one that has waited longest, and a node that asks again moves to the back of the queue.
A flood of strangers thus never locks real hubs out; they ask again.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import time
from dataclasses import dataclass

import msgspec

from content.dropped import count_dropped
from content.grants import grant
from content.identity import Identity, PublicIdentity
from content.limits import MAX_PENDING_ENROLLMENTS
from content.log import Log
from content.names import name_problem
from content.store import Store
from sync.errors import EnrollmentError as EnrollmentError
from sync.protocol import ProtocolError

ENROLLABLE_ROLES = ("hub", "guide", "practice")


class EnrollRequest(msgspec.Struct, forbid_unknown_fields=True):
    public: str
    name: str
    role: str = "hub"


@dataclass(frozen=True)
class Enrollment:
    code: str
    key: str
    seal: str
    name: str
    role: str
    requested_at: int
    approved: bool


def pairing_code(public: PublicIdentity) -> str:
    """Eight letters and digits, grouped for reading aloud: 'K7QM-2XFA'."""
    digest = hashlib.sha256(public.token.encode()).digest()
    text = base64.b32encode(digest).decode()[:8]
    return f"{text[:4]}-{text[4:]}"


def parse_request(body: bytes, signer: str) -> EnrollRequest:
    try:
        wish = msgspec.json.decode(body, type=EnrollRequest)
        public = PublicIdentity.from_token(wish.public)
    except (msgspec.DecodeError, ValueError) as exc:
        raise ProtocolError(f"malformed enrollment request: {exc}") from None
    if public.sign_key != signer:
        raise ProtocolError("an enrollment must be signed by the key it enrolls")
    if wish.role not in ENROLLABLE_ROLES:
        raise ProtocolError(f"enrollment asks for a role that cannot be enrolled: {wish.role!r}")
    problem = name_problem(wish.name)
    if problem is not None:
        raise ProtocolError(f"enrollment name {problem}")
    return wish


def record(store: Store, wish: EnrollRequest) -> str:
    public = PublicIdentity.from_token(wish.public)
    code = pairing_code(public)
    with store.write() as conn:
        _replace_other_seal(conn, public.sign_key, code)
        conn.execute(
            "INSERT INTO enrollments (code, key, seal, name, role, requested_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
            "role = excluded.role, requested_at = excluded.requested_at "
            "WHERE approved_op IS NULL",
            (code, public.sign_key, public.seal_key, wish.name, wish.role, int(time.time() * 1000)),
        )
        _evict_oldest_waiting(conn, keep=code)
    return code


def _replace_other_seal(conn: sqlite3.Connection, key: str, code: str) -> None:
    """A key asks again with another sealing key (its node was set up anew): the new request
    replaces the waiting one. Once approved, the grant names the old sealing key for good."""
    if conn.execute(
        "SELECT 1 FROM enrollments WHERE key = ? AND code != ? AND approved_op IS NOT NULL",
        (key, code),
    ).fetchone():
        raise ProtocolError("this key is already enrolled with another sealing key")
    conn.execute(
        "DELETE FROM enrollments WHERE key = ? AND code != ? AND approved_op IS NULL", (key, code)
    )


def _evict_oldest_waiting(conn: sqlite3.Connection, keep: str) -> None:
    """Bring the waiting requests down to the limit, longest waiting first, never `keep` (the
    request just recorded, which may share its millisecond with others)."""
    excess = waiting_count(conn) - MAX_PENDING_ENROLLMENTS
    if excess <= 0:
        return
    evicted = conn.execute(
        "DELETE FROM enrollments WHERE code IN (SELECT code FROM enrollments "
        "WHERE approved_op IS NULL AND code != ? ORDER BY requested_at, rowid LIMIT ?)",
        (keep, excess),
    ).rowcount
    count_dropped(conn, "enrollments", evicted)


def waiting_count(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM enrollments WHERE approved_op IS NULL")
    return int(row.fetchone()[0])


def pending(store: Store) -> list[Enrollment]:
    rows = store.conn.execute(
        "SELECT code, key, seal, name, role, requested_at, approved_op IS NOT NULL "
        "FROM enrollments ORDER BY requested_at"
    )
    return [
        Enrollment(code, key, seal, name, role, requested_at, bool(approved))
        for code, key, seal, name, role, requested_at, approved in rows
    ]


def approve(log: Log, admin: Identity, code: str, groups: list[str] | None = None) -> Enrollment:
    normalized = code.strip().upper().replace(" ", "")
    if len(normalized) == 8:
        normalized = f"{normalized[:4]}-{normalized[4:]}"
    match = next((e for e in pending(log.store) if e.code == normalized), None)
    if match is None:
        raise EnrollmentError(f"no enrollment request with code {code}")
    if match.approved:
        raise EnrollmentError(f"{match.name} ({code}) is already approved")
    op = grant(
        log, admin, PublicIdentity(match.key, match.seal), match.role, match.name, groups=groups
    )
    with log.store.write() as conn:
        conn.execute("UPDATE enrollments SET approved_op = ? WHERE code = ?", (op, match.code))
    return match
