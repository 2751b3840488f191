"""The how-to library in the desk (docs/desk.md "How-to articles"): the list, the editor with
its steps (add, remove, move, a text per language and a picture each) and retracting.

Admins write any article, for every hub or some groups. A guide writes and retracts only its
own articles (ids that name the guide), for its own groups: the form offers nothing else, a
hand-made POST outside it is refused beside the field, and every node refuses the op anyway
(content/articles_rule.py). Pictures are checked, scaled and stripped like a notice's
(content/attachments.py) and wait in the server's memory until the article is saved
(admin/desk/notices_stash.py); the kiosk's "So funktioniert's" shows what is saved.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from admin.desk.articles_form import (
    LANGUAGES,
    ArticleForm,
    apply_action,
    check_article_form,
    form_of,
    read_article_form,
)
from admin.desk.notices_stash import UploadStash, app_stash
from admin.desk.policy import DeskUser, allow
from admin.desk.practice_form import MAX_REASON_CHARS, reason_problem
from admin.desk.practice_slots import WithdrawForm
from admin.desk.web import Desk, DeskRefusal, desk_of
from content.article_bodies import MAX_STEPS, PICTURE_MIMES
from content.articles import (
    Article,
    ArticleError,
    all_articles,
    get_article,
    new_article_id,
    parse_article,
    put_article,
    retract_article,
)
from content.attachments import MAX_SOURCE_BYTES, FileProblem, Prepared, prepare, sniff, too_large
from content.clock import trusted_now
from content.guides import guide_groups
from content.log import AppendRefused, Log
from content.notice_targets import network_of
from content.notices import blob
from content.ops import body_hash
from content.roles import guide_article_prefix

router = APIRouter()
ArticleUser = Annotated[DeskUser, Depends(allow("admin", "guide"))]
STASH = "article_uploads"
DONE = ("saved", "retracted")


@dataclass(frozen=True)
class Picture:
    """A step's picture as the form shows and the article stores it."""

    ref: str  # the form's value: blob:<hash> or stash:<token>
    digest: str
    mime: str
    data: bytes

    @property
    def src(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"


@router.get("/articles")
def list_page(request: Request, user: ArticleUser, done: str = "") -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        articles = _own_articles(conn, user)
        groups = _groups(conn, user)
    return desk.render(
        request,
        "articles.html",
        session=user.session,
        title_key="articles.title",
        articles=articles,
        groups=groups,
        admin=user.role == "admin",
        done=f"articles.done.{done}" if done in DONE else "",
    )


@router.get("/articles/new")
def new_page(request: Request, user: ArticleUser) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        groups = _groups(conn, user)
    form = ArticleForm(everywhere=user.role == "admin")
    if user.role == "guide" and len(groups) == 1:
        form.groups = list(groups)
    return _editor(request, user, form, groups, None, {})


@router.post("/articles/new")
async def save_new(request: Request, user: ArticleUser) -> Response:
    data = await request.form()
    uploads = await _uploads(data)
    return await run_in_threadpool(_submit, request, user, data, uploads, None)


@router.get("/articles/{article_id}/edit")
def edit_page(request: Request, user: ArticleUser, article_id: str) -> Response:
    desk = desk_of(request)
    article = _own_article(desk, user, article_id)
    with desk.read() as conn:
        groups = _groups(conn, user)
        form = form_of(article.body)
        pictures = _pictures(request, user, conn, form)
    return _editor(request, user, form, groups, article_id, pictures)


@router.post("/articles/{article_id}/edit")
async def save_edit(request: Request, user: ArticleUser, article_id: str) -> Response:
    _own_article(desk_of(request), user, article_id)
    data = await request.form()
    uploads = await _uploads(data)
    return await run_in_threadpool(_submit, request, user, data, uploads, article_id)


@router.get("/articles/{article_id}/retract")
def retract_page(request: Request, user: ArticleUser, article_id: str) -> Response:
    article = _own_article(desk_of(request), user, article_id)
    return _retract_form(request, user, article, WithdrawForm())


@router.post("/articles/{article_id}/retract")
async def retract(request: Request, user: ArticleUser, article_id: str) -> Response:
    data = await request.form()
    reason = data.get("reason")
    form = WithdrawForm(reason=reason.strip() if isinstance(reason, str) else "")
    return await run_in_threadpool(_retract, request, user, article_id, form)


def _retract(request: Request, user: DeskUser, article_id: str, form: WithdrawForm) -> Response:
    desk = desk_of(request)
    article = _own_article(desk, user, article_id)
    problem = reason_problem(form.reason, required=False)
    if problem is not None:
        form.errors["reason"] = problem
        return _retract_form(request, user, article, form, status=400)
    try:
        with desk.store() as store, user.signing() as author:
            retract_article(Log(store), author, article_id, form.reason)
    except (AppendRefused, ArticleError):
        return _to_list(request)
    return _to_list(request, "retracted")


# ---- the editor ----------------------------------------------------------------------------


async def _uploads(data: FormData) -> dict[int, tuple[str, bytes]]:
    """The pictures sent, by step, read up to MAX_SOURCE_BYTES each (more is refused)."""
    found = {}
    for index in range(MAX_STEPS + 1):
        upload = data.get(f"step{index}_upload")
        if isinstance(upload, UploadFile) and upload.filename:
            found[index] = (str(upload.filename), await upload.read(MAX_SOURCE_BYTES + 1))
    return found


def _submit(
    request: Request,
    user: DeskUser,
    data: FormData,
    uploads: dict[int, tuple[str, bytes]],
    article_id: str | None,
) -> Response:
    desk = desk_of(request)
    count = data.get("steps")
    checked = [value for value in data.getlist("groups") if isinstance(value, str)]
    form = read_article_form(
        data,
        int(count) if isinstance(count, str) and count.isdigit() else 1,
        checked,
        everywhere=user.role == "admin" and data.get("everywhere") == "yes",
    )
    _stage(request, user, form, uploads)
    action = data.get("action")
    action = action if isinstance(action, str) else "save"
    with desk.read() as conn:
        groups = _groups(conn, user)
        changed = apply_action(form, action)
        pictures = _pictures(request, user, conn, form)
    if changed:
        return _editor(request, user, form, groups, article_id, pictures)
    check_article_form(form, groups, admin=user.role == "admin")
    if form.errors:
        return _editor(request, user, form, groups, article_id, pictures, status=400)
    try:
        body = parse_article(_body(form, pictures))
        new_files = [p.data for p in pictures.values() if p.ref.startswith("stash:")]
        with desk.store() as store, user.signing() as author:
            guide = user.key if user.role == "guide" else None
            put_article(Log(store), author, body, new_files, article_id or new_article_id(guide))
    except (ArticleError, AppendRefused):
        form.errors["form"] = "articles.error.refused"
        return _editor(request, user, form, groups, article_id, pictures, status=409)
    _stash(request).discard(ref.removeprefix("stash:") for ref in pictures)
    return _to_list(request, "saved")


def _stage(
    request: Request, user: DeskUser, form: ArticleForm, uploads: dict[int, tuple[str, bytes]]
) -> None:
    """Check and put aside the pictures just sent: each replaces its step's picture."""
    stash, now = _stash(request), desk_of(request).clock()
    for index, (name, data) in uploads.items():
        if index >= len(form.steps):
            continue
        try:
            if len(data) > MAX_SOURCE_BYTES:
                raise too_large(name, len(data))
            prepared = prepare(name, data)
        except FileProblem:
            form.errors[f"step{index}_upload"] = "articles.error.picture_unreadable"
            continue
        if prepared.mime not in PICTURE_MIMES:
            form.errors[f"step{index}_upload"] = "articles.error.picture_not_image"
            continue
        form.steps[index].picture = "stash:" + stash.put(user.session.id, prepared, now)


def _pictures(
    request: Request, user: DeskUser, conn: sqlite3.Connection, form: ArticleForm
) -> dict[str, Picture]:
    """The pictures the form's steps name, by their reference; a reference that names nothing
    this user may use (another session's upload, a file not held) is taken out of its step."""
    stash, now = _stash(request), desk_of(request).clock()
    found: dict[str, Picture] = {}
    for step in form.steps:
        ref = step.picture
        kind, _, value = ref.partition(":")
        picture = None
        if kind == "stash":
            waiting = stash.files(user.session.id, [value], now)
            if waiting:
                file: Prepared = waiting[0][1]
                picture = Picture(ref, body_hash(file.data), file.mime, file.data)
        elif kind == "blob":
            data = blob(conn, value)
            mime = sniff(data) if data is not None else None
            if data is not None and mime in PICTURE_MIMES:
                picture = Picture(ref, value, str(mime), data)
        if picture is None:
            step.picture = ""
        else:
            found[ref] = picture
    return found


def _body(form: ArticleForm, pictures: dict[str, Picture]) -> dict[str, Any]:
    def texts(by_suffix: dict[str, str]) -> dict[str, str]:
        return {LANGUAGES[s]: text for s, text in by_suffix.items() if text}

    steps = []
    for step in form.steps:
        picture = pictures[step.picture]
        steps.append(
            {
                "text": texts(step.text),
                "picture": {
                    "blob": picture.digest,
                    "mime": picture.mime,
                    "size": len(picture.data),
                    "alt": texts(step.alt),
                },
            }
        )
    targets = {} if form.everywhere else {"groups": sorted(form.groups)}
    return {
        "title": texts(form.title),
        "summary": texts(form.summary),
        "steps": steps,
        "targets": targets,
    }


def _editor(
    request: Request,
    user: DeskUser,
    form: ArticleForm,
    groups: list[str],
    article_id: str | None,
    pictures: dict[str, Picture],
    status: int = 200,
) -> Response:
    return desk_of(request).render(
        request,
        "articles_editor.html",
        session=user.session,
        status=status,
        title_key="articles.edit.title" if article_id else "articles.new.title",
        form=form,
        groups=groups,
        admin=user.role == "admin",
        article_id=article_id,
        pictures=pictures,
        max_steps=MAX_STEPS,
        languages=LANGUAGES,
    )


def _retract_form(
    request: Request, user: DeskUser, article: Article, form: WithdrawForm, status: int = 200
) -> Response:
    return desk_of(request).render(
        request,
        "articles_retract.html",
        session=user.session,
        status=status,
        title_key="articles.retract.title",
        article=article,
        form=form,
        max_reason=MAX_REASON_CHARS,
    )


# ---- whose articles ------------------------------------------------------------------------


def _own_articles(conn: sqlite3.Connection, user: DeskUser) -> list[Article]:
    """An admin's list: every live article; a guide's: its own."""
    if user.role == "admin":
        return all_articles(conn)
    return all_articles(conn, prefix=guide_article_prefix(user.key))


def _own_article(desk: Desk, user: DeskUser, article_id: str) -> Article:
    """A live article the user may change; the 404 page for any other id (a guide's: read from
    the id itself)."""
    if user.role == "guide" and not article_id.startswith(guide_article_prefix(user.key)):
        raise DeskRefusal(404, "not_found")
    with desk.read() as conn:
        article = get_article(conn, article_id)
    if article is None:
        raise DeskRefusal(404, "not_found")
    return article


def _groups(conn: sqlite3.Connection, user: DeskUser) -> list[str]:
    """The groups the user may choose: a guide's own; for an admin, every group a hub's grant
    names (content/notice_targets.py, as for a notice)."""
    if user.role == "guide":
        return guide_groups(conn, user.key, trusted_now(conn).now_ms)
    return list(network_of(conn).groups)


def _stash(request: Request) -> UploadStash:
    return app_stash(request.app, STASH)


def _to_list(request: Request, done: str = "") -> Response:
    root = request.scope.get("root_path", "")
    suffix = f"?done={done}" if done else ""
    return RedirectResponse(f"{root}/articles{suffix}", status_code=303)
