"""The start page ("Heute"): who is logged in, and a few live figures from the log. The figures
are a fragment that htmx refreshes every 30 s and on the Refresh button; without JavaScript the
button reloads the whole page (it is a plain GET form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from admin.desk.figures import TodayFigures, today_figures
from admin.desk.policy import DeskUser, allow
from admin.desk.web import Desk, desk_of, is_htmx
from content.clock import trusted_now

router = APIRouter()
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]


@router.get("/")
def today(request: Request, user: AdminUser) -> Response:
    desk = desk_of(request)
    return desk.render(
        request,
        "today.html",
        session=user.session,
        title_key="today.title",
        figures=_figures(desk),
    )


@router.get("/today/figures")
def figures_fragment(request: Request, user: AdminUser, seen: str = "") -> Response:
    """The figures alone, for htmx; 204 when they are what the page shows (`seen`), so an
    unchanged refresh swaps nothing and a screen reader hears nothing."""
    desk = desk_of(request)
    if not is_htmx(request):
        return RedirectResponse(f"{request.scope.get('root_path', '')}/", status_code=303)
    figures = _figures(desk)
    if seen == figures.fingerprint:
        return Response(status_code=204)
    return desk.render(request, "partials/figures.html", session=user.session, figures=figures)


def _figures(desk: Desk) -> TodayFigures:
    with desk.read() as conn:
        # Notices count as showing by the server's trusted now, as `dorfhub notice list` does.
        return today_figures(conn, trusted_now(conn).now_ms)
