"""`dorfhub log verify`: re-check every stored op and rebuild every view from the log alone.

The database passes when every signature and body hash holds, each author's chain is dense and
linked, V matches the ops, and views rebuilt into a scratch database equal the stored ones.

Every read happens in one read transaction: the daemon or the kiosk may append while this runs,
and ops, V and views read at different moments would disagree on a healthy database.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from content.log import Log
from content.ops import OpError, RawOp, verify
from content.store import Store
from content.views import VIEWS

# Every derived table, with the columns that identify a row.
COMPARED = {
    "versions": "author",
    "network": "id",
    **{table: key for view in VIEWS for table, key in view.tables.items()},
}
FTS_ROWS = (
    "SELECT n.id, f.title, f.body FROM notices_fts f JOIN notices n ON n.rowid = f.rowid "
    "ORDER BY n.id"
)


@dataclass
class VerifyReport:
    ops_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(store: Store) -> VerifyReport:
    report = VerifyReport()
    with store.snapshot():
        report.problems.extend(_check_ops(store, report))
        if report.problems:
            return report
        with tempfile.TemporaryDirectory(prefix="dorfhub-verify-") as scratch_dir:
            scratch = Store(Path(scratch_dir) / "rebuilt.db")
            try:
                report.problems.extend(_rebuild_and_compare(store, scratch))
            finally:
                scratch.close()
    return report


def _check_ops(store: Store, report: VerifyReport) -> Iterator[str]:
    conn = store.conn
    previous: dict[str, tuple[int, str, int]] = {}
    rows = conn.execute(
        "SELECT id, author, seq, lamport, time, kind, entity, header, signature, body "
        "FROM ops ORDER BY author, seq"
    )
    for op_id, author, seq, lamport, time, kind, entity, header, signature, body in rows:
        report.ops_checked += 1
        name = f"op {op_id[:16]} (author {author[:12]}, seq {seq})"
        raw = RawOp(header, signature, body)
        if raw.op_id != op_id:
            yield f"{name}: header bytes do not hash to the op id"
            return
        try:
            parsed = verify(raw)
        except OpError as exc:
            yield f"{name}: {exc}"
            return
        signed = (
            parsed.author,
            parsed.seq,
            parsed.lamport,
            parsed.time,
            parsed.kind,
            parsed.entity,
        )
        if signed != (author, seq, lamport, time, kind, entity):
            yield f"{name}: stored columns differ from the signed header"
            return
        last_seq, last_id, last_lamport = previous.get(author, (0, "", 0))
        if seq != last_seq + 1 or parsed.prev != last_id or lamport <= last_lamport:
            yield f"{name}: chain broken after seq {last_seq}"
            return
        previous[author] = (seq, op_id, lamport)
    stored = {a: (s, h) for a, s, h in conn.execute("SELECT author, seq, head FROM versions")}
    expected = {author: (seq, head) for author, (seq, head, _) in previous.items()}
    for author in sorted(set(stored) | set(expected)):
        if stored.get(author) != expected.get(author):
            yield (
                f"version vector for author {author[:12]} is {stored.get(author)}, "
                f"ops say {expected.get(author)}"
            )
            return


def _rebuild_and_compare(store: Store, scratch: Store) -> Iterator[str]:
    network_id = store.network_id
    if network_id is None:
        return
    scratch.set_network(network_id)
    ops = (
        RawOp(*row)
        for row in store.conn.execute("SELECT header, signature, body FROM ops ORDER BY rowid")
    )
    rebuilt = Log(scratch).ingest(ops, replaying_own_log=True)
    for op_id, reason in rebuilt.rejected + rebuilt.held:
        yield f"op {op_id[:16]} does not apply when the log is replayed: {reason}"
        return
    for table, key in COMPARED.items():
        yield from _compare(table, _rows(store.conn, table, key), _rows(scratch.conn, table, key))
    yield from _compare(
        "notices_fts",
        _dicts(store.conn.execute(FTS_ROWS)),
        _dicts(scratch.conn.execute(FTS_ROWS)),
    )


Row = dict[str, object]


def _rows(conn: sqlite3.Connection, table: str, key: str) -> list[Row]:
    return _dicts(conn.execute(f"SELECT * FROM {table} ORDER BY {key}"))


def _dicts(cursor: sqlite3.Cursor) -> list[Row]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _first_difference(mine: Row, theirs: Row) -> str:
    column = next(name for name in mine if mine[name] != theirs.get(name))
    return f"column {column}: stored {mine[column]!r}, rebuilt {theirs.get(column)!r}"


def _compare(table: str, stored: list[Row], rebuilt: list[Row]) -> Iterator[str]:
    stored_by_key = {next(iter(row.values())): row for row in stored}
    rebuilt_by_key = {next(iter(row.values())): row for row in rebuilt}
    for key in sorted(set(stored_by_key) | set(rebuilt_by_key), key=str):
        mine, theirs = stored_by_key.get(key), rebuilt_by_key.get(key)
        if mine != theirs:
            what = (
                "is missing from the stored view"
                if mine is None
                else "should not exist"
                if theirs is None
                else f"differs from the rebuilt one ({_first_difference(mine, theirs)})"
            )
            yield f"view {table} row {key}: {what}"
            return
