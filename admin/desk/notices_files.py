"""Attachments from the editor: the type is read from the content, never the file name; images
are scaled to what the kiosk shows and re-encoded, PDFs checked to be PDFs within the limit.

An image is turned the way its EXIF says, scaled down to fit the kiosk's reference panel
(kiosk/theme.py `Screen`: 1920 x 1080; KIOSK-UX.md), its aspect kept, and written anew from
its pixels alone: EXIF (GPS positions, camera serials), ICC profiles, comments and text chunks
stay behind. Opaque images become JPEG, images with transparency PNG. What comes out must fit
content/limits.py MAX_ATTACHMENT_BYTES like any attachment; a photo that does not at first is
written with less quality, then smaller.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from PIL import Image, ImageOps, UnidentifiedImageError

from content.limits import MAX_ATTACHMENT_BYTES, MAX_NAME_CHARS
from content.names import name_problem

# The kiosk's reference panel (kiosk/theme.py Screen(); a test keeps them equal): the desk
# may not import the kiosk, and a larger image would only cost every hub bytes.
KIOSK_WIDTH_PX = 1920
KIOSK_HEIGHT_PX = 1080
# A source image with more pixels is refused before its pixels are decoded (a small file can
# declare 100000 x 100000 pixels).
MAX_SOURCE_PIXELS = 60_000_000
JPEG_QUALITIES = (85, 75, 65, 50)
SHRINK_STEP = 0.8
KIB = 1024

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


class FileProblem(Exception):
    """An upload the editor refuses; `key` names the message, `values` what it says."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Prepared:
    """An attachment ready to be stored: its name, type and the bytes to store."""

    name: str
    mime: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The type the content says it is (its first bytes), or None."""
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def prepare(name: str, data: bytes) -> Prepared:
    """The attachment to store for an upload, or FileProblem."""
    shown = display_name(name)
    if not data:
        raise FileProblem("notices.error.file_empty", name=shown)
    mime = sniff(data)
    if mime is None:
        raise FileProblem("notices.error.file_type", name=shown)
    if mime == "application/pdf":
        return Prepared(_renamed(shown, mime), mime, _checked_pdf(shown, data))
    image_mime, encoded = _scaled_image(shown, data, mime)
    return Prepared(_renamed(shown, image_mime), image_mime, encoded)


def _checked_pdf(name: str, data: bytes) -> bytes:
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise FileProblem(
            "notices.error.file_too_large",
            name=name,
            size=_kib(len(data)),
            max=MAX_ATTACHMENT_BYTES // KIB,
        )
    # A PDF ends with its trailer's %%EOF (perhaps followed by a line break or two).
    if b"%%EOF" not in data[-1024:]:
        raise FileProblem("notices.error.pdf_broken", name=name)
    return data


def _scaled_image(name: str, data: bytes, mime: str) -> tuple[str, bytes]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[mime]]) as source:
                if source.width * source.height > MAX_SOURCE_PIXELS:
                    raise FileProblem("notices.error.image_too_big", name=name)
                source.seek(0)  # an animation shows its first frame
                pixels = ImageOps.exif_transpose(source)
                pixels.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise FileProblem("notices.error.image_broken", name=name) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise FileProblem("notices.error.image_too_big", name=name) from None
    return _encoded(name, _pixels_only(pixels))


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image from the pixels alone: no EXIF, ICC, comments or text travel on."""
    transparent = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    converted = image.convert("RGBA" if transparent else "RGB")
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    clean.thumbnail((KIOSK_WIDTH_PX, KIOSK_HEIGHT_PX), Image.Resampling.LANCZOS)
    return clean


def _encoded(name: str, image: Image.Image) -> tuple[str, bytes]:
    """The image written small enough for an attachment: lower quality first, then smaller."""
    while True:
        for mime, data in _encodings(image):
            if len(data) <= MAX_ATTACHMENT_BYTES:
                return mime, data
        if min(image.size) < 64:
            raise FileProblem("notices.error.image_too_big", name=name)
        smaller = (int(image.width * SHRINK_STEP), int(image.height * SHRINK_STEP))
        image = image.resize(smaller, Image.Resampling.LANCZOS)


def _encodings(image: Image.Image) -> list[tuple[str, bytes]]:
    if image.mode == "RGBA":
        return [("image/png", _save(image, "PNG", optimize=True))]
    return [("image/jpeg", _save(image, "JPEG", quality=q, optimize=True)) for q in JPEG_QUALITIES]


def _save(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def display_name(name: str) -> str:
    """The file's own name, without the sender's folders or invisible characters, short
    enough for an attachment's name (content/names.py rules)."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    base = re.sub(r"\s+", " ", base).strip()[:MAX_NAME_CHARS]
    return base if base and name_problem(base) is None else "Anhang"


def _renamed(name: str, mime: str) -> str:
    """The name with the extension of what is stored (a PNG photo stored as JPEG ends .jpg)."""
    stem = PurePosixPath(name).stem or name
    extension = _EXTENSIONS[mime]
    return stem[: MAX_NAME_CHARS - len(extension)] + extension


def _kib(size: int) -> int:
    return -(-size // KIB)
