"""Attachments (the desk's editor and `notice publish --attach`): the type comes from the
content, images are scaled to the kiosk's panel and stored without their metadata, PDFs are
checked and capped."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from content.attachments import (
    KIOSK_HEIGHT_PX,
    KIOSK_WIDTH_PX,
    FileProblem,
    display_name,
    prepare,
)
from content.limits import MAX_ATTACHMENT_BYTES
from kiosk.theme import Screen

GPS_IFD = 0x8825
ORIENTATION = 0x0112
ROTATED_90 = 6


def photo(width: int, height: int, exif: Image.Exif | None = None) -> bytes:
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes() if exif else b"")
    return out.getvalue()


def located() -> Image.Exif:
    """EXIF as a phone writes it: where the photo was taken, and which way up."""
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (48.0, 49.0, 12.5), 3: "E", 4: (13.0, 32.0, 1.0)}
    exif[ORIENTATION] = ROTATED_90
    exif[0x010F] = "Kamerahersteller"
    return exif


def pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << >> endobj\n"
    tail = b"\ntrailer << >>\n%%EOF\n"
    return head + b"%" + b"x" * (size - len(head) - len(tail) - 1) + tail


def test_the_desk_scales_to_the_kiosks_panel() -> None:
    assert (Screen().width_px, Screen().height_px) == (KIOSK_WIDTH_PX, KIOSK_HEIGHT_PX)


def test_a_photo_is_turned_scaled_and_stored_without_its_metadata() -> None:
    source = photo(4000, 3000, located())
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # the phone's position
    stored = prepare("Seniorennachmittag.jpeg", source)
    image = Image.open(io.BytesIO(stored.data))
    assert stored.mime == "image/jpeg"
    assert image.format == "JPEG"
    assert stored.name == "Seniorennachmittag.jpg"
    # Turned upright as the EXIF said (3000 x 4000), then fitted into 1920 x 1080, aspect kept.
    assert image.size == (810, 1080)
    assert not image.getexif()
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert b"Kamerahersteller" not in stored.data
    assert len(stored.data) <= MAX_ATTACHMENT_BYTES


def test_a_small_image_is_not_enlarged_and_transparency_stays_png() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (200, 30, 30, 128)).save(out, "PNG")
    stored = prepare("logo.PNG", out.getvalue())
    image = Image.open(io.BytesIO(stored.data))
    assert (stored.mime, stored.name, image.size, image.mode) == (
        "image/png",
        "logo.png",
        (300, 200),
        "RGBA",
    )


def test_a_text_file_named_png_is_refused() -> None:
    with pytest.raises(FileProblem) as refused:
        prepare("fahrplan.png", "Abfahrt 8:15 Uhr, Rückfahrt 12:30 Uhr".encode("latin-1"))
    assert refused.value.reason == "file_type"
    assert refused.value.values == {"name": "fahrplan.png"}


def test_a_pdf_is_known_by_its_content_whatever_its_name() -> None:
    stored = prepare("fahrplan.txt", pdf(2000))
    assert (stored.mime, stored.name) == ("application/pdf", "fahrplan.pdf")


def test_a_pdf_over_the_limit_is_refused_with_the_limit() -> None:
    with pytest.raises(FileProblem) as refused:
        prepare("fahrplan.pdf", pdf(MAX_ATTACHMENT_BYTES + 1))
    assert refused.value.reason == "file_too_large"
    assert refused.value.values == {"name": "fahrplan.pdf", "size": 513, "max": 512}


def test_a_cut_off_pdf_is_refused() -> None:
    with pytest.raises(FileProblem) as refused:
        prepare("fahrplan.pdf", pdf(4000)[:3000])
    assert refused.value.reason == "pdf_broken"


def test_an_image_declaring_huge_dimensions_is_refused_before_decoding() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    with pytest.raises(FileProblem) as refused:
        prepare("bombe.png", bomb)
    assert refused.value.reason == "image_too_big"


def test_names_lose_folders_and_invisible_characters() -> None:
    assert display_name("C:\\Users\\maria\\Plakat.pdf") == "Plakat.pdf"
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("Plan\u202egnp.pdf") == "Plangnp.pdf"
    assert display_name("\x1b[31m") == "[31m"
    assert display_name("") == "Anhang"
