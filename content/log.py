"""The operation log: append for local authors, ingest for foreign ops, both one transaction.

Per author, ops apply strictly in `seq` order and the version vector V[author] (highest contiguous
seq held) is written in the same transaction as the ops. An op that arrives early (gap, unknown
author) is *held*; one that may not apply yet (its author lacks the role) is *rejected* but kept,
so that a later grant can admit it. Both wait in `parked_ops` and are retried when what they wait
for arrives. A revoke purges the revoked author's ops beyond the revoke's `after_seq`, whatever
order things came in, so every node converges on the same log.

No op may run the receiver's Lamport clock more than MAX_LAMPORT_JUMP ahead: it is held until the
clock catches up (docs/protocol.md "Lamport"). Parked ops are capped by count and bytes, oldest
evicted first; a parked op is not in V, so a peer offers an evicted one again.
"""

from __future__ import annotations

import hashlib
import heapq
import sqlite3
from collections import deque
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from content import retention_due
from content.authority import KeyRecord, Verdict, authorize
from content.bodies import DETACHED_KINDS, check_kind_body, decode_body
from content.clock import trusted_now
from content.dropped import count_dropped
from content.errors import ContentError
from content.guides import with_grant_groups
from content.identity import Identity, network_id_for
from content.limits import MAX_HELD_BYTES, MAX_HELD_OPS, MAX_LAMPORT_JUMP
from content.ops import (
    FORMAT_VERSION,
    MAX_HEADER_INT,
    STORED_OP_COLUMNS,
    Header,
    OpError,
    RawOp,
    StoredOp,
    body_hash,
    decode_header,
    encode_header,
)
from content.retention import ERASABLE_KINDS, SETTINGS_KIND
from content.roles import KEY_KINDS, SEALED_KINDS
from content.signature_checks import Checked, check_one, checked
from content.store import Store, StoreError
from content.submission_rules import submission_limit_problem
from content.views import VIEWS_BY_KIND, View


class AppendRefused(ContentError):
    """A local op that the log would not accept; nothing was stored."""


@dataclass
class IngestReport:
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    held: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    forks: list[str] = field(default_factory=list)
    # Ops held here without their body that a complete copy filled in (also in `applied`).
    repaired: list[str] = field(default_factory=list)

    def settle(self) -> None:
        """Keep one final outcome per op: an op held and applied later in the same batch counts
        as applied; an op parked twice keeps its latest reason."""
        purged = set(self.purged)
        self.applied[:] = [op for op in self.applied if op not in purged]
        done = set(self.applied) | purged
        for outcome in (self.held, self.rejected):
            latest = {op: reason for op, reason in outcome if op not in done}
            outcome[:] = list(latest.items())
        parked_again = {op for op, _ in self.rejected}
        self.held[:] = [(op, why) for op, why in self.held if op not in parked_again]

    def extend(self, other: IngestReport) -> None:
        """Add another batch's outcomes; `settle` afterwards keeps one per op."""
        for name in ("applied", "duplicates", "held", "rejected", "purged", "forks", "repaired"):
            getattr(self, name).extend(getattr(other, name))

    def summary(self) -> str:
        return (
            f"{len(self.applied)} applied, {len(self.duplicates)} duplicate, "
            f"{len(self.held)} held, {len(self.rejected)} rejected, {len(self.purged)} purged"
        )


PRUNE_AFTER_MS = 30 * 24 * 3600 * 1000
# How many ops of a stream of batches go into one transaction and one verify run (about 2.6 MB
# of frames; a transaction of about half a second).
VERIFY_AHEAD_OPS = 2048


def _runs(batches: Iterable[Sequence[RawOp]], limit: int) -> Iterator[list[Sequence[RawOp]]]:
    """Consecutive batches grouped until a group holds at least `limit` ops."""
    run: list[Sequence[RawOp]] = []
    count = 0
    for batch in batches:
        run.append(batch)
        count += len(batch)
        if count >= limit:
            yield run
            run, count = [], 0
    if run:
        yield run


