"""A guide's help queue in the desk (docs/desk.md "Guides"): the requests of the guide's hubs,
open ones first, each opened with the key of the guide's own session; marking one done or
open again; and the bookings made on someone's behalf.

Every route here allows the guide role alone: an admin or a practice never reaches a page that
opens help requests. A request id that is not of the guide's hubs is the 404 page, like an id
nobody knows, and is never opened for the answer. Marking done and reopening are `help.update`
ops signed with the guide's key: the hub sees them at its next sync.

The open list refreshes itself every 15 seconds (htmx; only when it changed, so a screen reader
hears only news), and a plain reload does the same without JavaScript.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from admin.desk.guide_data import GuideQueue, behalf_bookings, guide_hubs, guide_queue, queue_row
from admin.desk.policy import DeskUser, allow
from admin.desk.web import Desk, DeskRefusal, desk_of, is_htmx
from content.clock import trusted_now
from content.help import mark_help_done, reopen_help
from content.log import AppendRefused, Log

router = APIRouter()
GuideUser = Annotated[DeskUser, Depends(allow("guide"))]
DONE = ("done", "reopened", "refused")
REFRESH_S = 15


@router.get("/guide")
def queue_page(request: Request, user: GuideUser, done: str = "") -> Response:
    desk = desk_of(request)
    queue, now = _queue(desk, user)
    return desk.render(
        request,
        "guide_queue.html",
        session=user.session,
        title_key="guide.queue.title",
        queue=queue,
        now=now,
        refresh_s=REFRESH_S,
        done=f"guide.queue.said.{done}" if done in DONE else "",
    )


@router.get("/guide/queue")
def queue_fragment(request: Request, user: GuideUser, seen: str = "") -> Response:
    """The open requests alone, for htmx; 204 when they are what the page shows (`seen`)."""
    desk = desk_of(request)
    if not is_htmx(request):
        return RedirectResponse(f"{request.scope.get('root_path', '')}/guide", status_code=303)
    queue, now = _queue(desk, user)
    if seen == queue.fingerprint:
        return Response(status_code=204)
    return desk.render(
        request,
        "partials/guide_open.html",
        session=user.session,
        queue=queue,
        now=now,
        refresh_s=REFRESH_S,
    )


@router.post("/guide/requests/{request_id}/done")
def mark_done(request: Request, user: GuideUser, request_id: str) -> Response:
    return _change(request, user, request_id, "done")


@router.post("/guide/requests/{request_id}/reopen")
def reopen(request: Request, user: GuideUser, request_id: str) -> Response:
    return _change(request, user, request_id, "reopened")


def _change(request: Request, user: DeskUser, request_id: str, change: str) -> Response:
    desk = desk_of(request)
    with desk.read() as conn, user.signing() as identity:
        row = queue_row(conn, identity, request_id, trusted_now(conn).now_ms)
    if row is None:
        raise DeskRefusal(404, "not_found")
    wanted = "done" if change == "done" else "open"
    if row.state != wanted:
        try:
            with desk.store() as store, user.signing() as author:
                step = mark_help_done if change == "done" else reopen_help
                step(Log(store), author, request_id)
        except AppendRefused:
            change = "refused"
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/guide?done={change}#{row.anchor}", status_code=303)


@router.get("/guide/bookings")
def bookings_page(request: Request, user: GuideUser) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        now = trusted_now(conn).now_ms
        hubs = guide_hubs(conn, user.key, now)
        rows = behalf_bookings(conn, user.key, hubs, now)
    return desk.render(
        request,
        "guide_bookings.html",
        session=user.session,
        title_key="guide.bookings.title",
        rows=rows,
        now=now,
        hubs=[hub.name for hub in hubs],
    )


def _queue(desk: Desk, user: DeskUser) -> tuple[GuideQueue, int]:
    with desk.read() as conn, user.signing() as identity:
        now = trusted_now(conn).now_ms
        return guide_queue(conn, identity, now), now
