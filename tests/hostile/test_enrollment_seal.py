"""One signing key asking to enroll with a second sealing key (its node set up anew, or a
stranger playing with its own key): never a 500. While it waits, the newer request replaces the
older; once approved, another sealing key is refused with 400 and nothing changes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import requests

from content.identity import Identity, PublicIdentity
from node.home import Home
from sync.enrollment import pairing_code
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, make_town, running, store_state
from tests.sync.helpers import send, signed_headers


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PeerProcess]:
    home = tmp_path / "town"
    make_town(home)
    with running(home) as peer:
        yield peer


def ask(server: PeerProcess, signer: Identity, seal_of: Identity) -> requests.Response:
    """An enrollment request signed by `signer` that names `seal_of`'s sealing key."""
    token = PublicIdentity(signer.key_id, seal_of.public.seal_key).token
    body = msgspec.json.encode({"public": token, "name": signer.name})
    network_id = Home(server.home).config.network_id
    return send(
        server.url, "/v1/enroll", body, signed_headers(signer, network_id, "/v1/enroll", body)
    )


def enrollments(server: PeerProcess) -> list[tuple[str, str, bool]]:
    with sqlite3.connect(f"file:{server.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT code, seal, approved_op IS NOT NULL FROM enrollments")
        return [(code, seal, bool(approved)) for code, seal, approved in rows]


def test_a_waiting_request_is_replaced_by_one_with_another_seal(server: PeerProcess) -> None:
    hub, fresh = Identity.generate("Ringelai"), Identity.generate("Ringelai")
    assert ask(server, hub, hub).status_code == 200
    again = ask(server, hub, fresh)
    assert again.status_code == 200, again.text
    code = pairing_code(PublicIdentity(hub.key_id, fresh.public.seal_key))
    assert again.json()["code"] == code
    assert enrollments(server) == [(code, fresh.public.seal_key, False)]


def test_an_approved_key_cannot_swap_its_seal(server: PeerProcess) -> None:
    hub, other = Identity.generate("Ringelai"), Identity.generate("Ringelai")
    assert ask(server, hub, hub).status_code == 200
    run_dorfhub("enroll", "approve", pairing_code(hub.public), home=server.home)
    before = store_state(server.home), enrollments(server)
    refused = ask(server, hub, other)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "this key is already enrolled with another sealing key"
    assert (store_state(server.home), enrollments(server)) == before
