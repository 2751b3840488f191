"""Views: tables that are pure functions of the applied log.

Each view folds ops into rows with a commutative, idempotent merge (last writer wins on
`(lamport, author)`, tombstones win for good), so the fold order does not matter. Applying one op
is a fold step; recomputing an entity folds all of its ops from nothing, through the same code.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, ClassVar

import msgspec

from content.article_views import PUT_SQL as ARTICLE_PUT
from content.article_views import RETRACT_SQL as ARTICLE_RETRACT
from content.article_views import put_values as article_values
from content.bodies import GrantBody, HelpUpdateBody, NoticeBody, RevokeBody, decode_body
from content.booking_bodies import CancelBody
from content.booking_views import (
    fold_cancel,
    fold_decision,
    fold_practice,
    fold_request,
    fold_slot,
)
from content.identity import network_id_for
from content.ops import STORED_OP_COLUMNS, StoredOp, later_sql
from content.sensors import (
    SensorAlertBody,
    SensorRollupBody,
    alert_notice_values,
    clear_alert,
    clear_rollup,
    fold_alert,
    fold_rollup,
)


def canonical_json(value: Any) -> str:
    return msgspec.json.encode(value, order="sorted").decode()


def parsed_body(op: StoredOp) -> Any:
    """The op's decoded body: from the applier when it already decoded it, else decoded now."""
    if op.parsed is not None or op.body is None:
        return op.parsed
    return decode_body(op.kind, op.body)


class View:
    name: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    # Tables to compare when checking a rebuild, with the column that identifies a row.
    tables: ClassVar[dict[str, str]]

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        raise NotImplementedError

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        raise NotImplementedError

    def needs_body(self, conn: sqlite3.Connection, entity: str) -> list[tuple[str, int]]:
        """(author, seq) of pruned ops that would now win: the node must fetch them again."""
        return []

    def after_batch(self, conn: sqlite3.Connection, entities: set[str]) -> None:
        """Work that is cheaper once per batch than once per op (full-text indexing)."""

    def recompute(self, conn: sqlite3.Connection, entity: str) -> None:
        self.clear(conn, entity)
        placeholders = ",".join("?" * len(self.kinds))
        rows = conn.execute(
            f"SELECT {STORED_OP_COLUMNS} FROM ops WHERE entity = ? AND kind IN ({placeholders})",
            (entity, *sorted(self.kinds)),
        ).fetchall()
        for row in rows:
            self.fold(conn, StoredOp(*row))


