"""Hostile peers against a real `dorfhub serve`: each refused with a 4xx and a short reason,
nothing applied, and the server still serving the next good request."""

from __future__ import annotations

import base64
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
import requests

from content import grants
from content.identity import Identity
from content.limits import MAX_CLOCK_SKEW_MS, MAX_PENDING_ENROLLMENTS, MAX_REQUEST_BYTES
from content.log import Log
from content.ops import RawOp
from node.home import Home
from sync.protocol import (
    NET_HEADER,
    NODE_HEADER,
    PROTO_HEADER,
    SIGNATURE_HEADER,
    encode_batch,
    encode_vector,
)
from tests.content.helpers import flip, notice_bytes, sign_op
from tests.sync.conftest import PeerProcess, StoreState, running, store_state
from tests.sync.helpers import PULL, PUSH, Member, now_ms, send, signed_headers, status_op

OTHER_NETWORK = "0123456789abcdef0123456789abcdef"


@dataclass
class Net:
    server: PeerProcess
    network_id: str
    member: Member  # a granted hub that behaves
    rogue: Identity  # a granted hub that authors what hubs may not
    revoked: Identity  # granted, then revoked
    outsider: Identity  # never enrolled

    def state(self) -> StoreState:
        return store_state(self.server.home)

    def next_member_op(self) -> RawOp:
        """An op the server would apply, were the request carrying it accepted."""
        return status_op(self.member.identity, self.network_id, self.member.log)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory, town_dir: Path) -> Iterator[Net]:
    root = tmp_path_factory.mktemp("hostile")
    home = root / "town"
    shutil.copytree(town_dir, home)
    member, rogue, revoked, outsider = (
        Identity.generate(name) for name in ("Ringelai", "Schönberg", "Eppenschlag", "Fremd")
    )
    network_id = _grant_hubs(Home(home), [member, rogue, revoked], revoke=revoked)
    with running(home) as server:
        node = Member.open(root / "member.db", member, network_id, server.url)
        assert not node.sync().rejected
        yield Net(server, network_id, node, rogue, revoked, outsider)
        node.close()


def _grant_hubs(home: Home, hubs: list[Identity], revoke: Identity) -> str:
    with home.store() as store:
        log = Log(store)
        admin = home.publisher()
        for hub in hubs:
            grants.grant(log, admin, hub.public, "hub", hub.name)
        grants.revoke(log, admin, revoke.key_id, "stolen")
        return log.network_id


# ---- requests refused whole ------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    path: str
    body: bytes
    headers: dict[str, str]


def push_as(identity: Identity, net: Net, body: bytes, time_ms: int | None = None) -> Attempt:
    headers = signed_headers(identity, net.network_id, PUSH, body, time_ms=time_ms)
    return Attempt(PUSH, body, headers)


def forged_signature(net: Net) -> Attempt:
    attempt = push_as(net.member.identity, net, encode_batch([net.next_member_op()]))
    signature = base64.b64decode(attempt.headers[SIGNATURE_HEADER])
    attempt.headers[SIGNATURE_HEADER] = base64.b64encode(flip(signature, 10)).decode()
    return attempt


def impostor(net: Net) -> Attempt:
    """Signed by an outsider's key, claiming to be the member."""
    attempt = push_as(net.outsider, net, encode_batch([net.next_member_op()]))
    attempt.headers[NODE_HEADER] = net.member.identity.key_id
    return attempt


def body_swapped(net: Net) -> Attempt:
    attempt = push_as(net.member.identity, net, encode_batch([]))
    return Attempt(PUSH, encode_batch([net.next_member_op()]), attempt.headers)


def unsigned(net: Net) -> Attempt:
    headers = {NET_HEADER: net.network_id, PROTO_HEADER: "1"}
    return Attempt(PUSH, encode_batch([net.next_member_op()]), headers)


def time_behind(net: Net) -> Attempt:
    late = now_ms() - MAX_CLOCK_SKEW_MS - 60_000
    return push_as(net.member.identity, net, encode_batch([net.next_member_op()]), time_ms=late)


def time_ahead(net: Net) -> Attempt:
    early = now_ms() + MAX_CLOCK_SKEW_MS + 60_000
    return push_as(net.member.identity, net, encode_batch([net.next_member_op()]), time_ms=early)


def signed_before_start(net: Net) -> Attempt:
    """Within the clock window, but older than the server process: after a restart its nonce
    cache is empty, so such a request could be a replay."""
    before = now_ms() - MAX_CLOCK_SKEW_MS + 30_000
    return push_as(net.member.identity, net, encode_batch([net.next_member_op()]), time_ms=before)


