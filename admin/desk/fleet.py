"""The fleet pages ("Hubs"): a table of every hub of the network, problems first, and a page per
hub with its details and its kiosk's latest screenshot. The facts come from content/fleet.py
(what the town server knows of each hub), the words from fleet_words.py.

    GET /hubs?sort=problems        the table; htmx refreshes it every 30 s (and on the button)
    GET /hubs/table?sort=&seen=    the table alone, for htmx; 204 when it is what the page shows
    GET /hubs/{key}                one hub (revoked ones too); 404 for a key that is no hub's
    GET /hubs/{key}/screenshot.png its kiosk's latest screenshot, to a logged-in admin only,
                                   never cached (the page's policy and no-store, as every page)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from admin.desk.fleet_words import FleetWords
from admin.desk.i18n import Words, language_of
from admin.desk.policy import DeskUser, allow
from admin.desk.warnings_line import warnings_line
from admin.desk.web import Desk, desk_of, is_htmx
from content import screenshots
from content.clock import trusted_now
from content.fleet import HubDetail, HubRow, fleet, hub_detail
from content.submissions import pending_count
from content.week_sheet import Week

router = APIRouter()
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]
Sort = Literal["problems", "name", "seen", "ops", "disk"]
HUB_KEY = re.compile("^[0-9a-f]{64}$")
# How each column sorts, and what aria-sort says of it.
ARIA_SORT = {
    "problems": "descending",
    "name": "ascending",
    "seen": "ascending",
    "ops": "descending",
    "disk": "ascending",
}


def _by_problems(row: HubRow) -> tuple[Any, ...]:
    # A fork first (the network drifts apart until someone acts), then the most problems.
    return (not row.red, -len(row.problems), row.name.casefold(), row.key)


def _by_seen(row: HubRow) -> tuple[Any, ...]:
    # Never seen first, then the longest silent.
    return (row.last_seen_ms if row.last_seen_ms is not None else -1, row.name.casefold())


def _by_ops(row: HubRow) -> tuple[Any, ...]:
    if row.ops_behind is None or row.ops_ahead is None:
        return (0, 0, row.name.casefold())  # unknown: never synced here
    return (1, -(row.ops_behind + row.ops_ahead), row.name.casefold())


def _by_disk(row: HubRow) -> tuple[Any, ...]:
    free, total = row.disk_free_bytes, row.disk_total_bytes
    share = free / total if free is not None and total else 2.0  # unknown last
    return (share, row.name.casefold())


ORDERS: dict[str, Callable[[HubRow], tuple[Any, ...]]] = {
    "problems": _by_problems,
    "name": lambda row: (row.name.casefold(), row.key),
    "seen": _by_seen,
    "ops": _by_ops,
    "disk": _by_disk,
}


@dataclass(frozen=True)
class HubLine:
    """One row of the table, in words."""

    key: str
    name: str
    red: bool
    state: str
    seen: str
    version: str
    ops: str
    clock: str
    disk: str
    sensors: str
    alerts: str
    forks: str
    problems: list[str]


@dataclass(frozen=True)
class FleetTable:
    sort: str
    aria_sort: str
    lines: list[HubLine]

    @property
    def fingerprint(self) -> str:
        """Equal tables, equal fingerprint: a refresh that changes nothing swaps nothing."""
        text = json.dumps([self.sort, [asdict(line) for line in self.lines]], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def fleet_table(rows: list[HubRow], words: FleetWords, sort: str) -> FleetTable:
    ordered = sorted(rows, key=ORDERS[sort])
    return FleetTable(sort, ARIA_SORT[sort], [_line(row, words) for row in ordered])


def _line(row: HubRow, words: FleetWords) -> HubLine:
    return HubLine(
        key=row.key,
        name=row.name,
        red=row.red,
        state=words.state(row),
        seen=words.seen(row),
        version=row.version or words.t("fleet.unknown"),
        ops=words.ops(row),
        clock=words.clock(row),
        disk=words.disk(row),
        sensors=words.sensors(row.sensors),
        alerts=words.alerts(row.alerts),
        forks=words.forks(row.forked, row.forks),
        problems=words.problems(row),
    )


def _words(desk: Desk, request: Request, now_ms: int) -> FleetWords:
    return FleetWords(Words(desk.translator, language_of(request.cookies)), now_ms)


def _table(desk: Desk, request: Request, sort: str) -> FleetTable:
    # The server's own clock, which also stamped each hub's last contact (as `dorfhub fleet`).
    now_ms = desk.now_ms()
    with desk.read() as conn:
        rows = fleet(conn, now_ms)
    return fleet_table(rows, _words(desk, request, now_ms), sort)


# ---- the table --------------------------------------------------------------------------------


@router.get("/hubs")
def hubs(request: Request, user: AdminUser, sort: Sort = "problems") -> Response:
    desk = desk_of(request)
    table = _table(desk, request, sort)
    with desk.read() as conn:
        pending = pending_count(conn)  # the moderation queue, counted (issue 16)
    return desk.render(
        request,
        "fleet.html",
        session=user.session,
        title_key="fleet.title",
        table=table,
        # The CAP feed poller's line (docs/warnings.md); None when no feed is polled.
        warnings=warnings_line(desk.home, _words(desk, request, desk.now_ms())),
        pending=pending,
    )


@router.get("/hubs/table")
def hubs_table(
    request: Request, user: AdminUser, sort: Sort = "problems", seen: str = ""
) -> Response:
    desk = desk_of(request)
    if not is_htmx(request):
        return RedirectResponse(f"{request.scope.get('root_path', '')}/hubs?sort={sort}", 303)
    table = _table(desk, request, sort)
    if seen == table.fingerprint:
        return Response(status_code=204)
    return desk.render(request, "partials/fleet_table.html", session=user.session, table=table)


# ---- one hub ----------------------------------------------------------------------------------


def find_hub(desk: Desk, key: str, now_ms: int) -> HubDetail:
    """The hub with key `key`, or 404: a key that is no hub's is a page that does not exist."""
    if not HUB_KEY.match(key):
        raise HTTPException(404)
    with desk.read() as conn:
        detail = hub_detail(conn, key, now_ms, screenshots.server_dir(desk.home))
    if detail is None:
        raise HTTPException(404)
    return detail


