"""Reading a QR code back from a picture, as a phone's camera would: module by module."""

from __future__ import annotations

from typing import Any


def modules(image: Any) -> list[list[bool]]:
    """The dark/light modules of a QR code image drawn with a 4-module quiet zone."""
    from PIL import ImageOps

    grey = image.convert("L")
    left, top, right, _ = ImageOps.invert(grey).getbbox()
    scale = left / 4
    count = round((right - left) / scale)
    return [
        [
            grey.getpixel((int(left + (col + 0.5) * scale), int(top + (row + 0.5) * scale))) < 128
            for col in range(count)
        ]
        for row in range(count)
    ]


def on_white(path: str) -> Any:
    """A widget's picture (transparent where nothing was drawn) as a phone sees it on the
    white panel."""
    from PIL import Image

    picture = Image.open(path).convert("RGBA")
    white = Image.new("RGBA", picture.size, "white")
    return Image.alpha_composite(white, picture)


def expected_modules(text: str) -> list[list[bool]]:
    import segno

    return [[bool(cell) for cell in row] for row in segno.make(text, error="m", micro=False).matrix]
