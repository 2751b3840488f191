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
from dataclasses import dataclass, replace
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
    "slip.title_cancelled",
    "slip.cancel_reason",
)
# Large print, ragged right: labels 16 pt, values 17 pt, the title and the booking code 18 pt.
LABEL_PT = 16
VALUE_PT = 17
LARGE_PT = 18
LINE_MM = 7.5  # a line of 16-17 pt with air between lines
QR_MM = 45
# Where a consultation "am Dorfhub" takes place: the hub's village (its name) and its address,
# from `[hub] address = "Kirchplatz 3, 94160 Ringelai"` in the hub's config.toml.
HUB_PLACE_PREFIX = "Dorfhub"


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
    cancelled = slip.state == "cancelled"
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
    if cancelled:
        # A new slip for a cancelled booking: why, instead of a code still to come, what to
        # bring and how to cancel.
        dropped = {labels["slip.code"], labels["slip.bring"], labels["slip.cancel"]}
        rows = [row for row in rows if row[0] not in dropped]
        rows.append((labels["slip.cancel_reason"], slip.cancel_reason or ""))
        return [(label, value) for label, value in rows if value]
    if slip.video_url:
        rows.append((labels["slip.video"], slip.video_url))
    # "Absagen: am Dorfhub …" from the library already names itself.
    return [(label, _without(value, label)) for label, value in rows if value]


def _without(value: str, label: str) -> str:
    prefix = f"{label}:"
    return value[len(prefix) :].strip() if value.lower().startswith(prefix.lower()) else value


def title(slip: Slip, labels: Mapping[str, str]) -> str:
    if slip.state == "cancelled":
        return labels["slip.title_cancelled"]
    confirmed = slip.state == "confirmed" and slip.code
    return labels["slip.title_confirmed" if confirmed else "slip.title_pending"]


def text(slip: Slip, labels: Mapping[str, str], with_title: bool = True) -> str:
    """The slip as one text, for reading aloud."""
    parts = [title(slip, labels)] if with_title else []
    parts += [f"{label}: {value}" for label, value in lines(slip, labels)]
    parts.append(labels["slip.by_phone"].format(phone=slip.practice_phone))
    return " ".join(part if part[-1] in ".:!?" else f"{part}." for part in parts)


def render_pdf(slip: Slip, labels: Mapping[str, str]) -> bytes:
    """An A4 page in large print (16-18 pt, ragged right); a QR code of the booking code when
    there is one."""
    # fpdf with fontTools and PIL takes 0.35-0.5 s and tens of MB to load: only for a slip.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creator("Dorfhub")
    pdf.set_title(title(slip, labels))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, 20)
    fonts = register_fonts(pdf)  # Roboto, shared with the posters (content.print_layout)
    family = fonts.family

    def put(width: float, text: str) -> None:
        # Ragged right: fpdf justifies a multi_cell unless told otherwise.
        pdf.multi_cell(
            width, LINE_MM, fonts.printable(text), align="L", new_x="LMARGIN", new_y="NEXT"
        )

    pdf.add_page()
    pdf.set_font(family, "B", LARGE_PT)
    put(0, title(slip, labels))
    pdf.ln(3)
    top = pdf.get_y()
    if slip.code:
        png = qr.png(slip.code, scale=10)
        pdf.image(io.BytesIO(png), x=pdf.w - pdf.r_margin - QR_MM, y=top, w=QR_MM, h=QR_MM)
    for index, (label, value) in enumerate(lines(slip, labels)):
        # The first rows run beside the QR code; the long texts below it use the full width.
        width = pdf.epw - QR_MM - 5 if slip.code and index < 7 else 0
        pdf.set_font(family, "B", LABEL_PT)
        put(width, label)
        code = label == labels["slip.code"]
        pdf.set_font(family, "B" if code else "", LARGE_PT if code else VALUE_PT)
        put(width, value)
        pdf.ln(2)
    pdf.ln(3)
    pdf.set_font(family, "", VALUE_PT)
    put(0, labels["slip.by_phone"].format(phone=slip.practice_phone))
    return bytes(pdf.output())


def at_hub(slip: Slip, village: str, address: str) -> Slip:
    """The slip with the place of a consultation at the hub ("Dorfhub – Beratungsraum", as a
    practice names it) spelt out for the resident: the hub's village, the room, the address."""
    place = slip.place.strip()
    if not place.startswith(HUB_PLACE_PREFIX):
        return slip  # by phone, or at the practice: the practice's words stand
    room = place[len(HUB_PLACE_PREFIX) :].strip(" –-,")
    named = f"{HUB_PLACE_PREFIX} {village}".strip() + (f", {room}" if room else "")
    return replace(slip, place=f"{named}\n{address}" if address else named)


def _config_table(home_dir: Path, name: str) -> dict[str, object]:
    """A table of the hub's config.toml; empty when there is none or the file is unreadable."""
    config = home_dir / "config.toml"
    if not config.exists():
        return {}
    try:
        with config.open("rb") as handle:
            found = tomllib.load(handle).get(name, {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return found if isinstance(found, dict) else {}


def hub_address(home_dir: Path) -> str:
    """The hub's street address (`[hub] address` in config.toml), "" when not set."""
    address = _config_table(home_dir, "hub").get("address")
    return address.strip() if isinstance(address, str) else ""


def find_printer(home_dir: Path) -> list[str] | None:
    """The print command: the config's [printer] table, else `lp` on PATH, else None."""
    table = _config_table(home_dir, "printer")
    if table.get("enabled") is False:
        return None
    command = table.get("command")
    if isinstance(command, str) and command.strip():
        return [command.strip()]
    if isinstance(command, list) and command and all(isinstance(c, str) for c in command):
        return [str(part) for part in command]
    lp = shutil.which("lp")
    return [lp] if lp else None


def send_to_printer(pdf: bytes, printer: list[str]) -> str:
    """Print a PDF (a slip, a notice's poster) with the print command; "" when it was
    spooled, else why not. The PDF goes through a temporary file, deleted afterwards."""
    handle, temporary = tempfile.mkstemp(prefix="dorfhub-print-", suffix=".pdf")
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
            return ""
        said = (done.stderr or done.stdout).strip().splitlines()
        return f"{printer[0]}: {said[-1] if said else done.returncode}"
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{printer[0]}: {exc}"
    finally:
        Path(temporary).unlink(missing_ok=True)


def deliver(pdf: bytes, home_dir: Path, name: str, printer: list[str] | None) -> Delivery:
    """Print the PDF, or save it (no personal data in it) as `<home>/slips/<name>.pdf`.

    A printer that fails (no queue, CUPS down) leads to the saved file, with the reason."""
    error = ""
    if printer is not None:
        error = send_to_printer(pdf, printer)
        if not error:
            return Delivery(printed=True, path=None)
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
