"""Small tools for the content tests: hand-built ops, byte flips, syncing and table snapshots."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from content.bodies import NoticeBody, encode_body
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import IngestReport, Log
from content.notices import notice_body
from content.ops import FORMAT_VERSION, Header, RawOp, body_hash, encode_header
from content.store import Store

HOUR = 3_600_000
DAY = 24 * HOUR
GROUP = "Ilzer Land"
# Views whose rows must agree between nodes that hold the same log, with their primary keys.
VIEW_TABLES = {"notices": "id", "keys": "key", "node_status": "node"}


def sign_op(
    author: Identity,
    network_id: str,
    *,
    seq: int,
    prev: str,
    lamport: int,
    kind: str,
    entity: str,
    body: bytes,
    time_ms: int = 1,
    sealed_to: Sequence[str] = (),
) -> RawOp:
    """Build and sign an op by hand, bypassing Log.append and all its checks."""
    header = encode_header(
        Header(
            v=FORMAT_VERSION,
            net=network_id,
            author=author.key_id,
            seq=seq,
            prev=prev,
            lamport=lamport,
            time=time_ms,
            kind=kind,
            entity=entity,
            body_hash=body_hash(body),
            body_len=len(body),
            sealed_to=list(sealed_to),
        )
    )
    return RawOp(header, author.sign(header), body)


def next_position(log: Log, author: Identity) -> dict[str, Any]:
    """The seq, prev and Lamport clock an honest next op of `author` would carry on `log`."""
    conn = log.store.conn
    row = conn.execute("SELECT seq, head FROM versions WHERE author = ?", (author.key_id,))
    version = row.fetchone()
    seq, prev = (version[0] + 1, version[1]) if version else (1, "")
    lamport = (conn.execute("SELECT max(lamport) FROM ops").fetchone()[0] or 0) + 1
    return {"seq": seq, "prev": prev, "lamport": lamport}


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


def all_ops(log: Log) -> list[RawOp]:
    return list(log.ops_missing_from({}))


def sync(source: Log, target: Log) -> IngestReport:
    """Send the target what it lacks, as a sync batch or USB bundle would."""
    return target.ingest(list(source.ops_missing_from(target.version_vector())))


def table_rows(conn: sqlite3.Connection, table: str, key: str) -> list[tuple[Any, ...]]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()


def snapshot(store: Store) -> dict[str, Any]:
    """Everything that must be equal on two nodes holding the same log."""
    state: dict[str, Any] = {
        table: table_rows(store.conn, table, key) for table, key in VIEW_TABLES.items()
    }
    state["ops"] = sorted(row[0] for row in store.conn.execute("SELECT id FROM ops"))
    state["digest"] = Log(store).digest()
    return state


def notice(title: str = "Bürgerbus nach Grafenau", **fields: Any) -> NoticeBody:
    """A valid notice body, shown from an hour ago unless told otherwise."""
    fields.setdefault("valid_from", wall_clock_ms() - HOUR)
    return notice_body(title, fields.pop("text", "Jeden Dienstag um 8:15 Uhr."), **fields)


def notice_bytes(title: str = "Bürgerbus nach Grafenau", **fields: Any) -> bytes:
    return encode_body(notice(title, **fields))


def status_bytes(name: str, **extra: Any) -> bytes:
    return encode_body({"name": name, "software": "dorfhub test", **extra})
