"""The operation: header bytes, signature and body, and how they are framed on disk and wire.

Pure functions only. The header is JSON produced once by its author; everyone else verifies and
stores the bytes exactly as received (ARCHITECTURE.md section 2, rule 1). The op id is the
SHA-256 of those bytes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Annotated, Any, get_args, get_origin

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from content.errors import ContentError
from content.limits import MAX_BODY_BYTES as MAX_BODY_BYTES
from content.limits import MAX_HEADER_BYTES as MAX_HEADER_BYTES

FORMAT_VERSION = 1
SIGNATURE_BYTES = 64

Hex32 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
PrevHash = Annotated[str, msgspec.Meta(pattern="^([0-9a-f]{64})?$")]
NetworkId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{32}$")]
Kind = Annotated[str, msgspec.Meta(pattern="^[a-z]+\\.[a-z_]+$", max_length=40)]
# 160: a booking request id names its slot, its author and the server that decides it (156).
EntityId = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9._:-]{1,160}$")]
# The largest integer a header carries: exact in a double, so JSON readers everywhere agree.
MAX_HEADER_INT = 2**53
PositiveInt = Annotated[int, msgspec.Meta(ge=1, le=MAX_HEADER_INT)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0, le=MAX_HEADER_INT)]


class OpError(ContentError, ValueError):
    """An op that cannot be accepted, whatever the state of the log."""


class Header(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The signed part of an op. Field order is the encoding order."""

    v: int
    net: NetworkId
    author: Hex32
    seq: PositiveInt
    prev: PrevHash
    lamport: PositiveInt
    time: NonNegativeInt
    kind: Kind
    entity: EntityId
    body_hash: Hex32
    body_len: NonNegativeInt
    sealed_to: list[Hex32] = msgspec.field(default_factory=list)


_header_decoder = msgspec.json.Decoder(Header)


def _unchecked(hint: Any) -> Any:
    """A type hint without its msgspec constraints: `Annotated[str, Meta(...)]` is `str`."""
    if get_origin(hint) is Annotated:
        return _unchecked(get_args(hint)[0])
    if get_origin(hint) is list:
        return list[_unchecked(get_args(hint)[0])]  # type: ignore[misc]
    return hint


