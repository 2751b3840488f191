"""Desk users: each one is a key holder of the network, its key file encrypted at rest.

A desk user's ops are signed by their own key, so the log shows who did what. The key file
lives in the town server's home, `desk-users/<id>.key` (0600 in a 0700 directory), and holds
two lines:

    {"cipher":{…},"created":…,"format":"dorfhub-desk-user-1","kdf":{…},"key":…,"name":…,…}
    <base64 of the ChaCha20-Poly1305 ciphertext of the Ed25519 and X25519 private keys>

The cipher's key is derived from the user's passphrase with Argon2id. Its parameters and salt
stand in the header, so new files can get stronger ones while old files still open; the whole
header line, byte for byte, is the cipher's associated data, so a file whose name, role, key or
parameters were changed does not open at all.

The file's name is derived from the user's name (NFC, case-folded), so a login finds it without
listing the directory. `Unlocker` gives an unknown name the same work as a known one: it runs
the KDF and the cipher on a dummy file, so neither the answer nor its time tells whether a name
exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from content.identity import Identity, IdentityError, check_key_file_mode
from content.names import name_problem
from content.private_files import FILE_MODE, make_private_dir

FORMAT = "dorfhub-desk-user-1"
USERS_DIR = "desk-users"
# Roles a desk login may have; an editor is a club's (a parish's, the fire brigade's) login.
DESK_ROLES = ("admin", "practice", "guide", "editor")
# Roles whose desk users hold a key the network knew before (a practice's own key, which signs
# its slots and opens its bookings), not one made for the person: disabling such a user removes
# its file and leaves the key granted (docs/desk.md "Practices").
KEPT_KEY_ROLES = ("practice",)
MIN_PASSPHRASE_CHARS = 10
MAX_PASSPHRASE_CHARS = 1024  # bounds the KDF's input: a login form is anyone's to post
SALT_BYTES = 16
NONCE_BYTES = 12
SECRET_BYTES = 64  # Ed25519 private (32) || X25519 private (32)
MAX_FILE_BYTES = 4096


class AccountError(ValueError):
    """A desk user that cannot be made, found or read; the message says why, in one line."""


class WrongPassphrase(AccountError):
    """The passphrase does not open the file (or the file was changed)."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id's cost. 64 MiB and 3 passes take about 0.25 s on the town server's two cores:
    slow for a guesser, unnoticed at a login. Raise them here; old files keep theirs."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def check(self) -> None:
        # A header is read before it is authenticated: bound what it may make us spend.
        if not (8 * 1024 <= self.memory_kib <= 1024 * 1024):
            raise AccountError(f"Argon2id memory out of range: {self.memory_kib} KiB")
        if not (1 <= self.iterations <= 64 and 1 <= self.lanes <= 16):
            raise AccountError("Argon2id iterations or lanes out of range")


DEFAULT_KDF = KdfParams()


@dataclass(frozen=True)
class DeskUserFile:
    """A key file as read, before it is opened: everything but the private keys."""

    name: str
    role: str
    key: str  # Ed25519 public key, hex: the author id of the user's ops
    public: str  # dh1.… token
    created_ms: int
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    header: bytes  # the first line exactly as stored: the cipher's associated data
    ciphertext: bytes

    @property
    def short_id(self) -> str:
        return self.key[:12]


@dataclass(eq=False)
class Unlocked:
    """A user file opened with its passphrase. `secret` is the only copy this code keeps of
    the private keys: wipe it when done."""

    file: DeskUserFile
    secret: bytearray

    def wipe(self) -> None:
        wipe(self.secret)


def wipe(secret: bytearray) -> None:
    """Overwrite key bytes in place. Python cannot promise more: the cipher's output and the
    key objects made from it are immutable copies that the collector frees, not overwrites."""
    secret[:] = bytes(len(secret))