class Log:
    def __init__(self, store: Store) -> None:
        network_id = store.network_id
        if network_id is None:
            raise StoreError("this node has not joined a network yet")
        self.store = store
        self.network_id = network_id

    # ---- writing -------------------------------------------------------------------------

    def append(
        self,
        author: Identity,
        kind: str,
        entity: str,
        body: bytes,
        sealed_to: Sequence[str] = (),
        time_ms: int | None = None,
    ) -> str:
        """Sign and apply one op by a local author; raise AppendRefused if it may not apply."""
        with self.store.write() as conn:
            return append_in(conn, self.network_id, author, kind, entity, body, sealed_to, time_ms)

    def ingest(
        self, ops: Iterable[RawOp], replaying_own_log: bool = False, detached: bool = False
    ) -> IngestReport:
        """Apply foreign ops (raw bytes) atomically; report what happened to each.

        `replaying_own_log` (for `log verify`) admits ops whose bodies this node pruned;
        `detached` (a hub: content/relay.py) files' headers without their bytes."""
        report = IngestReport()
        self._apply_batch(checked(list(ops)), report, replaying_own_log, detached)
        return report

    def ingest_batches(
        self, batches: Iterable[Sequence[RawOp]], detached: bool = False
    ) -> IngestReport:
        """Apply many small batches (a USB bundle's are about 200 ops) as `ingest` does, in
        transactions of whole batches and at least VERIFY_AHEAD_OPS ops: the verify worker
        and the commits then work on runs ten times a batch, and a batch is never split."""
        total = IngestReport()
        for run in _runs(batches, VERIFY_AHEAD_OPS):
            report = IngestReport()
            self._apply_batch(
                checked([op for batch in run for op in batch]), report, detached=detached
            )
            total.extend(report)
        total.settle()
        return total

    def _apply_batch(
        self,
        verdicts: Iterable[Checked],
        report: IngestReport,
        replaying_own_log: bool = False,
        detached: bool = False,
    ) -> None:
        with self.store.write() as conn:
            applier = _Applier(conn, self.network_id, report, replaying_own_log)
            applier.detached = detached
            applier.ingest(verdicts)

    # ---- reading -------------------------------------------------------------------------

    def version_vector(self) -> dict[str, int]:
        rows = self.store.conn.execute("SELECT author, seq FROM versions").fetchall()
        return {author: seq for author, seq in rows}

    def wanted_vector(self) -> dict[str, int]:
        """The version vector this node sends to peers (pull, /v1/vector): V, with every
        author it quarantined at the header's ceiling, meaning "send me nothing more of it":
        its later ops would be refused here anyway, so a link does not carry them each round."""
        vector = self.version_vector()
        for (author,) in self.store.conn.execute("SELECT author FROM quarantine"):
            vector[author] = MAX_HEADER_INT
        return vector

    def digest(self) -> str:
        """A short fingerprint of V without the authors this node quarantined: equal digests
        mean nothing to exchange (nodes that quarantined the same forked author agree)."""
        rows = self.store.conn.execute(
            "SELECT author, seq, head FROM versions "
            "WHERE author NOT IN (SELECT author FROM quarantine) ORDER BY author"
        ).fetchall()
        text = "".join(f"{author}:{seq}:{head}\n" for author, seq, head in rows)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def ops_missing_from(
        self,
        vector: Mapping[str, int],
        public_only: bool = False,
        blob_bodies: Container[str] | None = None,
    ) -> Iterator[RawOp]:
        """Ops the holder of `vector` lacks, in Lamport order: causal, so grants come before
        the ops that need them, and every prefix keeps each author's seq contiguous.

        Only the missing ranges are read (one index range per author behind), so the cost
        follows what is sent, not the size of the log. With `public_only` (for nodes not
        enrolled), an author's ops stop at its first sealed op, so the receiver still gets a
        contiguous prefix. With `blob_bodies` (for a hub: content/relay.py), a file whose hash
        is not in it goes by its header only, as does one whose body this node lacks; without
        it, every body goes, and a file held without its body stops its author's stream."""
        conn = self.store.conn
        behind = [
            (author, vector.get(author, 0))
            for author, seq in conn.execute("SELECT author, seq FROM versions")
            if seq > vector.get(author, 0)
        ]
        streams = [
            self._author_ops(author, after, public_only, blob_bodies) for author, after in behind
        ]
        for _, _, op in heapq.merge(*streams):
            yield op

    def _author_ops(
        self,
        author: str,
        after_seq: int,
        public_only: bool,
        blob_bodies: Container[str] | None = None,
    ) -> Iterator[tuple[int, str, RawOp]]:
        rows = self.store.conn.execute(
            "SELECT lamport, header, signature, body, kind, entity FROM ops "
            "WHERE author = ? AND seq > ? ORDER BY seq",
            (author, after_seq),
        )
        for lamport, header, signature, body, kind, entity in rows:
            if public_only and kind in SEALED_KINDS:
                return
            if kind in DETACHED_KINDS and blob_bodies is not None:
                # A hub takes a file's header alone; it asks for the bytes if it needs them.
                shown = body is not None and entity in blob_bodies
                yield lamport, author, RawOp(header, signature, body if shown else None)
                continue
            # A superseded body this node pruned stops the stream (peers take no such op
            # without its body): the receiver gets a contiguous prefix and the rest from a node
            # that kept the bodies. An erased personal body is gone everywhere in time, so that
            # op goes without it (content/retention.py).
            if body is None and kind not in ERASABLE_KINDS:
                return
            yield lamport, author, RawOp(header, signature, body)

    def head_op(self, author: str) -> RawOp | None:
        """The author's newest op held here (None if none, or if its body was pruned)."""
        row = self.store.conn.execute(
            "SELECT o.header, o.signature, o.body FROM versions v JOIN ops o ON o.id = v.head "
            "WHERE v.author = ? AND o.body IS NOT NULL",
            (author,),
        ).fetchone()
        return RawOp(*row) if row else None

    def get(self, op_id: str) -> RawOp | None:
        row = self.store.conn.execute(
            "SELECT header, signature, body FROM ops WHERE id = ?", (op_id,)
        ).fetchone()
        return RawOp(*row) if row else None

    def prune_superseded(self, older_than_ms: int = PRUNE_AFTER_MS) -> int:
        """Drop the bodies of ops that lost to a later writer at least `older_than_ms` ago;
        their headers stay verifiable. Returns the number of bodies pruned.

        A node that prunes serves those authors only up to the pruned op, and if a revoke ever
        brings a pruned version back, the op is given up and fetched again from a peer."""
        with self.store.write() as conn:
            cutoff = trusted_now(conn).now_ms - older_than_ms
            cursor = conn.execute(
                "UPDATE ops SET body = NULL WHERE body IS NOT NULL AND ("
                " (kind = 'notice.put' AND id NOT IN"
                "   (SELECT op_id FROM notices WHERE op_id IS NOT NULL)"
                "   AND entity IN (SELECT id FROM notices WHERE updated_at <= :cutoff))"
                " OR (kind IN ('hub.status', 'server.status') AND id NOT IN"
                "   (SELECT op_id FROM node_status)"
                "   AND entity IN (SELECT node FROM node_status WHERE time <= :cutoff)))",
                {"cutoff": cutoff},
            )
            return cursor.rowcount

    def count(self) -> int:
        return int(self.store.conn.execute("SELECT count(*) FROM ops").fetchone()[0])


