"""The client side of the peer API (requests), and one sync round with a peer.

A round: hello with our digest (equal digests: done, one round trip); pull batches until the peer
says no more, each applied atomically; ask the peer's vector; push what it lacks. A dropped link
loses at most the batch in flight: the next round starts again from our V. A hub also asks each
peer for the files it shows but holds by their header only (content/relay.py), equal digests
or not: the digest says nothing about bodies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
import requests
from requests.structures import CaseInsensitiveDict
from urllib3.util import SKIP_HEADER

from content import relay
from content.grants import roles_of
from content.identity import Identity
from content.limits import (
    MAX_REQUEST_BYTES,
    MAX_WANTED_BODIES,
    PEER_ANSWER_DEADLINE_S,
    WAIT_SECONDS,
)
from content.log import IngestReport, Log
from content.ops import MAX_HEADER_INT, RawOp, decode_header
from sync.deadline import SocketRegistry
from sync.errors import PeerError as PeerError
from sync.protocol import (
    API,
    DIGEST_HEADER,
    MORE_HEADER,
    NET_HEADER,
    PROTO_HEADER,
    PROTOCOL_VERSION,
    ProtocolError,
    decode_batch,
    decode_vector,
    encode_vector,
    encode_wanted,
    make_batches,
    sign_request,
)
from sync.tls import ServerTrust, tls_failure

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# A peer is as hostile as any client: its answers are bounded in size (a batch is at most one
# request's worth) and in time (content/limits.py PEER_ANSWER_DEADLINE_S, sync/deadline.py).
MAX_ANSWER_BYTES = MAX_REQUEST_BYTES
# How much of the peer's key a no-op hello names (sync.server.MIN_HELLO_NODE_CHARS).
HELLO_NODE_CHARS = 16
S = TypeVar("S")


class Hello(msgspec.Struct, frozen=True):
    proto: int
    net: str
    node: str
    role: str
    digest: str
    equal: bool
    time: int


class HelloAnswer(msgspec.Struct, frozen=True):
    """A hello answer as it comes: whole, or only `{equal, time}` when the caller named the
    node it heard before and the digests are equal (sync.server.PeerService.hello)."""

    equal: bool
    time: int
    proto: int | None = None
    net: str = ""
    node: str = ""
    role: str = ""
    digest: str = ""


class PushAnswer(msgspec.Struct, frozen=True):
    applied: int
    rejected: list[RejectedOp]


class RejectedOp(msgspec.Struct, frozen=True):
    op: str
    reason: str


class WaitAnswer(msgspec.Struct, frozen=True):
    digest: str


class EnrollAnswer(msgspec.Struct, frozen=True):
    code: str


class ScreenshotAnswer(msgspec.Struct, frozen=True):
    taken_at: int
    received_at: int


@dataclass(frozen=True)
class Answer:
    """A peer's answer, read whole but never beyond MAX_ANSWER_BYTES."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def decode(self, kind: type[S], url: str) -> S:
        try:
            return msgspec.json.decode(self.body, type=kind)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise PeerError(f"{url} answered something malformed: {exc}") from None


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
    def __init__(
        self,
        url: str,
        identity: Identity,
        network_id: str,
        trust: ServerTrust | None = None,
        deadline_s: float = PEER_ANSWER_DEADLINE_S,
    ) -> None:
        """`trust`: how an https peer's certificate is checked (sync.tls; default: the
        system's certificate authorities). `deadline_s`: how long one request and its whole
        answer may take, however slowly the peer trickles it."""
        self.url = url.rstrip("/")
        self.identity = identity
        self.network_id = network_id
        self.session = requests.Session()
        # No default headers: the peer reads none of them, and a no-op sync is one small
        # request (User-Agent, Accept and Accept-Encoding were 100 of its 263 bytes).
        self.session.headers = CaseInsensitiveDict(
            {"User-Agent": SKIP_HEADER, "Accept-Encoding": SKIP_HEADER}
        )
        self.deadline_s = deadline_s
        self.sockets = SocketRegistry()
        self.trust = trust or ServerTrust()
        self.trust.apply(self.session, self.sockets)
        self.clock_offset_ms = 0  # the peer's clock minus ours, learnt from hello
        self.last_node = ""
        self.last_hello: Hello | None = None  # the last whole hello answer
        self.peer_digest = ""  # from the peer's last vector answer
        self.pulled_digest = ""  # from the peer's last pull answer, if it said
        self.bytes_in = 0
        self.bytes_out = 0

    def close(self) -> None:
        self.session.close()

    def hello(self, digest: str) -> Hello:
        """Who the peer is and whether `digest` equals its own. Once a whole answer told us the
        peer's key, we name its start, and an equal peer answers only `{equal, time}`: it is
        still the node (in the same network and protocol) the whole answer described."""
        started = time.time()
        params = {"digest": digest}
        known = self.last_hello
        if digest and known is not None:
            params["node"] = known.node[:HELLO_NODE_CHARS]
        # Unsigned, so without the headers of signed requests: the answer names net and proto.
        answer = self._send("GET", "/hello", params=params, signed=False)
        got = answer.decode(HelloAnswer, self.url)
        midpoint = (started + time.time()) / 2
        self.clock_offset_ms = got.time - int(midpoint * 1000)
        if not got.node:
            if known is None or "node" not in params or not got.equal:
                raise PeerError(f"{self.url} answered hello without saying who it is")
            return msgspec.structs.replace(known, digest=digest, equal=True, time=got.time)
        hello = Hello(got.proto or 0, got.net, got.node, got.role, got.digest, got.equal, got.time)
        self.last_node = hello.node
        if hello.proto != PROTOCOL_VERSION:
            raise PeerError(f"{self.url} speaks protocol {hello.proto}, not {PROTOCOL_VERSION}")
        if self.network_id and hello.net != self.network_id:
            raise PeerError(f"{self.url} belongs to another network ({hello.net})")
        self.last_hello = hello
        return hello

    def pull(self, vector: dict[str, int]) -> tuple[list[RawOp], int, bool]:
        """One batch of what we lack: its ops, its size on the wire, and whether more follow.
        The last batch may come with a digest the peer held (kept in pulled_digest)."""
        answer = self._send("POST", "/pull", body=encode_vector(vector))
        self.pulled_digest = answer.headers.get(DIGEST_HEADER, "")
        return self._decoded(decode_batch, answer.body), len(answer.body), _more(answer)

    def bodies(self, hashes: list[str]) -> tuple[list[RawOp], int]:
        """The files of `hashes` the peer holds whole (one batch), and its size on the wire."""
        answer = self._send("POST", "/bodies", body=encode_wanted(hashes))
        return self._decoded(decode_batch, answer.body), len(answer.body)

    def vector(self) -> dict[str, int]:
        """The peer's version vector; its digest of the same moment is kept in peer_digest."""
        answer = self._send("POST", "/vector", body=b"")
        self.peer_digest = answer.headers.get(DIGEST_HEADER, "")
        return self._decoded(decode_vector, answer.body)

    def push(self, batch: bytes) -> PushAnswer:
        return self._send("POST", "/push", body=batch).decode(PushAnswer, self.url)

    def wait(self, digest: str, timeout: float = WAIT_SECONDS) -> str:
        answer = self._send(
            "GET", "/wait", params={"digest": digest, "timeout": timeout}, read_timeout=timeout + 10
        )
        return answer.decode(WaitAnswer, self.url).digest

    def enroll(self, name: str, role: str) -> str:
        body = msgspec.json.encode(
            {"public": self.identity.public.token, "name": name, "role": role}
        )
        return self._send("POST", "/enroll", body=body).decode(EnrollAnswer, self.url).code

    def screenshot(self, png: bytes) -> ScreenshotAnswer:
        """Send this hub's kiosk screenshot to the town server, which keeps the latest."""
        answer = self._send("POST", "/screenshot", body=png)
        return answer.decode(ScreenshotAnswer, self.url)

    def _decoded(self, decoder: Callable[[bytes], S], data: bytes) -> S:
        """A batch or vector from the peer, checked like one a client sends us."""
        try:
            return decoder(data)
        except ProtocolError as exc:
            raise PeerError(f"{self.url} sent a bad answer: {exc}") from None

    def _send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        params: dict[str, Any] | None = None,
        signed: bool = True,
        read_timeout: float = READ_TIMEOUT,
    ) -> Answer:
        full_path = API + path
        headers: dict[str, str] = {}
        if signed:
            headers = {NET_HEADER: self.network_id, PROTO_HEADER: str(PROTOCOL_VERSION)}
            now = int(time.time() * 1000) + self.clock_offset_ms
            headers |= sign_request(self.identity, method, full_path, self.network_id, body, now)
        try:
            with self.sockets.deadline(self.deadline_s):
                answer = self._exchange(method, full_path, body, params, headers, read_timeout)
        except requests.exceptions.SSLError as exc:
            raise tls_failure(self.url, exc) from None
        except requests.RequestException as exc:
            raise PeerError(f"{self.url}: {type(exc).__name__}") from None
        self.bytes_out += len(body)
        self.bytes_in += len(answer.body)
        if answer.status >= 400:
            reason = _error_text(answer.body)
            raise PeerError(f"{self.url} refused {path}: {answer.status} {reason}")
        return answer

    def _exchange(
        self,
        method: str,
        full_path: str,
        body: bytes,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        read_timeout: float,
    ) -> Answer:
        """One request and its whole answer; requests' errors pass through."""
        response = self.session.request(
            method,
            self.url + full_path,
            params=params,
            data=body or None,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, read_timeout),
            stream=True,
            verify=self.trust.verify,
        )
        with response:
            return Answer(response.status_code, response.headers, _read_bounded(response, self.url))