def oversized(net: Net) -> Attempt:
    return push_as(net.member.identity, net, bytes(MAX_REQUEST_BYTES + 1))


def truncated_batch(net: Net) -> Attempt:
    batch = encode_batch([net.next_member_op()])
    return push_as(net.member.identity, net, batch[: len(batch) // 2])


def flipped_batch(net: Net) -> Attempt:
    batch = encode_batch([net.next_member_op()])
    return push_as(net.member.identity, net, flip(batch, len(batch) // 2, 0x10))


def garbage_batch(net: Net) -> Attempt:
    return push_as(net.member.identity, net, b"not zstd at all")


def wrong_network(net: Net) -> Attempt:
    body = encode_batch([net.next_member_op()])
    headers = signed_headers(net.member.identity, OTHER_NETWORK, PUSH, body)
    return Attempt(PUSH, body, headers)


def wrong_protocol(net: Net) -> Attempt:
    attempt = push_as(net.member.identity, net, encode_batch([net.next_member_op()]))
    attempt.headers[PROTO_HEADER] = "2"
    return attempt


def unknown_node_push(net: Net) -> Attempt:
    return push_as(net.outsider, net, encode_batch([status_op(net.outsider, net.network_id)]))


def unknown_node_relays(net: Net) -> Attempt:
    """Not enrolled, pushing an op the server would otherwise take."""
    return push_as(net.outsider, net, encode_batch([net.next_member_op()]))


def revoked_node_push(net: Net) -> Attempt:
    return push_as(net.revoked, net, encode_batch([net.next_member_op()]))


def revoked_node_pull(net: Net) -> Attempt:
    body = encode_vector({})
    return Attempt(PULL, body, signed_headers(net.revoked, net.network_id, PULL, body))


REFUSED: list[tuple[Callable[[Net], Attempt], int, str]] = [
    (forged_signature, 401, "bad request signature"),
    (impostor, 401, "bad request signature"),
    (body_swapped, 401, "body does not match"),
    (unsigned, 401, "not signed"),
    (time_behind, 401, "5 minutes off"),
    (time_ahead, 401, "ahead of this server's clock"),
    (signed_before_start, 401, "before this server started"),
    (oversized, 413, "too large"),
    (truncated_batch, 400, "truncated"),
    (flipped_batch, 400, "batch"),
    (garbage_batch, 400, "batch"),
    (wrong_network, 409, "wrong network"),
    (wrong_protocol, 400, "protocol version"),
    (unknown_node_push, 403, "may not push"),
    (unknown_node_relays, 403, "may not push"),
    (revoked_node_push, 403, "may not push"),
    (revoked_node_pull, 403, "revoked"),
]


@pytest.mark.parametrize(
    ("make", "status", "reason"), REFUSED, ids=[case[0].__name__ for case in REFUSED]
)
def test_refused_request_changes_nothing(
    net: Net, make: Callable[[Net], Attempt], status: int, reason: str
) -> None:
    before = net.state()
    attempt = make(net)
    response = send(net.server.url, attempt.path, attempt.body, attempt.headers)
    assert response.status_code == status, response.text
    assert_short_reason(response, reason)
    assert net.state() == before
    assert_still_serving(net)


def test_replayed_request_is_refused(net: Net) -> None:
    net.member.append_status()
    body = encode_batch(net.member.log.ops_missing_from(net.member.client.vector()))
    headers = signed_headers(net.member.identity, net.network_id, PUSH, body)
    first = send(net.server.url, PUSH, body, headers)
    assert first.status_code == 200, first.text
    assert first.json()["applied"] == 1
    after_first = net.state()
    replay = send(net.server.url, PUSH, body, headers)
    assert replay.status_code == 401
    assert_short_reason(replay, "replayed")
    assert net.state() == after_first
    assert_still_serving(net)


def test_oversized_chunked_body_is_refused(net: Net) -> None:
    """No Content-Length to go by: the limit holds while the body streams in."""
    before = net.state()
    chunk = bytes(64 * 1024)
    chunks = (chunk for _ in range(MAX_REQUEST_BYTES // len(chunk) + 2))
    headers = signed_headers(net.member.identity, net.network_id, PUSH, b"")
    response = requests.post(net.server.url + PUSH, data=chunks, headers=headers, timeout=30)
    assert response.status_code == 413, response.text
    assert_short_reason(response, "too large")
    assert net.state() == before
    assert_still_serving(net)


# ---- batches taken, hostile ops rejected -----------------------------------------------------


def revoked_author(net: Net) -> tuple[Identity, RawOp]:
    """The member relays an op its author signed after being revoked."""
    return net.member.identity, status_op(net.revoked, net.network_id)


def hub_notice(net: Net) -> tuple[Identity, RawOp]:
    """A hub pushes a notice it authored; only admins publish notices."""
    op = sign_op(
        net.rogue,
        net.network_id,
        seq=1,
        prev="",
        lamport=1,
        kind="notice.put",
        entity="rogue-notice",
        body=notice_bytes("Gefälschter Aushang"),
        time_ms=now_ms(),
    )
    return net.rogue, op


def foreign_network_op(net: Net) -> tuple[Identity, RawOp]:
    """An op of another network inside an otherwise good batch."""
    return net.member.identity, status_op(net.rogue, OTHER_NETWORK)


REJECTED: list[tuple[Callable[[Net], tuple[Identity, RawOp]], str]] = [
    (revoked_author, "revoked"),
    (hub_notice, "notice.put needs another role"),
    (foreign_network_op, "belongs to network"),
]


@pytest.mark.parametrize(("make", "reason"), REJECTED, ids=[case[0].__name__ for case in REJECTED])
def test_rejected_op_is_not_applied(
    net: Net, make: Callable[[Net], tuple[Identity, RawOp]], reason: str
) -> None:
    before = net.state()
    pusher, op = make(net)
    body = encode_batch([op])
    response = send(net.server.url, PUSH, body, signed_headers(pusher, net.network_id, PUSH, body))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["applied"] == 0
    assert [item["op"] for item in answer["rejected"]] == [op.op_id]
    assert reason in answer["rejected"][0]["reason"]
    assert net.state() == before
    assert_still_serving(net)


# ---- checks ----------------------------------------------------------------------------------


def assert_short_reason(response: requests.Response, expected: str) -> None:
    error = response.json()["error"]
    assert expected in error
    assert len(error) < 200
    assert "\n" not in error
    assert "Traceback" not in error


def assert_still_serving(net: Net) -> None:
    """The next good request: the member reports its status and the server takes it."""
    net.member.append_status()
    result = net.member.sync()
    assert (result.pushed, result.rejected) == (1, [])
    assert net.server.hello(net.member.log.digest())["equal"]


def test_enrollment_requests_are_capped(net: Net) -> None:
    """Keys cost nothing to make: at most MAX_PENDING_ENROLLMENTS requests wait, each new one
    pushes out the one that has waited longest (counted), and a hub that asks again goes to the
    back of the queue, so a flood of strangers never locks it out."""
    waiting_before, dropped_before = waiting_enrollments(net), dropped_enrollments(net)
    hub = Identity.generate("Ringelai")
    spam = [Identity.generate(f"Spam {n}") for n in range(MAX_PENDING_ENROLLMENTS + 5)]
    answers = [ask_to_enroll(net, hub)]
    answers += [ask_to_enroll(net, stranger) for stranger in spam[:50]]
    answers.append(ask_to_enroll(net, hub))  # the real hub asks again
    answers += [ask_to_enroll(net, stranger) for stranger in spam[50:]]
    assert answers == [200] * (len(spam) + 2)
    by_last_request = [*waiting_before, *(s.name for s in spam[:50]), hub.name]
    by_last_request += [s.name for s in spam[50:]]
    waiting = waiting_enrollments(net)
    assert len(waiting) == MAX_PENDING_ENROLLMENTS
    assert set(waiting) == set(by_last_request[-MAX_PENDING_ENROLLMENTS:])
    evicted = len(by_last_request) - MAX_PENDING_ENROLLMENTS
    assert dropped_enrollments(net) == dropped_before + evicted
    assert_still_serving(net)


def ask_to_enroll(net: Net, identity: Identity) -> int:
    body = msgspec.json.encode({"public": identity.public.token, "name": identity.name})
    headers = signed_headers(identity, net.network_id, "/v1/enroll", body)
    return send(net.server.url, "/v1/enroll", body, headers).status_code


def waiting_enrollments(net: Net) -> list[str]:
    """Names of the requests waiting on the server, longest waiting first."""
    with sqlite3.connect(f"file:{net.server.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT name FROM enrollments WHERE approved_op IS NULL ORDER BY requested_at, rowid"
        )
        return [name for (name,) in rows]


def dropped_enrollments(net: Net) -> int:
    with sqlite3.connect(f"file:{net.server.home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT count FROM dropped WHERE what = 'enrollments'").fetchone()
        return int(row[0]) if row else 0
