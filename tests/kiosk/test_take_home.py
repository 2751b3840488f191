"""Taking things home (issue 17): a notice printed at the kiosk as the desk's large-print
poster, through the kiosk's printer command into a PDF file, read back as a person and a phone
read it (pdftotext, zbarimg); and the appointment slip's words, sizes and place."""

from __future__ import annotations

import os
import re
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

from content import booking, notices
from content.clock import wall_clock_ms
from content.identity import load_identity
from content.log import Log
from content.notice_qr import print_payload
from content.posters import origin_of, render_poster
from content.store import Store
from kiosk import slip as slips
from node.home import Home
from tests.kiosk.hubhome import VILLAGE, HubHome
from tests.kiosk.run import run_scenario
from tests.print import readback

BODY = "\n\n".join(
    "Die Ortsdurchfahrt bleibt wegen Kanalarbeiten vom 12. bis 30. Januar gesperrt. " * 3
    for _ in range(6)
)
TITLE = "Bekanntmachung der Gemeinde Ringelai: Straßensperrung in der Ortsmitte"
ADDRESS = "Kirchplatz 3, 94160 Ringelai"
needs_display = pytest.mark.skipif(
    not os.environ.get("DISPLAY"), reason="needs a display: run under xvfb-run"
)


def _publish_long_notice(hub: HubHome) -> str:
    with Store(hub.path / "dorfhub.db") as store:
        return notices.publish(
            Log(store),
            load_identity(hub.admin_key),
            notices.notice_body(
                TITLE, BODY, category="verwaltung", valid_from=wall_clock_ms() - 60_000
            ),
        )


@needs_display
def test_the_print_button_prints_the_desks_poster_of_the_notice(
    hub_home: HubHome, tmp_path: Path
) -> None:
    notice_id = _publish_long_notice(hub_home)
    out_pdf = tmp_path / "printed.pdf"
    # The printer: the kiosk's print command (config.toml [printer]), here one that keeps the
    # PDF it is given, as `lp` would spool it.
    command = ["sh", "-c", 'cp "$1" "$0"', str(out_pdf)]
    Home.open(hub_home.path).save_table("printer", {"command": command})
    params = {"notice_id": notice_id}
    out = run_scenario("print_scenarios:print_notice", hub_home.path, tmp_path, params)["results"]
    assert out["button"] == [True, 1, False, "Drucken"]
    # The long text does not fit the screen's code: only its title, and the caption says so.
    kind, caption, payload = out["qr"]
    assert (kind, payload) == ("title", TITLE)
    assert caption == "Mit dem Handy scannen: nur der Titel kommt auf Ihr Handy. " + (
        "Der Text ist zu lang für den Code."
    )
    assert out["while_printing"] == ["Einen Moment bitte: Der Aushang wird gedruckt …", True]
    text, said, disabled = out["printed"]
    assert text == said == "Gedruckt. Bitte nehmen Sie das Blatt aus dem Drucker."
    assert not disabled
    # What came out of the printer is the desk's poster of the notice (content.posters).
    with Store(hub_home.path / "dorfhub.db") as store:
        notice = notices.get_notice(store.conn, notice_id)
        assert notice is not None
        poster = render_poster(notice, "de", origin_of(store.conn, notice))
    desk = readback.save(poster.pdf, tmp_path, "desk.pdf")
    printed = readback.text(out_pdf)
    assert printed == readback.text(desk)
    assert TITLE in readback.flat(printed)
    # The whole text, on paper (over pages, between their headings and footers).
    assert printed.split().count("Kanalarbeiten") == BODY.split().count("Kanalarbeiten") == 18
    assert readback.word_sizes(out_pdf)["Bekanntmachung"] >= 32  # large print
    code = print_payload(notice, "de")
    assert readback.qr_codes(out_pdf, 1, tmp_path) == readback.as_stored(code.text)


