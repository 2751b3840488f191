"""The desk's notice list pages in SQL: each state is read through an index from a cursor, so
a page costs about the rows it shows, at 1,000 notices as at 10,000. Measured by the work
SQLite does (its virtual machine's steps) and by the query plans, never by a clock."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from content import grants
from content.bodies import CATEGORIES, encode_body
from content.identity import Identity, network_id_for
from content.log import Log
from content.notices import (
    NOTICE_STATES,
    Cursor,
    Notice,
    count_in_state,
    notice_body,
    notices_in_state,
)
from content.ops import RawOp
from content.store import Store
from tests.content.helpers import next_position, sign_op

DAY_MS = 24 * 3600 * 1000
AT = int(datetime(2026, 12, 1, 12, tzinfo=ZoneInfo("Europe/Berlin")).timestamp() * 1000)
PAGE = 50
BATCH = 500


@dataclass
class Board:
    log: Log
    admin: Identity
    hubs: list[str]
    made: int = 0

    @property
    def conn(self) -> sqlite3.Connection:
        return self.log.store.conn

    def add(self, count: int, seed: int) -> None:
        """`count` notices spread over every state, category and kind of target, signed by
        the admin and ingested in batches as a sync would bring them."""
        rng = random.Random(seed)
        position = next_position(self.log, self.admin)
        seq, prev, lamport = position["seq"], position["prev"], position["lamport"]
        ops: list[RawOp] = []
        for number in range(self.made, self.made + count):
            for kind, body in self._ops(rng, number):
                op = sign_op(
                    self.admin,
                    self.log.network_id,
                    seq=seq,
                    prev=prev,
                    lamport=lamport,
                    kind=kind,
                    entity=f"n-{number:08d}",
                    body=body,
                    time_ms=AT,
                )
                ops.append(op)
                seq, prev, lamport = seq + 1, op.op_id, lamport + 1
        self.log.ingest_batches([ops[i : i + BATCH] for i in range(0, len(ops), BATCH)])
        self.made += count

    def _ops(self, rng: random.Random, number: int) -> Iterator[tuple[str, bytes]]:
        start = AT + rng.randint(-60, 30) * DAY_MS + rng.randint(0, 86_399) * 1000
        until = None if rng.random() < 0.2 else start + rng.randint(1, 60) * DAY_MS
        roll = rng.random()
        body = notice_body(
            f"Aushang {number}" + (" Bürgerbus" if number % 20 == 0 else ""),
            "Text " * 30,
            category=rng.choice(CATEGORIES),
            valid_from=start,
            valid_until=until,
            hubs=[rng.choice(self.hubs)] if roll < 0.3 else [],
            groups=["Ilzer Land"] if 0.3 <= roll < 0.5 else [],
            translations={"en": (f"Notice {number}", "Text " * 30)},
        )
        yield "notice.put", encode_body(body)
        if rng.random() < 0.1:
            yield "notice.retract", b'{"reason":"erledigt"}'


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    root, admin = Identity.generate("Netzwerk-Wurzel"), Identity.generate("Verwaltung")
    store = Store(tmp_path_factory.mktemp("query") / "town.db")
    store.set_network(network_id_for(root.key_id))
    log = Log(store)
    grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
    hubs = [Identity.generate(name) for name in ("Ringelai", "Perlesreut", "Schönberg")]
    for hub in hubs:
        grants.grant(log, admin, hub.public, "hub", hub.name, groups=["Ilzer Land"])
    yield Board(log, admin, [hub.key_id for hub in hubs])
    store.close()


def steps(conn: sqlite3.Connection, work: Callable[[], Any]) -> int:
    """The virtual machine instructions SQLite runs for `work`: rows read cost instructions,
    so a query that reads every row costs ten times as much at ten times the rows."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    conn.set_progress_handler(count, 1)
    try:
        work()
    finally:
        conn.set_progress_handler(None, 1)
    return counted[0]


# Filters that leave two full pages in each state at 1,000 notices: a state that ends within
# its first pages costs less at 1,000 than a full page at 10,000.
FILTERS: list[dict[str, Any]] = [{}, {"everywhere": True}]


