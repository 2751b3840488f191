"""Key files: private (0600) from the first byte, refused when readable by others, and locked
by a passphrase when one is set (ARCHITECTURE.md section 2, "Identities and roles")."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from content.identity import (
    Identity,
    IdentityError,
    PublicIdentity,
    load_identity,
    save_identity,
)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read new files, so only the code itself can make them 0600."""
    previous = os.umask(0o000)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_saved_key_file_is_0600_and_loads_back(tmp_path: Path, open_umask: None) -> None:
    identity = Identity.generate("Ringelai")
    path = tmp_path / "keys" / "node.key"
    save_identity(identity, path)
    assert _mode(path) == 0o600
    loaded = load_identity(path)
    assert loaded.name == "Ringelai"
    assert loaded.public == identity.public
    assert loaded.sign(b"x") == identity.sign(b"x")  # Ed25519 signatures are deterministic


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    first = Identity.generate("erster")
    save_identity(first, path)
    with pytest.raises(FileExistsError):
        save_identity(Identity.generate("zweiter"), path)
    assert load_identity(path).public == first.public


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "node.key"
    save_identity(Identity.generate("Ringelai"), path)
    path.chmod(mode)
    with pytest.raises(IdentityError, match="readable by others"):
        load_identity(path)
    path.chmod(0o600)
    assert load_identity(path).name == "Ringelai"


def test_a_passphrase_protected_key_loads_only_with_its_passphrase(tmp_path: Path) -> None:
    identity = Identity.generate("Verwaltung")
    path = tmp_path / "admin.key"
    save_identity(identity, path, passphrase="Kirchweg 7")
    assert _mode(path) == 0o600
    with pytest.raises(IdentityError, match="passphrase"):
        load_identity(path)
    with pytest.raises(IdentityError):
        load_identity(path, passphrase="Kirchweg 8")
    assert load_identity(path, passphrase="Kirchweg 7").public == identity.public


def test_a_protected_key_file_holds_no_private_key_in_the_clear(tmp_path: Path) -> None:
    identity = Identity.generate("Verwaltung")
    path = tmp_path / "admin.key"
    save_identity(identity, path, passphrase="Kirchweg 7")
    raw = identity.signing.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    text = path.read_text()
    assert "ENCRYPTED PRIVATE KEY" in text
    assert raw.hex() not in text
    assert identity.public.token in text  # the public part stays readable


def test_a_public_token_round_trips_and_rejects_garbage() -> None:
    public = Identity.generate("Ringelai").public
    assert PublicIdentity.from_token(public.token) == public
    for bad in ("dh2." + public.token[4:], public.token[:-4], "dh1.!!!!"):
        with pytest.raises(IdentityError):
            PublicIdentity.from_token(bad)