class KeysView(View):
    """Grants accumulate; name, seal key and groups follow the latest grant; revokes tighten."""

    name = "keys"
    kinds = frozenset({"key.grant", "key.revoke"})
    tables: ClassVar[dict[str, str]] = {"keys": "key"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        assert op.body is not None
        row = conn.execute(
            "SELECT grants, name_lamport, name_author, revoked_after_seq, revoke_op "
            "FROM keys WHERE key = ?",
            (op.entity,),
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO keys VALUES (?, '', '', '[]', '[]', 0, '', NULL, NULL)", (op.entity,)
            )
            row = ("[]", 0, "", None, None)
        body = parsed_body(op)
        if isinstance(body, GrantBody):
            self._fold_grant(conn, op, body, row)
        elif isinstance(body, RevokeBody):
            self._fold_revoke(conn, op, body, row)

    def _fold_grant(
        self, conn: sqlite3.Connection, op: StoredOp, body: GrantBody, row: tuple[Any, ...]
    ) -> None:
        net = conn.execute("SELECT id FROM network").fetchone()[0]
        grant = {
            "op": op.id,
            "role": body.role,
            "valid_from": body.valid_from,
            "valid_until": body.valid_until,
            "may_grant": body.may_grant and network_id_for(op.author) == net,
        }
        grants = {g["op"]: g for g in json.loads(row[0])}
        grants[op.id] = grant
        merged = canonical_json([grants[key] for key in sorted(grants)])
        conn.execute("UPDATE keys SET grants = ? WHERE key = ?", (merged, op.entity))
        if op.order > (row[1], row[2]):
            conn.execute(
                "UPDATE keys SET seal = ?, name = ?, groups = ?, name_lamport = ?, "
                "name_author = ? WHERE key = ?",
                (
                    body.seal,
                    body.name,
                    canonical_json(sorted(set(body.groups))),
                    op.lamport,
                    op.author,
                    op.entity,
                ),
            )

    def _fold_revoke(
        self, conn: sqlite3.Connection, op: StoredOp, body: RevokeBody, row: tuple[Any, ...]
    ) -> None:
        current = (row[3], row[4]) if row[3] is not None else None
        candidate = (body.after_seq, op.id)
        if current is None or candidate < current:
            conn.execute(
                "UPDATE keys SET revoked_after_seq = ?, revoke_op = ? WHERE key = ?",
                (*candidate, op.entity),
            )

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM keys WHERE key = ?", (entity,))


_NOTICE_CONTENT = [
    "op_id",
    "author",
    "lamport",
    "title",
    "body",
    "category",
    "priority",
    "valid_from",
    "valid_until",
    "event_start",
    "event_end",
    "place",
    "target_hubs",
    "target_groups",
    "attachments",
    "updated_at",
]
_PUT_WINS = f"(notices.lamport IS NULL OR {later_sql('excluded', 'notices')})"
_EARLIEST = (
    "published_at = min(coalesce(notices.published_at, excluded.published_at), "
    "excluded.published_at)"
)
_PUT = (
    "INSERT INTO notices (id, op_id, author, lamport, title, body, category, priority, "
    "valid_from, valid_until, event_start, event_end, place, target_hubs, target_groups, "
    "attachments, published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(
        f"{column} = CASE WHEN {_PUT_WINS} THEN excluded.{column} ELSE notices.{column} END"
        for column in _NOTICE_CONTENT
    )
    + f", {_EARLIEST}"
)
_DATE_ONLY = (
    "INSERT INTO notices (id, published_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET "
    + _EARLIEST
)
_RETRACT_WINS = "(notices.retract_op IS NULL OR excluded.retract_op < notices.retract_op)"
_RETRACT = (
    "INSERT INTO notices (id, retract_op, retracted_at) VALUES (?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET "
    f"retract_op = CASE WHEN {_RETRACT_WINS} THEN excluded.retract_op ELSE notices.retract_op END,"
    f" retracted_at = CASE WHEN {_RETRACT_WINS} THEN excluded.retracted_at"
    " ELSE notices.retracted_at END"
)


def _json_list(values: list[str]) -> str:
    return canonical_json(sorted(set(values))) if values else "[]"


