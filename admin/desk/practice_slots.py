"""A practice's slots in the desk: its weekly series and upcoming slots, publishing a new
series, and withdrawing a slot. Only the practice touches its slots (content/roles.py): every
op here is signed with the key of the practice's session, and a slot id of another practice is
the 404 page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.desk.policy import DeskUser, allow
from admin.desk.practice_data import own_slot, practice_slots, slot_bookings
from admin.desk.practice_form import (
    MAX_REASON_CHARS,
    WEEKDAY_CODES,
    SeriesForm,
    check_series,
    read_series_form,
    reason_problem,
)
from admin.desk.web import Desk, DeskRefusal, desk_of
from content import booking
from content.booking import BookingError, Practice, Slot
from content.clock import trusted_now
from content.local_time import local, whole_day
from content.log import AppendRefused, Log

router = APIRouter()
PracticeUser = Annotated[DeskUser, Depends(allow("practice"))]
DONE = ("published", "withdrawn")


@dataclass
class WithdrawForm:
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@router.get("/practice/slots")
def slots_page(request: Request, user: PracticeUser, done: str = "", count: int = 0) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        now = trusted_now(conn).now_ms
        today_starts, _ = whole_day(local(now).date())
        found = practice_slots(conn, user.key, today_starts)
    return desk.render(
        request,
        "practice_slots.html",
        session=user.session,
        title_key="practice.slots.title",
        found=found,
        now=now,
        done=f"practice.slots.done.{done}" if done in DONE else "",
        count=max(0, count),
    )


@router.get("/practice/slots/new")
def publish_page(request: Request, user: PracticeUser) -> Response:
    desk = desk_of(request)
    practice = _practice(desk, user)
    return _publish_form(desk, request, user, practice, SeriesForm())


@router.post("/practice/slots/new")
async def publish(request: Request, user: PracticeUser) -> Response:
    data = await request.form()
    weekdays = [value for value in data.getlist("weekdays") if isinstance(value, str)]
    form = read_series_form(data, weekdays)
    return await run_in_threadpool(_publish, request, user, form)


def _publish(request: Request, user: DeskUser, form: SeriesForm) -> Response:
    desk = desk_of(request)
    practice = _practice(desk, user)
    with desk.read() as conn:
        today = local(trusted_now(conn).now_ms).date()
    slots = check_series(form, practice, today)
    if slots is None:
        return _publish_form(desk, request, user, practice, form, status=400)
    try:
        with desk.store() as store, user.signing() as author:
            count = booking.publish_slots(store, author, slots)
    except (BookingError, AppendRefused):
        form.errors["form"] = "practice.publish.error.refused"
        return _publish_form(desk, request, user, practice, form, status=409)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/practice/slots?done=published&count={count}", status_code=303)


@router.get("/practice/slots/{slot_id}/withdraw")
def withdraw_page(request: Request, user: PracticeUser, slot_id: str) -> Response:
    desk = desk_of(request)
    slot = _slot(desk, user, slot_id)
    if slot.withdrawn:
        return _to_slots(request)
    return _withdraw_form(desk, request, user, slot, WithdrawForm())


@router.post("/practice/slots/{slot_id}/withdraw")
async def withdraw(request: Request, user: PracticeUser, slot_id: str) -> Response:
    data = await request.form()
    reason = data.get("reason")
    form = WithdrawForm(reason=reason.strip() if isinstance(reason, str) else "")
    return await run_in_threadpool(_withdraw, request, user, slot_id, form)


def _withdraw(request: Request, user: DeskUser, slot_id: str, form: WithdrawForm) -> Response:
    desk = desk_of(request)
    slot = _slot(desk, user, slot_id)
    if slot.withdrawn:
        return _to_slots(request)
    problem = reason_problem(form.reason, required=False)
    if problem is not None:
        form.errors["reason"] = problem
        return _withdraw_form(desk, request, user, slot, form, status=400)
    try:
        with desk.store() as store, user.signing() as author:
            booking.withdraw_slot(Log(store), author, slot_id, form.reason)
    except (BookingError, AppendRefused):
        form.errors["reason"] = "practice.withdraw.refused"
        return _withdraw_form(desk, request, user, slot, form, status=409)
    return _to_slots(request, "withdrawn")


def _practice(desk: Desk, user: DeskUser) -> Practice:
    with desk.read() as conn:
        practice = booking.get_practice(conn, user.key)
    if practice is None:  # `desk user add` checked the record: it cannot go, but be plain
        raise DeskRefusal(404, "not_found")
    return practice


def _slot(desk: Desk, user: DeskUser, slot_id: str) -> Slot:
    with desk.read() as conn:
        slot = own_slot(conn, user.key, slot_id)
    if slot is None:
        raise DeskRefusal(404, "not_found")
    return slot


def _publish_form(
    desk: Desk,
    request: Request,
    user: DeskUser,
    practice: Practice,
    form: SeriesForm,
    status: int = 200,
) -> Response:
    return desk.render(
        request,
        "practice_publish.html",
        session=user.session,
        status=status,
        title_key="practice.publish.title",
        practice=practice,
        form=form,
        weekday_codes=WEEKDAY_CODES,
    )


def _withdraw_form(
    desk: Desk,
    request: Request,
    user: DeskUser,
    slot: Slot,
    form: WithdrawForm,
    status: int = 200,
) -> Response:
    with desk.read() as conn:
        booked = slot_bookings(conn, user.key, slot.id)
    return desk.render(
        request,
        "practice_withdraw.html",
        session=user.session,
        status=status,
        title_key="practice.withdraw.title",
        slot=slot,
        booked=booked,
        form=form,
        max_reason=MAX_REASON_CHARS,
    )


def _to_slots(request: Request, done: str = "") -> Response:
    root = request.scope.get("root_path", "")
    suffix = f"?done={done}" if done else ""
    return RedirectResponse(f"{root}/practice/slots{suffix}", status_code=303)
