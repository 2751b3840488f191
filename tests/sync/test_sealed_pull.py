"""Sealed ops (personal data) are pulled only by enrolled nodes; others get nothing at all."""

from __future__ import annotations

from pathlib import Path

from content.bodies import encode_body
from content.grants import grant
from content.identity import Identity
from content.log import Log
from content.ops import decode_header
from content.sealing import seal
from node.home import Home
from sync.client import PeerClient
from tests.sync.conftest import running


def _hub_with_a_help_request(town: Path) -> tuple[str, Identity]:
    """A granted hub that asked for help (sealed), then reported its status (public)."""
    home = Home(town)
    hub = Identity.generate("Ringelai")
    with home.store() as store:
        log = Log(store)
        grant(log, home.publisher(), hub.public, "hub", hub.name)
        server_seal = home.identity().public.seal_key
        box = seal(b'{"name": "Erika Mustermann", "phone": "08555 1234"}', [server_seal])
        log.append(hub, "help.request", "h-1", box, sealed_to=[server_seal])
        log.append(hub, "hub.status", hub.key_id, encode_body({"name": hub.name}))
        return log.network_id, hub


def _kinds_pulled(url: str, identity: Identity, network_id: str) -> list[str]:
    client = PeerClient(url, identity, network_id)
    try:
        client.hello("")
        ops, _size, more = client.pull({})
        assert not more
        return [decode_header(op.header).kind for op in ops]
    finally:
        client.close()


def test_only_enrolled_nodes_pull_sealed_ops(town: Path) -> None:
    network_id, hub = _hub_with_a_help_request(town)
    with running(town) as server:
        stranger = _kinds_pulled(server.url, Identity.generate("Fremd"), network_id)
        member = _kinds_pulled(server.url, hub, network_id)
    # Not even the public ops: who holds which grant, which hubs report what (issue 14).
    assert stranger == []
    assert "help.request" in member
    assert "hub.status" in member
