"""`dorfhub desk user add NAME --role practice --practice-key FILE` through the real command:
the practice's own key becomes the login's key, held only encrypted under the passphrase;
no new key and no grant; and `desk user disable` removes the login, never the practice."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from admin.desk.accounts import USERS_DIR, WrongPassphrase, find_user, open_user_file
from content.grants import key_info
from content.identity import Identity, load_identity, save_identity
from content.store import Store
from tests.node.cli import run_dorfhub
from tests.sync.conftest import store_state

PRACTICE = "Hausarztpraxis Dr. Huber, Freyung"
PASSPHRASE = "Wartezimmer-mit-Aquarium-9"


def desk_user(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`dorfhub desk user ARGS` with the new user's passphrase given."""
    env = {"DORFHUB_DESK_PASSPHRASE": PASSPHRASE}
    return run_dorfhub("desk", "user", *args, home=home, check=False, env=env)


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """A town with a practice made by `practice add --key-out` (its key outside the home)."""
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    run_dorfhub(
        *("practice", "add", PRACTICE, "--key-out", tmp_path / "huber.key"),
        *("--phone", "08551 9876", "--address", "Stadtplatz 1"),
        home=home,
    )
    return home


def _raw_private(identity: Identity) -> list[bytes]:
    raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw
    none = serialization.NoEncryption()
    return [
        identity.signing.private_bytes(*raw, none),
        identity.sealing.private_bytes(*raw, none),
    ]


def test_the_practices_key_is_stored_encrypted_and_not_granted_again(
    town: Path, tmp_path: Path
) -> None:
    key_path = tmp_path / "huber.key"
    practice = load_identity(key_path)
    before = store_state(town)
    done = desk_user(town, "add", "Praxis Huber", "--role", "practice", "--practice-key", key_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"desk user Praxis Huber (practice {PRACTICE}) added, key ")
    assert "only encrypted under the passphrase" in done.stderr
    assert store_state(town) == before  # no new key, no grant: the practice holds its role

    users = town / USERS_DIR
    file = find_user(users, "Praxis Huber")
    assert file is not None
    assert (file.role, file.key) == ("practice", practice.key_id)
    path = next(users.glob("*.key"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(users.stat().st_mode) == 0o700
    data = path.read_bytes()
    for secret in _raw_private(practice):
        assert secret not in data
        assert secret.hex().encode() not in data
    opened = open_user_file(file, PASSPHRASE)
    assert bytes(opened.secret) == b"".join(_raw_private(practice))
    opened.wipe()
    with pytest.raises(WrongPassphrase):
        open_user_file(file, "not-the-passphrase")

    listed = desk_user(town, "list", "--json")
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["role"], r["state"]) for r in rows] == [
        ("Praxis Huber", "practice", "active")
    ]


def test_refused_practice_logins_are_one_line_and_change_nothing(
    town: Path, tmp_path: Path
) -> None:
    key_path = tmp_path / "huber.key"
    stranger = tmp_path / "stranger.key"
    save_identity(Identity.generate("Fremd"), stranger)
    before = store_state(town)
    for extra, error in [
        (("--role", "practice"), "--role practice needs it"),
        (("--role", "admin", "--practice-key", key_path), "--practice-key goes with"),
        (("--role", "practice", "--practice-key", stranger), "is not the key of a practice"),
        (("--role", "practice", "--practice-key", town / "node.key"), "not the key of a practice"),
        (
            ("--role", "practice", "--practice-key", key_path, "--key", town / "admin.key"),
            "needs none",
        ),
    ]:
        done = desk_user(town, "add", "Praxis Huber", *extra)
        assert done.returncode == 1, (extra, done.stdout)
        assert done.stderr.count("\n") == 1, done.stderr
        assert error in done.stderr
    assert find_user(town / USERS_DIR, "Praxis Huber") is None
    assert store_state(town) == before


def test_disabling_a_practice_login_keeps_the_practice(town: Path, tmp_path: Path) -> None:
    key_path = tmp_path / "huber.key"
    practice = load_identity(key_path)
    for name in ("Praxis Huber", "Praxis Huber Empfang"):  # two people, one practice key
        done = desk_user(town, "add", name, "--role", "practice", "--practice-key", key_path)
        assert done.returncode == 0, done.stderr
    done = desk_user(town, "disable", "Praxis Huber Empfang")
    assert done.returncode == 0, done.stderr
    assert "the key stays granted" in done.stdout
    assert find_user(town / USERS_DIR, "Praxis Huber Empfang") is None
    assert find_user(town / USERS_DIR, "Praxis Huber") is not None
    with Store(town / "dorfhub.db") as store:
        info = key_info(store.conn, practice.key_id)
    assert info is not None
    assert not info.revoked
    assert info.roles == ["practice"]
