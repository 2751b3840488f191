"""Appending several local ops inside one write transaction that also changes local tables.

The town server's decision must be appended in the same transaction as the seat it takes, and a
series of slots is stored whole or not at all. `Log.append` opens its own transaction, so this
module signs and applies ops the way it does, through the same applier, inside the caller's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from content.clock import trusted_now
from content.identity import Identity
from content.log import AppendRefused, IngestReport, _Applier
from content.ops import FORMAT_VERSION, Header, RawOp, body_hash, encode_header
from content.verifier import checked


def append_in(
    conn: sqlite3.Connection,
    network_id: str,
    author: Identity,
    kind: str,
    entity: str,
    body: bytes,
    sealed_to: Sequence[str] = (),
    time_ms: int | None = None,
) -> str:
    """Sign and apply one op by a local author inside the open transaction on `conn`; raise
    AppendRefused if it may not apply (the caller's transaction then rolls back whole)."""
    version = conn.execute(
        "SELECT seq, head FROM versions WHERE author = ?", (author.key_id,)
    ).fetchone()
    seq, prev = (version[0] + 1, version[1]) if version else (1, "")
    lamport = (conn.execute("SELECT max(lamport) FROM ops").fetchone()[0] or 0) + 1
    header = encode_header(
        Header(
            v=FORMAT_VERSION,
            net=network_id,
            author=author.key_id,
            seq=seq,
            prev=prev,
            lamport=lamport,
            time=trusted_now(conn).now_ms if time_ms is None else time_ms,
            kind=kind,
            entity=entity,
            body_hash=body_hash(body),
            body_len=len(body),
            sealed_to=sorted(set(sealed_to)),
        )
    )
    raw = RawOp(header, author.sign(header), body)
    report = IngestReport()
    _Applier(conn, network_id, report).ingest(checked([raw]))
    if raw.op_id not in report.applied:
        reasons = [why for op, why in report.rejected + report.held if op == raw.op_id]
        raise AppendRefused(reasons[0] if reasons else "op was not applied")
    return raw.op_id
