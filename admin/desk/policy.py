"""Who may see a page: one policy per page, naming the roles it allows; everything else is
denied. A page declares it as a dependency,

    AdminUser = Annotated[DeskUser, Depends(allow("admin"))]

    @router.get("/")
    def today(request: Request, user: AdminUser) -> Response: ...

and `check_policies` refuses to build a desk with a route that declares none (only the login,
the language switch and the static files are public). The same dependency checks the CSRF token
of every request that may change something (any method but GET and HEAD): a form without it
gets 403 before the page's code runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from admin.desk.accounts import identity_from_secret
from admin.desk.sessions import Session, csrf_matches
from admin.desk.web import DeskRefusal, desk_of
from content.identity import Identity

SAFE_METHODS = frozenset({"GET", "HEAD"})
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-desk-csrf"  # htmx sends it on every request (hx-headers in base.html)
POLICY_MARK = "desk_roles"
PUBLIC_PATHS = frozenset({"/login", "/language/{language}"})

Policy = Callable[[Request], Awaitable["DeskUser"]]


@dataclass(frozen=True)
class DeskUser:
    """The person behind a request, as their live session knows them."""

    session: Session

    @property
    def name(self) -> str:
        return self.session.name

    @property
    def role(self) -> str:
        return self.session.role

    @property
    def key(self) -> str:
        return self.session.key

    @contextmanager
    def signing(self) -> Iterator[Identity]:
        """The user's own key, for the ops this request appends: the log shows who did it.
        Made from the session's key bytes for the block only."""
        yield identity_from_secret(self.session.name, self.session.secret)


def allow(*roles: str) -> Policy:
    """The policy of a page that the given roles may use (at least one)."""
    if not roles:
        raise ValueError("a page must allow at least one role")

    async def policy(request: Request) -> DeskUser:
        desk = desk_of(request)
        session = await run_in_threadpool(desk.session_for, request)
        if session.role not in roles:
            raise DeskRefusal(403, "forbidden")
        if request.method not in SAFE_METHODS and not csrf_matches(
            session, await _csrf_token(request)
        ):
            raise DeskRefusal(403, "csrf")
        return DeskUser(session)

    setattr(policy, POLICY_MARK, roles)
    return policy


async def _csrf_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def roles_of_route(route: APIRoute) -> tuple[str, ...] | None:
    """The roles the route's policy allows, or None if it has no policy."""

    def walk(dependant: Dependant) -> tuple[str, ...] | None:
        for dependency in dependant.dependencies:
            roles = getattr(dependency.call, POLICY_MARK, None)
            if roles is not None:
                return tuple(roles)
            found = walk(dependency)
            if found is not None:
                return found
        return None

    return walk(route.dependant)


def check_policies(routers: Iterable[APIRouter]) -> None:
    """Deny by default: a desk route without a policy is a programming error, found when the
    desk is built, not by a visitor."""
    for route in desk_routes(routers):
        if route.path not in PUBLIC_PATHS and roles_of_route(route) is None:
            raise RuntimeError(f"desk route {route.path} has no access policy (policy.allow)")


def desk_routes(routers: Iterable[APIRouter]) -> list[APIRoute]:
    return [route for router in routers for route in router.routes if isinstance(route, APIRoute)]