def _read_bounded(response: requests.Response, url: str) -> bytes:
    """The answer's body, refused beyond MAX_ANSWER_BYTES (its time is bounded by the client's
    deadline, which cuts the connection)."""
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise PeerError(f"{url} sent an answer over {MAX_ANSWER_BYTES} bytes")
    return bytes(body)


def _more(answer: Answer) -> bool:
    return answer.headers.get(MORE_HEADER) == "1"


def sync_round(log: Log, client: PeerClient, known_peers_only: bool = False) -> RoundResult:
    """Pull then push until both sides hold the same ops (or the peer refuses our pushes).

    `known_peers_only` (for peers found on the LAN, which anyone can announce): go no further
    than hello with a peer whose key holds no grant in our log."""
    result = RoundResult(client.url)
    hello = client.hello(log.digest())
    if known_peers_only and not roles_of(log.store.conn, log.network_id, hello.node):
        raise PeerError(f"{client.url}: its key {hello.node[:12]} holds no grant here")
    if hello.equal:
        result.noop = True
        _fetch_wanted_bodies(log, client, result)
        return result
    more = True
    while more:
        ops, size, more = client.pull(log.wanted_vector())
        report: IngestReport = log.ingest(ops, detached=_takes_detached(log, client))
        result.batches_in += 1
        result.bytes_in += size
        result.pulled += len(report.applied)
        if not report.applied and more:
            break  # the peer sends what we cannot apply; do not loop on it
    _fetch_wanted_bodies(log, client, result)
    if not more and client.pulled_digest and client.pulled_digest == log.digest():
        # We now hold what the peer held when it answered: nothing to push, no vector to ask
        # for (the round of a hub woken by a new notice is hello and pull).
        return result
    theirs = client.vector()
    # The peer gets the files it shows, or every file if it is the town server.
    blob_bodies = relay.bodies_for(log.store.conn, log.network_id, hello.node)
    for batch in make_batches(log.ops_missing_from(theirs, blob_bodies=blob_bodies)):
        answer = client.push(batch.data)
        result.batches_out += 1
        result.bytes_out += len(batch.data)
        result.pushed += answer.applied
        result.rejected += [item.reason for item in answer.rejected]
    # What the peer holds now is what status counts pending ops against, so it is asked again
    # after a push: the peer may have held back or refused some of what it was sent.
    result.peer_vector = client.vector() if result.batches_out else theirs
    if _hidden_difference(log, client.peer_digest, result.peer_vector):
        _exchange_heads(log, client, result.peer_vector, result)
    return result


