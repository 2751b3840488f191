"""A club's desk (role `editor`): "Meine Einreichungen" and a new submission, in the admin's
notice editor (docs/desk.md "Clubs").

    GET  /submissions        the club's own submissions, newest first: wartet, angenommen, or
                             abgelehnt with the admin's reason
    GET  /submissions/new    the notice editor, its targets only the hubs and groups of the
                             club's grant, no files, and a contact for the admin's questions
    POST /submissions/new    checked as the admin's editor checks a notice, then submitted
                             sealed (content.submissions.submit_from_editor), signed with the
                             club's own key; nothing is published until an admin accepts

The club reads its submissions back with its own key, inside its session: it is one of their
recipients. Every node refuses a notice.put from an editor's key, so this page is the only
thing its key can do.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from admin.desk.notices_edit import MAX_FORM_FIELDS, editor_context
from admin.desk.notices_form import NoticeForm, Problem, check, new_form, read_form, warn
from admin.desk.policy import DeskUser, allow
from admin.desk.web import desk_of
from content.clock import trusted_now
from content.log import AppendRefused, Log
from content.notice_targets import Hub, Network
from content.submissions import (
    MAX_NAME,
    MAX_PHONE,
    MAX_TEXT,
    MAX_TITLE,
    SubmissionError,
    editor_groups,
    editor_hubs,
    submissions_of,
    submit_from_editor,
)

router = APIRouter()
EditorUser = Annotated[DeskUser, Depends(allow("editor"))]
# A field the content layer refuses, as the editor's form names it.
FIELD_OF = {
    "title": "title_de",
    "text": "body_de",
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
    "targets": "targets",
}


@router.get("/submissions")
def own_page(request: Request, user: EditorUser, done: str = "") -> Response:
    desk = desk_of(request)
    with desk.read() as conn, user.signing() as me:
        mine = submissions_of(conn, me)
    return desk.render(
        request,
        "submissions.html",
        session=user.session,
        title_key="submissions.title",
        submissions=mine,
        done="submissions.done" if done == "submitted" else "",
    )


@router.get("/submissions/new")
def new_page(request: Request, user: EditorUser) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        form = new_form(trusted_now(conn).now_ms)
        network = editor_network(conn, user.key)
    form.target_mode = "some"
    return _editor(request, user, form, network, ("", ""))


@router.post("/submissions/new")
async def submit(request: Request, user: EditorUser) -> Response:
    data = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    form = read_form(data)
    form.target_mode = "some"  # an editor never reaches every hub
    return await run_in_threadpool(_submit, request, user, form, _contact(data))


def _contact(data: FormData) -> tuple[str, str]:
    name, phone = data.get("contact_name"), data.get("contact_phone")
    # Longer than a field holds is refused by the content layer; cut far beyond that first.
    return (
        name.strip()[: 4 * MAX_NAME] if isinstance(name, str) else "",
        phone.strip()[: 4 * MAX_PHONE] if isinstance(phone, str) else "",
    )


def _submit(
    request: Request, user: DeskUser, form: NoticeForm, contact: tuple[str, str]
) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        network = editor_network(conn, user.key)
        body = check(form, network, [])
        if body is None:
            return _editor(request, user, form, network, contact, status=400)
        warn(form, body, network, trusted_now(conn).now_ms)
    if form.warnings and form.confirm != form.warnings_digest():
        return _editor(request, user, form, network, contact)
    try:
        with desk.store() as store, user.signing() as author:
            submit_from_editor(Log(store), author, body, *contact)
    except SubmissionError as exc:
        field = FIELD_OF.get(exc.field, "form")
        form.errors[field] = _problem(exc)
        return _editor(request, user, form, network, contact, status=400)
    except AppendRefused:
        form.errors["form"] = Problem("notices.error.refused")
        return _editor(request, user, form, network, contact, status=409)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/submissions?done=submitted", status_code=303)


def _problem(exc: SubmissionError) -> Problem:
    """The content layer's refusal in the page's words."""
    if exc.field == "title":
        return Problem("submissions.error.title", {"max": MAX_TITLE})
    if exc.field == "text":
        return Problem("submissions.error.text", {"max": MAX_TEXT})
    if exc.field == "contact_name":
        return Problem("submissions.error.contact_name", {"max": MAX_NAME})
    if exc.field == "contact_phone":
        return Problem("submissions.error.contact_phone", {"max": MAX_PHONE})
    if exc.field == "targets":
        return Problem("submissions.error.targets")
    if exc.field == "attachments":
        return Problem("submissions.error.files")
    return Problem("submissions.error.limit")


def editor_network(conn: sqlite3.Connection, key: str) -> Network:
    """The hubs a club may submit for, each with only the groups the club's grant names: what
    its editor offers as targets (and all it checks typed targets against)."""
    now_ms = trusted_now(conn).now_ms
    own = set(editor_groups(conn, key, now_ms))
    hubs = editor_hubs(conn, key, now_ms)
    return Network(tuple(Hub(h.key, h.name, tuple(g for g in h.groups if g in own)) for h in hubs))


def _editor(
    request: Request,
    user: DeskUser,
    form: NoticeForm,
    network: Network,
    contact: tuple[str, str],
    status: int = 200,
) -> Response:
    context = editor_context(form, network, None, [], [])
    context.update(
        submitting=True,
        action="/submissions/new",
        cancel="/submissions",
        contact_name=contact[0],
        contact_phone=contact[1],
        max_text=MAX_TEXT,
    )
    return desk_of(request).render(
        request,
        "notices_editor.html",
        session=user.session,
        status=status,
        title_key="submissions.new.title",
        **context,
    )