# Ops applied between two rounds of per-batch view work (a verifier chunk's worth).
FLUSH_VIEWS_EVERY = 32

PARK = (
    "INSERT INTO parked_ops (id, author, seq, status, reason, header, signature, body, size, "
    "arrived, jump_lamport) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "(SELECT coalesce(max(arrived), 0) + 1 FROM parked_ops), ?) "
    # An op parked again (retried, or now with its body) keeps its place in the eviction order.
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason, "
    "body = excluded.body, size = excluded.size, jump_lamport = excluded.jump_lamport"
)
EVICT_PARKED = (
    "DELETE FROM parked_ops WHERE arrived IN (SELECT arrived FROM ("
    " SELECT arrived, row_number() OVER newest_first AS place,"
    " sum(size) OVER newest_first AS bytes"
    " FROM parked_ops WINDOW newest_first AS (ORDER BY arrived DESC))"
    " WHERE place > ? OR bytes > ?)"
)


def highest_lamport(conn: sqlite3.Connection) -> int:
    """The highest Lamport clock in the log. Each author's clock rises with its seq, so it is at
    some author's head: one lookup per author, not a scan of the ops."""
    row = conn.execute(
        "SELECT max(o.lamport) FROM versions v JOIN ops o ON o.id = v.head"
    ).fetchone()
    return int(row[0] or 0)


