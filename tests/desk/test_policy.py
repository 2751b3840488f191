"""Every desk page names the roles it allows; a route without a policy stops the desk from
being built (deny by default)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends

from admin.desk.app import ROUTERS
from admin.desk.policy import (
    PUBLIC_PATHS,
    DeskUser,
    allow,
    check_policies,
    desk_routes,
    roles_of_route,
)


def test_every_page_of_the_desk_has_its_policy() -> None:
    found = {route.path: route for route in desk_routes(ROUTERS)}
    assert set(PUBLIC_PATHS) <= set(found)
    assert roles_of_route(found["/"]) == ("admin",)
    assert roles_of_route(found["/today/figures"]) == ("admin",)
    assert roles_of_route(found["/logout"]) is not None
    for path, route in found.items():
        assert path in PUBLIC_PATHS or roles_of_route(route), path


def test_a_route_without_a_policy_is_refused_when_the_desk_is_built() -> None:
    router = APIRouter()

    @router.get("/forgotten")
    def forgotten() -> str:
        return "open to anyone"

    @router.get("/guarded")
    def guarded(user: DeskUser = Depends(allow("admin"))) -> str:  # noqa: B008
        return user.name

    with pytest.raises(RuntimeError, match="/forgotten has no access policy"):
        check_policies([router])


def test_a_policy_allows_at_least_one_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        allow()