def name_key(name: str) -> str:
    """What makes two desk names the same: Unicode NFC, case-folded."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def file_for(directory: Path, name: str) -> Path:
    digest = hashlib.sha256(name_key(name).encode()).hexdigest()[:32]
    return directory / f"{digest}.key"


def passphrase_problem(passphrase: str) -> str | None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        return f"the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters"
    if len(passphrase) > MAX_PASSPHRASE_CHARS:
        return f"the passphrase may have at most {MAX_PASSPHRASE_CHARS} characters"
    return None


def derive_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    # NFC: the same passphrase typed on another system's keyboard gives the same bytes.
    secret = unicodedata.normalize("NFC", passphrase).encode()
    kdf = Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(secret)


# ---- writing ----------------------------------------------------------------------------------


def seal_user_file(
    identity: Identity,
    role: str,
    passphrase: str,
    params: KdfParams = DEFAULT_KDF,
    created_ms: int | None = None,
) -> bytes:
    """The bytes of a new key file for `identity` under `passphrase`."""
    salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
    header = _header_line(identity, role, params, salt, nonce, created_ms)
    secret = bytearray(_private_bytes(identity))
    try:
        cipher = ChaCha20Poly1305(derive_key(passphrase, salt, params))
        ciphertext = cipher.encrypt(nonce, bytes(secret), header)
    finally:
        wipe(secret)
    return header + b"\n" + base64.b64encode(ciphertext) + b"\n"


def _header_line(
    identity: Identity,
    role: str,
    params: KdfParams,
    salt: bytes,
    nonce: bytes,
    created_ms: int | None,
) -> bytes:
    document = {
        "format": FORMAT,
        "name": identity.name,
        "role": role,
        "key": identity.key_id,
        "public": identity.public.token,
        "created": int(time.time() * 1000) if created_ms is None else created_ms,
        "kdf": {
            "algorithm": "argon2id",
            "memory_kib": params.memory_kib,
            "iterations": params.iterations,
            "lanes": params.lanes,
            "salt": _b64(salt),
        },
        "cipher": {"algorithm": "chacha20poly1305", "nonce": _b64(nonce)},
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _private_bytes(identity: Identity) -> bytes:
    raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw
    none = serialization.NoEncryption()
    return identity.signing.private_bytes(*raw, none) + identity.sealing.private_bytes(*raw, none)


def add_user(
    directory: Path,
    name: str,
    role: str,
    passphrase: str,
    params: KdfParams = DEFAULT_KDF,
    key: Identity | None = None,
) -> tuple[Identity, Path]:
    """Make a new key for a desk user (or take `key`, a key the network knows already) and
    store it encrypted; returns it and its file. Nothing is written when the name, role or
    passphrase is refused or the user exists."""
    check_new_user(directory, name, role, passphrase)
    # The file's header names the desk user, whatever name the key was made with.
    identity = Identity.generate(name) if key is None else Identity(name, key.signing, key.sealing)
    data = seal_user_file(identity, role, passphrase, params)
    make_private_dir(directory)
    os.chmod(directory, 0o700)
    path = file_for(directory, name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        raise AccountError(f"a desk user named {name!r} exists") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return identity, path


def check_new_user(directory: Path, name: str, role: str, passphrase: str | None = None) -> None:
    problem = name_problem(name)
    if problem is not None:
        raise AccountError(f"the name {problem}")
    if role not in DESK_ROLES:
        raise AccountError(f"the desk has no role {role!r} (roles: {', '.join(DESK_ROLES)})")
    if file_for(directory, name).exists():
        raise AccountError(f"a desk user named {name!r} exists")
    if passphrase is not None and (problem := passphrase_problem(passphrase)):
        raise AccountError(problem)


# ---- reading ----------------------------------------------------------------------------------


def read_user_file(path: Path) -> DeskUserFile:
    try:
        check_key_file_mode(path)
    except IdentityError as exc:
        raise AccountError(str(exc)) from None
    data = path.read_bytes()
    try:
        return parse_user_file(data)
    except AccountError as exc:
        raise AccountError(f"{path}: {exc}") from None


def parse_user_file(data: bytes) -> DeskUserFile:
    """Read a key file's header and ciphertext (nothing is authenticated yet)."""
    if len(data) > MAX_FILE_BYTES:
        raise AccountError("not a desk user file (too large)")
    header, _, rest = data.partition(b"\n")
    try:
        document = json.loads(header)
        if document.get("format") != FORMAT:
            raise AccountError("not a desk user file")
        kdf, cipher = document["kdf"], document["cipher"]
        if kdf["algorithm"] != "argon2id" or cipher["algorithm"] != "chacha20poly1305":
            raise AccountError("unknown KDF or cipher")
        params = KdfParams(int(kdf["memory_kib"]), int(kdf["iterations"]), int(kdf["lanes"]))
        params.check()
        return DeskUserFile(
            name=str(document["name"]),
            role=str(document["role"]),
            key=str(document["key"]),
            public=str(document["public"]),
            created_ms=int(document["created"]),
            kdf=params,
            salt=base64.b64decode(kdf["salt"], validate=True),
            nonce=base64.b64decode(cipher["nonce"], validate=True),
            header=header,
            ciphertext=base64.b64decode(rest.strip(), validate=True),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, AccountError):
            raise
        raise AccountError(f"malformed desk user file ({exc.__class__.__name__})") from None


