"""A guide's own office hours in the desk: the ones published and coming, a form for a new one,
and withdrawing one (docs/desk.md "Guides").

An office hour is a notice within the guide's narrow right (content/office_hours.py): category
`digitales`, an event, for the guide's groups, under an id that names the guide; every node
refuses anything else from a guide's key. The form offers nothing outside it, and a hand-made
POST that names another group is refused beside the field. The kiosk shows office hours on its
help screen (content.help.guide_office_hours) and among its events.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.desk.guide_data import guide_hubs
from admin.desk.guide_form import HoursForm, check_hours, read_hours_form
from admin.desk.policy import DeskUser, allow
from admin.desk.practice_form import MAX_REASON_CHARS, reason_problem
from admin.desk.practice_slots import WithdrawForm  # the same final step with a reason
from admin.desk.web import Desk, DeskRefusal, desk_of
from content import notices
from content.clock import trusted_now
from content.guides import guide_groups
from content.local_time import local
from content.log import AppendRefused, Log
from content.notices import Notice, NoticeError, get_notice
from content.office_hours import new_office_hour_id
from content.roles import guide_notice_prefix

router = APIRouter()
GuideUser = Annotated[DeskUser, Depends(allow("guide"))]
DONE = ("published", "withdrawn")


@router.get("/guide/hours")
def hours_page(request: Request, user: GuideUser, done: str = "") -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        now = trusted_now(conn).now_ms
        hours = own_office_hours(conn, user.key, now)
        groups = guide_groups(conn, user.key, now)
        hubs = guide_hubs(conn, user.key, now)
    return desk.render(
        request,
        "guide_hours.html",
        session=user.session,
        title_key="guide.hours.title",
        hours=hours,
        groups=groups,
        hubs=hubs,
        done=f"guide.hours.done.{done}" if done in DONE else "",
    )


@router.get("/guide/hours/new")
def new_page(request: Request, user: GuideUser) -> Response:
    desk = desk_of(request)
    form = HoursForm()
    groups = _groups(desk, user)
    if len(groups) == 1:
        form.groups = list(groups)
    return _hours_form(desk, request, user, form, groups)


@router.post("/guide/hours/new")
async def publish(request: Request, user: GuideUser) -> Response:
    data = await request.form()
    checked = [value for value in data.getlist("groups") if isinstance(value, str)]
    form = read_hours_form(data, checked)
    return await run_in_threadpool(_publish, request, user, form)


def _publish(request: Request, user: DeskUser, form: HoursForm) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        now = trusted_now(conn).now_ms
        groups = guide_groups(conn, user.key, now)
    body = check_hours(form, groups, local(now).date(), now)
    if body is None:
        return _hours_form(desk, request, user, form, groups, status=400)
    try:
        with desk.store() as store, user.signing() as author:
            notices.publish(Log(store), author, body, notice_id=new_office_hour_id(user.key))
    except AppendRefused:
        form.errors["form"] = "guide.hours.error.refused"
        return _hours_form(desk, request, user, form, groups, status=409)
    return _to_hours(request, "published")


@router.get("/guide/hours/{notice_id}/withdraw")
def withdraw_page(request: Request, user: GuideUser, notice_id: str) -> Response:
    desk = desk_of(request)
    hour = _own_hour(desk, user, notice_id)
    if hour.retracted:
        return _to_hours(request)
    return _withdraw_form(desk, request, user, hour, WithdrawForm())


@router.post("/guide/hours/{notice_id}/withdraw")
async def withdraw(request: Request, user: GuideUser, notice_id: str) -> Response:
    data = await request.form()
    reason = data.get("reason")
    form = WithdrawForm(reason=reason.strip() if isinstance(reason, str) else "")
    return await run_in_threadpool(_withdraw, request, user, notice_id, form)


def _withdraw(request: Request, user: DeskUser, notice_id: str, form: WithdrawForm) -> Response:
    desk = desk_of(request)
    hour = _own_hour(desk, user, notice_id)
    if hour.retracted:
        return _to_hours(request)
    problem = reason_problem(form.reason, required=False)
    if problem is not None:
        form.errors["reason"] = problem
        return _withdraw_form(desk, request, user, hour, form, status=400)
    try:
        with desk.store() as store, user.signing() as author:
            notices.retract(Log(store), author, notice_id, form.reason)
    except (AppendRefused, NoticeError):
        return _to_hours(request)
    return _to_hours(request, "withdrawn")


def own_office_hours(conn: sqlite3.Connection, guide: str, now_ms: int) -> list[Notice]:
    """The guide's office hours that are live and not over, the soonest first."""
    prefix = guide_notice_prefix(guide)  # hex and dashes: "~" sorts after all of them
    rows = conn.execute(
        "SELECT id FROM notices WHERE id >= ? AND id < ? AND retract_op IS NULL "
        "AND op_id IS NOT NULL AND coalesce(event_end, event_start) >= ? ORDER BY event_start",
        (prefix, prefix + "~", now_ms),
    )
    found = [get_notice(conn, notice_id) for (notice_id,) in rows]
    return [notice for notice in found if notice is not None]


def _own_hour(desk: Desk, user: DeskUser, notice_id: str) -> Notice:
    """The guide's own office hour; the 404 page for any other id, read from the id itself."""
    if not notice_id.startswith(guide_notice_prefix(user.key)):
        raise DeskRefusal(404, "not_found")
    with desk.read() as conn:
        hour = get_notice(conn, notice_id)
    if hour is None:
        raise DeskRefusal(404, "not_found")
    return hour


def _groups(desk: Desk, user: DeskUser) -> list[str]:
    with desk.read() as conn:
        return guide_groups(conn, user.key, trusted_now(conn).now_ms)


def _hours_form(
    desk: Desk,
    request: Request,
    user: DeskUser,
    form: HoursForm,
    groups: list[str],
    status: int = 200,
) -> Response:
    return desk.render(
        request,
        "guide_hours_new.html",
        session=user.session,
        status=status,
        title_key="guide.hours.new.title",
        form=form,
        groups=groups,
    )


def _withdraw_form(
    desk: Desk,
    request: Request,
    user: DeskUser,
    hour: Notice,
    form: WithdrawForm,
    status: int = 200,
) -> Response:
    return desk.render(
        request,
        "guide_hours_withdraw.html",
        session=user.session,
        status=status,
        title_key="guide.hours.withdraw.title",
        hour=hour,
        form=form,
        max_reason=MAX_REASON_CHARS,
    )


def _to_hours(request: Request, done: str = "") -> Response:
    root = request.scope.get("root_path", "")
    suffix = f"?done={done}" if done else ""
    return RedirectResponse(f"{root}/guide/hours{suffix}", status_code=303)
