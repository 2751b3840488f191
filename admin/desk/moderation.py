"""The admins' moderation queue ("Einreichungen", docs/desk.md "Moderation").

    GET  /moderation                   the submissions no admin decided on, oldest first, one
                                       card each: the notice as it would be published, its
                                       targets, who submitted it and when, its schedule, and
                                       the contact for questions
    POST /moderation/{id}/accept       publish it as the admin's own notice (only where it was
                                       targeted) and record the acceptance, in one transaction
    POST /moderation/{id}/reject       record the rejection with the reason the submitter sees

The submissions are sealed to the admins: each is opened with the admin's own key inside the
session, for this page only (as a practice's bookings and a guide's requests are). Both
decisions are signed with the admin's key (content/submissions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.desk.policy import DeskUser, allow
from admin.desk.web import desk_of
from content.log import AppendRefused, Log
from content.notice_targets import key_names
from content.submission_rules import submission_author
from content.submissions import (
    MAX_REASON,
    RESIDENT_KINDS,
    Submission,
    SubmissionError,
    accept_submission,
    moderation_queue,
    reject_submission,
)

router = APIRouter()
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]
DONE = ("accepted", "rejected", "decided")


@dataclass(frozen=True)
class Card:
    submission: Submission
    from_resident: bool
    targets: list[str]  # hub names and groups, as the admin reads them
    error: str = ""  # a refusal said on this card (catalog key)
    reason: str = ""  # the reason as typed, when a rejection came back


@router.get("/moderation")
def queue_page(request: Request, user: AdminUser, done: str = "") -> Response:
    return _page(request, user, done=done)


def _page(
    request: Request,
    user: DeskUser,
    done: str = "",
    problem: tuple[str, str, str] | None = None,
    status: int = 200,
) -> Response:
    """The queue; `problem`: (submission id, catalog key, reason typed) said on its card."""
    desk = desk_of(request)
    with desk.read() as conn, user.signing() as me:
        queue = moderation_queue(conn, me)
        names = key_names(conn)
    cards = []
    for item in queue:
        targets = []
        if item.body is not None:
            notice_targets = item.body.notice.targets
            targets = [names.get(h, h[:12]) for h in notice_targets.hubs]
            targets += list(notice_targets.groups)
        error, reason = ("", "")
        if problem is not None and problem[0] == item.id:
            error, reason = problem[1], problem[2]
        cards.append(
            Card(
                item,
                item.body is not None and item.body.kind in RESIDENT_KINDS,
                targets,
                error,
                reason,
            )
        )
    return desk.render(
        request,
        "moderation.html",
        session=user.session,
        status=status,
        title_key="moderation.title",
        cards=cards,
        done=f"moderation.done.{done}" if done in DONE else "",
        max_reason=MAX_REASON,
    )


@router.post("/moderation/{submission_id}/accept")
async def accept(request: Request, user: AdminUser, submission_id: str) -> Response:
    return await run_in_threadpool(_decide, request, user, submission_id, None)


@router.post("/moderation/{submission_id}/reject")
async def reject(request: Request, user: AdminUser, submission_id: str) -> Response:
    data = await request.form()
    reason = data.get("reason")
    typed = reason[: 4 * MAX_REASON] if isinstance(reason, str) else ""
    return await run_in_threadpool(_decide, request, user, submission_id, typed)


def _decide(request: Request, user: DeskUser, submission_id: str, reason: str | None) -> Response:
    """Accept (`reason` None) or reject; a refusal comes back on the submission's card."""
    if submission_author(submission_id) is None:
        return _to_queue(request)
    desk = desk_of(request)
    try:
        with desk.store() as store, user.signing() as admin:
            if reason is None:
                accept_submission(Log(store), admin, submission_id)
            else:
                reject_submission(Log(store), admin, submission_id, reason)
    except SubmissionError as exc:
        if exc.field == "decided":
            return _to_queue(request, "decided")
        key = f"moderation.error.{exc.field or 'other'}"
        return _page(request, user, problem=(submission_id, key, reason or ""), status=400)
    except AppendRefused:
        return _page(
            request, user, problem=(submission_id, "moderation.error.other", ""), status=409
        )
    return _to_queue(request, "accepted" if reason is None else "rejected")


def _to_queue(request: Request, done: str = "") -> Response:
    root = request.scope.get("root_path", "")
    suffix = f"?done={done}" if done else ""
    return RedirectResponse(f"{root}/moderation{suffix}", status_code=303)