class _Applier:
    """One ingest pass inside one write transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        network_id: str,
        report: IngestReport,
        replaying_own_log: bool = False,
        clock: int | None = None,
        local: bool = False,
    ) -> None:
        self.conn = conn
        self.local = local  # appending this node's own op
        self.detached = False  # a hub: files may come by their header only (content/relay.py)
        self.replaying_own_log = replaying_own_log
        self.network_id = network_id
        self.report = report
        self.retry: deque[str] = deque()  # authors whose parked ops may now apply
        self.recheck: deque[str] = deque()  # authors whose applied ops may have lost authority
        # Small per-batch caches, so the common case (a new op in sequence) costs few queries.
        self.quarantined = {row[0] for row in conn.execute("SELECT author FROM quarantine")}
        self.parked_authors = {
            row[0] for row in conn.execute("SELECT DISTINCT author FROM parked_ops")
        }
        self.key_records: dict[str, KeyRecord | None] = {}
        self.heads: dict[str, tuple[int, str, int]] = {}  # author -> (seq, head id, lamport)
        self.root_key: str | None = conn.execute("SELECT root_key FROM network").fetchone()[0]
        self.dirty_heads: set[str] = set()
        self.verdicts: dict[tuple[str, str], Verdict] = {}
        self.touched: dict[View, set[str]] = {}
        self.clock = clock  # the highest Lamport clock held, read when first needed
        # The lowest clock an op held for its jump carries: the node's clock rising to within
        # MAX_LAMPORT_JUMP of it releases that op.
        self.jump_release: int | None = None
        if self.parked_authors:
            self.jump_release = conn.execute(
                "SELECT min(jump_lamport) FROM parked_ops WHERE jump_lamport IS NOT NULL"
            ).fetchone()[0]
        self.parked_now = 0
        self.now_ms: int | None = None  # trusted now, read once per pass when first needed
        # Requests whose bodies' due moments may have moved: by the view rows that changed,
        # and directly; all of them when the periods themselves changed.
        self.due_rows: set[tuple[str, str]] = set()
        self.due_entities: set[str] = set()
        self.due_everything = False

    def ingest(self, ops: Iterable[Checked]) -> None:
        for count, (raw, header) in enumerate(ops, start=1):
            self._one(raw, header)
            self._settle()
            if count % FLUSH_VIEWS_EVERY == 0:
                self._flush_views()
        self._flush_heads()
        self._flush_views()
        self._refresh_due()
        self._evict_parked()
        self.report.settle()

    def _refresh_due(self) -> None:
        """Keep the index of due moments (content/retention_due.py) in step with this pass."""
        if self.due_everything:
            retention_due.refresh(self.conn, everything=True)
            return
        entities = set(self.due_entities)
        for view_name, entity in self.due_rows:
            entities.update(retention_due.requests_touched(self.conn, view_name, entity))
        if entities:
            retention_due.refresh(self.conn, entities)

    def _now(self) -> int:
        if self.now_ms is None:
            self.now_ms = trusted_now(self.conn).now_ms
        return self.now_ms

    def _flush_views(self) -> None:
        """Per-batch view work (full-text indexing) in steps: while the verifier works ahead
        on a big batch, this keeps pace with it instead of leaving it idle at the end."""
        for view, entities in self.touched.items():
            view.after_batch(self.conn, entities)
        self.touched.clear()

    def _settle(self) -> None:
        while self.retry or self.recheck:
            if self.recheck:
                self._reauthorize(self.recheck.popleft())
            else:
                self._retry_parked(self.retry.popleft())

    def _one(
        self, raw: RawOp, verified: Header | OpError | None = None, from_parking: bool = False
    ) -> None:
        op_id = raw.op_id
        try:
            header = check_one(raw) if verified is None else verified
            if isinstance(header, OpError):
                raise header
            if header.net != self.network_id:
                raise OpError(f"op belongs to network {header.net}")
            parsed = check_kind_body(header, raw.body, self._may_lack_body(raw, header))
        except OpError as exc:
            self.report.rejected.append((op_id, str(exc)))
            return
        if self._held_already(raw, header, from_parking):
            if not self._repaired(raw, header):
                self.report.duplicates.append(op_id)
            return
        if header.author in self.quarantined:
            self.report.rejected.append((op_id, "author is quarantined (forked log)"))
            return
        if not self._in_sequence(raw, header) or not self._within_reach(raw, header):
            return
        verdict = self._authorize(header, parsed)
        if verdict.ok and (limited := submission_limit_problem(self.conn, header)):
            # Per author and day, from the author's own earlier ops: content/submission_rules.py.
            verdict = Verdict("denied", limited)
        if not verdict.ok:
            status = "held" if verdict.outcome == "unknown" else "rejected"
            self._park(raw, header, status, verdict.reason)
            return
        self._apply(raw, header, parsed, from_parking)

    def _may_lack_body(self, raw: RawOp, header: Header) -> bool:
        """Whether the op may come without its body. An erasable personal body may, once this
        node finds it due itself (content/retention_due.py): it will not come back from
        anywhere, and a node must never fetch it again. Before that, a missing body was
        stripped by a relay: the op is refused and waits for a peer that sends it whole. A
        file's bytes may be missing on a hub, which asks for them when it needs them."""
        if raw.body is not None or self.replaying_own_log:
            return self.replaying_own_log
        if header.kind in DETACHED_KINDS:
            return self.detached
        if header.kind not in ERASABLE_KINDS:
            return False
        return retention_due.may_arrive_without_body(self.conn, header, self._now())

    def _repaired(self, raw: RawOp, header: Header) -> bool:
        """Fill in the body of an op applied here without it, from a complete copy, while the
        body is wanted here (not due): such an op was taken by a shorter rule than this node
        applies now (a slot it learnt of later, a cancel that a revoke took back), or a file
        a hub took by its header only (content/relay.py)."""
        if raw.body is None or header.kind not in ERASABLE_KINDS | DETACHED_KINDS:
            return False
        if header.seq > self._head(header.author)[0]:
            return False  # parked, not applied: a parked copy is replaced whole
        if header.kind in DETACHED_KINDS:
            # A file's bytes are wanted wherever they are missing: nothing erases them.
            if (
                self.conn.execute(
                    "SELECT 1 FROM ops WHERE id = ? AND body IS NULL", (raw.op_id,)
                ).fetchone()
                is None
            ):
                return False
            self.conn.execute("UPDATE ops SET body = ? WHERE id = ?", (raw.body, raw.op_id))
            # The view counts the bytes a file holds, as its replay by `log verify` will.
            self.conn.execute(
                "UPDATE blobs SET size = ? WHERE hash = ?", (len(raw.body), header.entity)
            )
        elif not retention_due.body_wanted(self.conn, raw.op_id, self._now()):
            return False
        else:
            self.conn.execute("UPDATE ops SET body = ? WHERE id = ?", (raw.body, raw.op_id))
        # Readers that open bodies (the allocator, guide mode) read them again.
        self.conn.execute("UPDATE log_changes SET count = count + 1")
        self.due_entities.add(header.entity)
        self.report.applied.append(raw.op_id)
        self.report.repaired.append(raw.op_id)
        return True

    def _head(self, author: str) -> tuple[int, str, int]:
        if author not in self.heads:
            row = self.conn.execute(
                "SELECT v.seq, v.head, o.lamport FROM versions v JOIN ops o ON o.id = v.head "
                "WHERE v.author = ?",
                (author,),
            ).fetchone()
            self.heads[author] = (row[0], row[1], row[2]) if row else (0, "", 0)
        return self.heads[author]

    def _held_already(self, raw: RawOp, header: Header, from_parking: bool) -> bool:
        """Whether this exact op is applied (its seq is within V) or waiting in parking."""
        if header.seq <= self._head(header.author)[0]:
            stored = self.conn.execute(
                "SELECT id FROM ops WHERE author = ? AND seq = ?", (header.author, header.seq)
            ).fetchone()
            return bool(stored and stored[0] == raw.op_id)
        op_id = raw.op_id
        if from_parking or header.author not in self.parked_authors:
            return False
        parked = self.conn.execute(
            "SELECT body IS NULL FROM parked_ops WHERE id = ?", (op_id,)
        ).fetchone()
        # A parked copy whose body was pruned gives way to the complete op.
        return parked is not None and not (parked[0] and raw.body is not None)

    def _in_sequence(self, raw: RawOp, header: Header) -> bool:
        """Check seq, prev and Lamport against the author's head; park or quarantine if not."""
        held_seq, head, head_lamport = self._head(header.author)
        if header.seq <= held_seq:
            kept = self.conn.execute(
                "SELECT id FROM ops WHERE author = ? AND seq = ?", (header.author, header.seq)
            ).fetchone()[0]
            self._quarantine(header.author, kept, raw, f"two ops for seq {header.seq}")
            return False
        if header.seq > held_seq + 1:
            self._park(raw, header, "held", f"waiting for seq {held_seq + 1} of this author")
            return False
        if header.prev != head:
            self._quarantine(header.author, head, raw, "prev hash does not match the chain")
            return False
        if header.lamport <= head_lamport:
            self.report.rejected.append((raw.op_id, "Lamport clock does not increase"))
            return False
        return True

    def _within_reach(self, raw: RawOp, header: Header) -> bool:
        """Hold an op whose Lamport clock runs more than MAX_LAMPORT_JUMP past this node's.

        Not when replaying the node's own log: it admitted each op already, and a revoke may
        since have purged the op whose clock made a later jump acceptable."""
        if self.replaying_own_log or header.lamport <= MAX_LAMPORT_JUMP:
            return True
        clock = self._clock()
        if header.lamport - clock <= MAX_LAMPORT_JUMP:
            return True
        reason = (
            f"Lamport clock jumps too far ahead ({header.lamport}; this node's is {clock}, "
            f"and at most {MAX_LAMPORT_JUMP} more is accepted)"
        )
        self._park(raw, header, "held", reason, jump_lamport=header.lamport)
        return False

    def _clock(self) -> int:
        if self.clock is None:
            # Heads applied in this pass are not written to `versions` until its end.
            in_pass = [lamport for _, _, lamport in self.heads.values()]
            self.clock = max([highest_lamport(self.conn), *in_pass])
        return self.clock

    def _clock_rises_to(self, lamport: int) -> None:
        if self.clock is not None:
            self.clock = max(self.clock, lamport)
        if self.jump_release is not None and self.jump_release - self._clock() <= MAX_LAMPORT_JUMP:
            self._release_jumps()

    def _release_jumps(self) -> None:
        """Retry the ops held for a jump that the risen clock now reaches (an index range)."""
        reach = self._clock() + MAX_LAMPORT_JUMP
        rows = self.conn.execute(
            "SELECT DISTINCT author FROM parked_ops WHERE jump_lamport <= ?", (reach,)
        )
        self.retry.extend(author for (author,) in rows)
        self.jump_release = self.conn.execute(
            "SELECT min(jump_lamport) FROM parked_ops WHERE jump_lamport > ?", (reach,)
        ).fetchone()[0]

    def _flush_heads(self) -> None:
        for author in sorted(self.dirty_heads):
            seq, head, _ = self.heads[author]
            self.conn.execute(
                "INSERT INTO versions VALUES (?, ?, ?) "
                "ON CONFLICT (author) DO UPDATE SET seq = excluded.seq, head = excluded.head",
                (author, seq, head),
            )
        self.dirty_heads.clear()

    def _authorize(self, header: Header, body: object = None) -> Verdict:
        if header.author not in self.key_records:
            row = self.conn.execute(
                "SELECT grants, revoked_after_seq FROM keys WHERE key = ?", (header.author,)
            ).fetchone()
            record = KeyRecord.from_row(*row) if row else None
            if record is not None:
                # A guide's notices are checked against the groups of each of its grants.
                record = KeyRecord(
                    with_grant_groups(self.conn, record.grants), record.revoked_after_seq
                )
            self.key_records[header.author] = record
        record = self.key_records[header.author]
        cacheable = record is not None and record.timeless
        cache_key = (header.author, header.kind)
        if cacheable and cache_key in self.verdicts:
            return self.verdicts[cache_key]
        verdict = authorize(header, self._is_root(header.author), record, body)
        if cacheable:
            self.verdicts[cache_key] = verdict
        return verdict

    def _is_root(self, author: str) -> bool:
        if self.root_key is None and network_id_for(author) == self.network_id:
            self.root_key = author
            self.conn.execute("UPDATE network SET root_key = ?", (author,))
        return author == self.root_key

    def _fold(self, view: View, op: StoredOp) -> None:
        view.fold(self.conn, op)
        self._touch(view, op.entity)

    def _touch(self, view: View, entity: str) -> None:
        self.touched.setdefault(view, set()).add(entity)
        self.due_rows.add((view.name, entity))
        if view.name == "keys":
            self.key_records.pop(entity, None)
            self.verdicts = {k: v for k, v in self.verdicts.items() if k[0] != entity}

    def _apply(self, raw: RawOp, header: Header, parsed: object, from_parking: bool) -> None:
        op_id = raw.op_id
        self.conn.execute(
            f"INSERT INTO ops ({STORED_OP_COLUMNS}, header, signature) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op_id,
                header.author,
                header.seq,
                header.lamport,
                header.time,
                header.kind,
                header.entity,
                raw.body,
                raw.header,
                raw.signature,
            ),
        )
        if header.kind in retention_due.TIMED_KINDS and not self.local:
            # A local author's op arrives when it is signed: its own time needs no bound.
            self.conn.execute("INSERT OR REPLACE INTO arrivals VALUES (?, ?)", (op_id, self._now()))
        # V is written once per author at the end of the batch, in the same transaction.
        self.heads[header.author] = (header.seq, op_id, header.lamport)
        self.dirty_heads.add(header.author)
        self._clock_rises_to(header.lamport)
        if from_parking or header.author in self.parked_authors:
            self.conn.execute("DELETE FROM parked_ops WHERE id = ?", (op_id,))
        stored = StoredOp(
            op_id,
            header.author,
            header.seq,
            header.lamport,
            header.time,
            header.kind,
            header.entity,
            raw.body,
            parsed,
        )
        for view in VIEWS_BY_KIND.get(header.kind, ()):
            self._fold(view, stored)
        self.report.applied.append(op_id)
        if header.author in self.parked_authors:
            self._detect_parked_fork(header, op_id)
            self.retry.append(header.author)
        if header.kind == "key.revoke":
            self.recheck.append(header.entity)
        elif header.kind == "key.grant":
            self.retry.append(header.entity)
        elif header.kind == SETTINGS_KIND:
            self.due_everything = True

    def _park(
        self,
        raw: RawOp,
        header: Header,
        status: str,
        reason: str,
        jump_lamport: int | None = None,
    ) -> None:
        self._keep_parked(raw, header.author, header.seq, status, reason, jump_lamport)
        if jump_lamport is not None and (
            self.jump_release is None or jump_lamport < self.jump_release
        ):
            self.jump_release = jump_lamport
        target = self.report.held if status == "held" else self.report.rejected
        target.append((raw.op_id, reason))

    def _keep_parked(
        self,
        raw: RawOp,
        author: str,
        seq: int,
        status: str,
        reason: str,
        jump_lamport: int | None = None,
    ) -> None:
        self.parked_authors.add(author)
        self.parked_now += 1
        size = len(raw.header) + len(raw.body or b"")
        self.conn.execute(
            PARK,
            (
                *(raw.op_id, author, seq, status, reason),
                *(raw.header, raw.signature, raw.body, size, jump_lamport),
            ),
        )

    def _evict_parked(self) -> None:
        """Keep the newest parked ops within MAX_HELD_OPS and MAX_HELD_BYTES and count the
        rest as dropped. Safe for convergence: a parked op is not in V, so peers offer it
        again, and the author's own node holds it applied (an append that would not apply is
        refused)."""
        if not self.parked_now:
            return
        evicted = self.conn.execute(EVICT_PARKED, (MAX_HELD_OPS, MAX_HELD_BYTES)).rowcount
        count_dropped(self.conn, "held_ops", evicted)

    def _retry_parked(self, author: str) -> None:
        """Feed the author's parked op for its next seq back in, as long as that applies."""
        if author not in self.parked_authors:
            return
        while True:
            next_seq = self._head(author)[0] + 1
            rows = self.conn.execute(
                "SELECT header, signature, body FROM parked_ops WHERE author = ? AND seq = ? "
                "ORDER BY id",
                (author, next_seq),
            ).fetchall()
            if not rows:
                return
            before = len(self.report.applied)
            for header, signature, body in rows:
                self._one(RawOp(header, signature, body), from_parking=True)
                if len(self.report.applied) > before:
                    break
            if len(self.report.applied) == before:
                return

    def _reauthorize(self, author: str) -> None:
        """Purge the author's ops from the first one its (changed) grants no longer allow."""
        # Notices' and articles' bodies too: a guide's may have lost the grant whose groups
        # allowed it.
        rows = self.conn.execute(
            "SELECT header, CASE WHEN kind IN ('notice.put', 'article.put') THEN body END FROM ops "
            "WHERE author = ? ORDER BY seq",
            (author,),
        ).fetchall()
        for header_bytes, body in rows:
            header = decode_header(header_bytes)
            verdict = self._authorize(
                header, None if body is None else decode_body(header.kind, body)
            )
            if not verdict.ok:
                self._purge(author, header.seq, verdict.reason)
                return

    def _purge(self, author: str, from_seq: int, reason: str) -> None:
        self._flush_heads()
        rows = self.conn.execute(
            f"SELECT {STORED_OP_COLUMNS}, header, signature FROM ops "
            "WHERE author = ? AND seq >= ? ORDER BY seq",
            (author, from_seq),
        ).fetchall()
        touched: set[tuple[str, str]] = set()
        self.parked_authors.add(author)
        self.heads.pop(author, None)
        for row in rows:
            op = StoredOp(*row[:8])
            self.conn.execute("DELETE FROM ops WHERE id = ?", (op.id,))
            self.conn.execute("DELETE FROM arrivals WHERE op_id = ?", (op.id,))
            self._keep_parked(RawOp(row[8], row[9], op.body), author, op.seq, "rejected", reason)
            touched.add((op.kind, op.entity))
            self.report.purged.append(op.id)
            self.due_everything = self.due_everything or op.kind == SETTINGS_KIND
        if from_seq == 1:
            self.conn.execute("DELETE FROM versions WHERE author = ?", (author,))
        else:
            self.conn.execute(
                "UPDATE versions SET seq = ?, head = "
                "(SELECT id FROM ops WHERE author = ? AND seq = ?) WHERE author = ?",
                (from_seq - 1, author, from_seq - 1, author),
            )
        self.clock = None  # read again: the purged ops may have held the highest clock
        for kind, entity in sorted(touched):
            for view in VIEWS_BY_KIND.get(kind, ()):
                view.recompute(self.conn, entity)
                self._touch(view, entity)
                for needy_author, needy_seq in view.needs_body(self.conn, entity):
                    # The purge brought back a version whose body this node pruned: give it
                    # up until a peer sends it again (our V now asks for it).
                    self._purge(needy_author, needy_seq, "body needed again (was pruned)")
            if kind in KEY_KINDS:
                self.recheck.append(entity)
                self.retry.append(entity)

    def _quarantine(self, author: str, kept: str, raw: RawOp, reason: str) -> None:
        self.quarantined.add(author)
        self.conn.execute(
            "INSERT OR IGNORE INTO quarantine VALUES (?, ?, ?, ?, ?)",
            (author, kept, raw.header, raw.signature, reason),
        )
        self.report.forks.append(author)
        self.report.rejected.append((raw.op_id, f"forked author: {reason}"))

    def _detect_parked_fork(self, header: Header, op_id: str) -> None:
        other = self.conn.execute(
            "SELECT header, signature, body FROM parked_ops WHERE author = ? AND seq = ? "
            "AND id != ?",
            (header.author, header.seq, op_id),
        ).fetchone()
        if other:
            raw = RawOp(*other)
            self.conn.execute("DELETE FROM parked_ops WHERE id = ?", (raw.op_id,))
            self._quarantine(header.author, op_id, raw, f"two ops for seq {header.seq}")


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
    """Sign and apply one op by a local author inside the open write transaction on `conn`;
    raise AppendRefused if it may not apply (the caller's transaction then rolls back whole).
    The town server's booking decision and the seat it takes commit together this way."""
    version = conn.execute(
        "SELECT seq, head FROM versions WHERE author = ?", (author.key_id,)
    ).fetchone()
    seq, prev = (version[0] + 1, version[1]) if version else (1, "")
    clock = highest_lamport(conn)
    if clock >= MAX_HEADER_INT:
        # Unreachable while every node bounds Lamport jumps (docs/protocol.md "Lamport").
        raise AppendRefused(
            f"the Lamport clock has reached the header's ceiling ({MAX_HEADER_INT}): "
            "no op can follow it"
        )
    lamport = clock + 1
    header = encode_header(
        Header(
            v=FORMAT_VERSION,
            net=network_id,
            author=author.key_id,
            seq=seq,
            prev=prev,
            lamport=lamport,
            # Trusted time: a hub whose clock says 2001 must not date its ops 2001.
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
    _Applier(conn, network_id, report, clock=clock, local=True).ingest(checked([raw]))
    if raw.op_id not in report.applied:
        reasons = [why for op, why in report.rejected + report.held if op == raw.op_id]
        raise AppendRefused(reasons[0] if reasons else "op was not applied")
    return raw.op_id
