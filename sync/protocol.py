"""The sync wire protocol, pure: batches of op frames, version vectors, signed requests.

A batch is the frame stream of `content.ops` compressed with zstd, at most 64 KiB on the wire
unless it holds a single op that is larger by itself (an attachment). Requests are signed by the
calling node over method, path, network, time, nonce and body hash.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Annotated

import msgspec
import zstandard

from content.identity import Identity
from content.limits import (
    MAX_BATCH_BYTES,
    MAX_BATCH_RAW_BYTES,
    MAX_CLOCK_SKEW_MS,
    MAX_FUTURE_SKEW_MS,
    MAX_OPS_PER_BATCH,
    MAX_REQUEST_BYTES,
    MAX_VECTOR_AUTHORS,
    MAX_VECTOR_BYTES,
    MAX_WANTED_BODIES,
    MAX_ZSTD_WINDOW_BYTES,
)
from content.ops import (
    Hex32,
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
# The digest of the answering node, of the same moment as the version vector it answers with.
DIGEST_HEADER = "x-dorfhub-digest"
NET_HEADER = "x-dorfhub-net"
PROTO_HEADER = "x-dorfhub-proto"


class ProtocolError(ValueError):
    """A request or batch that does not follow the protocol; answered with a 4xx."""


class TooLarge(ProtocolError):
    """A request, batch or vector over its size limit, compressed or declared; answered 413."""


class AuthError(ProtocolError):
    """A request whose signature, time or nonce does not hold."""


# ---- batches ---------------------------------------------------------------------------------


# A compressor for small inputs (version vectors, the few ops of a pull that brings a new
# notice) is kept per thread (one may not be shared between threads): making one took 1.3 ms, far
# more than compressing such an input, on every pull answer and vector. Its tables stay as
# small as the inputs it has seen (under 1 MB); a big batch gets a compressor of its own, which
# is freed again.
SMALL_INPUT_BYTES = 64 * 1024
_zstd = threading.local()


def _compressor(size: int) -> zstandard.ZstdCompressor:
    compressor: zstandard.ZstdCompressor | None = getattr(_zstd, "compressor", None)
    if compressor is None or size > SMALL_INPUT_BYTES:
        # The frame checksum makes a flipped bit a corrupt batch (400), not altered ops.
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)
        if size <= SMALL_INPUT_BYTES:
            _zstd.compressor = compressor
    return compressor


def encode_batch(ops: Iterable[RawOp]) -> bytes:
    raw = b"".join(encode_frame(op) for op in ops)
    return _compressor(len(raw)).compress(raw)


def decode_batch(data: bytes) -> list[RawOp]:
    """Decompress and split a batch; ProtocolError on anything truncated, flipped or too big."""
    if len(data) > MAX_REQUEST_BYTES:
        raise TooLarge(f"batch too large ({len(data)} bytes)")
    raw = decompress_bounded(data, "batch")
    try:
        ops = list(islice(decode_frames(raw), MAX_OPS_PER_BATCH + 1))
    except OpError as exc:
        raise ProtocolError(f"malformed batch: {exc}") from None
    if len(ops) > MAX_OPS_PER_BATCH:
        raise ProtocolError(f"batch holds more than {MAX_OPS_PER_BATCH} ops")
    return ops


def decompress_bounded(data: bytes, what: str) -> bytes:
    """One zstd frame, decompressed only if it declares a size within MAX_BATCH_RAW_BYTES.

    The declared size is read from the frame header before any work, and the decompressor
    writes into a buffer of exactly that size, so a frame that declares 1 GiB costs nothing and
    one that lies about its size fails. Our own frames always declare their size (one-shot
    compression) and carry a checksum, so a frame without either is refused."""
    try:
        frame = zstandard.get_frame_parameters(data)
    except zstandard.ZstdError as exc:
        raise ProtocolError(f"corrupt {what}: {exc}") from None
    if frame.content_size == zstandard.CONTENTSIZE_UNKNOWN:
        raise ProtocolError(f"corrupt {what}: the zstd frame does not declare its size")
    if frame.content_size > MAX_BATCH_RAW_BYTES:
        raise TooLarge(
            f"{what} expands to {frame.content_size} bytes (limit {MAX_BATCH_RAW_BYTES})"
        )
    if frame.window_size > MAX_ZSTD_WINDOW_BYTES:
        raise ProtocolError(f"corrupt {what}: zstd window of {frame.window_size} bytes")
    if not frame.has_checksum:
        raise ProtocolError(f"corrupt {what}: the zstd frame has no checksum")
    try:
        return _decompressor().decompress(data, allow_extra_data=False)
    except zstandard.ZstdError as exc:
        if "did not decompress full frame" in str(exc):
            raise ProtocolError(f"truncated {what}") from None
        raise ProtocolError(f"corrupt {what}: {exc}") from None


def _decompressor() -> zstandard.ZstdDecompressor:
    decompressor: zstandard.ZstdDecompressor | None = getattr(_zstd, "decompressor", None)
    if decompressor is None:
        decompressor = _zstd.decompressor = zstandard.ZstdDecompressor(
            max_window_size=MAX_ZSTD_WINDOW_BYTES
        )
    return decompressor


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
        candidate = list(pending)[:MAX_OPS_PER_BATCH]
        count, data = len(candidate), encode_batch(candidate)
        while len(data) > limit and count > 1:
            count = max(1, count * limit // len(data) * 9 // 10)
            data = encode_batch(candidate[:count])
        for _ in range(count):
            pending.popleft()
        if not pending:
            fill(1)  # one more op says whether more follow; a pull answer reads no further
        yield Batch(data, count, bool(pending))
        fill(4 * limit)


def _size(op: RawOp) -> int:
    return len(op.header) + len(op.signature) + len(op.body or b"") + 9


# ---- version vectors -------------------------------------------------------------------------

Seq = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
VersionVector = Annotated[dict[Hex32, Seq], msgspec.Meta(max_length=MAX_VECTOR_AUTHORS)]
_vector_decoder = msgspec.json.Decoder(VersionVector)


def encode_vector(vector: Mapping[str, int]) -> bytes:
    raw = msgspec.json.encode(dict(vector))
    return _compressor(len(raw)).compress(raw)


def decode_vector(data: bytes) -> dict[str, int]:
    """A peer's version vector: at most MAX_VECTOR_AUTHORS authors, each a key id (64 hex
    digits) with a seq the op header allows (0 to 2^53); anything else is refused."""
    if len(data) > MAX_VECTOR_BYTES:
        raise TooLarge(f"version vector too large ({len(data)} bytes)")
    raw = decompress_bounded(data, "version vector")
    try:
        return _vector_decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed version vector: {exc}") from None


# ---- wanted file bodies ----------------------------------------------------------------------

WantedBodies = Annotated[list[Hex32], msgspec.Meta(max_length=MAX_WANTED_BODIES)]
_wanted_decoder = msgspec.json.Decoder(WantedBodies)


def encode_wanted(hashes: Sequence[str]) -> bytes:
    """The files a hub asks a peer for (content/relay.py): a JSON list of their hashes."""
    return msgspec.json.encode(list(hashes))


def decode_wanted(data: bytes) -> list[str]:
    """At most MAX_WANTED_BODIES hashes of 64 hex digits; anything else is refused."""
    try:
        return _wanted_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed list of wanted files: {exc}") from None


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
    body_hash: str

    def check_body(self, body: bytes) -> None:
        """The body as read must be the one the caller signed."""
        if hashlib.sha256(body).hexdigest() != self.body_hash:
            raise AuthError("body does not match its signed hash")


def verify_signed_headers(
    headers: Mapping[str, str], method: str, path: str, network_id: str, now_ms: int
) -> SignedRequest:
    """Check a request's signature and time from its headers alone, before its body is read
    (the signature covers the body's hash; `SignedRequest.check_body` checks the body). The
    caller checks the nonce."""
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
    if now_ms - time_ms > MAX_CLOCK_SKEW_MS:
        raise AuthError("request time is more than 5 minutes off (check the clock or say hello)")
    if time_ms - now_ms > MAX_FUTURE_SKEW_MS:
        # Clients sign with the clock they learn from hello, so only a signer that wants to
        # outlive the replay guard dates a request ahead.
        raise AuthError("request time is ahead of this server's clock (say hello again)")
    message = canonical_request(method, path, network_id, node, time_ms, nonce, body_hash)
    try:
        author_public_key(node).verify(signature, message)
    except Exception:
        raise AuthError("bad request signature") from None
    return SignedRequest(node, time_ms, nonce, body_hash)


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    network_id: str,
    body: bytes,
    now_ms: int,
) -> SignedRequest:
    """Check a request's signature, body hash and time; the caller checks the nonce."""
    signed = verify_signed_headers(headers, method, path, network_id, now_ms)
    signed.check_body(body)
    return signed