def render_hub(
    request: Request, user: DeskUser, key: str, sheet: dict[str, Any], status: int = 200
) -> Response:
    """The hub's page; `sheet` fills its weekly-sheet form (print.py: its week, its error)."""
    desk = desk_of(request)
    now_ms = desk.now_ms()
    detail = find_hub(desk, key, now_ms)
    words = _words(desk, request, now_ms)
    return desk.render(
        request,
        "fleet_hub.html",
        session=user.session,
        status=status,
        title_key="fleet.hub.title",
        hub=detail,
        line=_line(detail.row, words),
        screen=words.screenshot(detail.screenshot),
        sheet=sheet,
    )


def sheet_form(
    desk: Desk, week: str | None = None, language: str = "de", error: str | None = None
) -> dict[str, Any]:
    """The weekly sheet's form on the hub's page: the week (this one unless chosen), the
    language, and the error (a catalog key) of a refused download (print.py)."""
    if week is None:
        with desk.read() as conn:
            week = str(Week.containing(trusted_now(conn).now_ms))
    return {"week": week, "lang": language, "error": error}


@router.get("/hubs/{key}")
def hub_page(request: Request, user: AdminUser, key: str) -> Response:
    return render_hub(request, user, key, sheet_form(desk_of(request)))


@router.get("/hubs/{key}/screenshot.png")
def hub_screenshot(request: Request, user: AdminUser, key: str) -> Response:
    """The picture itself: the admin policy above it, and no copy in any cache."""
    desk = desk_of(request)
    if not HUB_KEY.match(key):
        raise HTTPException(404)
    shot = screenshots.latest(screenshots.server_dir(desk.home), key)
    if shot is None:
        raise HTTPException(404)
    # Sent with Cache-Control: no-store, as every desk answer but the static files (app.py).
    return Response(shot.png, media_type="image/png")
