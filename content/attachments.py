"""A notice's attachments, as the desk's editor and `dorfhub notice publish --attach` take them:
images and PDFs only, the type read from the content, never the file name; images are scaled
to what the kiosk shows and re-encoded, PDFs checked to be PDFs within the limit.

An image is turned the way its EXIF says, scaled down to fit the kiosk's reference panel
(kiosk/theme.py `Screen`: 1920 x 1080; KIOSK-UX.md), its aspect kept, and written anew from
its pixels alone: EXIF (GPS positions, camera serials), ICC profiles, comments and text chunks
stay behind. Opaque images become JPEG, images with transparency PNG. What comes out must fit
content/limits.py MAX_ATTACHMENT_BYTES like any attachment; a photo that does not at first is
written with less quality, then smaller.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image, ImageOps, UnidentifiedImageError

from content.bodies import Attachment
from content.errors import ContentError
from content.limits import MAX_ATTACHMENT_BYTES, MAX_NAME_CHARS
from content.names import name_problem
from content.ops import body_hash

# The kiosk's reference panel (kiosk/theme.py Screen(); a test keeps them equal): content
# may not import the kiosk, and a larger image would only cost every hub bytes.
KIOSK_WIDTH_PX = 1920
KIOSK_HEIGHT_PX = 1080
# A source image with more pixels is refused before its pixels are decoded (a small file can
# declare 100000 x 100000 pixels).
MAX_SOURCE_PIXELS = 60_000_000
# A file is read only this far: an image may be larger than what is stored (it is scaled
# down), a PDF may not.
MAX_SOURCE_BYTES = 16 * 1024 * 1024
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


# What each refusal says; the desk says it from its catalogs (notices.error.<reason>).
FILE_PROBLEMS = {
    "file_empty": "attachment {name} is empty",
    "file_type": "attachment {name} is neither an image (JPEG, PNG, GIF, WebP) nor a PDF, "
    "as its content shows",
    "file_too_large": "attachment {name} is too large: {size} KiB, at most {max} KiB",
    "pdf_broken": "attachment {name} is not a complete PDF",
    "image_broken": "attachment {name} cannot be read as an image",
    "image_too_big": "attachment {name} has too many pixels",
}


class FileProblem(ContentError, ValueError):
    """A file refused as an attachment: `reason` names why, `values` what the message says."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(FILE_PROBLEMS[reason].format(**values))
        self.reason = reason
        self.values = values


def too_large(name: str, size: int) -> FileProblem:
    return FileProblem(
        "file_too_large", name=display_name(name), size=_kib(size), max=MAX_ATTACHMENT_BYTES // KIB
    )


@dataclass(frozen=True)
class Prepared:
    """An attachment ready to be stored: its name, type and the bytes to store."""

    name: str
    mime: str
    data: bytes

    def reference(self) -> Attachment:
        """What notices.attach will return for the file, known before it is stored."""
        return Attachment(
            blob=body_hash(self.data), name=self.name, mime=self.mime, size=len(self.data)
        )


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
        raise FileProblem("file_empty", name=shown)
    mime = sniff(data)
    if mime is None:
        raise FileProblem("file_type", name=shown)
    if mime == "application/pdf":
        return Prepared(_renamed(shown, mime), mime, _checked_pdf(shown, data))
    image_mime, encoded = _scaled_image(shown, data, mime)
    return Prepared(_renamed(shown, image_mime), image_mime, encoded)


def prepare_file(path: Path) -> Prepared:
    """`prepare` for a file on disk, read no further than MAX_SOURCE_BYTES (a file given by
    mistake may be a disk image)."""
    with path.open("rb") as file:
        data = file.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:
            # A pipe or a device has no size to say; a file says its own.
            raise too_large(path.name, max(len(data), os.fstat(file.fileno()).st_size))
    return prepare(path.name, data)


def _checked_pdf(name: str, data: bytes) -> bytes:
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise too_large(name, len(data))
    # A PDF ends with its trailer's %%EOF (perhaps followed by a line break or two).
    if b"%%EOF" not in data[-1024:]:
        raise FileProblem("pdf_broken", name=name)
    return data


def _scaled_image(name: str, data: bytes, mime: str) -> tuple[str, bytes]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[mime]]) as source:
                if source.width * source.height > MAX_SOURCE_PIXELS:
                    raise FileProblem("image_too_big", name=name)
                source.seek(0)  # an animation shows its first frame
                pixels = ImageOps.exif_transpose(source)
                pixels.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise FileProblem("image_broken", name=name) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise FileProblem("image_too_big", name=name) from None
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
            raise FileProblem("image_too_big", name=name)
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
