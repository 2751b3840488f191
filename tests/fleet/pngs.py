"""PNGs for the screenshot tests: a kiosk's, made by the kiosk's own encoder, and hostile ones
made byte by byte."""

from __future__ import annotations

import struct
import zlib

from content.screenshots import SIGNATURE
from kiosk.screenshot import encode_png


def kiosk_png(taken_at: int, screen: str = "home", shade: int = 200) -> bytes:
    """What the kiosk writes: 960 x 540, its text chunks, made by kiosk.screenshot."""
    size = (960, 540)
    pixels = bytes([shade, 120, 40, 255]) * (size[0] * size[1])
    return encode_png(pixels, size, screen, taken_at)


def chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def declared_png(
    width: int, height: int, text: dict[str, str] | None = None, data: bytes | None = None
) -> bytes:
    """A PNG whose header declares `width` x `height` pixels, with one row of image data (or
    `data` as its IDAT): a decoder that trusted the header would allocate for all of them."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    texts = b"".join(
        chunk(b"tEXt", key.encode() + b"\0" + value.encode()) for key, value in (text or {}).items()
    )
    pixels = zlib.compress(b"\0" + b"\0" * 3 * min(width, 64)) if data is None else data
    return SIGNATURE + chunk(b"IHDR", header) + texts + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
