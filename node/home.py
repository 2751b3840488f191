"""A node's home directory: config.toml, the SQLite store and the key files.

config.toml   name, role, network id, the server URL and how its certificate is checked
dorfhub.db    the store (WAL mode)
server-ca.pem the county's certificate authority a hub checks an https server against (--ca)
node.key      this node's identity
admin.key     on the town server: the first admin's identity
root.key      on the town server right after `network init`: move it offline
daemon.lock   held (flock) by the one daemon, `serve` or `hub`, that runs on this home
"""

from __future__ import annotations

import fcntl
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from content.errors import ContentError
from content.identity import Identity, check_key_file_mode, load_identity, save_identity
from content.private_files import write_private
from content.store import Store

KEY_FILES = ("node.key", "admin.key", "root.key")
NODE_ROLES = ("server", "hub", "admin", "guide", "practice")
DAEMON_LOCK = "daemon.lock"


class HomeError(ContentError):
    """The home directory is missing, half made, or unsafe."""


@dataclass
class NodeConfig:
    name: str
    role: str
    network_id: str = ""
    server_url: str = ""
    # For an https server (sync/tls.py): a CA file in the home (`node init --ca`), or the
    # SHA-256 of the one certificate accepted (`node init --pin`). Neither: the system's CAs.
    server_ca: str = ""
    server_pin: str = ""


def default_home() -> Path:
    env = os.environ.get("DORFHUB_HOME")
    return Path(env) if env else Path(platformdirs.user_data_dir("dorfhub"))


class Home:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def config_path(self) -> Path:
        return self.path / "config.toml"

    @property
    def db_path(self) -> Path:
        return self.path / "dorfhub.db"

    def key_path(self, name: str) -> Path:
        return self.path / name

    @classmethod
    def create(cls, path: Path, config: NodeConfig) -> Home:
        home = cls(path)
        if home.config_path.exists():
            raise HomeError(f"{path} already holds a Dorfhub node")
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        home.save_config(config)
        return home

    @classmethod
    def open(cls, path: Path) -> Home:
        home = cls(path)
        if not home.config_path.exists():
            raise HomeError(
                f"no Dorfhub node in {path} (run `dorfhub network init` or `node init`)"
            )
        for name in KEY_FILES:
            if home.key_path(name).exists():
                check_key_file_mode(home.key_path(name))
        return home

    @property
    def config(self) -> NodeConfig:
        with self.config_path.open("rb") as handle:
            return NodeConfig(**tomllib.load(handle)["node"])

    def save_config(self, config: NodeConfig) -> None:
        """Write the [node] table; every other table ([[sensors]], …) is kept as it was."""
        document: dict[str, Any] = {}
        if self.config_path.exists():
            with self.config_path.open("rb") as handle:
                document = tomllib.load(handle)
        document["node"] = asdict(config)
        self._write_config(document)

    def save_table(self, name: str, value: Any) -> None:
        """Replace one top-level table or array of tables (for example `sensors`)."""
        with self.config_path.open("rb") as handle:
            document = tomllib.load(handle)
        document[name] = value
        self._write_config(document)

    def _write_config(self, document: dict[str, Any]) -> None:
        temporary = self.config_path.with_suffix(".tmp")
        write_private(temporary, tomli_w.dumps(document).encode())
        temporary.replace(self.config_path)

    def create_identity(self, file_name: str, name: str, protect: bool = False) -> Identity:
        """Create a key file; `protect` encrypts it with DORFHUB_PASSPHRASE when that is set
        (for admin and root keys, which a person unlocks; a daemon's node key cannot be)."""
        identity = Identity.generate(name)
        passphrase = os.environ.get("DORFHUB_PASSPHRASE") if protect else None
        save_identity(identity, self.key_path(file_name), passphrase)
        return identity

    def identity(self, file_name: str = "node.key") -> Identity:
        return load_identity(self.key_path(file_name), os.environ.get("DORFHUB_PASSPHRASE"))

    def publisher(self, key_file: Path | None = None) -> Identity:
        """The key that signs content by default: an explicit file, the admin key, or the node's."""
        if key_file is not None:
            return load_identity(key_file, os.environ.get("DORFHUB_PASSPHRASE"))
        name = "admin.key" if self.key_path("admin.key").exists() else "node.key"
        return self.identity(name)

    def store(self) -> Store:
        return Store(self.db_path)

    @contextmanager
    def daemon_lock(self) -> Iterator[None]:
        """Hold this home as its one daemon until the block ends; HomeError if another holds it.

        Two daemons on one home would both sync, report and serve the same log. flock belongs to
        the open file, so the kernel drops it however the process ends (kill -9 too) and a lock
        file left behind never blocks a restart. Only the daemons take it: the kiosk and short
        commands share the database with the daemon by design (WAL)."""
        fd = os.open(self.path / DAEMON_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise HomeError(self._held_by(fd)) from None
            # The holder's pid, for the message a second daemon prints.
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    def _held_by(self, fd: int) -> str:
        pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
        which = f" (pid {pid})" if pid.isdigit() else ""  # not yet written by a starting holder
        return f"another dorfhub daemon{which} is running on {self.path}"
