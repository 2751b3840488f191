"""The noticeboard: publishing notices as ops, and the queries the kiosk and CLI ask.

Publishing goes through the log like every change; queries read the `notices` view. Every
display-window query takes its "now" from trusted time.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from content.bodies import (
    MAX_ATTACHMENT_BYTES,
    Attachment,
    Event,
    NoticeBody,
    RetractBody,
    Targets,
    decode_body,
    encode_body,
)
from content.clock import to_iso, trusted_now
from content.errors import ContentError
from content.identity import Identity
from content.log import Log, append_in
from content.ops import body_hash
from content.search import fts_query


class NoticeError(ContentError):
    """A notice request that cannot be carried out (unknown id, retracted, bad attachment)."""


@dataclass(frozen=True)
class Notice:
    id: str
    title: dict[str, str]
    body: dict[str, str]
    category: str
    priority: str
    valid_from: int
    valid_until: int | None
    event_start: int | None
    event_end: int | None
    place: str | None
    target_hubs: list[str]
    target_groups: list[str]
    attachments: list[dict[str, Any]]
    author: str
    author_name: str
    published_at: int
    updated_at: int
    retracted: bool

    def text(self, field: str, language: str) -> str:
        """The title or body in `language`, falling back to German."""
        texts: dict[str, str] = getattr(self, field)
        return texts.get(language) or texts["de"]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title["de"],
            "body": self.body["de"],
            "translations": {"title": self.title, "body": self.body},
            "category": self.category,
            "priority": self.priority,
            "valid_from": to_iso(self.valid_from),
            "valid_until": to_iso(self.valid_until),
            "event": None
            if self.event_start is None
            else {
                "start": to_iso(self.event_start),
                "end": to_iso(self.event_end),
                "place": self.place,
            },
            "targets": {"hubs": self.target_hubs, "groups": self.target_groups},
            "attachments": self.attachments,
            "author": self.author,
            "author_name": self.author_name,
            "published_at": to_iso(self.published_at),
            "updated_at": to_iso(self.updated_at),
            "retracted": self.retracted,
        }


def new_notice_id() -> str:
    return "n-" + uuid.uuid4().hex[:20]


def publish(log: Log, author: Identity, notice: NoticeBody, notice_id: str | None = None) -> str:
    """Append a notice.put; returns the notice id."""
    notice_id = notice_id or new_notice_id()
    log.append(author, "notice.put", notice_id, encode_body(notice))
    return notice_id


def publish_with_files(
    log: Log,
    author: Identity,
    notice: NoticeBody,
    files: Sequence[bytes],
    notice_id: str | None = None,
) -> str:
    """Append the files the notice names (blob.put, those this node lacks), then the notice,
    in one transaction: a refusal of any op stores none. With `notice_id`, the notice must be
    live (a retraction is final); returns the notice's id."""
    with log.store.write() as conn:
        if notice_id is not None:
            current_body(log, notice_id)
        for data in files:
            digest = _blob_digest(conn, data, "a file")
            if digest is not None:
                append_in(conn, log.network_id, author, "blob.put", digest, data)
        notice_id = notice_id or new_notice_id()
        append_in(conn, log.network_id, author, "notice.put", notice_id, encode_body(notice))
    return notice_id


def updated_body(current: NoticeBody, **changes: Any) -> NoticeBody:
    """The body with some fields changed (msgspec.ValidationError on a bad one). `title` and
    `body` changes are merged per language, so adding an English text keeps the German
    one."""
    merged: dict[str, Any] = msgspec.structs.asdict(current)
    for key in ("title", "body"):
        if key in changes:
            merged[key] = {**merged[key], **changes.pop(key)}
    merged.update(changes)
    return msgspec.convert(merged, NoticeBody)


def update(log: Log, author: Identity, notice_id: str, **changes: Any) -> None:
    """Append a notice.put that changes some fields of the current version (last writer
    wins), as `updated_body` merges them."""
    body = updated_body(current_body(log, notice_id), **changes)
    log.append(author, "notice.put", notice_id, encode_body(body))


def retract(log: Log, author: Identity, notice_id: str, reason: str = "") -> None:
    """Withdraw a notice; an admin may also take down a hub's sensor alert this way."""
    _live(log, notice_id)
    log.append(author, "notice.retract", notice_id, encode_body(RetractBody(reason=reason)))


