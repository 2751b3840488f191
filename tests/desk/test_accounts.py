"""Desk users' key files: encrypted at rest, and nothing opens them but the passphrase."""

from __future__ import annotations

import base64
import json
import stat
import unicodedata
from pathlib import Path

import pytest

from admin.desk import accounts
from admin.desk.accounts import (
    AccountError,
    KdfParams,
    Unlocker,
    WrongPassphrase,
    add_user,
    file_for,
    identity_from_secret,
    open_user_file,
    parse_user_file,
    read_user_file,
)
from content.identity import Identity

PASSPHRASE = "Sonnenblume-am-Dorfplatz-7"
# Cheap parameters for the tests that only need a file; the format is what is tested.
QUICK = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)


@pytest.fixture
def users(tmp_path: Path) -> Path:
    return tmp_path / "desk-users"


def made(users: Path, name: str = "Anna Berger") -> tuple[Identity, Path]:
    return add_user(users, name, "admin", PASSPHRASE, QUICK)


def test_the_right_passphrase_opens_the_users_own_key(users: Path) -> None:
    identity, path = made(users)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(users.stat().st_mode) == 0o700
    file = read_user_file(path)
    assert (file.name, file.role, file.key) == ("Anna Berger", "admin", identity.key_id)
    unlocked = open_user_file(file, PASSPHRASE)
    opened = identity_from_secret(file.name, unlocked.secret)
    assert opened.public == identity.public
    unlocked.wipe()
    assert unlocked.secret == bytearray(64)


def test_the_file_holds_no_key_in_clear(users: Path) -> None:
    identity, path = made(users)
    data = path.read_bytes()
    raw = accounts._private_bytes(identity)
    for part in (raw[:32], raw[32:]):
        assert part not in data
        assert base64.b64encode(part) not in data
        assert part.hex().encode() not in data


def test_a_wrong_passphrase_fails(users: Path) -> None:
    _identity, path = made(users)
    with pytest.raises(WrongPassphrase):
        open_user_file(read_user_file(path), PASSPHRASE + "x")


@pytest.mark.parametrize(
    "change",
    [
        ("role", "editor"),
        ("name", "Anna Bergerin"),
        ("kdf.iterations", 2),  # weaker or stronger: the header is bound as it is
        ("kdf.memory_kib", 16 * 1024),
        ("created", 0),
    ],
)
def test_a_changed_header_fails(users: Path, change: tuple[str, object]) -> None:
    _identity, path = made(users)
    header, ciphertext = path.read_bytes().split(b"\n", 1)
    document = json.loads(header)
    field, value = change
    if "." in field:
        outer, inner = field.split(".")
        document[outer][inner] = value
    else:
        document[field] = value
    changed = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    with pytest.raises(WrongPassphrase):
        open_user_file(parse_user_file(changed + b"\n" + ciphertext), PASSPHRASE)


def test_a_flipped_bit_in_the_ciphertext_fails(users: Path) -> None:
    _identity, path = made(users)
    header, encoded = path.read_bytes().split(b"\n", 1)
    ciphertext = bytearray(base64.b64decode(encoded))
    ciphertext[10] ^= 0x01
    data = header + b"\n" + base64.b64encode(bytes(ciphertext)) + b"\n"
    with pytest.raises(WrongPassphrase):
        open_user_file(parse_user_file(data), PASSPHRASE)


