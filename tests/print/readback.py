"""Reading printed PDFs back as a person and a phone would: the text with poppler's pdftotext,
the QR codes from a 150 dpi rendering with zbarimg, word sizes and the QR module size."""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

from PIL import Image

DPI = 150
MM_PER_PT = 25.4 / 72
# Roboto's ascender minus descender per em: pdftotext's word box is this high per point.
ROBOTO_BOX_PER_PT = (1900 + 500) / 2048


def save(pdf: bytes, directory: Path, name: str = "printout.pdf") -> Path:
    path = directory / name
    path.write_bytes(pdf)
    return path


def text(path: Path, page: int | None = None) -> str:
    pages = [] if page is None else ["-f", str(page), "-l", str(page)]
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *pages, str(path), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


def flat(value: str) -> str:
    """Whitespace (line ends included) as single spaces: a phrase wrapped over lines is found."""
    return " ".join(value.split())


def render(path: Path, page: int, directory: Path) -> Path:
    prefix = directory / f"{path.stem}-p{page}"
    pages = ["-f", str(page), "-l", str(page)]
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), *pages, "-png", "-singlefile", str(path), str(prefix)],
        check=True,
        capture_output=True,
    )
    return prefix.with_suffix(".png")


def qr_codes(path: Path, page: int, directory: Path) -> bytes:
    """The bytes of the QR codes zbarimg finds on a rendered page, as stored in the code."""
    picture = render(path, page, directory)
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Sbinary", str(picture)], capture_output=True, check=False
    )
    return done.stdout


def as_stored(payload: str) -> bytes:
    """How segno stores a text in byte mode: ISO 8859-1 when it can, else UTF-8."""
    try:
        return payload.encode("latin-1")
    except UnicodeEncodeError:
        return payload.encode("utf-8")


def word_sizes(path: Path, page: int = 1) -> dict[str, float]:
    """Each word's font size in points (the largest where a word occurs more than once), from
    the height of its box in pdftotext's bounding-box output."""
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        check=True,
    )
    sizes: dict[str, float] = {}
    pattern = r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
    for top, bottom, word in re.findall(pattern, done.stdout.decode()):
        size = (float(bottom) - float(top)) / ROBOTO_BOX_PER_PT
        sizes[word] = max(size, sizes.get(word, 0.0))
    return sizes


def qr_module_mm(path: Path, page: int = 1) -> float:
    """The side of the QR code's modules as drawn: the code is one path of rectangles a module
    high in a millimetre coordinate system (fpdf's drawing context)."""
    from pypdf import PdfReader

    content = PdfReader(path).pages[page - 1].get_contents()
    assert content is not None
    stream = content.get_data().decode("latin-1")
    scale = re.search(r"q ([\d.]+) 0 0 -([\d.]+) 0 [\d.]+ cm", stream)
    assert scale is not None, "no drawing context on the page"
    heights = re.findall(r"-?[\d.]+ -?[\d.]+ -?[\d.]+ (-?[\d.]+) re", stream[scale.end() :])
    module, count = collections.Counter(abs(float(h)) for h in heights).most_common(1)[0]
    assert count > 50, "no QR code path found"
    return module * float(scale[1]) * MM_PER_PT


def pixel(picture: Path, x_mm: float, y_mm: float) -> tuple[int, int, int]:
    with Image.open(picture) as image:
        value = image.convert("RGB").getpixel((x_mm / 25.4 * DPI, y_mm / 25.4 * DPI))
    assert isinstance(value, tuple)
    return (int(value[0]), int(value[1]), int(value[2]))
