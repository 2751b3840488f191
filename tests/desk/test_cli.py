"""`dorfhub desk user add|list|disable` through the real command."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from admin.desk.accounts import USERS_DIR, WrongPassphrase, find_user, open_user_file
from content.grants import key_info
from content.store import Store
from tests.desk.conftest import DIETER
from tests.node.cli import DORFHUB, REPO, run_dorfhub
from tests.sync.conftest import store_state

DESK = "Ringelai-Rathaus-2026"
ADMIN_KEY = "Schluesselbund-der-Kaemmerei"


def add(
    home: Path, name: str, *extra: str, desk: str | None = DESK, admin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`desk user add` with exactly the passphrase variables given (none inherited)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DORFHUB_")}
    if desk is not None:
        env["DORFHUB_DESK_PASSPHRASE"] = desk
    if admin is not None:
        env["DORFHUB_PASSPHRASE"] = admin
    return subprocess.run(
        [*DORFHUB, "desk", "user", "add", name, "--role", "admin", *extra, "--home", str(home)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.fixture
def town(tmp_path: Path) -> Path:
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    return home


def test_add_makes_a_granted_key_encrypted_at_rest(town: Path) -> None:
    done = add(town, "Vroni Kern")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("desk user Vroni Kern (admin) added, key ")
    file = find_user(town / USERS_DIR, "Vroni Kern")
    assert file is not None
    with Store(town / "dorfhub.db") as store:
        info = key_info(store.conn, file.key)
    assert info is not None
    assert info.roles == ["admin"]
    assert info.name == "Vroni Kern"
    open_user_file(file, DESK).wipe()


def test_refused_adds_are_one_line_and_change_nothing(town: Path) -> None:
    assert add(town, "Vroni Kern").returncode == 0
    before = store_state(town)
    files = sorted((town / USERS_DIR).iterdir())
    for name, extra, desk, error in [
        ("vroni kern", (), DESK, "a desk user named 'vroni kern' exists"),
        ("Bert", (), "kurz", "at least 10 characters"),
        ("Bert", (), None, "no passphrase: set DORFHUB_DESK_PASSPHRASE or run in a terminal"),
        ("Bert\u202e", (), DESK, "invisible or control character"),
        ("Bert", ("--key", str(town / "missing.key")), DESK, "no key file"),
    ]:
        done = add(town, name, *extra, desk=desk)
        assert done.returncode == 1, (name, done.stdout)
        assert done.stderr.count("\n") == 1
        assert error in done.stderr
    done = run_dorfhub("desk", "user", "add", "Bert", "--role", "hub", home=town, check=False)
    assert done.returncode == 1
    assert "the desk has no role 'hub' (roles: admin, practice, guide, editor)" in done.stderr
    # A club's login names the groups it may submit for.
    done = run_dorfhub("desk", "user", "add", "Bert", "--role", "editor", home=town, check=False)
    assert done.returncode == 1
    assert "an editor needs --group: the hubs it may submit notices for" in done.stderr
    assert store_state(town) == before
    assert sorted((town / USERS_DIR).iterdir()) == files


def test_two_passphrases_two_variables(tmp_path: Path) -> None:
    """DORFHUB_PASSPHRASE unlocks the admin key that signs the grant; the new user's own
    passphrase comes from DORFHUB_DESK_PASSPHRASE and is never taken from the other."""
    town = tmp_path / "town"
    run_dorfhub(
        "network", "init", "--name", "Ilzer Land", home=town, env={"DORFHUB_PASSPHRASE": ADMIN_KEY}
    )
    locked = add(town, "Vroni Kern", admin=None)
    assert locked.returncode == 1
    assert "set DORFHUB_PASSPHRASE" in locked.stderr
    assert not (town / USERS_DIR).exists() or not list((town / USERS_DIR).iterdir())
    only_admin = add(town, "Vroni Kern", desk=None, admin=ADMIN_KEY)
    assert only_admin.returncode == 1
    assert "DORFHUB_DESK_PASSPHRASE" in only_admin.stderr
    done = add(town, "Vroni Kern", admin=ADMIN_KEY)
    assert done.returncode == 0, done.stderr
    file = find_user(town / USERS_DIR, "Vroni Kern")
    assert file is not None
    open_user_file(file, DESK).wipe()
    with pytest.raises(WrongPassphrase):
        open_user_file(file, ADMIN_KEY)


def test_files_are_private_whatever_the_umask(town: Path) -> None:
    env = {**os.environ, "DORFHUB_DESK_PASSPHRASE": DESK}
    subprocess.run(
        [*DORFHUB, "desk", "user", "add", "Vroni Kern", "--role", "admin", "--home", str(town)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        preexec_fn=lambda: os.umask(0o022),
        timeout=120,
    )
    directory = town / USERS_DIR
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_list_and_disable(town: Path) -> None:
    assert add(town, DIETER.name, desk=DIETER.passphrase).returncode == 0
    assert add(town, "Vroni Kern").returncode == 0
    listed = json.loads(run_dorfhub("desk", "user", "list", "--json", home=town).stdout)
    assert [(row["name"], row["role"], row["state"]) for row in listed] == [
        (DIETER.name, "admin", "active"),
        ("Vroni Kern", "admin", "active"),
    ]
    assert listed[0]["kdf"]["memory_kib"] >= 64 * 1024  # the parameters in use, per file
    done = run_dorfhub("desk", "user", "disable", "dieter weggang", "--reason", "Umzug", home=town)
    assert done.stdout.startswith("disabled desk user Dieter Weggang")
    text = run_dorfhub("desk", "user", "list", home=town).stdout.splitlines()
    assert [line.split()[1:3] for line in text] == [["admin", "disabled"], ["admin", "active"]]
    before = store_state(town)
    for name, error in [
        (DIETER.name, "desk user 'Dieter Weggang' is disabled already"),
        ("Niemand", "no desk user named 'Niemand'"),
    ]:
        again = run_dorfhub("desk", "user", "disable", name, home=town, check=False)
        assert again.returncode == 1
        assert error in again.stderr
    assert store_state(town) == before
