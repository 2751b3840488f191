"""A hub whose enrollment request was pushed out of the server's bounded queue by a flood of
strangers asks again when its daemon starts (and every ENROLL_AGAIN_S while it holds no grant),
so the admin can still approve it (issue 13, finding 9: the queue evicts the oldest)."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec

from content.identity import Identity
from content.limits import MAX_PENDING_ENROLLMENTS
from node.home import Home
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, running
from tests.sync.helpers import send, signed_headers
from tests.sync.procs import wait_for
from tests.sync.test_enrollment import init_hub, status_nodes


def flood(server: PeerProcess, count: int) -> None:
    network_id = str(server.hello()["net"])
    for number in range(count):
        stranger = Identity.generate(f"Spam {number}")
        body = msgspec.json.encode({"public": stranger.public.token, "name": stranger.name})
        headers = signed_headers(stranger, network_id, "/v1/enroll", body)
        assert send(server.url, "/v1/enroll", body, headers).ok


def waiting(town: Path, code: str) -> bool:
    listed = run_dorfhub("enroll", "list", home=town).stdout
    return re.search(rf"^{code}\s+hub\s+Ringelai\s+waiting", listed, re.MULTILINE) is not None


def test_hub_pushed_out_of_the_queue_asks_again(tmp_path: Path, town: Path) -> None:
    with running(town) as server:
        code = init_hub(tmp_path / "hub", server)
        flood(server, MAX_PENDING_ENROLLMENTS)
        assert not waiting(town, code)
        with running(tmp_path / "hub", "hub"):
            wait_for(lambda: waiting(town, code), 30, "the hub's request to be back")
            run_dorfhub("enroll", "approve", code, home=town)
            hub_key = Home(tmp_path / "hub").identity().key_id
            wait_for(lambda: hub_key in status_nodes(town), 30, "the approved hub's status")
