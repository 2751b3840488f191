"""Decompression bombs against a real `dorfhub serve` and `dorfhub bundle import` (issue 13,
findings 1 to 3 and 10): every one refused with a 4xx (or one line and exit 1) before any
expansion, the process's peak memory unmoved, nothing stored, and the server still serving."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import msgspec
import pytest
import zstandard

from content.identity import Identity
from content.limits import MAX_VECTOR_AUTHORS
from sync.protocol import decode_batch, encode_vector
from tests.hostile.bombs import GIB, one_gib_in_32_kib, rle_bomb
from tests.hostile.memory import MIB, peak_rss, run_measured
from tests.node.cli import DORFHUB, REPO
from tests.sync.helpers import PULL, PUSH, send, signed_headers
from tests.sync.test_hostile import Net, net

__all__ = ["net"]

# What one refused request may add to the server's peak: parsing headers and a body of at most
# a megabyte. Decompressing any of the bombs below would add a gigabyte or more.
PEAK_GROWTH = 64 * MIB


def _post(net: Net, identity: Identity, path: str, body: bytes) -> tuple[int, str]:
    response = send(
        net.server.url, path, body, signed_headers(identity, net.network_id, path, body)
    )
    return response.status_code, str(response.json().get("error", ""))


def test_vector_bomb_is_refused_before_it_expands(net: Net) -> None:
    """A hub pulls with a 32 KB vector that expands to 1 GiB."""
    before, peak = net.state(), peak_rss(net.server.process.pid)
    status, error = _post(net, net.member.identity, PULL, one_gib_in_32_kib())
    assert (status, error) == (413, "version vector expands to 1073741824 bytes (limit 4194304)")
    assert peak_rss(net.server.process.pid) - peak < PEAK_GROWTH
    assert net.state() == before
    assert net.server.hello()["net"] == net.network_id


def test_vector_bomb_from_a_stranger_is_not_even_read(net: Net) -> None:
    """A key that was never enrolled gets an empty batch whatever its vector says."""
    body = one_gib_in_32_kib()
    path, stranger = PULL, Identity.generate("Fremd")
    peak = peak_rss(net.server.process.pid)
    response = send(
        net.server.url, path, body, signed_headers(stranger, net.network_id, path, body)
    )
    assert response.status_code == 200
    assert decode_batch(response.content) == []
    assert peak_rss(net.server.process.pid) - peak < PEAK_GROWTH


@pytest.mark.parametrize("declared", [64 * GIB, 2**64 - 2], ids=["64 GiB", "2^64-2"])
def test_any_declared_size_beyond_the_limit_gets_413_not_500(net: Net, declared: int) -> None:
    """A frame declaring 64 GiB used to end in MemoryError and a 500 with a traceback."""
    for path in (PULL, PUSH):
        status, error = _post(net, net.member.identity, path, rle_bomb(declared, 4))
        assert status == 413
        assert f"expands to {declared} bytes" in error


def test_push_bomb_from_a_member_applies_nothing(net: Net) -> None:
    """64 KB on the wire declaring 2 GiB of frames, from a hub that may push."""
    before, peak = net.state(), peak_rss(net.server.process.pid)
    status, error = _post(net, net.member.identity, PUSH, rle_bomb(2 * GIB, 16_384))
    assert (status, error) == (413, f"batch expands to {2 * GIB} bytes (limit 4194304)")
    assert peak_rss(net.server.process.pid) - peak < PEAK_GROWTH
    assert net.state() == before


def test_frame_that_hides_its_size_is_refused(net: Net) -> None:
    """Without a declared size the expansion could only be bounded by decompressing it."""
    status, error = _post(net, net.member.identity, PUSH, rle_bomb(None, 16_384))
    assert (status, error) == (400, "corrupt batch: the zstd frame does not declare its size")


def test_frame_that_lies_about_its_size_is_refused(net: Net) -> None:
    """Declares 1 MiB, holds 1 GiB: the decompressor writes into 1 MiB and stops there."""
    peak = peak_rss(net.server.process.pid)
    status, error = _post(net, net.member.identity, PUSH, rle_bomb(MIB, GIB // (128 * 1024)))
    assert status == 400
    assert error.startswith("corrupt batch")
    assert peak_rss(net.server.process.pid) - peak < PEAK_GROWTH


def _vector_frame(text: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_checksum=True).compress(text)


AUTHOR = "ab" * 32
BAD_VECTORS = {
    "seq 10^30": _vector_frame(b'{"' + AUTHOR.encode() + b'": 1' + b"0" * 30 + b"}"),
    "seq beyond 2^53": _vector_frame(msgspec.json.encode({AUTHOR: 2**53 + 1})),
    "negative seq": _vector_frame(msgspec.json.encode({AUTHOR: -1})),
    "author not hex": _vector_frame(msgspec.json.encode({"zz" * 32: 1})),
    "author upper case": _vector_frame(msgspec.json.encode({AUTHOR.upper(): 1})),
    "author short": _vector_frame(msgspec.json.encode({"ab": 1})),
    "not an object": _vector_frame(b"[1, 2, 3]"),
    "seq a string": _vector_frame(msgspec.json.encode({AUTHOR: "1"})),
}


@pytest.mark.parametrize("body", BAD_VECTORS.values(), ids=BAD_VECTORS.keys())
def test_malformed_version_vector_is_refused(net: Net, body: bytes) -> None:
    status, error = _post(net, net.member.identity, PULL, body)
    assert status == 400
    assert error.startswith("malformed version vector")


def test_version_vector_with_too_many_authors_is_refused(net: Net) -> None:
    vector = {f"{number:064x}": 1 for number in range(MAX_VECTOR_AUTHORS + 1)}
    status, error = _post(net, net.member.identity, PULL, encode_vector(vector))
    assert status == 400
    assert "malformed version vector" in error


# ---- USB bundles: the same decoder, no network --------------------------------------------


def _bundle(path: Path, network_id: str, batch: bytes) -> Path:
    meta = json.dumps({"net": network_id, "count": 1, "for": False}).encode()
    length = struct.Struct(">I")
    path.write_bytes(b"DHB1" + length.pack(len(meta)) + meta + length.pack(len(batch)) + batch)
    return path


def test_bundle_bomb_is_refused_in_one_line(net: Net, tmp_path: Path) -> None:
    """A stick with a 64 KB batch declaring 2 GiB; the importer reads it before anything."""
    bundle = _bundle(tmp_path / "bomb.dhb", net.network_id, rle_bomb(2 * GIB, 16_384))
    home = tmp_path / "hub"
    init = ["node", "init", "--role", "hub", "--name", "Ringelai", "--network", net.network_id]
    subprocess.run(
        [*DORFHUB, *init, "--home", str(home)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    status, stderr, peak = run_measured(
        [*DORFHUB, "bundle", "import", str(bundle), "--home", str(home)],
        REPO,
        tmp_path / "peak",
    )
    assert (status, stderr) == (
        1,
        f"dorfhub: error: batch expands to {2 * GIB} bytes (limit 4194304)\n",
    )
    # A CLI process with the sync layer loaded is about 60 MB; the bomb would add 2 GiB.
    assert peak < 256 * MIB
