"""GET /v1/openapi.json describes the peer API the server really answers."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.sync.conftest import running

ROUTES = {
    "/v1/hello": "get",
    "/v1/pull": "post",
    "/v1/vector": "post",
    "/v1/push": "post",
    "/v1/bodies": "post",
    "/v1/wait": "get",
    "/v1/enroll": "post",
    "/v1/screenshot": "post",
}


def test_openapi_names_the_peer_api(town: Path) -> None:
    with running(town) as server:
        response = requests.get(f"{server.url}/v1/openapi.json", timeout=5)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        spec = response.json()
        assert spec["openapi"].startswith("3.")
        assert spec["info"]["version"] == "1"
        assert {path: list(ops) for path, ops in spec["paths"].items()} == {
            path: [method] for path, method in ROUTES.items()
        }
        for path, method in ROUTES.items():
            # Every route is there; all but hello want a signed request.
            answer = requests.request(method, server.url + path, params={"digest": ""}, timeout=5)
            assert answer.status_code == (200 if path == "/v1/hello" else 401), path