def current_body(log: Log, notice_id: str) -> NoticeBody:
    kind, data = _live(log, notice_id)
    if kind != "notice.put":
        raise NoticeError(f"{notice_id} is a sensor alert: only its hub changes it")
    body: NoticeBody = decode_body("notice.put", data)
    return body


def _live(log: Log, notice_id: str) -> tuple[str, bytes]:
    """The kind and body of the op behind a live notice (a notice.put or a sensor.alert)."""
    row = log.store.conn.execute(
        "SELECT o.kind, o.body, n.retract_op FROM notices n LEFT JOIN ops o ON o.id = n.op_id "
        "WHERE n.id = ?",
        (notice_id,),
    ).fetchone()
    if row is None or row[1] is None:
        raise NoticeError(f"no notice {notice_id}")
    if row[2] is not None:
        raise NoticeError(f"notice {notice_id} was retracted")
    return row[0], row[1]


def attach(log: Log, author: Identity, data: bytes, name: str, mime: str) -> Attachment:
    """Store a file as a content-addressed blob op and return the reference for a notice."""
    digest = _blob_digest(log.store.conn, data, f"attachment {name}")
    if digest is not None:
        log.append(author, "blob.put", digest, data)
    return Attachment(blob=body_hash(data), name=name, mime=mime, size=len(data))


def _blob_digest(conn: sqlite3.Connection, data: bytes, what: str) -> str | None:
    """The hash a file is stored under, or None when this node holds it already."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise NoticeError(f"{what} is larger than {MAX_ATTACHMENT_BYTES // 1024} KiB")
    digest = body_hash(data)
    # A hub may hold a file's header without its bytes (content/relay.py): that is not held.
    return None if blob(conn, digest) is not None else digest


def blob(conn: sqlite3.Connection, digest: str) -> bytes | None:
    """A file's bytes; None if unknown here, or held by its header only (content/relay.py)."""
    row = conn.execute(
        "SELECT body FROM ops WHERE entity = ? AND kind = 'blob.put' AND body IS NOT NULL LIMIT 1",
        (digest,),
    ).fetchone()
    return None if row is None else bytes(row[0])


_COLUMNS = (
    "SELECT n.id, n.title, {body}, n.category, n.priority, n.valid_from, n.valid_until, "
    "n.event_start, n.event_end, n.place, n.target_hubs, n.target_groups, n.attachments, "
    "n.author, coalesce(k.name, ''), n.published_at, n.updated_at, n.retract_op IS NOT NULL "
)
_AUTHOR = "LEFT JOIN keys k ON k.key = n.author "
_FROM = "FROM notices n "
# A search starts from the full-text index, so it visits only the matching notices.
_FROM_MATCHES = "FROM notices_fts f CROSS JOIN notices n ON n.rowid = f.rowid "
_SELECT = _COLUMNS.format(body="n.body") + _FROM + _AUTHOR
_LIVE = "n.op_id IS NOT NULL AND n.retract_op IS NULL"
_IN_WINDOW = "n.valid_from <= :at AND (n.valid_until IS NULL OR n.valid_until > :at)"
# Whether notice `n` is targeted at the hub `:hub` (also what decides which files a hub gets:
# content/relay.py).
# The audiences a hub belongs to: every hub ('*'), itself, and each group its grants name.
_AUDIENCES_OF_HUB = (
    "audience IN ('*', 'h:' || :hub)"
    " OR audience IN (SELECT 'g:' || g.value FROM keys h, json_each(h.groups) g"
    "                 WHERE h.key = :hub)"
)
# Looked up in notice_audience (migration 16), the live notices' targets kept as rows by
# triggers.
FOR_HUB = f"n.id IN (SELECT id FROM notice_audience WHERE {_AUDIENCES_OF_HUB})"
# A hub's board read from notice_audience alone, aliased `n`: its rows carry the columns the
# window, category, event and order clauses name, and exist only for live notices. A notice
# for the hub and for one of its groups has a row for each: of a notice with more than one
# audience, only the row of its first audience the hub belongs to counts, so every notice is
# counted and listed once without grouping thousands of rows that cannot repeat.
_FROM_BOARD = "FROM notice_audience n "
_ON_BOARD = (
    f"({_AUDIENCES_OF_HUB.replace('audience', 'n.audience')})"
    " AND (n.audiences = 1 OR n.audience = (SELECT min(a.audience) FROM notice_audience a"
    f" WHERE a.id = n.id AND ({_AUDIENCES_OF_HUB.replace('audience', 'a.audience')})))"
)
_ORDER = (
    " ORDER BY CASE n.priority WHEN 'emergency' THEN 0 WHEN 'important' THEN 1 ELSE 2 END,"
    " n.published_at DESC, n.lamport DESC, n.id"
)
_UPCOMING = "n.event_start IS NOT NULL AND coalesce(n.event_end, n.event_start) >= :at"
_UPCOMING_ORDER = " ORDER BY n.event_start, n.id"


