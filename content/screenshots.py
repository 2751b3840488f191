"""A hub's kiosk screenshot, for the desk's page per hub (docs/kiosk.md "Screenshot").

The kiosk writes one PNG into the hub's home (`screenshot.png`) at most every 15 minutes, and
only while it shows the home screen or the signage (kiosk/screenshot.py). The hub daemon uploads
a new one, signed, to the town server (`POST /v1/screenshot`), which keeps only the latest per
hub: one file per hub key under its home, outside the op log, replaced whole. When it was taken
and what it shows travel in the PNG's own text chunks, inside the signed body; the server adds
when it received it.

The server reads bytes a peer sent: `check_png` walks the chunk structure, checks every chunk's
checksum and the header's width and height before a single pixel is decoded, and only then does
Pillow decode the image, so a PNG that declares 100000 x 100000 pixels costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from content.errors import ContentError
from content.limits import MAX_SCREENSHOT_BYTES, MAX_SCREENSHOT_SIDE_PX
from content.private_files import FILE_MODE, make_private_dir

KIOSK_FILE = "screenshot.png"  # in the hub's home, written by the kiosk
SERVER_DIR = "screenshots"  # in the town server's home: <hub key>.png
EVERY_MS = 15 * 60 * 1000  # at most one screenshot per hub in this time, taken or sent
TAKEN_AT = "dorfhub-taken-at"  # ms since the epoch, by the kiosk's trusted clock
SCREEN = "dorfhub-screen"
RECEIVED_AT = "dorfhub-received-at"  # ms, by the town server's clock
# What a screenshot may show: never a screen a resident is using (docs/privacy.md).
SCREENS = ("home", "signage", "emergency")
SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IEND = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
# Bit depths each PNG colour type allows (PNG specification, table 11.1).
_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_HUB_KEY = re.compile("^[0-9a-f]{64}$")


class ScreenshotError(ContentError, ValueError):
    """Bytes that are not a kiosk screenshot; the message says why, in one line."""


@dataclass(frozen=True)
class Screenshot:
    hub: str
    png: bytes
    width: int
    height: int
    screen: str  # one of SCREENS
    taken_at_ms: int
    received_at_ms: int | None  # None in the hub's own file: not sent yet

    def as_json(self) -> dict[str, object]:
        """What the desk and `dorfhub fleet --json` say about it (not the pixels)."""
        return {
            "width": self.width,
            "height": self.height,
            "bytes": len(self.png),
            "screen": self.screen,
            "taken_at": self.taken_at_ms,
            "received_at": self.received_at_ms,
        }


@dataclass(frozen=True)
class PngFacts:
    width: int
    height: int
    text: dict[str, str]


# ---- checking untrusted bytes -----------------------------------------------------------------


def check_png(data: bytes) -> PngFacts:
    """The size and text chunks of a well-formed PNG of sane dimensions; ScreenshotError if the
    bytes are anything else. Decodes no pixels."""
    if len(data) > MAX_SCREENSHOT_BYTES:
        raise ScreenshotError(f"a screenshot may have at most {MAX_SCREENSHOT_BYTES} bytes")
    if not data.startswith(SIGNATURE):
        raise ScreenshotError("not a PNG image")
    chunks = _chunks(data)
    kind, header = next(chunks, (b"", b""))
    if kind != b"IHDR" or len(header) != 13:
        raise ScreenshotError("a PNG must begin with its IHDR header")
    width, height = _dimensions(header)
    text: dict[str, str] = {}
    has_pixels = False
    for kind, payload in chunks:
        has_pixels = has_pixels or kind == b"IDAT"
        if kind == b"tEXt":
            key, _, value = payload.partition(b"\0")
            text[key.decode("latin-1")] = value.decode("latin-1")
    if not has_pixels:
        raise ScreenshotError("the PNG holds no image data")
    return PngFacts(width, height, text)


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Each chunk's type and payload up to IEND, checksums checked; nothing may follow IEND."""
    offset = len(SIGNATURE)
    while True:
        if offset + 12 > len(data):
            raise ScreenshotError("the PNG is cut short")
        length, kind = struct.unpack_from(">I4s", data, offset)
        end = offset + 8 + length
        if end + 4 > len(data) or not kind.isalpha():
            raise ScreenshotError("the PNG is cut short or malformed")
        payload = data[offset + 8 : end]
        if zlib.crc32(kind + payload) != struct.unpack_from(">I", data, end)[0]:
            raise ScreenshotError(f"the PNG's {kind.decode()} chunk fails its checksum")
        offset = end + 4
        if kind == b"IEND":
            if offset != len(data):
                raise ScreenshotError("bytes follow the PNG's end")
            return
        yield kind, payload


