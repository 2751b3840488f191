"""One SQLite file per node: WAL mode, foreign keys on, recorded schema version.

One process writes (BEGIN IMMEDIATE, so writers queue instead of failing mid-transaction); any
number read. Readers see a consistent snapshot and notice changes through `data_version`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from content.errors import ContentError
from content.private_files import ensure_private_file, make_private_dir, tighten
from content.schema import MIGRATIONS
from content.search import search_text

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 30_000
# How long a WAL truncation waits for readers (the kiosk, the peer API): it holds off every
# writer while it waits, so not BUSY_TIMEOUT_MS. A reader that keeps the WAL longer delays the
# truncation to the caller's next try.
TRUNCATE_WAIT_MS = 2_000
# SQLite's files beside the database: write-ahead log, shared memory, rollback journal.
SIDE_FILES = ("-wal", "-shm", "-journal")


class StoreError(ContentError):
    """The database cannot be used as it is (newer schema, wrong network, …)."""


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        make_private_dir(self.path.parent)
        _keep_private(self.path)
        connection = sqlite3.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        self.conn: sqlite3.Connection = connection
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content is zeroed, free pages and overflow pages too, so an
        # erased personal body leaves no trace in the file (content/pruning.py).
        self.conn.execute("PRAGMA secure_delete = ON")
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Migrations that rebuild the search index call it from SQL.
        self.conn.create_function("dorfhub_search_text", 1, search_text, deterministic=True)
        self._migrate()

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection as a sqlite-utils Database, for table introspection and ad-hoc
        queries. Loaded on first use: sqlite-utils with click and dateutil costs the kiosk
        14 MB and 0.17 s of its start, and the log itself runs plain SQL."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction; rolled back whole on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction over the block. In WAL mode it sees the database as of its
        first read, whatever other connections commit meanwhile."""
        if self.conn.in_transaction:
            # The caller's transaction already gives one view of the database.
            yield
            return
        self.conn.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def data_version(self) -> int:
        """Changes whenever another connection commits; cheap enough to poll."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def log_version(self) -> int:
        """Changes whenever an op is stored in or taken out of the log (and only then): the
        views, folded from the log, are the same while it is."""
        return int(self.conn.execute("SELECT count FROM log_changes").fetchone()[0])

    @property
    def network_id(self) -> str | None:
        row = self.conn.execute("SELECT id FROM network").fetchone()
        return str(row[0]) if row else None

    def set_network(self, network_id: str) -> None:
        current = self.network_id
        if current == network_id:
            return
        if current is not None:
            raise StoreError(f"this database belongs to network {current}, not {network_id}")
        with self.write() as conn:
            conn.execute("INSERT INTO network (id) VALUES (?)", (network_id,))

    def _migrate(self) -> None:
        with self.write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
            )
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"database schema {version} is newer than this software "
                    f"({len(MIGRATIONS)}); upgrade Dorfhub"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)", (number, int(time.time()))
                )
                conn.execute(f"PRAGMA user_version = {number}")


def truncate_wal(conn: sqlite3.Connection) -> bool:
    """Copy the WAL into the database and cut it to nothing: after an erasure its older frames
    still hold the pages as they were. False while another connection reads an old snapshot
    for longer than TRUNCATE_WAIT_MS."""
    previous = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {TRUNCATE_WAIT_MS}")
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(previous)}")
    return int(busy) == 0


def _keep_private(path: Path) -> None:
    """Make the database 0600 before SQLite opens it: SQLite gives the files it makes beside
    it the database's own mode, whatever the umask. Side files left by an older, looser
    database are tightened as well."""
    ensure_private_file(path)
    for suffix in SIDE_FILES:
        tighten(path.with_name(path.name + suffix))


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise StoreError(f"incomplete statement in migration: {current.strip()[:60]}")
    return statements
