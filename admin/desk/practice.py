"""A practice's bookings in the desk (docs/desk.md "Practices"): the pending, confirmed and
cancelled ones with the person's data, and cancelling one with a reason.

Every route here allows the practice role alone: an admin never reaches a page that opens
personal data, and the data is opened with the key of the practice's own session
(practice_data.py), never the server's. A booking id of another practice is the 404 page,
like an id nobody knows, before anything is read. The pages carry `Cache-Control: no-store`
as every desk page does (app.py).

A cancellation is `booking.cancel` signed with the practice's key; its reason is public (the
kiosk and a new slip show it to the resident), and the town server tells the guides, who call
the resident (content/booking_allocation.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.desk.policy import DeskUser, allow
from admin.desk.practice_data import BookingRow, one_booking, practice_bookings
from admin.desk.practice_form import MAX_REASON_CHARS, reason_problem
from admin.desk.web import Desk, DeskRefusal, desk_of
from content import booking
from content.booking import BookingError
from content.clock import trusted_now
from content.log import AppendRefused, Log

router = APIRouter()
PracticeUser = Annotated[DeskUser, Depends(allow("practice"))]
DONE = ("cancelled",)


@dataclass
class CancelForm:
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> catalog key


@router.get("/practice")
def bookings_page(request: Request, user: PracticeUser, done: str = "") -> Response:
    desk = desk_of(request)
    with desk.read() as conn, user.signing() as identity:
        now = trusted_now(conn).now_ms
        found = practice_bookings(conn, identity, user.key, now)
        practice = booking.get_practice(conn, user.key)
    return desk.render(
        request,
        "practice_bookings.html",
        session=user.session,
        title_key="practice.bookings.title",
        practice=practice,
        bookings=found,
        now=now,
        done=f"practice.bookings.done.{done}" if done in DONE else "",
    )


@router.get("/practice/bookings/{request_id}/cancel")
def cancel_page(request: Request, user: PracticeUser, request_id: str) -> Response:
    desk = desk_of(request)
    row, now = _booking(desk, user, request_id)
    if not row.may_cancel(now):
        return _to_bookings(request)
    return _cancel_form(desk, request, user, row, CancelForm())


@router.post("/practice/bookings/{request_id}/cancel")
async def cancel(request: Request, user: PracticeUser, request_id: str) -> Response:
    data = await request.form()
    reason = data.get("reason")
    form = CancelForm(reason=reason.strip() if isinstance(reason, str) else "")
    return await run_in_threadpool(_cancel, request, user, request_id, form)


def _cancel(request: Request, user: DeskUser, request_id: str, form: CancelForm) -> Response:
    desk = desk_of(request)
    row, now = _booking(desk, user, request_id)
    if not row.may_cancel(now):
        return _to_bookings(request)
    problem = reason_problem(form.reason, required=True)
    if problem is not None:
        form.errors["reason"] = problem
        return _cancel_form(desk, request, user, row, form, status=400)
    try:
        with desk.store() as store, user.signing() as author:
            booking.cancel_booking(Log(store), author, request_id=request_id, reason=form.reason)
    except BookingError:
        return _to_bookings(request)  # cancelled or rejected meanwhile: the list says so
    except AppendRefused:
        form.errors["reason"] = "practice.cancel.refused"
        return _cancel_form(desk, request, user, row, form, status=409)
    return _to_bookings(request, "cancelled")


def _booking(desk: Desk, user: DeskUser, request_id: str) -> tuple[BookingRow, int]:
    """The practice's own booking, opened, and now; the 404 page for any other id."""
    with desk.read() as conn, user.signing() as identity:
        now = trusted_now(conn).now_ms
        row = one_booking(conn, identity, user.key, request_id, now)
    if row is None:
        raise DeskRefusal(404, "not_found")
    return row, now


def _cancel_form(
    desk: Desk,
    request: Request,
    user: DeskUser,
    row: BookingRow,
    form: CancelForm,
    status: int = 200,
) -> Response:
    return desk.render(
        request,
        "practice_cancel.html",
        session=user.session,
        status=status,
        title_key="practice.cancel.title",
        row=row,
        form=form,
        max_reason=MAX_REASON_CHARS,
    )


def _to_bookings(request: Request, done: str = "") -> Response:
    root = request.scope.get("root_path", "")
    suffix = f"?done={done}" if done else ""
    return RedirectResponse(f"{root}/practice{suffix}", status_code=303)
