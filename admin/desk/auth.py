"""Logging in and out, and the language switch.

A login runs Argon2id, so before any of that work: the login form's CSRF token, the fields,
the client address's budget of failed logins and the name's lock. Unknown names get the same
work (a dummy file) and the same message as wrong passphrases, and are counted and locked the
same way, so nothing tells an attacker whether a name exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.desk.accounts import DESK_ROLES, MAX_PASSPHRASE_CHARS, Unlocked
from admin.desk.i18n import LANGUAGE_COOKIE, LANGUAGES
from admin.desk.policy import DeskUser, allow
from admin.desk.sessions import LOCK_S, login_token, login_token_ok
from admin.desk.web import LOGIN_COOKIE, SESSION_COOKIE, Desk, desk_of, home_of, safe_next
from content.limits import MAX_NAME_CHARS

LANGUAGE_COOKIE_DAYS = 365
ENDED_REASONS = ("expired", "revoked", "logout")

router = APIRouter()
AnyDeskUser = Annotated[DeskUser, Depends(allow(*DESK_ROLES))]


@dataclass
class LoginForm:
    name: str = ""
    passphrase: str = ""
    token: str = ""
    next: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> catalog key
    problem: str = ""  # catalog key of a message about the whole form
    limit: dict[str, int] = field(default_factory=dict)  # values for the messages


@router.get("/login")
def login_page(request: Request, next: str = "", ended: str = "") -> Response:
    desk = desk_of(request)
    root = request.scope.get("root_path", "")
    if _has_session(desk, request):
        return RedirectResponse(safe_next(root, next), status_code=303)
    notice = f"login.ended.{ended}" if ended in ENDED_REASONS else ""
    return _login_form(desk, request, LoginForm(next=safe_next(root, next)), notice=notice)


@router.post("/login")
async def login(request: Request) -> Response:
    desk = desk_of(request)
    form = await _read_login_form(request)
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not login_token_ok(desk.login_secret, cookie, form.token):
        form.problem = "login.form_expired"
        return _login_form(desk, request, form, status=403)
    _check_fields(form)
    if form.errors:
        return _login_form(desk, request, form, status=400)
    # Argon2id is blocking work: off the event loop, in a worker thread.
    unlocked = await run_in_threadpool(_unlock, desk, request, form)
    if unlocked is None:
        return _login_form(desk, request, form, status=_status(form))
    return _start_session(desk, request, form, unlocked)


@router.post("/logout")
def logout(request: Request, user: AnyDeskUser) -> Response:
    desk = desk_of(request)
    desk.end_session(user.session.id)
    root = request.scope.get("root_path", "")
    response = RedirectResponse(f"{root}/login?ended=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, **desk.cookie_options(request.scope))
    return response


@router.get("/language/{language}")
def switch_language(request: Request, language: str, next: str = "") -> Response:
    """Kept per browser in a cookie; a link, so it works without JavaScript."""
    desk = desk_of(request)
    root = request.scope.get("root_path", "")
    response = RedirectResponse(safe_next(root, next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_DAYS * 86400,
            **desk.cookie_options(request.scope),
        )
    return response


# ---- the steps of a login ---------------------------------------------------------------------


async def _read_login_form(request: Request) -> LoginForm:
    data = await request.form()

    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    root = request.scope.get("root_path", "")
    return LoginForm(
        name=text("name").strip(),
        passphrase=text("passphrase"),
        token=text("csrf"),
        next=safe_next(root, text("next")),
    )


def _check_fields(form: LoginForm) -> None:
    if not form.name:
        form.errors["name"] = "login.name_missing"
    elif len(form.name) > MAX_NAME_CHARS:
        form.errors["name"] = "login.name_too_long"
    # Catalog keys of the messages, not passphrases.
    if not form.passphrase:
        form.errors["passphrase"] = "login.passphrase_missing"  # noqa: S105
    elif len(form.passphrase) > MAX_PASSPHRASE_CHARS:
        form.errors["passphrase"] = "login.passphrase_too_long"  # noqa: S105
    form.limit = {"name": MAX_NAME_CHARS, "passphrase": MAX_PASSPHRASE_CHARS}


def _unlock(desk: Desk, request: Request, form: LoginForm) -> Unlocked | None:
    """The user's keys, or None with `form.problem` saying why not."""
    address = request.client.host if request.client else ""
    with desk.lock:
        now = desk.clock()
        if not desk.failures_by_address.ready(address, now):
            form.problem = "login.rate_limited"
            return None
        if desk.guard.locked(form.name, now):
            desk.failures_by_address.allow(address, now)  # a try at a locked name is a failure
            form.problem = "login.locked"
            return None
    with desk.kdf_slots:
        unlocked = desk.unlocker.unlock(form.name, form.passphrase)
    if unlocked is None:
        with desk.lock:
            now = desk.clock()
            desk.failures_by_address.allow(address, now)
            locked = desk.guard.failed(form.name, now)
        form.problem = "login.locked" if locked else "login.wrong"
        return None
    if not desk.holds_role(unlocked.file.key, unlocked.file.role):
        # The passphrase was right: saying "disabled" tells nothing its owner does not know.
        unlocked.wipe()
        form.problem = "login.disabled"
        return None
    return unlocked


def _status(form: LoginForm) -> int:
    return {"login.rate_limited": 429, "login.disabled": 403}.get(form.problem, 401)


def _start_session(desk: Desk, request: Request, form: LoginForm, unlocked: Unlocked) -> Response:
    file = unlocked.file
    with desk.lock:
        desk.guard.succeeded(form.name)
        session = desk.sessions.open(file.name, file.key, file.role, unlocked.secret, desk.clock())
    root = request.scope.get("root_path", "")
    # No page asked for: the role's own start page ("/" is the admins').
    target = root + home_of(session) if form.next == root + "/" else form.next
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session.id, **desk.cookie_options(request.scope))
    return response


def _login_form(
    desk: Desk, request: Request, form: LoginForm, *, status: int = 200, notice: str = ""
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = desk.render(
        request,
        "login.html",
        status=status,
        title_key="login.title",
        form=form,
        notice=notice,
        login_token=login_token(desk.login_secret, cookie),
        lock_minutes=int(LOCK_S // 60),
    )
    response.set_cookie(LOGIN_COOKIE, cookie, **desk.cookie_options(request.scope))
    return response


def _has_session(desk: Desk, request: Request) -> bool:
    with desk.lock:
        lookup = desk.sessions.look_up(request.cookies.get(SESSION_COOKIE), desk.clock())
    return lookup.session is not None
