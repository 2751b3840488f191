"""Identities: an Ed25519 signing key and an X25519 sealing key, kept in one 0600 file.

A public identity travels as a token `dh1.<base64url(ed25519 || x25519)>`, which is what
`dorfhub node init` prints and `dorfhub key grant --public-key` takes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from content.errors import ContentError

FILE_FORMAT = "dorfhub-identity-1"
TOKEN_PREFIX = "dh1."  # noqa: S105 (a format tag, not a secret)


class IdentityError(ContentError):
    """A key file that is missing, malformed, locked or not private enough."""


@dataclass(frozen=True)
class PublicIdentity:
    sign_key: str  # Ed25519 public key, hex: the author id in op headers
    seal_key: str  # X25519 public key, hex: what sealed bodies are addressed to

    @property
    def token(self) -> str:
        raw = bytes.fromhex(self.sign_key) + bytes.fromhex(self.seal_key)
        return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @property
    def short_id(self) -> str:
        return self.sign_key[:12]

    @classmethod
    def from_token(cls, token: str) -> PublicIdentity:
        if not token.startswith(TOKEN_PREFIX):
            raise IdentityError(f"not a public key token (expected {TOKEN_PREFIX}…): {token!r}")
        body = token[len(TOKEN_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            raise IdentityError("public key token is not valid base64") from None
        if len(raw) != 64:
            raise IdentityError("public key token has the wrong length")
        return cls(raw[:32].hex(), raw[32:].hex())


@dataclass(frozen=True)
class Identity:
    name: str
    signing: Ed25519PrivateKey
    sealing: X25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Identity:
        return cls(name, Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def public(self) -> PublicIdentity:
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        return PublicIdentity(
            self.signing.public_key().public_bytes(*raw).hex(),
            self.sealing.public_key().public_bytes(*raw).hex(),
        )

    @property
    def key_id(self) -> str:
        return self.public.sign_key

    def sign(self, data: bytes) -> bytes:
        return self.signing.sign(data)


def network_id_for(root_sign_key: str) -> str:
    """The network id is derived from the root public key, so the root needs no introduction."""
    return hashlib.sha256(bytes.fromhex(root_sign_key)).hexdigest()[:32]


def save_identity(identity: Identity, path: Path, passphrase: str | None = None) -> None:
    """Write a new key file, created 0600 from the first byte; never overwrite one."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )

    def pem(key: Ed25519PrivateKey | X25519PrivateKey) -> str:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode()

    document = {
        "format": FILE_FORMAT,
        "name": identity.name,
        "encrypted": bool(passphrase),
        "sign": pem(identity.signing),
        "seal": pem(identity.sealing),
        "public": identity.public.token,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())


def check_key_file_mode(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IdentityError(
            f"refusing to use {path}: private key is readable by others "
            f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )


def load_identity(path: Path, passphrase: str | None = None) -> Identity:
    if not path.exists():
        raise IdentityError(f"no key file at {path}")
    check_key_file_mode(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FILE_FORMAT:
            raise IdentityError(f"{path} is not a Dorfhub key file")
        if document["encrypted"] and not passphrase:
            raise IdentityError(f"{path} is protected by a passphrase (set DORFHUB_PASSPHRASE)")
        secret = passphrase.encode() if document["encrypted"] and passphrase else None
        signing = serialization.load_pem_private_key(document["sign"].encode(), secret)
        sealing = serialization.load_pem_private_key(document["seal"].encode(), secret)
    except (ValueError, KeyError, TypeError) as exc:
        raise IdentityError(f"cannot read key file {path}: {exc}") from None
    if not isinstance(signing, Ed25519PrivateKey) or not isinstance(sealing, X25519PrivateKey):
        raise IdentityError(f"{path} holds keys of the wrong type")
    return Identity(str(document["name"]), signing, sealing)
