"""The notice editor: a new notice and changes to one, as a plain multipart form.

A POST is read whole (fields and files), each file checked and prepared (content/attachments.py)
and put aside (notices_stash.py), then the fields checked (notices_form.py). A refused form comes
back as typed with its errors beside the fields (400); a form with warnings comes back with
them and a button that confirms exactly those (DESK.md rule 7). Only then are the files stored
and the notice published in one transaction (blob.put, then notice.put, as `dorfhub notice
publish --attach` does), all signed with the user's own key, and the browser sent on to the
notice's page (303).

An edit publishes the whole notice again under its id: the form shows every field, so a
language emptied in it is meant to go, which update()'s per-language merge would keep.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from admin.desk.notices_form import (
    NoticeForm,
    Problem,
    check,
    form_of,
    new_form,
    read_form,
    say,
    warn,
)
from admin.desk.notices_stash import UploadStash, app_stash
from admin.desk.notices_words import (
    CATEGORY_CHOICES,
    FIELD_OF_LANGUAGE,
    LANGUAGE_CHOICES,
    PRIORITY_CHOICES,
    number_words,
)
from admin.desk.policy import DeskUser, allow
from admin.desk.web import Desk, DeskRefusal, desk_of
from content import notices
from content.attachments import MAX_SOURCE_BYTES, FileProblem, Prepared, prepare, too_large
from content.bodies import MAX_ATTACHMENTS, MAX_TEXT_CHARS, Attachment, NoticeBody
from content.clock import trusted_now
from content.limits import MAX_ATTACHMENT_BYTES, MAX_BODY_BYTES
from content.log import AppendRefused, Log
from content.notice_targets import Network, key_names, network_of
from content.notices import Notice, NoticeError

router = APIRouter()
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]
# More than the 8 attachments a notice holds, so too many is said, not cut off.
MAX_FILES_PER_FORM = 2 * MAX_ATTACHMENTS
MAX_FORM_FIELDS = 200
STASH = "notice_uploads"


@dataclass(frozen=True)
class Editing:
    """The notice an edit starts from and the op it stood on when the form was opened."""

    notice: Notice
    op_id: str


@router.get("/notices/new")
def new_notice(request: Request, user: AdminUser) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        form = new_form(trusted_now(conn).now_ms)
        network = network_of(conn)
    return _editor(desk, request, user, form, network, None)


@router.post("/notices/new")
async def publish_notice(request: Request, user: AdminUser) -> Response:
    data = await request.form(max_files=MAX_FILES_PER_FORM, max_fields=MAX_FORM_FIELDS)
    uploads = await _uploads(data)
    return await run_in_threadpool(_save, request, user, read_form(data), uploads, None)


@router.get("/notices/{notice_id}/edit")
def edit_notice(request: Request, user: AdminUser, notice_id: str) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        editing = _editing(conn, notice_id)
        if editing is None:
            return _to_notice(request, notice_id)
        form = form_of(editing.notice)
        form.based_on = editing.op_id
        network = network_of(conn, editing.notice)
    return _editor(desk, request, user, form, network, editing)


@router.post("/notices/{notice_id}/edit")
async def update_notice(request: Request, user: AdminUser, notice_id: str) -> Response:
    data = await request.form(max_files=MAX_FILES_PER_FORM, max_fields=MAX_FORM_FIELDS)
    uploads = await _uploads(data)
    return await run_in_threadpool(_save, request, user, read_form(data), uploads, notice_id)


async def _uploads(data: FormData) -> list[tuple[str, bytes]] | None:
    """The files sent, read up to MAX_SOURCE_BYTES each (more is refused when prepared); None
    when there are more than a form may send, so none of them costs any work."""
    files = [u for u in data.getlist("files") if isinstance(u, UploadFile) and u.filename]
    if len(files) > MAX_FILES_PER_FORM:
        return None
    return [(str(u.filename), await u.read(MAX_SOURCE_BYTES + 1)) for u in files]


def _editing(conn: sqlite3.Connection, notice_id: str) -> Editing | None:
    """The notice to edit; None when it may not be edited (retracted, or a hub's sensor
    alert); DeskRefusal 404 when there is none."""
    notice = notices.get_notice(conn, notice_id)
    if notice is None:
        raise DeskRefusal(404, "not_found")
    row = conn.execute(
        "SELECT o.kind, o.id FROM notices n JOIN ops o ON o.id = n.op_id WHERE n.id = ?",
        (notice_id,),
    ).fetchone()
    if notice.retracted or row is None or row[0] != "notice.put":
        return None
    return Editing(notice, str(row[1]))


def _save(
    request: Request,
    user: DeskUser,
    form: NoticeForm,
    uploads: list[tuple[str, bytes]] | None,
    notice_id: str | None,
) -> Response:
    desk = desk_of(request)
    if uploads is None:
        form.errors["files"] = Problem("notices.error.too_many_files", {"max": MAX_ATTACHMENTS})
    files = _stage(request, user, form, uploads or [])
    with desk.read() as conn:
        editing = _editing(conn, notice_id) if notice_id else None
        if notice_id and editing is None:
            return _to_notice(request, notice_id)
        network = network_of(conn, editing.notice if editing else None)
        body = check(form, network, _kept(form, editing) + [f.reference() for f in files])
        if body is None:
            return _editor(desk, request, user, form, network, editing, status=400)
        now = trusted_now(conn).now_ms
        warn(form, body, network, now, _changed_by(conn, form, editing))
    if form.warnings and form.confirm != form.warnings_digest():
        return _editor(desk, request, user, form, network, editing)
    published = _publish(desk, user, body, files, notice_id)
    if isinstance(published, Problem):
        form.errors["form"] = published
        return _editor(desk, request, user, form, network, editing, status=409)
    _stash(request).discard(form.staged)
    return _to_notice(request, published, "updated" if notice_id else "published")


def _publish(
    desk: Desk, user: DeskUser, body: NoticeBody, files: list[Prepared], notice_id: str | None
) -> str | Problem:
    """Store the files and the notice together; returns its id, or what the log refused, to
    be said on the form."""
    try:
        with desk.store() as store, user.signing() as author:
            data = [file.data for file in files]
            new_id = notices.publish_with_files(Log(store), author, body, data, notice_id)
    except NoticeError:
        return Problem("notices.error.retracted_meanwhile")
    except AppendRefused:
        return Problem("notices.error.refused")
    return new_id


def _stage(
    request: Request, user: DeskUser, form: NoticeForm, uploads: list[tuple[str, bytes]]
) -> list[Prepared]:
    """Check and put aside the files just sent; return every file waiting for this form."""
    stash, session, now = _stash(request), user.session.id, desk_of(request).clock()
    for name, data in uploads:
        try:
            if len(data) > MAX_SOURCE_BYTES:
                raise too_large(name, len(data))
            form.staged.append(stash.put(session, prepare(name, data), now))
        except FileProblem as problem:
            # The first refused file is named; the others wait for the next try.
            key = f"notices.error.{problem.reason}"
            form.errors.setdefault("files", Problem(key, problem.values))
    waiting = stash.files(session, form.staged, now)
    form.staged = [token for token, _ in waiting]
    return [file for _, file in waiting]


def _stash(request: Request) -> UploadStash:
    return app_stash(request.app, STASH)


def _kept(form: NoticeForm, editing: Editing | None) -> list[Attachment]:
    """The attachments of the notice being edited that the form keeps, in their order."""
    if editing is None:
        form.keep = []
        return []
    kept = [Attachment(**a) for a in editing.notice.attachments if a["blob"] in form.keep]
    form.keep = [a.blob for a in kept]
    return kept


def _changed_by(
    conn: sqlite3.Connection, form: NoticeForm, editing: Editing | None
) -> tuple[str, int] | None:
    """Who changed the notice since the form was opened, and when; None if nobody did."""
    if editing is None or not form.based_on or form.based_on == editing.op_id:
        return None
    notice = editing.notice
    return key_names(conn).get(notice.author, notice.author[:12]), notice.updated_at


def _to_notice(request: Request, notice_id: str, done: str = "") -> Response:
    root = request.scope.get("root_path", "")
    suffix = f"?done={done}" if done else ""
    return RedirectResponse(f"{root}/notices/{notice_id}{suffix}", status_code=303)


def _editor(
    desk: Desk,
    request: Request,
    user: DeskUser,
    form: NoticeForm,
    network: Network,
    editing: Editing | None,
    status: int = 200,
) -> Response:
    stash = _stash(request)
    staged = stash.files(user.session.id, form.staged, desk.clock())
    kept = editing.notice.attachments if editing else []
    return desk.render(
        request,
        "notices_editor.html",
        session=user.session,
        status=status,
        title_key="notices.edit.title" if editing else "notices.new.title",
        **editor_context(form, network, editing, staged, kept),
    )


def editor_context(
    form: NoticeForm,
    network: Network,
    editing: Editing | None,
    staged: list[tuple[str, Prepared]],
    kept: list[dict[str, Any]],
) -> dict[str, Any]:
    """What notices_editor.html needs; a club's submission (admin/desk/submissions.py) takes
    it and changes `submitting`, `action`, `cancel` and the limits."""
    open_languages = [
        language for language in FIELD_OF_LANGUAGE if form.language_problem(language)
    ] or ["de"]
    return {
        "form": form,
        "network": network,
        "notice": editing.notice if editing else None,
        "action": f"/notices/{editing.notice.id}/edit" if editing else "/notices/new",
        "cancel": f"/notices/{editing.notice.id}" if editing else "/notices",
        # A club's submission: no files, only its own targets, a contact (submissions.py).
        "submitting": False,
        "contact_name": "",
        "contact_phone": "",
        "categories": CATEGORY_CHOICES,
        "priorities": PRIORITY_CHOICES,
        "languages": LANGUAGE_CHOICES,
        "field_of": FIELD_OF_LANGUAGE,
        "open_languages": open_languages,
        "staged": staged,
        "kept": kept,
        "say": say,
        "number_words": number_words,
        "digest": form.warnings_digest() if form.warnings else "",
        "group_sizes": {
            group: sum(group in hub.groups for hub in network.hubs) for group in network.groups
        },
        "max_text": MAX_TEXT_CHARS,
        "max_files": MAX_ATTACHMENTS,
        "max_file_kib": MAX_ATTACHMENT_BYTES // 1024,
        # The peer API caps every request of its port, the desk's forms too (sync/server.py
        # BodyLimit): what one save sends together must stay below it.
        "max_upload_mib": MAX_BODY_BYTES // (1024 * 1024),
    }
