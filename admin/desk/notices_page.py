"""A notice's own page (what it says, where and when it shows, its history from the op log)
and its retraction: a confirm page with the reason, then notices.retract signed with the
user's own key. A retraction is final on every node, so it is never one click."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.desk.notices_history import history
from admin.desk.notices_words import (
    LANGUAGE_CHOICES,
    state_of,
    targets_words,
    window_words,
    words_of,
)
from admin.desk.policy import DeskUser, allow
from admin.desk.web import Desk, DeskRefusal, desk_of
from content import notices
from content.clock import trusted_now
from content.log import AppendRefused, Log
from content.notice_targets import key_names
from content.notices import Notice, NoticeError

router = APIRouter()
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]
MAX_REASON_CHARS = 500  # content/bodies.py RetractBody.reason
DONE = ("published", "updated", "retracted")


@dataclass
class RetractForm:
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> catalog key


@router.get("/notices/{notice_id}")
def notice_page(request: Request, user: AdminUser, notice_id: str, done: str = "") -> Response:
    desk = desk_of(request)
    t = words_of(request)
    with desk.read() as conn:
        notice = _notice(conn, notice_id)
        now = trusted_now(conn).now_ms
        names = key_names(conn)
        entries = history(conn, notice_id, t, names)
        retracted_at = _retracted_at(conn, notice_id)
        editable = _kind(conn, notice_id) == "notice.put" and not notice.retracted
    return desk.render(
        request,
        "notices_show.html",
        session=user.session,
        title_key="notices.show.title",
        notice=notice,
        state=state_of(notice, now),
        window=window_words(t, notice.valid_from, notice.valid_until),
        targets=targets_words(t, notice.target_hubs, notice.target_groups, names),
        languages=[c for c in LANGUAGE_CHOICES if c.value in notice.title],
        author=names.get(notice.author) or notice.author[:12],
        entries=entries,
        retracted_at=retracted_at,
        editable=editable,
        done=f"notices.done.{done}" if done in DONE else "",
    )


@router.get("/notices/{notice_id}/retract")
def retract_page(request: Request, user: AdminUser, notice_id: str) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        notice = _notice(conn, notice_id)
    if notice.retracted:
        return _to_notice(request, notice_id)
    return _retract_form(desk, request, user, notice, RetractForm())


@router.post("/notices/{notice_id}/retract")
async def retract(request: Request, user: AdminUser, notice_id: str) -> Response:
    data = await request.form()
    reason = data.get("reason")
    form = RetractForm(reason=reason.strip() if isinstance(reason, str) else "")
    # Reading and appending block: off the event loop, like every sync route.
    return await run_in_threadpool(_retract, request, user, notice_id, form)


def _retract(request: Request, user: DeskUser, notice_id: str, form: RetractForm) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        notice = _notice(conn, notice_id)
    if not form.reason:
        form.errors["reason"] = "notices.retract.reason_missing"
    elif len(form.reason) > MAX_REASON_CHARS:
        form.errors["reason"] = "notices.retract.reason_too_long"
    if form.errors:
        return _retract_form(desk, request, user, notice, form, status=400)
    try:
        with desk.store() as store, user.signing() as author:
            notices.retract(Log(store), author, notice_id, form.reason)
    except NoticeError:
        return _to_notice(request, notice_id)  # retracted meanwhile: its page says so
    except AppendRefused:
        form.errors["reason"] = "notices.error.refused"
        return _retract_form(desk, request, user, notice, form, status=409)
    return _to_notice(request, notice_id, "retracted")


def _retract_form(
    desk: Desk,
    request: Request,
    user: DeskUser,
    notice: Notice,
    form: RetractForm,
    status: int = 200,
) -> Response:
    return desk.render(
        request,
        "notices_retract.html",
        session=user.session,
        status=status,
        title_key="notices.retract.title",
        notice=notice,
        form=form,
        max_reason=MAX_REASON_CHARS,
    )


def _notice(conn: sqlite3.Connection, notice_id: str) -> Notice:
    notice = notices.get_notice(conn, notice_id)
    if notice is None:
        raise DeskRefusal(404, "not_found")
    return notice


def _kind(conn: sqlite3.Connection, notice_id: str) -> str | None:
    row = conn.execute(
        "SELECT o.kind FROM notices n JOIN ops o ON o.id = n.op_id WHERE n.id = ?", (notice_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def _retracted_at(conn: sqlite3.Connection, notice_id: str) -> int | None:
    row = conn.execute("SELECT retracted_at FROM notices WHERE id = ?", (notice_id,)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _to_notice(request: Request, notice_id: str, done: str = "") -> Response:
    root = request.scope.get("root_path", "")
    suffix = f"?done={done}" if done else ""
    return RedirectResponse(f"{root}/notices/{notice_id}{suffix}", status_code=303)
