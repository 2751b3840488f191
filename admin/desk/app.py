"""Builds the desk's ASGI app, which `dorfhub serve` mounts at /desk on the peer API's port.

Around every page: plain HTTP from another machine is refused before anything else (the
desk carries personal data and passphrases: docs/town-server.md), and every answer carries
headers that keep it out of caches, frames and other sites' reach.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.desk import (
    articles,
    auth,
    fleet,
    guide,
    guide_hours,
    moderation,
    notices,
    practice,
    practice_feed,
    practice_slots,
    preview,
    printing,
    submissions,
    today,
)
from admin.desk.guide_mail import start_mailer
from admin.desk.i18n import language_of
from admin.desk.policy import check_policies
from admin.desk.web import PACKAGE, SESSION_COOKIE, Desk, DeskRefusal, LoginNeeded, is_htmx
from admin.transport import private_data_allowed

ROUTERS = (
    auth.router,
    today.router,
    notices.router,
    preview.router,
    fleet.router,
    printing.router,
    practice.router,
    practice_slots.router,
    practice_feed.router,
    guide.router,
    guide_hours.router,
    articles.router,
    moderation.router,
    submissions.router,
)
# Scripts and styles only from the desk's own static files: no inline code, no CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def build_desk(home: Path, db_path: Path) -> FastAPI:
    desk = Desk(home, db_path)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.desk = desk
    check_policies(ROUTERS)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    _add_error_pages(app, desk)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TransportGuard, desk=desk)  # added last: runs first
    start_mailer(home, db_path, desk.now_ms, desk.translator)
    return app


def transport_refused(scope: Scope) -> bool:
    """Plain HTTP (or WebSocket) from another machine: refused. TLS, or this machine itself,
    is served."""
    return scope["type"] in ("http", "websocket") and not private_data_allowed(scope)


class TransportGuard:
    """Answers a request in plain HTTP from elsewhere with a page that says why, and serves
    nothing else to it. A session cookie that came that way went over the network in clear
    text: that session ends."""

    def __init__(self, app: ASGIApp, desk: Desk) -> None:
        self.app = app
        self.desk = desk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not transport_refused(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # the desk has none anyway
            return
        cookies = Request(scope).cookies
        self.desk.end_session(cookies.get(SESSION_COOKIE))
        page = self.desk.page(
            scope, language_of(cookies), "refused.html", None, 403, {"title_key": "refused.title"}
        )
        await page(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(f"{scope.get('root_path', '')}/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    # Pages hold personal data: no copy in any cache. Static files revalidate.
                    (b"cache-control", b"no-cache" if static else b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _add_error_pages(app: FastAPI, desk: Desk) -> None:
    async def login_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginNeeded)
        root = request.scope.get("root_path", "")
        path = request.url.path if request.method == "GET" and not is_htmx(request) else "/"
        # Someone who was never logged in needs no explanation, only the form.
        ended = "" if exc.reason == "needed" else f"ended={exc.reason}&"
        target = f"{root}/login?{ended}next={quote(path, safe='/')}"
        if is_htmx(request):
            # htmx would swap the login page into the fragment: have it load the whole page.
            return Response(status_code=200, headers={"HX-Redirect": target})
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE, **desk.cookie_options(request.scope))
        return response

    async def refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DeskRefusal)
        return _error_page(desk, request, exc.status, exc.kind)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = "not_found" if exc.status_code == 404 else "bad_request"
        return _error_page(desk, request, exc.status_code, kind)

    async def invalid(request: Request, exc: Exception) -> Response:
        return _error_page(desk, request, 400, "bad_request")

    app.add_exception_handler(LoginNeeded, login_needed)
    app.add_exception_handler(DeskRefusal, refusal)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


def _error_page(desk: Desk, request: Request, status: int, kind: str) -> Response:
    # With the visitor's session (if any), so the page leads back to the role's start page.
    return desk.render(
        request,
        "error.html",
        session=desk.current_session(request),
        status=status,
        title_key=f"error.{kind}.title",
        kind=kind,
    )
