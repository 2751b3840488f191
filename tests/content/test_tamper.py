"""Tampering: a flipped byte in an op is refused on ingest and found by `log verify` on disk;
a hand-edited view row is found by `log verify` too (ARCHITECTURE.md section 2, rules 1 and 5)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace

import pytest

from content import notices
from content.log_audit import verify_store
from content.ops import RawOp
from tests.content.conftest import Network
from tests.content.helpers import all_ops, flip, next_position, notice, sign_op, status_bytes

PARTS = ("header", "signature", "body")
FLIPS = [
    *[(part, 0x01) for part in PARTS],
    # Flipping the top bit turns an ASCII character inside a JSON string into invalid UTF-8.
    ("header", 0x80),
    ("signature", 0x80),
    ("body", 0x80),
]


@pytest.fixture
def notice_id(network: Network) -> str:
    """The network with one published notice and one hub status: every view has a row."""
    published = notices.publish(network.log, network.admin, notice())
    network.log.append(
        network.hub, "hub.status", network.hub.key_id, status_bytes(network.hub.name)
    )
    return published


@pytest.fixture
def notice_op(network: Network, notice_id: str) -> RawOp:
    (op,) = [op for op in all_ops(network.log) if b'"notice.put"' in op.header]
    return op


@pytest.fixture
def file_conn(network: Network) -> Iterator[sqlite3.Connection]:
    """A second connection to the database file: someone editing it behind the node's back."""
    conn = sqlite3.connect(network.store.path, isolation_level=None)
    yield conn
    conn.close()


@pytest.mark.parametrize(("part", "mask"), FLIPS)
def test_every_flipped_byte_of_an_op_is_rejected_on_ingest(
    network: Network, notice_op: RawOp, part: str, mask: int
) -> None:
    fresh = network.fresh_log("fresh")
    fresh.ingest([op for op in all_ops(network.log) if op != notice_op])
    vector_before = fresh.version_vector()
    original: bytes = getattr(notice_op, part)
    for index in range(len(original)):
        tampered = replace(notice_op, **{part: flip(original, index, mask)})
        report = fresh.ingest([tampered])
        assert report.applied == [], f"{part} byte {index} flipped was applied"
        assert [op_id for op_id, _ in report.rejected] == [tampered.op_id]
        assert report.rejected[0][1], "a rejection must say why"
        assert fresh.version_vector() == vector_before
    assert fresh.store.conn.execute("SELECT count(*) FROM parked_ops").fetchone()[0] == 0
    # The untouched op still applies, so the rejections above were about the flipped bytes.
    assert fresh.ingest([notice_op]).applied == [notice_op.op_id]


def test_a_signed_body_with_invalid_utf8_is_rejected_and_the_rest_of_the_batch_applies(
    network: Network,
) -> None:
    """A granted hub (or a buggy one) must not be able to wedge every peer's sync batches."""
    fresh = network.fresh_log("fresh")
    fresh.ingest(all_ops(network.log))
    position = next_position(network.log, network.hub)
    poison = sign_op(
        network.hub,
        network.network_id,
        **position,
        kind="hub.status",
        entity=network.hub.key_id,
        body=b'{"name":"\xff"}',
    )
    notice_id = notices.publish(network.log, network.admin, notice())
    good = [op for op in all_ops(network.log) if notice_id.encode() in op.header]
    report = fresh.ingest([poison, *good])
    assert [op_id for op_id, _ in report.rejected] == [poison.op_id]
    assert report.applied == [op.op_id for op in good]


@pytest.mark.parametrize("column", PARTS)
def test_every_flipped_byte_in_the_ops_table_is_named_by_verify(
    network: Network, notice_op: RawOp, file_conn: sqlite3.Connection, column: str
) -> None:
    assert verify_store(network.store).ok
    original: bytes = getattr(notice_op, column)
    for index in range(len(original)):
        file_conn.execute(
            f"UPDATE ops SET {column} = ? WHERE id = ?",
            (flip(original, index), notice_op.op_id),
        )
        report = verify_store(network.store)
        assert not report.ok, f"{column} byte {index} flipped went unnoticed"
        assert notice_op.op_id[:16] in report.problems[0]
    file_conn.execute(f"UPDATE ops SET {column} = ? WHERE id = ?", (original, notice_op.op_id))
    assert verify_store(network.store).ok