def active_notices(
    conn: sqlite3.Connection,
    hub: str | None = None,
    at_ms: int | None = None,
    category: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    bodies: bool = True,
    *,
    offset: int = 0,
    upcoming: bool = False,
) -> list[Notice]:
    """Live notices whose display window contains `at_ms` (default: trusted now), emergencies
    first, then newest first. With `hub`, only those targeted at that hub; with `search`, only
    full-text matches (all languages); with `upcoming`, only notices with an event that has not
    ended, soonest first. `limit` and `offset` read one page of that order. With
    `bodies=False` every body is left empty: for a list of titles, which would otherwise hold
    every body in every language (the kiosk's board of 7,000 notices: 15 MB)."""
    source, where, params = _selection(conn, hub, at_ms, category, search, upcoming)
    columns = _COLUMNS.format(body="n.body" if bodies else "'{}'")
    order = _UPCOMING_ORDER if upcoming else _ORDER
    page = ""
    if limit is not None or offset:
        page = f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
    # The page is chosen by its ids first, so that only its rows are read whole: sorting a
    # search's thousand matches with their texts took most of its time.
    chosen = f"SELECT n.id {source}{where}{order}{page}"
    sql = f"{columns}{_FROM}{_AUTHOR}WHERE n.id IN ({chosen}){order}"
    return [_notice(row) for row in conn.execute(sql, params)]


def notices_shown_during(
    conn: sqlite3.Connection, hub: str, start_ms: int, end_ms: int
) -> list[Notice]:
    """Live notices targeted at `hub` that show at some moment from `start_ms` up to (not
    including) `end_ms`: one query over the display windows, as the weekly sheet needs, instead
    of a list at every moment the board changes. A window that closes before it opens never
    shows."""
    overlap = (
        "n.valid_from < :end"
        " AND (n.valid_until IS NULL OR n.valid_until > max(:start, n.valid_from))"
    )
    where = f"WHERE {_LIVE} AND {overlap} AND {FOR_HUB}"
    params = {"start": start_ms, "end": end_ms, "hub": hub}
    return [_notice(row) for row in conn.execute(_SELECT + where + _ORDER, params)]


def count_notices(
    conn: sqlite3.Connection,
    hub: str | None = None,
    at_ms: int | None = None,
    category: str | None = None,
    search: str | None = None,
    *,
    upcoming: bool = False,
) -> int:
    """How many notices `active_notices` finds with the same filters."""
    source, where, params = _selection(conn, hub, at_ms, category, search, upcoming)
    return int(conn.execute("SELECT count(*) " + source + where, params).fetchone()[0])


def _selection(
    conn: sqlite3.Connection,
    hub: str | None,
    at_ms: int | None,
    category: str | None,
    search: str | None,
    upcoming: bool,
) -> tuple[str, str, dict[str, Any]]:
    """The FROM and WHERE clauses of a notice list, and their parameters. A hub's board
    without a search comes from its rows in notice_audience (_FROM_BOARD)."""
    at = trusted_now(conn).now_ms if at_ms is None else at_ms
    params: dict[str, Any] = {"at": at, "hub": hub, "category": category}
    source, clauses = _FROM, [_LIVE, _IN_WINDOW]
    if search:
        source = _FROM_MATCHES
        clauses.append("notices_fts MATCH :q")
        params["q"] = fts_query(search)
    if hub is not None:
        if search:
            clauses.append(FOR_HUB)
        else:
            source, clauses = _FROM_BOARD, [_ON_BOARD, _IN_WINDOW]
    if category is not None:
        clauses.append("n.category = :category")
    if upcoming:
        clauses.append(_UPCOMING)
    return source, "WHERE " + " AND ".join(clauses), params


