"""USB bundles: the same compressed op batches as the network path, in one file.

    b"DHB1" | u32 meta length | meta JSON {net, count, for} | (u32 batch length | batch)*

Import first reads the whole file (every batch whole, its zstd checksum right, as many ops as
the header announces), so a truncated or damaged bundle changes nothing; then it applies the
batches through the same checks as a network push, in transactions of whole batches
(`Log.ingest_batches`), so an import cut off by a power failure keeps whole batches only.

A bundle for one hub (`--for`) carries files' bytes as a pull by that hub would
(content/relay.py): those of the notices it shows, the rest by their header only. As a stick
gets no second request, it also carries whole the files of the notices in it that the hub
already holds by their header (a notice retargeted to it since).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from content import relay
from content.limits import MAX_REQUEST_BYTES
from content.log import IngestReport, Log
from content.ops import RawOp, decode_header
from sync.protocol import ProtocolError, decode_batch, make_batches

MAGIC = b"DHB1"
_LENGTH = struct.Struct(">I")


def export_bundle(
    log: Log,
    path: Path,
    vector: Mapping[str, int] | None = None,
    blob_bodies: frozenset[str] | None = None,
) -> int:
    """Write the ops a node with `vector` lacks (all ops without one), files' bodies as
    `blob_bodies` says (None: all); returns how many."""
    ops = list(log.ops_missing_from(vector or {}, blob_bodies=blob_bodies))
    if blob_bodies is not None:
        ops += _files_of_notices(log, ops, blob_bodies)
    meta = json.dumps({"net": log.network_id, "count": len(ops), "for": vector is not None})
    meta_bytes = meta.encode()
    temporary = path.with_name(path.name + ".part")
    with temporary.open("wb") as handle:
        handle.write(MAGIC + _LENGTH.pack(len(meta_bytes)) + meta_bytes)
        for batch in make_batches(ops):
            handle.write(_LENGTH.pack(len(batch.data)) + batch.data)
    temporary.replace(path)
    return len(ops)


def _files_of_notices(log: Log, ops: list[RawOp], blob_bodies: frozenset[str]) -> list[RawOp]:
    """Whole copies of the files the receiver needs that the notices among `ops` name and that
    `ops` do not carry whole: the receiver holds their headers already (they are within its
    vector), perhaps without the bytes, and a stick cannot be asked again."""
    notices: set[str] = set()
    carried: set[str] = set()
    for op in ops:
        header = decode_header(op.header)
        if header.kind == "notice.put":
            notices.add(header.entity)
        elif header.kind in relay.DETACHED_KINDS and op.body is not None:
            carried.add(header.entity)
    named = relay.files_of(log.store.conn, notices) & blob_bodies
    copies = (relay.whole_blob(log.store.conn, digest) for digest in sorted(named - carried))
    return [op for op in copies if op is not None]


def import_bundle(log: Log, path: Path, detached: bool = False) -> IngestReport:
    """Check the whole file first, so a truncated or damaged bundle changes nothing.
    `detached`: files may come by their header only (a hub: content/relay.py)."""
    with path.open("rb") as handle:
        meta = _read_meta(handle)
        if meta.get("net") != log.network_id:
            raise ProtocolError(f"bundle belongs to network {meta.get('net')}")
        start = handle.tell()
        _check_count(meta, sum(len(decode_batch(data)) for data in _batches(handle)))
        handle.seek(start)
        batches = (decode_batch(data) for data in _batches(handle))
        return log.ingest_batches(batches, detached=detached)


def _check_count(meta: dict[str, object], count: int) -> None:
    """A bundle cut between two batches still reads cleanly; the op count it announces does not."""
    if meta.get("count") != count:
        raise ProtocolError(f"bundle is truncated ({count} of {meta.get('count')} ops)")


def _read_meta(handle: BinaryIO) -> dict[str, object]:
    if handle.read(4) != MAGIC:
        raise ProtocolError("not a Dorfhub bundle")
    length = _read_length(handle)
    if length is None or length > 4096:
        raise ProtocolError("bundle header is damaged")
    try:
        meta = json.loads(handle.read(length))
    except ValueError:
        raise ProtocolError("bundle header is damaged") from None
    if not isinstance(meta, dict):
        raise ProtocolError("bundle header is damaged")
    return meta


def _batches(handle: BinaryIO) -> Iterator[bytes]:
    while (length := _read_length(handle)) is not None:
        if length > MAX_REQUEST_BYTES:
            raise ProtocolError("bundle batch too large")
        data = handle.read(length)
        if len(data) != length:
            raise ProtocolError("bundle is truncated")
        yield data


def _read_length(handle: BinaryIO) -> int | None:
    raw = handle.read(_LENGTH.size)
    if not raw:
        return None
    if len(raw) != _LENGTH.size:
        raise ProtocolError("bundle is truncated")
    return int(_LENGTH.unpack(raw)[0])
