"""Scanning raw files for a private key, in every form Dorfhub or a careless copy stores it."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from content.identity import Identity


def private_key_forms(identity: Identity) -> dict[str, bytes]:
    """The identity's two private keys as raw bytes, hex, base64 (plain and URL-safe, without
    padding), PKCS#8 DER and the base64 body of the PEM a key file holds."""
    forms: dict[str, bytes] = {}
    for label, key in (("sign", identity.signing), ("seal", identity.sealing)):
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        forms[f"{label} raw"] = raw
        forms[f"{label} hex"] = raw.hex().encode()
        forms[f"{label} base64"] = base64.b64encode(raw).rstrip(b"=")
        forms[f"{label} base64url"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
        forms[f"{label} der"] = der
        forms[f"{label} pem body"] = base64.b64encode(der)
    return forms


def files_holding(root: Path, identity: Identity) -> list[str]:
    """`path: form` for every file under `root` that holds one of the key's forms."""
    forms = private_key_forms(identity)
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {label}" for label, form in forms.items() if form in data]
    return found