@pytest.mark.parametrize(
    ("column", "value"), [("kind", "notice.retract"), ("seq", 7), ("entity", "n-other")]
)
def test_a_stored_column_that_contradicts_the_signed_header_is_named_by_verify(
    network: Network,
    notice_op: RawOp,
    file_conn: sqlite3.Connection,
    column: str,
    value: object,
) -> None:
    file_conn.execute(f"UPDATE ops SET {column} = ? WHERE id = ?", (value, notice_op.op_id))
    report = verify_store(network.store)
    assert not report.ok
    assert notice_op.op_id[:16] in report.problems[0]


def test_a_deleted_op_breaks_the_chain_and_verify_names_the_next_one(
    network: Network, notice_id: str, file_conn: sqlite3.Connection
) -> None:
    notices.publish(network.log, network.admin, notice("Zweiter Aushang"))
    admin_ops = file_conn.execute(
        "SELECT id FROM ops WHERE author = ? ORDER BY seq", (network.admin.key_id,)
    ).fetchall()
    # Admin seq 1 granted the hub, 2 and 3 are the notices: drop 2 from the middle.
    dropped, following = admin_ops[1][0], admin_ops[2][0]
    file_conn.execute("DELETE FROM ops WHERE id = ?", (dropped,))
    report = verify_store(network.store)
    assert not report.ok
    assert following[:16] in report.problems[0]


def _view_edits(network: Network, notice_id: str) -> dict[str, tuple[str, str]]:
    """Hand edits of derived tables, with the problem text that must name the row."""
    hub, admin = network.hub.key_id, network.admin.key_id
    fts_row = f"(SELECT rowid FROM notices WHERE id = '{notice_id}')"
    return {
        "notice title": (
            f"UPDATE notices SET title = '{{\"de\":\"Gefälscht\"}}' WHERE id = '{notice_id}'",
            f"view notices row {notice_id}",
        ),
        "notice expiry": (
            f"UPDATE notices SET valid_until = 1 WHERE id = '{notice_id}'",
            f"view notices row {notice_id}",
        ),
        "notice deleted": (
            f"DELETE FROM notices WHERE id = '{notice_id}'",
            f"view notices row {notice_id}: is missing",
        ),
        "key name": (
            f"UPDATE keys SET name = 'Mallory' WHERE key = '{hub}'",
            f"view keys row {hub}",
        ),
        "key role": (
            f"UPDATE keys SET grants = replace(grants, '\"hub\"', '\"admin\"') WHERE key = '{hub}'",
            f"view keys row {hub}",
        ),
        "key invented": (
            "INSERT INTO keys VALUES ('" + "e" * 64 + "', '', 'Eve', '[]', "
            "'[{\"role\":\"admin\"}]', 0, '', NULL, NULL)",
            "view keys row " + "e" * 64 + ": should not exist",
        ),
        "node status": (
            f"UPDATE node_status SET body = '{{}}' WHERE node = '{hub}'",
            f"view node_status row {hub}",
        ),
        "search index": (
            f"UPDATE notices_fts SET body = 'Freibier' WHERE rowid = {fts_row}",
            f"view notices_fts row {notice_id}",
        ),
        "version vector": (
            f"UPDATE versions SET seq = seq - 1 WHERE author = '{admin}'",
            f"version vector for author {admin[:12]}",
        ),
    }


EDITS = (
    "notice title",
    "notice expiry",
    "notice deleted",
    "key name",
    "key role",
    "key invented",
    "node status",
    "search index",
    "version vector",
)


@pytest.mark.parametrize("edit", EDITS)
def test_a_hand_edited_view_row_is_named_by_verify(
    network: Network, notice_id: str, file_conn: sqlite3.Connection, edit: str
) -> None:
    assert verify_store(network.store).ok
    statement, expected = _view_edits(network, notice_id)[edit]
    changed = file_conn.execute(statement).rowcount
    assert changed == 1, "the edit must hit exactly one row"
    report = verify_store(network.store)
    assert not report.ok
    assert expected in report.problems[0]