def _takes_detached(log: Log, client: PeerClient) -> bool:
    """Asked per batch: the batch that brings this hub its grant makes it a hub."""
    return relay.takes_detached(log.store.conn, log.network_id, client.identity.key_id)


def _fetch_wanted_bodies(log: Log, client: PeerClient, result: RoundResult) -> None:
    """Ask the peer for the files this hub shows but holds by their header only, until it has
    them all or the peer has none of the rest (another peer, the town server, may have them)."""
    if not _takes_detached(log, client):
        return
    own = client.identity.key_id
    while wanted := relay.wanted_bodies(log.store.conn, own, MAX_WANTED_BODIES):
        ops, size = client.bodies(wanted)
        result.bytes_in += size
        result.batches_in += 1
        if not log.ingest(ops, detached=True).repaired:
            return


def _hidden_difference(log: Log, peer_digest: str, theirs: dict[str, int]) -> bool:
    """Whether the digests differ although the version vectors agree (but for authors either
    side quarantined and lists at the ceiling): what only a fork can cause. A digest that
    differs because ops are still on their way is not that, and costs no head exchange."""
    if not peer_digest or peer_digest == log.digest():
        return False
    ours = log.wanted_vector()
    for author in ours.keys() | theirs.keys():
        mine, its = ours.get(author, 0), theirs.get(author, 0)
        if mine != its and MAX_HEADER_INT not in (mine, its):
            return False
    return True


