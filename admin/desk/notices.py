"""The notices ("Aushänge"): the list by state with its filters, here; the editor
(notices_edit.py), each notice's page with its history and the retraction (notices_page.py).

The list reads one page at a time through content.notices.notices_in_state, which walks an
index in the state's order from a cursor, so a page costs about the rows it shows whatever the
number of notices. The filters are a plain GET form; htmx swaps only the results when one
changes, and without JavaScript its button reloads the page.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from admin.desk import notices_edit, notices_page
from admin.desk.i18n import Words
from admin.desk.notices_words import (
    CATEGORY_CHOICES,
    languages_words,
    state_of,
    targets_words,
    window_words,
    words_of,
)
from admin.desk.policy import DeskUser, allow
from admin.desk.web import desk_of, is_htmx
from content.bodies import CATEGORIES
from content.clock import trusted_now
from content.grants import list_keys
from content.notice_targets import Network, key_names, network_of
from content.notices import NOTICE_STATES, Cursor, Notice, count_in_state, notices_in_state

router = APIRouter()
router.include_router(notices_edit.router)
router.include_router(notices_page.router)
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]

PAGE_SIZE = 50
COUNT_CAP = 1000
MAX_SEARCH_CHARS = 200
DONE = ("published", "updated", "retracted")
_CURSOR = re.compile(r"^(\d{1,16})\.(\d{1,19})$")


@dataclass(frozen=True)
class ListQuery:
    """The list's filters as the URL gives them, each checked against what exists."""

    state: str = "current"
    category: str = ""
    target: str = ""  # "", "all", "hub:<key>" or "group:<name>"
    search: str = ""
    after: Cursor | None = None
    before: Cursor | None = None

    def filters(self) -> dict[str, Any]:
        kind, _, value = self.target.partition(":")
        return {
            "category": self.category or None,
            "hub": value if kind == "hub" else None,
            "group": value if kind == "group" else None,
            "everywhere": kind == "all",
            "search": self.search or None,
        }

    def url(self, root: str, **changes: str) -> str:
        params = {
            "state": self.state,
            "category": self.category,
            "target": self.target,
            "q": self.search,
            **changes,
        }
        return f"{root}/notices?" + urlencode({k: v for k, v in params.items() if v})


def list_query(
    state: str, category: str, target: str, q: str, after: str, before: str, network: Network
) -> ListQuery:
    """Unknown values are dropped, not refused: a stale bookmark still shows a list."""
    targets = {"all"} | {f"hub:{hub.key}" for hub in network.hubs}
    targets |= {f"group:{group}" for group in network.groups}
    return ListQuery(
        state=state if state in NOTICE_STATES else "current",
        category=category if category in CATEGORIES else "",
        target=target if target in targets else "",
        search=q.strip()[:MAX_SEARCH_CHARS],
        after=_cursor(after),
        before=None if after else _cursor(before),
    )


def _cursor(text: str) -> Cursor | None:
    found = _CURSOR.match(text)
    return (int(found[1]), int(found[2])) if found else None


@dataclass(frozen=True)
class Row:
    notice: Notice
    state: str
    window: str
    targets: str
    languages: str
    retracted_at: int | None
    alert: bool  # a hub's sensor alert: only its hub changes it


@dataclass(frozen=True)
class ListPage:
    rows: list[Row]
    count: int
    previous: str | None  # the URL of the page before, if any
    next: str | None


@router.get("/notices")
def notice_list(
    request: Request,
    user: AdminUser,
    state: str = "",
    category: str = "",
    target: str = "",
    q: str = "",
    after: str = "",
    before: str = "",
    done: str = "",
) -> Response:
    desk = desk_of(request)
    root = request.scope.get("root_path", "")
    with desk.read() as conn:
        network = network_of(conn)
        query = list_query(state, category, target, q, after, before, network)
        page = _list_page(conn, query, root, words_of(request))
    context = {"query": query, "page": page, "network": network, "root": root}
    if is_htmx(request):
        return desk.render(request, "partials/notice_results.html", session=user.session, **context)
    return desk.render(
        request,
        "notices.html",
        session=user.session,
        title_key="notices.title",
        categories=CATEGORY_CHOICES,
        states=NOTICE_STATES,
        done=f"notices.done.{done}" if done in DONE else "",
        **context,
    )


def _list_page(conn: sqlite3.Connection, query: ListQuery, root: str, t: Words) -> ListPage:
    now = trusted_now(conn).now_ms
    filters = query.filters()
    found = notices_in_state(
        conn,
        query.state,
        now,
        after=query.after,
        before=query.before,
        limit=PAGE_SIZE + 1,
        **filters,
    )
    if query.before is not None:
        more_before, more_after = len(found) > PAGE_SIZE, True
        found = found[-PAGE_SIZE:]
    else:
        more_before, more_after = query.after is not None, len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
    names = key_names(conn)
    hub_keys = {k.key for k in list_keys(conn) if "hub" in k.roles}
    rows = [_row(t, cursor, notice, query.state, now, names, hub_keys) for cursor, notice in found]
    count = count_in_state(conn, query.state, now, cap=COUNT_CAP, **filters)
    return ListPage(
        rows=rows,
        count=count,
        previous=query.url(root, before=_text(found[0][0])) if found and more_before else None,
        next=query.url(root, after=_text(found[-1][0])) if found and more_after else None,
    )


def _row(
    t: Words,
    cursor: Cursor,
    notice: Notice,
    state: str,
    now: int,
    names: dict[str, str],
    hub_keys: set[str],
) -> Row:
    return Row(
        notice=notice,
        state=state_of(notice, now),
        window=window_words(t, notice.valid_from, notice.valid_until),
        targets=targets_words(t, notice.target_hubs, notice.target_groups, names),
        languages=languages_words(t, notice.title),
        # The retracted list is ordered by the retraction's time: its cursor holds it.
        retracted_at=cursor[0] if state == "retracted" else None,
        alert=notice.author in hub_keys,
    )


def _text(cursor: Cursor) -> str:
    return f"{cursor[0]}.{cursor[1]}"