def _dimensions(header: bytes) -> tuple[int, int]:
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    if not (0 < width <= MAX_SCREENSHOT_SIDE_PX and 0 < height <= MAX_SCREENSHOT_SIDE_PX):
        raise ScreenshotError(
            f"a screenshot of {width} x {height} pixels: at most "
            f"{MAX_SCREENSHOT_SIDE_PX} x {MAX_SCREENSHOT_SIDE_PX}"
        )
    if depth not in _DEPTHS.get(colour, set()) or compression or filtering or interlace > 1:
        raise ScreenshotError("the PNG header names no valid image format")
    return width, height


def check_screenshot(data: bytes) -> tuple[PngFacts, str, int]:
    """A kiosk screenshot: a sane PNG whose text says which public screen it shows and when it
    was taken, and whose pixels decode. Returns its facts, screen and time taken."""
    facts = check_png(data)
    screen = facts.text.get(SCREEN, "")
    if screen not in SCREENS:
        raise ScreenshotError(f"a screenshot must show one of {', '.join(SCREENS)}")
    taken = facts.text.get(TAKEN_AT, "")
    if not (taken.isdigit() and 0 < int(taken) <= 2**53):
        raise ScreenshotError("a screenshot must say when it was taken")
    _decode(data, facts)
    return facts, screen, int(taken)


def _decode(data: bytes, facts: PngFacts) -> None:
    """Decode every pixel once (bounded by the checked header: at most MAX_SCREENSHOT_SIDE_PX
    squared), so that the desk never shows an image a browser cannot."""
    from PIL import Image  # only the server needs it, and only here

    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.size != (facts.width, facts.height):
                raise ScreenshotError("the PNG's size is inconsistent")
            image.load()
    except ScreenshotError:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken image data
        raise ScreenshotError(f"the PNG's image data is broken ({type(exc).__name__})") from None


def with_text(data: bytes, key: str, value: str) -> bytes:
    """A checked PNG with one more text chunk, just before its end."""
    payload = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload))
    if not data.endswith(_IEND):
        raise ScreenshotError("the PNG does not end with IEND")
    return data[: -len(_IEND)] + chunk + _IEND


# ---- files ------------------------------------------------------------------------------------


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` whole (0600): a reader sees the old file or the new, never a part."""
    make_private_dir(path.parent)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def kiosk_screenshot(home_dir: Path) -> bytes | None:
    """The hub's newest screenshot as the kiosk wrote it, or None if there is none (or one too
    large to send)."""
    path = home_dir / KIOSK_FILE
    try:
        if path.stat().st_size > MAX_SCREENSHOT_BYTES:
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def server_dir(home_dir: Path) -> Path:
    return home_dir / SERVER_DIR


def keep_latest(directory: Path, hub: str, data: bytes, received_at_ms: int) -> Screenshot:
    """Check an uploaded screenshot and keep it as `hub`'s only one, replacing the one before.
    ScreenshotError and nothing changes if it is not a kiosk screenshot."""
    path = _hub_file(directory, hub)
    facts, screen, taken = check_screenshot(data)
    png = with_text(data, RECEIVED_AT, str(received_at_ms))
    write_atomically(path, png)
    return Screenshot(hub, png, facts.width, facts.height, screen, taken, received_at_ms)


def latest(directory: Path, hub: str) -> Screenshot | None:
    """The latest screenshot the town server keeps of `hub` (for the desk), or None."""
    try:
        data = _hub_file(directory, hub).read_bytes()
    except FileNotFoundError:
        return None
    facts = check_png(data)  # our own file: the structure suffices, no second decode
    received = facts.text.get(RECEIVED_AT, "")
    return Screenshot(
        hub,
        data,
        facts.width,
        facts.height,
        facts.text.get(SCREEN, ""),
        int(facts.text.get(TAKEN_AT, "0")),
        int(received) if received.isdigit() else None,
    )


def _hub_file(directory: Path, hub: str) -> Path:
    # The key becomes a file name: only a key's 64 hex digits may, never a path.
    if not _HUB_KEY.match(hub):
        raise ValueError(f"not a hub key: {hub[:80]!r}")
    return directory / f"{hub}.png"


# ---- when the hub sends one -------------------------------------------------------------------


@dataclass
class UploadSchedule:
    """The hub daemon's rule: send the kiosk's screenshot when it changed, at most once every
    EVERY_MS (on the monotonic clock, which no clock step moves). What was sent last is
    remembered beside the screenshot, so a restarted daemon does not send the same one again."""

    home_dir: Path
    every_s: float = EVERY_MS / 1000
    last_sent_at: float | None = None

    @property
    def sent_file(self) -> Path:
        return self.home_dir / "screenshot.sent"

    def due(self, now: float) -> bytes | None:
        """The screenshot to send now, or None."""
        if self.last_sent_at is not None and now - self.last_sent_at < self.every_s:
            return None
        data = kiosk_screenshot(self.home_dir)
        if data is None or _digest(data) == self._sent_digest():
            return None
        return data

    def sent(self, data: bytes, now: float) -> None:
        self.last_sent_at = now
        write_atomically(self.sent_file, _digest(data).encode())

    def _sent_digest(self) -> str:
        try:
            return self.sent_file.read_text().strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return ""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