class NoticesView(View):
    """Notice content is last-writer-wins over puts; any retract is a tombstone for good.

    A hub's sensor alert shows as a notice too: an active alert op is a put (for that hub's
    board only), its cleared op a retract, so the board needs nothing of its own for alerts."""

    name = "notices"
    kinds = frozenset({"notice.put", "notice.retract", "sensor.alert"})
    tables: ClassVar[dict[str, str]] = {"notices": "id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        # Each case is one UPSERT whose merge is commutative, so no read is needed first.
        if op.kind == "sensor.alert":
            self._fold_alert(conn, op)
        elif op.kind == "notice.retract":
            conn.execute(_RETRACT, (op.entity, op.id, op.time))
        elif op.body is None:
            # A put without body was pruned because it lost to a later one: it only dates
            # the notice.
            conn.execute(_DATE_ONLY, (op.entity, op.time))
        else:
            conn.execute(_PUT, self._put_values(op))

    def _fold_alert(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        alert: SensorAlertBody = parsed_body(op)
        if alert.state == "cleared":
            conn.execute(_RETRACT, (op.entity, op.id, op.time))
            return
        values = alert_notice_values(
            op_id=op.id,
            author=op.author,
            lamport=op.lamport,
            time_ms=op.time,
            entity=op.entity,
            body=alert,
        )
        conn.execute(_PUT, values)

    def _put_values(self, op: StoredOp) -> tuple[object, ...]:
        notice: NoticeBody = parsed_body(op)
        event = notice.event
        return (
            op.entity,
            op.id,
            op.author,
            op.lamport,
            canonical_json(notice.title),
            canonical_json(notice.body),
            notice.category,
            notice.priority,
            notice.valid_from,
            notice.valid_until,
            event.start if event else None,
            event.end if event else None,
            event.place if event else None,
            _json_list(notice.targets.hubs),
            _json_list(notice.targets.groups),
            canonical_json(notice.attachments) if notice.attachments else "[]",
            op.time,
            op.time,
        )

    def after_batch(self, conn: sqlite3.Connection, entities: set[str]) -> None:
        """Bring the full-text index in step for the notices a batch touched: live notices
        only, every language (content/search.py)."""
        touched = canonical_json(sorted(entities))
        # A notice stored after the newest indexed one was never indexed: nothing to delete.
        newest = conn.execute("SELECT rowid FROM notices_fts ORDER BY rowid DESC LIMIT 1")
        indexed_up_to = next((row[0] for row in newest), 0)
        # Deletes first, then inserts, each in ascending rowid order: FTS5 writes its pending
        # terms out as a new segment whenever a rowid is lower than the last one written, so
        # any other order costs a segment (and later merges) per notice.
        # (CROSS JOIN: looked up by id, not by scanning the live ones in `notices_active`.)
        conn.execute(
            "DELETE FROM notices_fts WHERE rowid IN (SELECT n.rowid FROM json_each(?) t "
            "CROSS JOIN notices n ON n.id = t.value WHERE n.rowid <= ? ORDER BY n.rowid)",
            (touched, indexed_up_to),
        )
        conn.execute(
            "INSERT INTO notices_fts (rowid, title, body) "
            "SELECT n.rowid, dorfhub_search_text(n.title), dorfhub_search_text(n.body) "
            "FROM json_each(?) t CROSS JOIN notices n ON n.id = t.value "
            "WHERE n.title IS NOT NULL AND n.retract_op IS NULL ORDER BY n.rowid",
            (touched,),
        )

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute(
            "DELETE FROM notices_fts WHERE rowid IN (SELECT rowid FROM notices WHERE id = ?)",
            (entity,),
        )
        conn.execute("DELETE FROM notices WHERE id = ?", (entity,))

    def needs_body(self, conn: sqlite3.Connection, entity: str) -> list[tuple[str, int]]:
        rows = conn.execute(
            "SELECT o.author, o.seq FROM ops o LEFT JOIN notices n ON n.id = o.entity "
            "WHERE o.entity = ? AND o.kind = 'notice.put' AND o.body IS NULL "
            f"AND (n.lamport IS NULL OR {later_sql('o', 'n')})",
            (entity,),
        )
        return [(author, seq) for author, seq in rows]


class BlobsView(View):
    name = "blobs"
    kinds = frozenset({"blob.put"})
    tables: ClassVar[dict[str, str]] = {"blobs": "hash"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        size = len(op.body) if op.body is not None else 0
        conn.execute(
            "INSERT INTO blobs VALUES (?, ?, ?) "
            "ON CONFLICT (hash) DO UPDATE SET op_id = min(op_id, excluded.op_id)",
            (op.entity, op.id, size),
        )

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM blobs WHERE hash = ?", (entity,))


class ArticlesView(View):
    """The how-to library: last writer wins over puts; any retract is a tombstone for good."""

    name = "articles"
    kinds = frozenset({"article.put", "article.retract"})
    tables: ClassVar[dict[str, str]] = {"articles": "id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        if op.kind == "article.retract":
            conn.execute(ARTICLE_RETRACT, (op.entity, op.id, op.time))
            return
        values = article_values(op.id, op.author, op.lamport, op.time, op.entity, parsed_body(op))
        conn.execute(ARTICLE_PUT, values)

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM articles WHERE id = ?", (entity,))


class NodeStatusView(View):
    """The latest status each node reported about itself."""

    name = "node_status"
    kinds = frozenset({"hub.status", "server.status"})
    tables: ClassVar[dict[str, str]] = {"node_status": "node"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        row = conn.execute(
            "SELECT lamport FROM node_status WHERE node = ?", (op.entity,)
        ).fetchone()
        # A node's status is its own: the row's author is the node (SELF_REPORT_KINDS).
        if op.body is None or (row is not None and op.order <= (row[0], op.entity)):
            return
        body = op.body.decode()
        conn.execute(
            "INSERT OR REPLACE INTO node_status VALUES (?, ?, ?, ?, ?, ?)",
            (op.entity, op.kind, op.id, op.lamport, op.time, body),
        )

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM node_status WHERE node = ?", (entity,))

    def needs_body(self, conn: sqlite3.Connection, entity: str) -> list[tuple[str, int]]:
        rows = conn.execute(
            "SELECT o.author, o.seq FROM ops o LEFT JOIN node_status s ON s.node = o.entity "
            "WHERE o.entity = ? AND o.kind IN ('hub.status', 'server.status') "
            # A node's status is its own (entity = author, content.bodies.SELF_REPORT_KINDS).
            "AND o.body IS NULL AND (s.lamport IS NULL OR "
            f"{later_sql('o', 's', old_author='node')})",
            (entity,),
        )
        return [(author, seq) for author, seq in rows]


class SealedItemsView(View):
    """Sealed ops listed without their contents; only recipients can open the bodies."""

    name = "sealed_items"
    kinds = frozenset({"help.request", "booking.request", "submission.put"})
    tables: ClassVar[dict[str, str]] = {"sealed_items": "op_id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        sealed_to = conn.execute("SELECT header FROM ops WHERE id = ?", (op.id,)).fetchone()[0]
        recipients = json.loads(sealed_to)["sealed_to"]
        conn.execute(
            "INSERT OR IGNORE INTO sealed_items VALUES (?, ?, ?, ?, ?, ?)",
            (op.id, op.kind, op.entity, op.author, op.time, canonical_json(recipients)),
        )

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM sealed_items WHERE entity = ?", (entity,))


class ModerationDecisionsView(View):
    """No table: decisions on submissions are read from the ops themselves
    (content/submissions.py). The view is here so that a decision arriving moves its
    submission's retention moment (content/retention_due.py), as a help.update does."""

    name = "moderation_decisions"
    kinds = frozenset({"moderation.accept"})
    tables: ClassVar[dict[str, str]] = {}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        pass

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        pass


class SensorRollupsView(View):
    """A hub's 10-minute sensor statistics, one row per window, sensor and quantity."""

    name = "sensor_rollups"
    kinds = frozenset({"sensor.rollup"})
    tables: ClassVar[dict[str, str]] = {"sensor_rollups": "id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        body: SensorRollupBody = parsed_body(op)
        fold_rollup(
            conn, op_id=op.id, author=op.author, lamport=op.lamport, entity=op.entity, body=body
        )

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        clear_rollup(conn, entity)


class SensorAlertsView(View):
    """The state of every alert episode (the noticeboard side is in NoticesView)."""

    name = "sensor_alerts"
    kinds = frozenset({"sensor.alert"})
    tables: ClassVar[dict[str, str]] = {"sensor_alerts": "id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        body: SensorAlertBody = parsed_body(op)
        fold_alert(
            conn,
            op_id=op.id,
            author=op.author,
            lamport=op.lamport,
            time_ms=op.time,
            entity=op.entity,
            body=body,
        )

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        clear_alert(conn, entity)


_HELP_STATE = (
    "INSERT INTO help_states VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO UPDATE SET "
    "state = excluded.state, op_id = excluded.op_id, author = excluded.author, "
    "lamport = excluded.lamport, time = excluded.time "
    "WHERE " + later_sql("excluded", "help_states")
)


class HelpStatesView(View):
    """The latest state of each help request, last writer wins. Rows are keyed by request id
    alone and joined with the requests when read, so an update that arrives before its request
    (or whose request this node cannot see) is kept, not lost."""

    name = "help_states"
    kinds = frozenset({"help.update"})
    tables: ClassVar[dict[str, str]] = {"help_states": "request_id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        update: HelpUpdateBody = parsed_body(op)
        conn.execute(_HELP_STATE, (op.entity, update.state, op.id, op.author, op.lamport, op.time))

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM help_states WHERE request_id = ?", (entity,))


class PracticesView(View):
    """Each practice's public record (name, address, phone, services), last writer wins."""

    name = "practices"
    kinds = frozenset({"practice.meta"})
    tables: ClassVar[dict[str, str]] = {"practices": "key"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        fold_practice(conn, op.id, op.author, op.lamport, op.entity, parsed_body(op))

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM practices WHERE key = ?", (entity,))


class SlotsView(View):
    """Bookable slots: the latest publication wins; a withdrawal is for good."""

    name = "slots"
    kinds = frozenset({"slot.publish", "slot.withdraw"})
    tables: ClassVar[dict[str, str]] = {"slots": "id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        body = parsed_body(op)
        fold_slot(conn, op.id, op.author, op.lamport, op.time, op.kind, op.entity, body)

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM slots WHERE id = ?", (entity,))


class BookingRequestsView(View):
    """The public facts of each booking request (its id says slot, author and on-behalf)."""

    name = "booking_requests"
    kinds = frozenset({"booking.request"})
    tables: ClassVar[dict[str, str]] = {"booking_requests": "id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        fold_request(conn, op.id, op.author, op.lamport, op.time, op.entity)

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM booking_requests WHERE id = ?", (entity,))


class BookingDecisionsView(View):
    """The town server's decision on each request (the first one, should there be two)."""

    name = "booking_decisions"
    kinds = frozenset({"booking.decision"})
    tables: ClassVar[dict[str, str]] = {"booking_decisions": "request_id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        body = parsed_body(op)
        fold_decision(conn, op.id, op.author, op.lamport, op.time, op.entity, body)

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM booking_decisions WHERE request_id = ?", (entity,))


class BookingCancelsView(View):
    """Every cancel op as a fact; the booking_states SQL view decides which ones count."""

    name = "booking_cancels"
    kinds = frozenset({"booking.cancel"})
    tables: ClassVar[dict[str, str]] = {"booking_cancels": "op_id"}

    def fold(self, conn: sqlite3.Connection, op: StoredOp) -> None:
        body: CancelBody = parsed_body(op)
        fold_cancel(conn, op.id, op.author, op.lamport, op.time, op.entity, body.code, body.reason)

    def clear(self, conn: sqlite3.Connection, entity: str) -> None:
        conn.execute("DELETE FROM booking_cancels WHERE request_id = ?", (entity,))


VIEWS: tuple[View, ...] = (
    KeysView(),
    NoticesView(),
    BlobsView(),
    ArticlesView(),
    NodeStatusView(),
    SealedItemsView(),
    ModerationDecisionsView(),
    SensorRollupsView(),
    SensorAlertsView(),
    HelpStatesView(),
    PracticesView(),
    SlotsView(),
    BookingRequestsView(),
    BookingDecisionsView(),
    BookingCancelsView(),
)
VIEWS_BY_KIND: dict[str, tuple[View, ...]] = {}
for _view in VIEWS:
    for _kind in _view.kinds:
        VIEWS_BY_KIND[_kind] = (*VIEWS_BY_KIND.get(_kind, ()), _view)
