"""Building ops and signed requests by hand, and a member node that syncs in this process."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import requests

from content.bodies import encode_body
from content.identity import Identity
from content.log import Log
from content.ops import RawOp
from content.store import Store
from sync.client import PeerClient, RoundResult, sync_round
from sync.protocol import API, NET_HEADER, PROTO_HEADER, PROTOCOL_VERSION, sign_request
from tests.content.helpers import next_position, sign_op, status_bytes

PUSH = f"{API}/push"
PULL = f"{API}/pull"


def now_ms() -> int:
    return int(time.time() * 1000)


def signed_headers(
    identity: Identity,
    network_id: str,
    path: str,
    body: bytes,
    method: str = "POST",
    time_ms: int | None = None,
) -> dict[str, str]:
    """The headers PeerClient sends: network, protocol and the request signature."""
    signature = sign_request(
        identity, method, path, network_id, body, now_ms() if time_ms is None else time_ms
    )
    return {NET_HEADER: network_id, PROTO_HEADER: str(PROTOCOL_VERSION), **signature}


def send(url: str, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(url + path, data=body, headers=headers, timeout=30)


def status_op(author: Identity, network_id: str, log: Log | None = None) -> RawOp:
    """A hub.status op of `author`: its next one on `log`, or its first."""
    position = next_position(log, author) if log else {"seq": 1, "prev": "", "lamport": 1}
    body = status_bytes(author.name)
    return sign_op(
        author,
        network_id,
        kind="hub.status",
        entity=author.key_id,
        body=body,
        time_ms=now_ms(),
        **position,
    )


@dataclass
class Member:
    """A granted node with its own store, syncing with a server through PeerClient."""

    identity: Identity
    log: Log
    client: PeerClient

    @classmethod
    def open(cls, path: Path, identity: Identity, network_id: str, url: str) -> Member:
        store = Store(path)
        store.set_network(network_id)
        return cls(identity, Log(store), PeerClient(url, identity, network_id))

    def sync(self) -> RoundResult:
        return sync_round(self.log, self.client)

    def append_status(self) -> str:
        body = encode_body({"name": self.identity.name, "software": "dorfhub test"})
        return self.log.append(self.identity, "hub.status", self.identity.key_id, body)

    def close(self) -> None:
        self.client.close()
        self.log.store.close()