def page_costs(board: Board) -> dict[tuple[str, int], int]:
    """What the first and the second page of each index-read state costs, per filter."""
    costs = {}
    for state in ("current", "scheduled", "expired"):
        for number, filters in enumerate(FILTERS):
            first = notices_in_state(board.conn, state, AT, limit=PAGE, **filters)
            assert len(first) == PAGE, (state, filters)
            page = partial(notices_in_state, board.conn, state, AT, limit=PAGE, **filters)
            costs[(state, number)] = steps(board.conn, page)
            costs[(state, number + 10)] = steps(board.conn, partial(page, after=first[-1][0]))
    return costs


def test_a_page_costs_the_same_at_1000_and_at_10000_notices(board: Board) -> None:
    board.add(1_000, seed=1)
    small = page_costs(board)
    board.add(9_000, seed=2)
    assert board.conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 10_000
    large = page_costs(board)
    for key, cost in large.items():
        # Reading every row would cost about ten times as much; a page walks the same
        # stretch of its index whatever lies beyond it.
        assert cost < 1.5 * small[key] + 2_000, (key, small[key], cost)


def test_every_state_is_read_through_an_index(board: Board) -> None:
    for state in NOTICE_STATES:
        for filters in [
            *FILTERS,
            {"category": "verein"},
            {"hub": board.hubs[0]},
            {"group": "Ilzer Land"},
            {"search": "Bürgerbus"},
        ]:
            plan = query_plan(
                board.conn, partial(notices_in_state, state=state, at_ms=AT, **filters)
            )
            assert not re.search(r"^SCAN n\b", plan, re.MULTILINE), (state, filters, plan)
            assert "USING INDEX notices_" in plan, (state, filters, plan)
            if state != "retracted":  # only the retracted rows are sorted, by their time
                assert "TEMP B-TREE FOR ORDER BY" not in plan, (state, filters, plan)


def test_counts_stop_at_their_cap(board: Board) -> None:
    if board.made < 10_000:
        board.add(10_000 - board.made, seed=3)
    assert count_in_state(board.conn, "current", AT, cap=1000) == 1001
    cost = steps(board.conn, partial(count_in_state, board.conn, "current", AT, cap=1000))
    whole = steps(board.conn, partial(count_in_state, board.conn, "current", AT, cap=10**9))
    assert cost < whole / 2


def test_pages_forward_and_back_are_the_whole_state_once(tmp_path: Path) -> None:
    root, admin = Identity.generate("Netzwerk-Wurzel"), Identity.generate("Verwaltung")
    store = Store(tmp_path / "town.db")
    store.set_network(network_id_for(root.key_id))
    log = Log(store)
    grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
    hub = Identity.generate("Ringelai")
    grants.grant(log, admin, hub.public, "hub", hub.name)
    small = Board(log, admin, [hub.key_id])
    small.add(400, seed=4)
    for state in NOTICE_STATES:
        every = [n.id for _, n in notices_in_state(log.store.conn, state, AT, limit=10_000)]
        assert every, state
        forward, after = [], None
        while True:
            page = notices_in_state(log.store.conn, state, AT, after=after, limit=17)
            if not page:
                break
            forward += page
            after = page[-1][0]
        assert [n.id for _, n in forward] == every
        backward: list[tuple[Cursor, Notice]] = []
        before = forward[-1][0]
        while True:
            page = notices_in_state(log.store.conn, state, AT, before=before, limit=17)
            if not page:
                break
            backward = page + backward
            before = page[0][0]
        assert [n.id for _, n in backward] == every[:-1]
    store.close()


def query_plan(conn: sqlite3.Connection, run: Callable[[Any], Any]) -> str:
    """The plan SQLite chose for the statements `run` sends through the connection."""
    lines: list[str] = []

    class Planned:
        def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
            plan = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            lines.extend(str(row[3]) for row in plan)
            return conn.execute(sql, params)

    run(Planned())
    return "\n".join(lines)