# Each moment's first candidate in time order, by an index seek (migration 8), named because the
# planner, seeing `retract_op IS NULL`, would pick notices_active and sort every live notice. The
# hub's targeting is checked only on the rows the seek visits.
_NEXT = (
    "SELECT {moment} FROM notices n INDEXED BY {index}"
    " WHERE {live} AND {moment} {after} :at{target} ORDER BY {moment} LIMIT 1"
)
_EVENT_END = "coalesce(n.event_end, n.event_start)"


def next_list_change(conn: sqlite3.Connection, hub: str | None, at_ms: int) -> int | None:
    """The first moment after `at_ms` at which a notice list shown at `hub` changes with no new
    op: a notice starts or stops showing (valid_from, valid_until), or an event ends and leaves
    the events list. None when no such moment lies ahead."""
    target = f" AND {FOR_HUB}" if hub is not None else ""
    params = {"at": at_ms, "hub": hub}
    moments: list[int] = []
    # An event is upcoming up to and including its end (_UPCOMING): it leaves a millisecond
    # later. Only a notice on show counts: one shown later is caught by its valid_from.
    for moment, index, after, offset, shown in (
        ("n.valid_from", "notices_active", ">", 0, ""),
        ("n.valid_until", "notices_ends", ">", 0, ""),
        (_EVENT_END, "notices_event_ends", ">=", 1, f" AND {_IN_WINDOW}"),
    ):
        query = _NEXT.format(
            moment=moment, index=index, live=_LIVE, after=after, target=shown + target
        )
        row = conn.execute(query, params).fetchone()
        if row is not None:
            moments.append(int(row[0]) + offset)
    return min(moments, default=None)


def get_notice(conn: sqlite3.Connection, notice_id: str) -> Notice | None:
    row = conn.execute(_SELECT + "WHERE n.id = ? AND n.op_id IS NOT NULL", (notice_id,)).fetchone()
    return None if row is None else _notice(row)


def notice_body(
    title: str,
    body: str,
    *,
    category: str = "allgemein",
    priority: str = "normal",
    valid_from: int,
    valid_until: int | None = None,
    language: str = "de",
    translations: dict[str, tuple[str, str]] | None = None,
    event: Event | None = None,
    hubs: list[str] | None = None,
    groups: list[str] | None = None,
    attachments: list[Attachment] | None = None,
) -> NoticeBody:
    """Build and validate a notice body (msgspec.ValidationError on a bad field).

    `translations` maps further languages to (title, body)."""
    texts = {language: (title, body), **(translations or {})}
    return msgspec.convert(
        {
            "title": {lang: pair[0] for lang, pair in texts.items()},
            "body": {lang: pair[1] for lang, pair in texts.items()},
            "category": category,
            "priority": priority,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "event": event,
            "targets": Targets(hubs=sorted(set(hubs or [])), groups=sorted(set(groups or []))),
            "attachments": attachments or [],
        },
        NoticeBody,
        from_attributes=True,
    )


_texts = msgspec.json.Decoder(dict[str, str])
_strings = msgspec.json.Decoder(list[str])
_objects = msgspec.json.Decoder(list[dict[str, Any]])


def _notice(row: tuple[Any, ...]) -> Notice:
    return Notice(
        id=row[0],
        title=_texts.decode(row[1]),
        body=_texts.decode(row[2]),
        category=row[3],
        priority=row[4],
        valid_from=row[5],
        valid_until=row[6],
        event_start=row[7],
        event_end=row[8],
        place=row[9],
        target_hubs=_strings.decode(row[10]),
        target_groups=_strings.decode(row[11]),
        attachments=_objects.decode(row[12]),
        author=row[13],
        author_name=row[14],
        published_at=row[15],
        updated_at=row[16],
        retracted=bool(row[17]),
    )


# ---- the desk's list: one state at a time, paged by an index --------------------------------

NOTICE_STATES = ("current", "scheduled", "expired", "retracted")
# (sort key, index position): where a page ends, so the next one starts after it.
Cursor = tuple[int, int]
MAX_TITLE_WORDS = 8


@dataclass(frozen=True)
class _StateOrder:
    where: str  # the state's own condition
    column: str  # the sort key, first column of the index the state is read by
    descending: bool
    index: str | None  # forced: the planner, seeing `retract_op IS NULL`, may pick another


