"""Last writer wins, one rule everywhere (issue 18): the Lamport clock, then the author. Every
view says it through content.ops.later_sql, and the Python order (StoredOp.order) agrees."""

from __future__ import annotations

import itertools
import re
import sqlite3
from pathlib import Path

from content.ops import StoredOp, later_sql

CONTENT = Path(__file__).resolve().parents[2] / "content"
# A hand-written tie-break on equal Lamport clocks: `x.lamport = y.lamport AND x.<col> >`.
HAND_WRITTEN = re.compile(r"lamport\s*=\s*[\w{}]+\.lamport\s+AND\s+[\w{}]+\.(\w+)\s*>")
# Migrations are history: the help_states backfill (schema 5) spells the same rule out.
HISTORY = {"schema.py"}


def _op(lamport: int, author: str) -> StoredOp:
    return StoredOp(f"{lamport}{author}", author, 1, lamport, 0, "notice.put", "n", None)


def test_the_sql_and_the_python_order_agree() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE new (lamport INTEGER, author TEXT)")
    conn.execute("CREATE TABLE old (lamport INTEGER, author TEXT)")
    ops = [_op(lamport, author) for lamport in (1, 2) for author in ("a" * 64, "b" * 64)]
    for new, old in itertools.product(ops, ops):
        conn.execute("DELETE FROM new")
        conn.execute("DELETE FROM old")
        conn.execute("INSERT INTO new VALUES (?, ?)", (new.lamport, new.author))
        conn.execute("INSERT INTO old VALUES (?, ?)", (old.lamport, old.author))
        (later,) = conn.execute(f"SELECT {later_sql('new', 'old')} FROM new, old").fetchone()
        assert bool(later) == (new.order > old.order), (new.order, old.order)


def test_no_view_breaks_a_tie_by_hand() -> None:
    found = [
        f"{path.name}: ties on {column}"
        for path in sorted(CONTENT.glob("*.py"))
        if path.name not in HISTORY
        for column in hand_written(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def hand_written(text: str) -> list[str]:
    return HAND_WRITTEN.findall(text)


def test_the_guard_sees_a_hand_written_tie_break() -> None:
    # The guard above is only worth something if it notices the rule written out, as the node
    # status view once did with the op id.
    assert hand_written("o.lamport > s.lamport OR (o.lamport = s.lamport AND o.id > s.op_id)") == [
        "id"
    ]
    assert hand_written(later_sql("o", "s")) == ["author"]