@needs_display
def test_without_a_printer_there_is_no_print_button(hub_home: HubHome, tmp_path: Path) -> None:
    Home.open(hub_home.path).save_table("printer", {"enabled": False})
    params = {"notice_id": hub_home.event_id}
    out = run_scenario("print_scenarios:print_notice", hub_home.path, tmp_path, params)["results"]
    can_print, opacity, disabled, _ = out["button"]
    assert (can_print, opacity, disabled) == (False, 0, True)
    kind, caption, payload = out["qr"]
    assert kind == "event"
    assert caption == "Mit dem Handy scannen: Titel, Zeit und Ort kommen in Ihren Kalender."
    assert "SUMMARY:Seniorennachmittag" in payload
    assert "LOCATION:Pfarrheim" in payload


# ---- the appointment slip ---------------------------------------------------------------------


def _labels() -> dict[str, str]:
    from kiosk.i18n import Translator

    translator = Translator()
    return {key: translator.t("de", key) for key in slips.LABEL_KEYS}


def _slip() -> booking.Slip:
    return booking.Slip(
        state="confirmed",
        code="KM4T-7QXA",
        date="Di 02.12.2026",
        time="09:30",
        place="Dorfhub – Beratungsraum",
        practice="Hausarztpraxis Dr. Huber",
        practice_address="Stadtplatz 1, 94078 Freyung",
        practice_phone="08551 1234",
        service="Videosprechstunde",
        bring="Versichertenkarte, Medikamentenplan, Brille und die Befunde der letzten "
        "Untersuchungen, damit die Ärztin alles Nötige vor sich hat.",
        how_to_cancel="Absagen: am Dorfhub mit dem Buchungscode.",
        video_url="",
    )


def _word_boxes(path: Path) -> list[tuple[float, float, float, str]]:
    done = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, text=True
    )
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<'
    return [(float(a), float(b), float(c), w) for a, b, c, w in re.findall(pattern, done.stdout)]


def test_the_slip_names_the_hubs_village_and_address_in_16_to_18_pt_ragged_right(
    tmp_path: Path,
) -> None:
    slip = slips.at_hub(_slip(), VILLAGE, ADDRESS)
    assert slip.place == f"Dorfhub {VILLAGE}, Beratungsraum\n{ADDRESS}"
    path = readback.save(slips.render_pdf(slip, _labels()), tmp_path, "slip.pdf")
    text = readback.flat(readback.text(path))
    assert f"Dorfhub {VILLAGE}, Beratungsraum {ADDRESS}" in text
    assert "Dorfhub – Beratungsraum" not in text
    sizes = readback.word_sizes(path)
    assert all(16 - 0.5 <= size <= 18 + 0.5 for size in sizes.values()), sizes
    # Ragged right: within a wrapped paragraph every line has the same space between words
    # (a justified line stretches its spaces to reach the margin).
    boxes = _word_boxes(path)
    start = next(i for i, box in enumerate(boxes) if box[3] == "Versichertenkarte,")
    end = next(i for i, box in enumerate(boxes) if box[3] == "hat.")
    lines: dict[float, list[tuple[float, float]]] = {}
    for left, top, right, _ in boxes[start : end + 1]:
        lines.setdefault(round(top), []).append((left, right))
    assert len(lines) >= 2
    gaps = [b[0] - a[1] for line in lines.values() for a, b in pairwise(line)]
    assert max(gaps) - min(gaps) < 0.5
    # Not at the hub: the practice's own words stand.
    assert (
        slips.at_hub(
            booking.Slip(**{**_slip().__dict__, "place": "Telefon"}), VILLAGE, ADDRESS
        ).place
        == "Telefon"
    )


def test_the_hubs_address_comes_from_its_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert slips.hub_address(home) == ""
    (home / "config.toml").write_text(f'[hub]\naddress = "{ADDRESS}"\n')
    assert slips.hub_address(home) == ADDRESS
