"""The sync wire protocol, pure: batches of op frames, version vectors, signed requests.

A batch is the frame stream of `content.ops` compressed with zstd, at most 64 KiB on the wire
unless it holds a single op that is larger by itself (an attachment). Requests are signed by the
calling node over method, path, network, time, nonce and body hash.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import msgspec
import zstandard

from content.identity import Identity
from content.limits import (
    MAX_BATCH_BYTES,
    MAX_BATCH_RAW_BYTES,
    MAX_CLOCK_SKEW_MS,
    MAX_REQUEST_BYTES,
)
from content.ops import (
    OpError,
    RawOp,
    author_public_key,
    decode_frames,
    encode_frame,
)

PROTOCOL_VERSION = 1
API = f"/v{PROTOCOL_VERSION}"
ZSTD_LEVEL = 6

NODE_HEADER = "x-dorfhub-node"
TIME_HEADER = "x-dorfhub-time"
NONCE_HEADER = "x-dorfhub-nonce"
BODY_HEADER = "x-dorfhub-body-sha256"
SIGNATURE_HEADER = "x-dorfhub-signature"
MORE_HEADER = "x-dorfhub-more"
NET_HEADER = "x-dorfhub-net"
PROTO_HEADER = "x-dorfhub-proto"


class ProtocolError(ValueError):
    """A request or batch that does not follow the protocol; answered with a 4xx."""


class AuthError(ProtocolError):
    """A request whose signature, time or nonce does not hold."""


# ---- batches ---------------------------------------------------------------------------------


def _compressor() -> zstandard.ZstdCompressor:
    # The frame checksum makes a flipped bit a corrupt batch (400), not a stream of altered ops.
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)


def encode_batch(ops: Iterable[RawOp]) -> bytes:
    return _compressor().compress(b"".join(encode_frame(op) for op in ops))


def decode_batch(data: bytes) -> list[RawOp]:
    """Decompress and split a batch; ProtocolError on anything truncated, flipped or too big."""
    if len(data) > MAX_REQUEST_BYTES:
        raise ProtocolError(f"batch too large ({len(data)} bytes)")
    try:
        reader = zstandard.ZstdDecompressor().decompressobj()
        raw = reader.decompress(data)
        if not reader.eof:
            raise ProtocolError("truncated batch")
        if reader.unused_data:
            raise ProtocolError("trailing bytes after batch")
    except zstandard.ZstdError as exc:
        raise ProtocolError(f"corrupt batch: {exc}") from None
    if len(raw) > MAX_BATCH_RAW_BYTES:
        raise ProtocolError("batch expands beyond the limit")
    try:
        return list(decode_frames(raw))
    except OpError as exc:
        raise ProtocolError(f"malformed batch: {exc}") from None


@dataclass(frozen=True)
class Batch:
    data: bytes
    count: int
    more: bool


def make_batches(ops: Iterable[RawOp], limit: int = MAX_BATCH_BYTES) -> Iterator[Batch]:
    """Cut an op stream into compressed batches of at most `limit` bytes each (a single op that
    is larger by itself travels alone). Order is kept, so every prefix of batches is causal."""
    pending: deque[RawOp] = deque()
    stream = iter(ops)

    def fill(budget: int) -> None:
        budget -= sum(_size(op) for op in pending)
        while budget > 0:
            op = next(stream, None)
            if op is None:
                return
            pending.append(op)
            budget -= _size(op)

    fill(4 * limit)
    while pending:
        candidate = list(pending)
        count, data = len(candidate), encode_batch(candidate)
        while len(data) > limit and count > 1:
            count = max(1, count * limit // len(data) * 9 // 10)
            data = encode_batch(candidate[:count])
        for _ in range(count):
            pending.popleft()
        fill(4 * limit)
        yield Batch(data, count, bool(pending))


def _size(op: RawOp) -> int:
    return len(op.header) + len(op.signature) + len(op.body or b"") + 9


# ---- version vectors -------------------------------------------------------------------------

_vector_decoder = msgspec.json.Decoder(dict[str, int])


def encode_vector(vector: Mapping[str, int]) -> bytes:
    return _compressor().compress(msgspec.json.encode(dict(vector)))


def decode_vector(data: bytes) -> dict[str, int]:
    if len(data) > MAX_BATCH_BYTES * 4:
        raise ProtocolError("version vector too large")
    try:
        raw = zstandard.ZstdDecompressor().decompress(data, max_output_size=MAX_BATCH_RAW_BYTES)
        vector = _vector_decoder.decode(raw)
    except (zstandard.ZstdError, msgspec.DecodeError) as exc:
        raise ProtocolError(f"malformed version vector: {exc}") from None
    for author, seq in vector.items():
        if len(author) != 64 or seq < 0:
            raise ProtocolError("malformed version vector entry")
    return vector


# ---- signed requests -------------------------------------------------------------------------


def canonical_request(
    method: str, path: str, network_id: str, node: str, time_ms: int, nonce: str, body_hash: str
) -> bytes:
    return "\n".join(
        (
            "dorfhub-request-1",
            method.upper(),
            path,
            network_id,
            node,
            str(time_ms),
            nonce,
            body_hash,
        )
    ).encode()


def sign_request(
    identity: Identity, method: str, path: str, network_id: str, body: bytes, time_ms: int
) -> dict[str, str]:
    nonce = secrets.token_hex(16)
    body_hash = hashlib.sha256(body).hexdigest()
    message = canonical_request(
        method, path, network_id, identity.key_id, time_ms, nonce, body_hash
    )
    return {
        NODE_HEADER: identity.key_id,
        TIME_HEADER: str(time_ms),
        NONCE_HEADER: nonce,
        BODY_HEADER: body_hash,
        SIGNATURE_HEADER: base64.b64encode(identity.sign(message)).decode(),
    }


@dataclass(frozen=True)
class SignedRequest:
    node: str
    time_ms: int
    nonce: str


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    network_id: str,
    body: bytes,
    now_ms: int,
) -> SignedRequest:
    """Check a request's signature, body hash and time; the caller checks the nonce."""
    try:
        node = headers[NODE_HEADER]
        time_ms = int(headers[TIME_HEADER])
        nonce = headers[NONCE_HEADER]
        body_hash = headers[BODY_HEADER]
        signature = base64.b64decode(headers[SIGNATURE_HEADER], validate=True)
    except (KeyError, ValueError):
        raise AuthError("request is not signed") from None
    if len(node) != 64 or not 16 <= len(nonce) <= 64 or len(signature) != 64:
        raise AuthError("malformed request signature headers")
    if hashlib.sha256(body).hexdigest() != body_hash:
        raise AuthError("body does not match its signed hash")
    if abs(now_ms - time_ms) > MAX_CLOCK_SKEW_MS:
        raise AuthError("request time is more than 5 minutes off (check the clock or say hello)")
    message = canonical_request(method, path, network_id, node, time_ms, nonce, body_hash)
    try:
        author_public_key(node).verify(signature, message)
    except Exception:
        raise AuthError("bad request signature") from None
    return SignedRequest(node, time_ms, nonce)
