"""Sealed bodies: personal data encrypted to several X25519 recipients at once.

One ephemeral X25519 key per message. For each recipient, HKDF-SHA256 over the shared secret
derives a key-encryption key that wraps a random content key (ChaCha20-Poly1305); the content is
encrypted once with that content key. The recipient list is authenticated as associated data, so
nobody can strip or add a recipient without breaking the box.

Layout: b"DHS1" | ephemeral public (32) | count (1) | count x (recipient public (32) | wrapped
key (48)) | nonce (12) | ciphertext.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from content.errors import ContentError
from content.identity import Identity

MAGIC = b"DHS1"
KEY_INFO = b"dorfhub seal v1 key-encryption key"
_WRAP_NONCE = bytes(12)  # each key-encryption key is used exactly once
_WRAPPED = 32 + 16
_ENTRY = 32 + _WRAPPED
MAX_RECIPIENTS = 32


class SealError(ContentError):
    """A sealed box that is malformed, not addressed to us, or tampered with."""


def seal(plaintext: bytes, recipients: Sequence[str]) -> bytes:
    """Encrypt `plaintext` so that each X25519 public key (hex) in `recipients` can open it."""
    unique = sorted(set(recipients))
    if not unique or len(unique) > MAX_RECIPIENTS:
        raise SealError(f"a sealed box needs 1 to {MAX_RECIPIENTS} recipients")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw(ephemeral.public_key())
    content_key = ChaCha20Poly1305.generate_key()
    entries = []
    for recipient_hex in unique:
        recipient = bytes.fromhex(recipient_hex)
        kek = _key_encryption_key(
            ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient)),
            ephemeral_public,
            recipient,
        )
        wrapped = ChaCha20Poly1305(kek).encrypt(_WRAP_NONCE, content_key, ephemeral_public)
        entries.append(recipient + wrapped)
    prefix = MAGIC + ephemeral_public + bytes([len(unique)]) + b"".join(entries)
    nonce = os.urandom(12)
    return prefix + nonce + ChaCha20Poly1305(content_key).encrypt(nonce, plaintext, prefix)


def recipients_of(box: bytes) -> list[str]:
    """The X25519 keys (hex, sorted) a box is addressed to; raises SealError if malformed."""
    return [recipient.hex() for recipient, _ in _parse(box)[1]]


def open_sealed(box: bytes, identity: Identity) -> bytes:
    """Decrypt a box with the identity's X25519 key; SealError if it is not a recipient."""
    return open_with_key(box, identity.sealing)


def open_with_key(box: bytes, key: X25519PrivateKey) -> bytes:
    """Decrypt a box with a bare X25519 key (one made for a single message, not a node's);
    SealError if it is not a recipient."""
    ephemeral_public, entries, prefix_len = _parse(box)
    own_public = _raw(key.public_key())
    for recipient, wrapped in entries:
        if recipient != own_public:
            continue
        kek = _key_encryption_key(
            key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public)),
            ephemeral_public,
            recipient,
        )
        try:
            content_key = ChaCha20Poly1305(kek).decrypt(_WRAP_NONCE, wrapped, ephemeral_public)
            nonce = box[prefix_len : prefix_len + 12]
            ciphertext = box[prefix_len + 12 :]
            return ChaCha20Poly1305(content_key).decrypt(nonce, ciphertext, box[:prefix_len])
        except InvalidTag:
            raise SealError("sealed box was tampered with") from None
    raise SealError("this key is not a recipient of the sealed box")


def _parse(box: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], int]:
    if len(box) < 37 or box[:4] != MAGIC:
        raise SealError("not a sealed box")
    count = box[36]
    prefix_len = 37 + count * _ENTRY
    if count == 0 or len(box) < prefix_len + 12 + 16:
        raise SealError("truncated sealed box")
    entries = []
    for index in range(count):
        start = 37 + index * _ENTRY
        entries.append((box[start : start + 32], box[start + 32 : start + _ENTRY]))
    return box[4:36], entries, prefix_len


def _key_encryption_key(shared: bytes, ephemeral_public: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=ephemeral_public + recipient,
        info=KEY_INFO,
    ).derive(shared)


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