def open_user_file(file: DeskUserFile, passphrase: str) -> Unlocked:
    """The private keys of `file`, or WrongPassphrase (a changed file is one too)."""
    try:
        cipher = ChaCha20Poly1305(derive_key(passphrase, file.salt, file.kdf))
        plain = cipher.decrypt(file.nonce, file.ciphertext, file.header)
    except (InvalidTag, ValueError):
        raise WrongPassphrase("wrong passphrase, or the file was changed") from None
    secret = bytearray(plain)
    del plain
    if len(secret) != SECRET_BYTES or _public_key(secret) != file.key:
        wipe(secret)
        raise WrongPassphrase("the file's keys do not match its header")
    return Unlocked(file, secret)


def identity_from_secret(name: str, secret: bytearray) -> Identity:
    """An Identity to sign with, made from unlocked key bytes; drop it after use."""
    return Identity(
        name,
        Ed25519PrivateKey.from_private_bytes(bytes(secret[:32])),
        X25519PrivateKey.from_private_bytes(bytes(secret[32:SECRET_BYTES])),
    )


def _public_key(secret: bytearray) -> str:
    signing = Ed25519PrivateKey.from_private_bytes(bytes(secret[:32]))
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return signing.public_key().public_bytes(*raw).hex()


def find_user(directory: Path, name: str) -> DeskUserFile | None:
    path = file_for(directory, name)
    return read_user_file(path) if path.exists() else None


def remove_user(directory: Path, name: str) -> DeskUserFile:
    """Delete a desk user's file (only ciphertext: nothing to overwrite); its sessions end at
    their next request, which no longer finds the file (web.Desk.session_for)."""
    file = find_user(directory, name)
    if file is None:
        raise AccountError(f"no desk user named {name!r}")
    file_for(directory, name).unlink()
    return file


def list_users(directory: Path) -> list[DeskUserFile]:
    if not directory.exists():
        return []
    files = [read_user_file(path) for path in sorted(directory.glob("*.key"))]
    return sorted(files, key=lambda file: name_key(file.name))


class Unlocker:
    """Opens desk users' files at login, with the same work whether the name exists or not."""

    def __init__(self, directory: Path, params: KdfParams = DEFAULT_KDF) -> None:
        self.directory = directory
        self.params = params
        self.lock = threading.Lock()
        self._dummy: DeskUserFile | None = None

    @property
    def dummy(self) -> DeskUserFile:
        """Made at the first login (of a known name or not, alike), not when the server
        starts: every `dorfhub serve` would pay a KDF run for it."""
        with self.lock:
            if self._dummy is None:
                identity = Identity.generate("dummy")
                data = seal_user_file(identity, "admin", secrets.token_hex(16), self.params)
                self._dummy = parse_user_file(data)
            return self._dummy

    def unlock(self, name: str, passphrase: str) -> Unlocked | None:
        """The user's keys, or None for a wrong passphrase or an unknown name alike."""
        dummy = self.dummy
        try:
            file = find_user(self.directory, name)
        except (AccountError, OSError):
            file = None  # an unreadable file cannot be logged in with; look the same
        if file is not None and name_key(file.name) != name_key(name):
            file = None  # a file copied to another user's place: its header names someone else
        try:
            unlocked = open_user_file(file or dummy, passphrase)
        except WrongPassphrase:
            return None
        if file is None:  # the dummy opened: a passphrase nobody knows; never a login
            unlocked.wipe()
            return None
        return unlocked


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def describe(file: DeskUserFile) -> dict[str, Any]:
    """A user file's public facts, for `dorfhub desk user list --json`."""
    return {
        "name": file.name,
        "role": file.role,
        "key": file.key,
        "created": file.created_ms,
        "kdf": {
            "memory_kib": file.kdf.memory_kib,
            "iterations": file.kdf.iterations,
            "lanes": file.kdf.lanes,
        },
    }