def _unchecked_struct(checked: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The same fields and defaults as `checked`, without their constraints."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in msgspec.structs.fields(checked):
        if field.default_factory is not msgspec.NODEFAULT:
            default = msgspec.field(default_factory=field.default_factory)
            fields.append((field.name, _unchecked(field.type), default))
        elif field.default is not msgspec.NODEFAULT:
            fields.append((field.name, _unchecked(field.type), field.default))
        else:
            fields.append((field.name, _unchecked(field.type)))
    return msgspec.defstruct(f"Unchecked{checked.__name__}", fields, frozen=True)


# The applier decodes again the header bytes the verify worker has checked. The pattern checks
# are a third of a checked decode, and these exact bytes have passed them.
_verified_header_decoder = msgspec.json.Decoder(_unchecked_struct(Header))


@dataclass(frozen=True)
class RawOp:
    """An op as bytes: what is signed, the signature, and the body (None once pruned)."""

    header: bytes
    signature: bytes
    body: bytes | None

    @cached_property
    def op_id(self) -> str:
        return hashlib.sha256(self.header).hexdigest()


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def encode_header(header: Header) -> bytes:
    return msgspec.json.encode(header)


def decode_header(data: bytes) -> Header:
    """Parse header bytes strictly: every field present, typed and in range, nothing extra."""
    if len(data) > MAX_HEADER_BYTES:
        raise OpError(f"header too large ({len(data)} bytes)")
    try:
        header = _header_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise OpError(f"malformed header: {exc}") from None
    if header.v != FORMAT_VERSION:
        raise OpError(f"unsupported format version {header.v}")
    if (header.seq == 1) != (header.prev == ""):
        raise OpError("prev hash must be empty exactly for seq 1")
    if header.sealed_to != sorted(set(header.sealed_to)):
        raise OpError("sealed_to must be sorted and free of duplicates")
    return header


def decode_verified_header(data: bytes) -> Header:
    """Header bytes that `decode_header` accepted before (in the verify worker), decoded
    again without repeating its checks."""
    return Header(*msgspec.structs.astuple(_verified_header_decoder.decode(data)))


@lru_cache(maxsize=4096)
def author_public_key(author: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(author))


def check_signature(op: RawOp, header: Header) -> None:
    """Verify the Ed25519 signature over the header bytes exactly as received."""
    if len(op.signature) != SIGNATURE_BYTES:
        raise OpError("signature has the wrong length")
    try:
        author_public_key(header.author).verify(op.signature, op.header)
    except (InvalidSignature, ValueError):
        raise OpError("bad signature") from None


def check_body(op: RawOp, header: Header) -> None:
    """The body, when present, must be exactly the one the header is bound to."""
    if header.body_len > MAX_BODY_BYTES:
        raise OpError(f"body too large ({header.body_len} bytes)")
    if op.body is None:
        return
    if len(op.body) != header.body_len or body_hash(op.body) != header.body_hash:
        raise OpError("body does not match its hash")


def verify(op: RawOp) -> Header:
    """Everything about one op that does not depend on the log: format, signature, body."""
    header = decode_header(op.header)
    check_signature(op, header)
    check_body(op, header)
    return header


# Framing: u32 header length, header, 64-byte signature, u8 body flag, u32 body length, body.
# Used for USB bundles and sync batches, so a frame stream is just concatenated ops.
_PREFIX = struct.Struct(">I")
_BODY_PREFIX = struct.Struct(">BI")


def encode_frame(op: RawOp) -> bytes:
    body = op.body or b""
    return b"".join(
        (
            _PREFIX.pack(len(op.header)),
            op.header,
            op.signature,
            _BODY_PREFIX.pack(op.body is not None, len(body)),
            body,
        )
    )


def decode_frames(data: bytes) -> Iterator[RawOp]:
    """Split a frame stream into ops; raise OpError on any truncation or oversize field."""
    view = memoryview(data)
    pos = 0
    while pos < len(view):
        header_len = _read(view, pos, _PREFIX)[0]
        pos += _PREFIX.size
        if header_len > MAX_HEADER_BYTES:
            raise OpError(f"frame header too large ({header_len} bytes)")
        header = _take(view, pos, header_len)
        pos += header_len
        signature = _take(view, pos, SIGNATURE_BYTES)
        pos += SIGNATURE_BYTES
        has_body, body_len = _read(view, pos, _BODY_PREFIX)
        pos += _BODY_PREFIX.size
        if has_body > 1 or body_len > MAX_BODY_BYTES or (not has_body and body_len):
            raise OpError("malformed frame body field")
        body = _take(view, pos, body_len) if has_body else None
        pos += body_len
        yield RawOp(header, signature, body)


def _read(view: memoryview, pos: int, layout: struct.Struct) -> tuple[int, ...]:
    return layout.unpack(_take(view, pos, layout.size))


def _take(view: memoryview, pos: int, size: int) -> bytes:
    if pos + size > len(view):
        raise OpError("truncated frame")
    return bytes(view[pos : pos + size])


@dataclass(frozen=True, slots=True)
class StoredOp:
    """An applied op as the views see it: the header fields they need and the body."""

    id: str
    author: str
    seq: int
    lamport: int
    time: int
    kind: str
    entity: str
    body: bytes | None
    parsed: Any = None  # the decoded body when the applier already has it

    @property
    def order(self) -> tuple[int, str]:
        """Last-writer-wins order: Lamport clock, then author as tie-breaker."""
        return (self.lamport, self.author)


def later_sql(new: str, old: str, *, author: str = "author", old_author: str | None = None) -> str:
    """SQL: `new` comes after `old` in last-writer-wins order (StoredOp.order: the Lamport clock,
    then the author). `new` and `old` are table names or aliases with a `lamport` column and the
    author in `author` (`old_author` when the old row names it otherwise). Every view that keeps
    the last writer says it with this, so every node breaks a tie the same way."""
    before = f"{old}.{old_author or author}"
    return (
        f"({new}.lamport > {old}.lamport"
        f" OR ({new}.lamport = {old}.lamport AND {new}.{author} > {before}))"
    )


STORED_OP_COLUMNS = "id, author, seq, lamport, time, kind, entity, body"