def test_parameters_are_read_from_the_file(users: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _identity, path = made(users)
    file = read_user_file(path)
    assert file.kdf == QUICK
    used: list[KdfParams] = []
    derive = accounts.derive_key

    def spy(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
        used.append(params)
        return derive(passphrase, salt, params)

    monkeypatch.setattr(accounts, "derive_key", spy)
    open_user_file(file, PASSPHRASE)  # opens: the defaults would derive another key
    assert used == [QUICK]
    assert accounts.DEFAULT_KDF != QUICK


def test_the_default_parameters_are_strong() -> None:
    default = accounts.DEFAULT_KDF
    assert default.memory_kib >= 64 * 1024
    assert default.iterations >= 3


@pytest.mark.parametrize(
    "kdf",
    [
        {"memory_kib": 64 * 1024 * 1024},  # 64 GiB asked by a file: refused before any work
        {"memory_kib": 1024},
        {"iterations": 0},
        {"iterations": 10_000},
        {"lanes": 0},
    ],
)
def test_parameters_out_of_range_are_refused_before_any_work(
    users: Path, kdf: dict[str, int]
) -> None:
    _identity, path = made(users)
    header, rest = path.read_bytes().split(b"\n", 1)
    document = json.loads(header)
    document["kdf"].update(kdf)
    with pytest.raises(AccountError, match="out of range"):
        parse_user_file(json.dumps(document).encode() + b"\n" + rest)


@pytest.mark.parametrize(
    "data",
    [b"", b"{}", b"not json\nAAAA", b'{"format": "dorfhub-identity-1"}\n', b"x" * 10_000],
)
def test_other_files_are_refused_in_one_line(data: bytes) -> None:
    with pytest.raises(AccountError) as raised:
        parse_user_file(data)
    assert "\n" not in str(raised.value)


def test_a_readable_file_is_refused(users: Path) -> None:
    _identity, path = made(users)
    path.chmod(0o644)
    with pytest.raises(AccountError, match="readable by others"):
        read_user_file(path)


def test_names_match_whatever_their_case_and_unicode_form(users: Path) -> None:
    made(users, "Jürgen Öttl")
    nfd = unicodedata.normalize("NFD", "jürgen öttl")
    assert file_for(users, nfd) == file_for(users, "Jürgen Öttl")
    with pytest.raises(AccountError, match="exists"):
        made(users, "JÜRGEN ÖTTL")


def test_a_passphrase_typed_in_another_unicode_form_opens(users: Path) -> None:
    identity = Identity.generate("Zoë")
    data = accounts.seal_user_file(identity, "admin", "Grüße-aus-Perlesreut", QUICK)
    nfd = unicodedata.normalize("NFD", "Grüße-aus-Perlesreut")
    assert open_user_file(parse_user_file(data), nfd).file.key == identity.key_id


@pytest.mark.parametrize(
    ("name", "role", "passphrase", "problem"),
    [
        ("", "admin", PASSPHRASE, "the name must be 1 to"),
        ("Anna\u202eBerger", "admin", PASSPHRASE, "invisible or control"),
        ("Anna", "hub", PASSPHRASE, "no role 'hub'"),
        ("Anna", "admin", "kurz", "at least 10 characters"),
    ],
)
def test_a_refused_user_writes_nothing(
    users: Path, name: str, role: str, passphrase: str, problem: str
) -> None:
    with pytest.raises(AccountError, match=problem):
        add_user(users, name, role, passphrase, QUICK)
    assert not users.exists() or not list(users.iterdir())


def test_an_unknown_name_costs_the_same_work(users: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made(users)
    unlocker = Unlocker(users, QUICK)
    assert unlocker.dummy.kdf == QUICK  # made at the first login, whatever name it gives
    derived: list[KdfParams] = []
    derive = accounts.derive_key

    def spy(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
        derived.append(params)
        return derive(passphrase, salt, params)

    monkeypatch.setattr(accounts, "derive_key", spy)
    assert unlocker.unlock("Niemand", PASSPHRASE) is None
    assert unlocker.unlock("Anna Berger", "falsch-falsch-falsch") is None
    unlocked = unlocker.unlock("anna berger", PASSPHRASE)
    assert unlocked is not None
    assert unlocked.file.name == "Anna Berger"
    assert derived == [QUICK, QUICK, QUICK]  # one KDF run each, known name or not


def test_a_file_copied_to_another_users_place_does_not_log_in(users: Path) -> None:
    _anna, anna_path = made(users)
    _bert, bert_path = made(users, "Bert Huber")
    bert_path.write_bytes(anna_path.read_bytes())  # Anna's file, named as Bert's
    unlocker = Unlocker(users, QUICK)
    assert unlocker.unlock("Bert Huber", PASSPHRASE) is None
