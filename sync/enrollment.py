"""Enrollment: a new node shows a pairing code; an admin who sees the same code approves it.

The code is derived from the node's public key, so the node can show it before it ever reached
the server, and an attacker who enrolls another key gets a different code.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass

import msgspec

from content.grants import grant
from content.identity import Identity, PublicIdentity
from content.log import Log
from content.store import Store
from sync.errors import EnrollmentError as EnrollmentError
from sync.protocol import ProtocolError

ENROLLABLE_ROLES = ("hub", "guide", "practice")
# Anyone can make a key and ask; an admin's list must stay readable.
MAX_WAITING = 100


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
    if wish.role not in ENROLLABLE_ROLES or not 1 <= len(wish.name) <= 80:
        raise ProtocolError("enrollment asks for an unknown role or has a bad name")
    return wish


def record(store: Store, wish: EnrollRequest) -> str:
    public = PublicIdentity.from_token(wish.public)
    code = pairing_code(public)
    with store.write() as conn:
        conn.execute(
            "INSERT INTO enrollments (code, key, seal, name, role, requested_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
            "role = excluded.role WHERE approved_op IS NULL",
            (code, public.sign_key, public.seal_key, wish.name, wish.role, int(time.time() * 1000)),
        )
    return code


def waiting_count(store: Store) -> int:
    row = store.conn.execute("SELECT count(*) FROM enrollments WHERE approved_op IS NULL")
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
