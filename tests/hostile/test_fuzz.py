"""A bounded fuzz of what a hostile peer can send (issue 13, "Build"): signed and unsigned
random bodies, random and mutated zstd frames and small bombs against every endpoint of a real
`dorfhub serve`, and random and mutated bundles against the importer.

Whatever arrives: a 2xx or 4xx, never a 5xx; nothing stored but enrollment requests; the
server's memory bounded (read from /proc before and after); and it still answers. The examples
are derandomized, so every run sends the same requests: a failure is a bug, never a flake.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
import requests
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content.bodies import NetworkMetaBody, encode_body
from content.identity import Identity, network_id_for
from content.log import Log
from content.ops import RawOp
from content.store import Store
from sync.bundle import export_bundle, import_bundle
from sync.protocol import (
    API,
    NET_HEADER,
    PROTO_HEADER,
    ProtocolError,
    decode_batch,
    decode_vector,
    encode_batch,
    encode_vector,
)
from tests.content.helpers import sign_op
from tests.hostile.bombs import rle_bomb
from tests.hostile.memory import MIB, peak_rss, rss
from tests.sync.helpers import now_ms, signed_headers
from tests.sync.test_hostile import Net, net

__all__ = ["net"]

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ENDPOINTS = ["hello", "pull", "vector", "push", "wait", "enroll", "nowhere"]
SIGNERS = ["member", "stranger", "unsigned", "garbled"]


def _checked_frame(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


def _mutated(data: bytes, position: int, mask: int) -> bytes:
    """`data` with one byte changed (mask is never 0, so it always differs)."""
    index = position % len(data)
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=64), inner),
    max_leaves=20,
)


def _bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    """Raw bytes, zstd frames of bytes and of JSON, one-byte mutations of a valid batch, and
    small bombs with any declared size."""
    return st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=2048).map(_checked_frame),
        json_values.map(lambda value: _checked_frame(msgspec.json.encode(value))),
        st.builds(_mutated, st.just(valid), st.integers(0, 10**6), st.integers(1, 255)),
        st.builds(
            rle_bomb,
            st.none() | st.integers(0, 2**64 - 2),
            st.integers(1, 64),
            st.booleans(),
        ),
    )


def _headers(net: Net, signer: str, method: str, path: str, body: bytes) -> dict[str, str]:
    if signer == "unsigned":
        return {NET_HEADER: net.network_id, PROTO_HEADER: "1"}
    identity = net.member.identity if signer == "member" else Identity.generate("Fremd")
    headers = signed_headers(identity, net.network_id, path, body, method=method)
    if signer == "garbled":
        headers = {name: value[::-1] for name, value in headers.items()}
    return headers


def _send(net: Net, endpoint: str, signer: str, body: bytes) -> requests.Response:
    method = "GET" if endpoint in ("hello", "wait") else "POST"
    path = f"{API}/{endpoint}"
    params = {"digest": body.hex()[:64], "timeout": "0"} if method == "GET" else None
    return requests.request(
        method,
        net.server.url + path,
        params=params,
        data=body if method == "POST" else None,
        headers=_headers(net, signer, method, path, body if method == "POST" else b""),
        timeout=30,
    )


def test_fuzz_every_endpoint(net: Net) -> None:
    """Every answer is below 500, the store keeps its ops and views, memory stays bounded."""
    pid = net.server.process.pid
    before, resident, peak = net.state(), rss(pid), peak_rss(pid)
    valid = encode_batch([net.next_member_op()])
    statuses: set[int] = set()

    @FUZZ
    @given(st.sampled_from(ENDPOINTS), st.sampled_from(SIGNERS), _bodies(valid))
    def one_request(endpoint: str, signer: str, body: bytes) -> None:
        status = _send(net, endpoint, signer, body).status_code
        statuses.add(status)
        assert status < 500, (endpoint, signer, body[:64])

    one_request()
    assert net.state() == before
    assert net.server.hello()["net"] == net.network_id
    assert rss(pid) - resident < 64 * MIB
    assert peak_rss(pid) - peak < 128 * MIB
    assert {400, 401}.issubset(statuses)  # the fuzz reached the checks, not just the router


# ---- the pure decoders --------------------------------------------------------------------


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=4096) | st.binary(max_size=4096).map(_checked_frame))
def test_decoders_raise_only_protocol_errors(data: bytes) -> None:
    decoders: tuple[Callable[[bytes], object], ...] = (decode_batch, decode_vector)
    for decode in decoders:
        with contextlib.suppress(ProtocolError):
            decode(data)


def test_decoders_take_back_what_they_wrote(net: Net) -> None:
    vector = {"ab" * 32: 7, "cd" * 32: 0}
    assert decode_vector(encode_vector(vector)) == vector
    op = net.next_member_op()
    assert decode_batch(encode_batch([op])) == [op]


# ---- the bundle importer ------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    """A store with a few ops, an empty store of the same network, and a real bundle."""
    root = tmp_path_factory.mktemp("bundles")
    author = Identity.generate("Wurzel")
    network_id = network_id_for(author.key_id)
    source, target = root / "source.db", root / "target.db"
    for path in (source, target):
        with Store(path) as store:
            store.set_network(network_id)
    with Store(source) as store:
        log = Log(store)
        ops: list[RawOp] = [
            sign_op(
                author,
                network_id,
                kind="network.meta",
                entity=network_id,
                body=encode_body(NetworkMetaBody(name="Ilzer Land")),
                seq=1,
                prev="",
                lamport=1,
                time_ms=now_ms(),
            )
        ]
        assert log.ingest(ops).applied
        export_bundle(log, root / "real.dhb")
    return target, root, (root / "real.dhb").read_bytes()


@FUZZ
@given(data=st.data())
def test_fuzz_bundle_import(
    data: st.DataObject, bundle_source: tuple[Path, Path, bytes], tmp_path: Path
) -> None:
    """A damaged or made-up bundle raises ProtocolError and changes nothing."""
    target, _root, real = bundle_source
    content = data.draw(
        st.one_of(
            st.binary(max_size=4096),
            st.builds(_mutated, st.just(real), st.integers(0, 10**6), st.integers(1, 255)),
            st.binary(max_size=64).map(lambda tail: real + tail),
            st.integers(0, len(real) - 1).map(lambda cut: real[:cut]),
        )
    )
    path = tmp_path / "stick.dhb"
    path.write_bytes(content)
    store_copy = tmp_path / "target.db"
    shutil.copy(target, store_copy)
    with Store(store_copy) as store:
        log = Log(store)
        digest = log.digest()
        try:
            import_bundle(log, path)
        except ProtocolError:
            assert log.digest() == digest
