"""The appointment slip: a printable A4 PDF, and where it goes (a CUPS printer or a file).

The slip holds what `content.booking.slip` returns: date, time, place, practice, address and
phone, booking code (with a QR code of it), what to bring, how to cancel. It carries no personal
data, so the saved copy in `<home>/slips/` is safe to keep; a PDF sent to `lp` goes through a
temporary file that is deleted once `lp` has spooled it.

Printer: the `[printer]` table of the hub's config.toml (`command = ["lp", "-d", "Kiosk"]`, or
`enabled = false`), else `lp` when it is on PATH, else no printer (the PDF is saved).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from content.booking import Slip
from content.print_layout import register_fonts
from content.private_files import make_private_dir, write_private
from kiosk import qr

SLIPS_DIR = "slips"
PRINT_TIMEOUT_S = 30.0
# The labels a slip needs, as catalog keys (the screen passes them translated).
LABEL_KEYS = (
    "slip.title_confirmed",
    "slip.title_pending",
    "slip.date",
    "slip.time",
    "slip.place",
    "slip.practice",
    "slip.service",
    "slip.phone",
    "slip.code",
    "slip.code_pending",
    "slip.bring",
    "slip.cancel",
    "slip.video",
    "slip.by_phone",
)
FONT_SIZE = 15
QR_MM = 45


@dataclass(frozen=True)
class Delivery:
    """What became of a slip: printed (`path` None), or saved at `path`; `error` says why a
    printer that exists did not print."""

    printed: bool
    path: Path | None
    error: str = ""


def lines(slip: Slip, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """The slip's content as (label, value) rows, in print order."""
    code = slip.code or labels["slip.code_pending"]
    rows = [
        (labels["slip.date"], slip.date),
        (labels["slip.time"], slip.time),
        (labels["slip.service"], slip.service),
        (labels["slip.place"], slip.place),
        (labels["slip.practice"], f"{slip.practice}, {slip.practice_address}".strip(", ")),
        (labels["slip.phone"], slip.practice_phone),
        (labels["slip.code"], code),
        (labels["slip.bring"], slip.bring),
        (labels["slip.cancel"], slip.how_to_cancel),
    ]
    if slip.video_url:
        rows.append((labels["slip.video"], slip.video_url))
    # "Absagen: am Dorfhub …" from the library already names itself.
    return [(label, _without(value, label)) for label, value in rows if value]


def _without(value: str, label: str) -> str:
    prefix = f"{label}:"
    return value[len(prefix) :].strip() if value.lower().startswith(prefix.lower()) else value


def title(slip: Slip, labels: Mapping[str, str]) -> str:
    confirmed = slip.state == "confirmed" and slip.code
    return labels["slip.title_confirmed" if confirmed else "slip.title_pending"]


def text(slip: Slip, labels: Mapping[str, str], with_title: bool = True) -> str:
    """The slip as one text, for reading aloud."""
    parts = [title(slip, labels)] if with_title else []
    parts += [f"{label}: {value}" for label, value in lines(slip, labels)]
    parts.append(labels["slip.by_phone"].format(phone=slip.practice_phone))
    return " ".join(part if part[-1] in ".:!?" else f"{part}." for part in parts)


def render_pdf(slip: Slip, labels: Mapping[str, str]) -> bytes:
    """An A4 page in large print; a QR code of the booking code when there is one."""
    # fpdf with fontTools and PIL takes 0.35-0.5 s and tens of MB to load: only for a slip.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creator("Dorfhub")
    pdf.set_title(title(slip, labels))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, 20)
    fonts = register_fonts(pdf)  # Roboto, shared with the posters (content.print_layout)
    family = fonts.family
    pdf.add_page()
    pdf.set_font(family, "B", FONT_SIZE + 7)
    pdf.multi_cell(0, 11, fonts.printable(title(slip, labels)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    top = pdf.get_y()
    if slip.code:
        png = qr.png(slip.code, scale=10)
        pdf.image(io.BytesIO(png), x=pdf.w - pdf.r_margin - QR_MM, y=top, w=QR_MM, h=QR_MM)
    for index, (label, value) in enumerate(lines(slip, labels)):
        # The first rows run beside the QR code; the long texts below it use the full width.
        width = pdf.epw - QR_MM - 5 if slip.code and index < 7 else 0
        pdf.set_font(family, "B", FONT_SIZE)
        pdf.multi_cell(width, 8, fonts.printable(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", FONT_SIZE + (6 if label == labels["slip.code"] else 0))
        pdf.multi_cell(width, 8, fonts.printable(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(3)
    pdf.set_font(family, "", FONT_SIZE)
    by_phone = labels["slip.by_phone"].format(phone=slip.practice_phone)
    pdf.multi_cell(0, 8, fonts.printable(by_phone), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def find_printer(home_dir: Path) -> list[str] | None:
    """The print command: the config's [printer] table, else `lp` on PATH, else None."""
    config = home_dir / "config.toml"
    table: dict[str, object] = {}
    if config.exists():
        try:
            with config.open("rb") as handle:
                found = tomllib.load(handle).get("printer", {})
            table = found if isinstance(found, dict) else {}
        except (OSError, tomllib.TOMLDecodeError):
            table = {}
    if table.get("enabled") is False:
        return None
    command = table.get("command")
    if isinstance(command, str) and command.strip():
        return [command.strip()]
    if isinstance(command, list) and command and all(isinstance(c, str) for c in command):
        return [str(part) for part in command]
    lp = shutil.which("lp")
    return [lp] if lp else None


def deliver(pdf: bytes, home_dir: Path, name: str, printer: list[str] | None) -> Delivery:
    """Print the PDF, or save it (no personal data in it) as `<home>/slips/<name>.pdf`.

    A printer that fails (no queue, CUPS down) leads to the saved file, with the reason."""
    error = ""
    if printer is not None:
        handle, temporary = tempfile.mkstemp(prefix="dorfhub-slip-", suffix=".pdf")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(pdf)
            # lp copies the file into the spooler before it exits: the file may go then.
            done = subprocess.run(
                [*printer, temporary],
                capture_output=True,
                text=True,
                timeout=PRINT_TIMEOUT_S,
                check=False,
            )
            if done.returncode == 0:
                return Delivery(printed=True, path=None)
            said = (done.stderr or done.stdout).strip().splitlines()
            error = f"{printer[0]}: {said[-1] if said else done.returncode}"
        except (OSError, subprocess.SubprocessError) as exc:
            error = f"{printer[0]}: {exc}"
        finally:
            Path(temporary).unlink(missing_ok=True)
    folder = home_dir / SLIPS_DIR
    make_private_dir(folder)
    path = folder / f"{name}.pdf"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{name}-{number}.pdf"
    write_private(path, pdf)
    return Delivery(printed=False, path=path, error=error)


def file_name(slip: Slip, request_id: str) -> str:
    """A name with the appointment's time and code, nothing personal: 20261202-0930-KM4T-7QXA."""
    day = "".join(reversed(slip.date.split()[-1].split(".")))
    moment = f"{day}-{slip.time.replace(':', '')}"
    return f"termin-{moment}-{slip.code or request_id[-8:]}"