# A put's window is set once folded, so a window condition also says the notice has content: a
# row made only by an early retract (op_id NULL) has no valid_from and falls out of each range.
_STATE_ORDERS = {
    "current": _StateOrder(
        f"n.retract_op IS NULL AND {_IN_WINDOW}", "n.valid_from", True, "notices_active"
    ),
    "scheduled": _StateOrder(
        "n.retract_op IS NULL AND n.valid_from > :at", "n.valid_from", False, "notices_active"
    ),
    "expired": _StateOrder(
        "n.retract_op IS NULL AND n.valid_until <= :at", "n.valid_until", True, "notices_ends"
    ),
    # No index orders retractions by time: the retracted rows are found through notices_active
    # (retract_op set, the end of the index) and only they are sorted, never the live ones.
    "retracted": _StateOrder(
        "n.retract_op IS NOT NULL AND n.op_id IS NOT NULL",
        "n.retracted_at",
        True,
        "notices_active",
    ),
}


def notices_in_state(
    conn: sqlite3.Connection,
    state: str,
    at_ms: int,
    *,
    category: str | None = None,
    hub: str | None = None,
    group: str | None = None,
    everywhere: bool = False,
    search: str | None = None,
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = 50,
) -> list[tuple[Cursor, Notice]]:
    """One page of the notices in `state` at `at_ms` (bodies left empty), each with its
    cursor, in the state's order: current newest first, scheduled soonest first, expired and
    retracted most recent first. `after` gives the page that follows a cursor, `before` the
    page that precedes one. Filters: `hub` (what that hub shows), `group` (targeted at it),
    `everywhere` (targeted at every hub), `search` (full text, every language)."""
    order = _STATE_ORDERS[state]
    where, params = _state_where(order, at_ms, category, hub, group, everywhere, search)
    backwards = before is not None
    cursor = before if backwards else after
    descending = order.descending != backwards
    if cursor is not None:
        sign = "<" if descending else ">"
        where += f" AND ({order.column}, n.rowid) {sign} (:cursor_key, :cursor_row)"
        params.update(cursor_key=cursor[0], cursor_row=cursor[1])
    direction = "DESC" if descending else "ASC"
    indexed = f"INDEXED BY {order.index} " if order.index else ""
    sql = (
        _COLUMNS.format(body="'{}'")
        + f", {order.column}, n.rowid FROM notices n {indexed}"
        + _AUTHOR
        + where
        + f" ORDER BY {order.column} {direction}, n.rowid {direction} LIMIT {int(limit)}"
    )
    rows = [((row[-2], row[-1]), _notice(row[:-2])) for row in conn.execute(sql, params)]
    return rows[::-1] if backwards else rows


def count_in_state(
    conn: sqlite3.Connection,
    state: str,
    at_ms: int,
    *,
    category: str | None = None,
    hub: str | None = None,
    group: str | None = None,
    everywhere: bool = False,
    search: str | None = None,
    cap: int = 1000,
) -> int:
    """How many notices `notices_in_state` finds, counted up to `cap` + 1 at most: a count
    that says "more than 1,000" costs no more than a few pages."""
    order = _STATE_ORDERS[state]
    where, params = _state_where(order, at_ms, category, hub, group, everywhere, search)
    indexed = f"INDEXED BY {order.index} " if order.index else ""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM notices n {indexed}{where} LIMIT {int(cap) + 1})"
    return int(conn.execute(sql, params).fetchone()[0])


def _state_where(
    order: _StateOrder,
    at_ms: int,
    category: str | None,
    hub: str | None,
    group: str | None,
    everywhere: bool,
    search: str | None,
) -> tuple[str, dict[str, Any]]:
    clauses = [order.where]
    params: dict[str, Any] = {"at": at_ms}
    if category is not None:
        clauses.append("n.category = :category")
        params["category"] = category
    if hub is not None:
        clauses.append(FOR_HUB)
        params["hub"] = hub
    if group is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(n.target_groups) WHERE value = :group)")
        params["group"] = group
    if everywhere:
        clauses.append("n.target_hubs = '[]' AND n.target_groups = '[]'")
    if search and order is _STATE_ORDERS["retracted"]:
        # The full-text index holds live notices only: a retracted one is found by its titles.
        for number, word in enumerate(search.split()[:MAX_TITLE_WORDS]):
            clauses.append(f"instr(lower(n.title), :word{number}) > 0")
            params[f"word{number}"] = word.lower()
    elif search:
        clauses.append("n.rowid IN (SELECT rowid FROM notices_fts WHERE notices_fts MATCH :q)")
        params["q"] = fts_query(search)
    return "WHERE " + " AND ".join(clauses), params
