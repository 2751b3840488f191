"""The client side of the peer API (requests), and one sync round with a peer.

A round: hello with our digest (equal digests: done, one round trip); pull batches until the peer
says no more, each applied atomically; ask the peer's vector; push what it lacks. A dropped link
loses at most the batch in flight: the next round starts again from our V.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
import requests

from content.identity import Identity
from content.log import IngestReport, Log
from sync.errors import PeerError as PeerError
from sync.protocol import (
    API,
    MORE_HEADER,
    NET_HEADER,
    PROTO_HEADER,
    PROTOCOL_VERSION,
    decode_batch,
    decode_vector,
    encode_vector,
    make_batches,
    sign_request,
)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class Hello:
    proto: int
    net: str
    node: str
    role: str
    digest: str
    equal: bool
    time: int


@dataclass
class RoundResult:
    peer: str
    noop: bool = False
    pulled: int = 0
    pushed: int = 0
    batches_in: int = 0
    batches_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    rejected: list[str] = field(default_factory=list)
    peer_vector: dict[str, int] | None = None  # what the peer holds after the round


class PeerClient:
    def __init__(self, url: str, identity: Identity, network_id: str) -> None:
        self.url = url.rstrip("/")
        self.identity = identity
        self.network_id = network_id
        self.session = requests.Session()
        self.clock_offset_ms = 0  # the peer's clock minus ours, learnt from hello
        self.last_node = ""
        self.bytes_in = 0
        self.bytes_out = 0

    def close(self) -> None:
        self.session.close()

    def hello(self, digest: str) -> Hello:
        started = time.time()
        response = self._send("GET", "/hello", params={"digest": digest}, signed=False)
        data = response.json()
        hello = Hello(**{name: data[name] for name in Hello.__dataclass_fields__})
        midpoint = (started + time.time()) / 2
        self.clock_offset_ms = hello.time - int(midpoint * 1000)
        self.last_node = hello.node
        if hello.proto != PROTOCOL_VERSION:
            raise PeerError(f"{self.url} speaks protocol {hello.proto}, not {PROTOCOL_VERSION}")
        if self.network_id and hello.net != self.network_id:
            raise PeerError(f"{self.url} belongs to another network ({hello.net})")
        return hello

    def pull(self, vector: dict[str, int]) -> tuple[bytes, bool]:
        response = self._send("POST", "/pull", body=encode_vector(vector))
        return response.content, response.headers.get(MORE_HEADER) == "1"

    def vector(self) -> dict[str, int]:
        return decode_vector(self._send("POST", "/vector", body=b"").content)

    def push(self, batch: bytes) -> dict[str, Any]:
        result: dict[str, Any] = self._send("POST", "/push", body=batch).json()
        return result

    def wait(self, digest: str, timeout: float = 25.0) -> str:
        response = self._send(
            "GET", "/wait", params={"digest": digest, "timeout": timeout}, read_timeout=timeout + 10
        )
        return str(response.json()["digest"])

    def enroll(self, name: str, role: str) -> str:
        body = msgspec.json.encode(
            {"public": self.identity.public.token, "name": name, "role": role}
        )
        return str(self._send("POST", "/enroll", body=body).json()["code"])

    def _send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        params: dict[str, Any] | None = None,
        signed: bool = True,
        read_timeout: float = READ_TIMEOUT,
    ) -> requests.Response:
        full_path = API + path
        headers = {NET_HEADER: self.network_id, PROTO_HEADER: str(PROTOCOL_VERSION)}
        if signed:
            now = int(time.time() * 1000) + self.clock_offset_ms
            headers |= sign_request(self.identity, method, full_path, self.network_id, body, now)
        try:
            response = self.session.request(
                method,
                self.url + full_path,
                params=params,
                data=body or None,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, read_timeout),
            )
        except requests.RequestException as exc:
            raise PeerError(f"{self.url}: {type(exc).__name__}") from None
        self.bytes_out += len(body)
        self.bytes_in += len(response.content)
        if response.status_code >= 400:
            reason = _error_text(response)
            raise PeerError(f"{self.url} refused {path}: {response.status_code} {reason}")
        return response


def sync_round(log: Log, client: PeerClient) -> RoundResult:
    """Pull then push until both sides hold the same ops (or the peer refuses our pushes)."""
    result = RoundResult(client.url)
    hello = client.hello(log.digest())
    if hello.equal:
        result.noop = True
        return result
    more = True
    while more:
        data, more = client.pull(log.version_vector())
        report: IngestReport = log.ingest(decode_batch(data))
        result.batches_in += 1
        result.bytes_in += len(data)
        result.pulled += len(report.applied)
        if not report.applied and more:
            break  # the peer sends what we cannot apply; do not loop on it
    theirs = client.vector()
    ours = log.version_vector()
    # After the push the peer holds both; that is what status counts pending ops against.
    result.peer_vector = {a: max(theirs.get(a, 0), ours.get(a, 0)) for a in theirs.keys() | ours}
    for batch in make_batches(log.ops_missing_from(theirs)):
        answer = client.push(batch.data)
        result.batches_out += 1
        result.bytes_out += len(batch.data)
        result.pushed += int(answer["applied"])
        result.rejected += [item["reason"] for item in answer["rejected"]]
    return result


def _error_text(response: requests.Response) -> str:
    try:
        return str(response.json().get("error") or response.json().get("detail"))
    except ValueError:
        return response.text[:200]
