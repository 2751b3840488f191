"""Granting and revoking roles, and what the keys view says about a key."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from content.authority import grant_valid_at
from content.bodies import GrantBody, RevokeBody, encode_body
from content.errors import ContentError
from content.identity import Identity, PublicIdentity, network_id_for
from content.log import Log
from content.roles import ROOT


class GrantError(ContentError):
    """A grant or revoke request that makes no sense (unknown key, …)."""


@dataclass(frozen=True)
class KeyInfo:
    key: str
    seal: str
    name: str
    roles: list[str]
    groups: list[str]
    revoked: bool

    @property
    def short_id(self) -> str:
        return self.key[:12]


def grant(
    log: Log,
    by: Identity,
    grantee: PublicIdentity,
    role: str,
    name: str,
    groups: list[str] | None = None,
    valid_from: int | None = None,
    valid_until: int | None = None,
    may_grant: bool = False,
) -> str:
    body = GrantBody(
        key=grantee.sign_key,
        seal=grantee.seal_key,
        role=role,
        name=name,
        groups=sorted(set(groups or [])),
        valid_from=valid_from,
        valid_until=valid_until,
        may_grant=may_grant,
    )
    return log.append(by, "key.grant", grantee.sign_key, encode_body(body))


def revoke(log: Log, by: Identity, key: str, reason: str = "") -> str:
    """Revoke `key` from now on: its ops this node already holds stay, later ones are refused."""
    held = log.version_vector().get(key, 0)
    body = RevokeBody(key=key, after_seq=held, reason=reason)
    return log.append(by, "key.revoke", key, encode_body(body))


def key_info(conn: sqlite3.Connection, key: str) -> KeyInfo | None:
    row = conn.execute(
        "SELECT key, seal, name, grants, groups, revoke_op FROM keys WHERE key = ?", (key,)
    ).fetchone()
    return None if row is None else _info(row)


def list_keys(conn: sqlite3.Connection) -> list[KeyInfo]:
    rows = conn.execute(
        "SELECT key, seal, name, grants, groups, revoke_op FROM keys ORDER BY name, key"
    )
    return [_info(row) for row in rows]


def roles_of(
    conn: sqlite3.Connection, network_id: str, key: str, at_ms: int | None = None
) -> list[str]:
    """Roles a key holds (empty when revoked or unknown); the root key is `root`. With
    `at_ms`, only grants whose validity window covers that moment count."""
    if network_id_for(key) == network_id:
        return [ROOT]
    row = conn.execute("SELECT grants, revoke_op FROM keys WHERE key = ?", (key,)).fetchone()
    if row is None or row[1] is not None:
        return []
    grants = [g for g in json.loads(row[0]) if at_ms is None or grant_valid_at(g, at_ms)]
    return sorted({g["role"] for g in grants})


def resolve_key(conn: sqlite3.Connection, text: str) -> KeyInfo:
    """Find a key by public token, full or abbreviated hex id, or exact name."""
    if text.startswith("dh1."):
        text = PublicIdentity.from_token(text).sign_key
    matches = [k for k in list_keys(conn) if k.key.startswith(text.lower()) or k.name == text]
    if len(matches) != 1:
        problem = "no key" if not matches else f"{len(matches)} keys"
        raise GrantError(f"{problem} match {text!r}")
    return matches[0]


def _info(row: tuple[str, str, str, str, str, str | None]) -> KeyInfo:
    grants = json.loads(row[3])
    return KeyInfo(
        key=row[0],
        seal=row[1],
        name=row[2],
        roles=sorted({g["role"] for g in grants}),
        groups=json.loads(row[4]),
        revoked=row[5] is not None,
    )
