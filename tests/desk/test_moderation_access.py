"""Who may use the moderation pages (issue 16), read from the routes' own policies: the queue
and its decisions are the admins' alone, a club's pages the club's (role editor) alone; a
guide or a practice has neither. The kiosk preview serves the club's editor too."""

from __future__ import annotations

from admin.desk.app import ROUTERS
from admin.desk.policy import desk_routes, roles_of_route
from admin.desk.web import HOMES, NAV


def test_the_queue_is_the_admins_and_the_submissions_the_clubs() -> None:
    found = {route.path: route for route in desk_routes(ROUTERS)}
    for path in (
        "/moderation",
        "/moderation/{submission_id}/accept",
        "/moderation/{submission_id}/reject",
    ):
        assert roles_of_route(found[path]) == ("admin",), path
    for path in ("/submissions", "/submissions/new"):
        assert roles_of_route(found[path]) == ("editor",), path
    assert roles_of_route(found["/preview"]) == ("admin", "editor")
    # Nothing else of the desk is open to a club.
    editor_paths = {
        path for path, route in found.items() if "editor" in (roles_of_route(route) or ())
    }
    assert editor_paths == {"/submissions", "/submissions/new", "/preview", "/logout"}
    assert HOMES["editor"] == "/submissions"
    assert {item.path for item in NAV if "editor" in item.roles} == {
        "/submissions",
        "/submissions/new",
    }