def _exchange_heads(
    log: Log, client: PeerClient, theirs: dict[str, int], result: RoundResult
) -> None:
    """The vectors agree, yet the digests differ: some author's op differs at the same seq, a
    fork of which each side holds one branch and which version vectors cannot show. Each
    side's head op of every author it shares goes to the other, and of an author the peer
    quarantined we ask for all it holds (its branch may be shorter than ours), so that the op
    that differs proves the fork here too: the author is quarantined and raised loudly."""
    ours = log.version_vector()
    shared = {author: seq for author, seq in ours.items() if theirs.get(author, 0) >= seq}
    asked = dict(theirs) | {author: seq - 1 for author, seq in shared.items()}
    asked |= {author: 0 for author, seq in theirs.items() if seq == MAX_HEADER_INT}
    more = True
    while more:
        ops, size, more = client.pull(asked)
        result.bytes_in += size
        result.batches_in += 1
        log.ingest(ops, detached=_takes_detached(log, client))
        if not ops:
            break
        for op in ops:  # the next page starts after what this one brought
            header = decode_header(op.header)
            asked[header.author] = max(asked.get(header.author, 0), header.seq)
    heads = [log.head_op(author) for author in shared]
    for batch in make_batches(op for op in heads if op is not None):
        try:
            answer = client.push(batch.data)
        except PeerError:
            return  # a peer that takes no push from us (we hold no grant) learns it elsewhere
        result.batches_out += 1
        result.bytes_out += len(batch.data)
        result.rejected += [item.reason for item in answer.rejected]


def _error_text(body: bytes) -> str:
    """The reason in a refusal, shortened: it is shown in logs and `status`."""
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        return str(data.get("error") or data.get("detail"))[:200]
    return body[:200].decode("utf-8", "replace")
