"""The weekly sheet read back: which notices a hub's sheet holds (its own, its group's, every
hub's; not another hub's, not one that ended or is withdrawn), their order, the heading, and the
list's QR code decoded from a 150 dpi rendering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from content.grants import GrantError
from content.notices import retract
from content.week_sheet import (
    Week,
    find_hub,
    list_payload,
    sheet_from_store,
    week_notices,
)
from tests.print import readback
from tests.print.conftest import GROUP, OTHER_GROUP, Board, ms

MONDAY_MORNING = ms("2026-12-07T08:00+01:00")
WEEK_50 = Week.parse("2026-W50")


def fill(board: Board) -> dict[str, str]:
    """Notices around Ringelai's week 50 of 2026; their ids by a short name."""
    ids = {
        "bus": board.publish(
            "Bürgerbus nach Grafenau",
            "Jeden Dienstag um 8:15 Uhr am Rathaus.",
            category="mobilitaet",
            hubs=[board.ringelai],
            valid_from="2026-11-01T00:00+01:00",
        ).id,
        "seniors": board.publish(
            "Seniorennachmittag im Pfarrheim",
            "Kaffee, Kuchen und Musik mit der Stubnmusi.",
            category="veranstaltung",
            groups=[GROUP],
            event=("2026-12-12T14:00+01:00", "2026-12-12T17:00+01:00", "Pfarrheim Perlesreut"),
        ).id,
        "guide": board.publish(
            "Sprechstunde der Digitallotsin",
            "Frau Kern hilft beim Smartphone.",
            category="digitales",
            hubs=[board.ringelai],
            event=("2026-12-09T10:00+01:00", "2026-12-09T12:00+01:00", "Dorfhub Ringelai"),
        ).id,
        "heat": board.publish(
            "Hitze: Bitte viel trinken",
            "Für alle Orte im Netz.",
            category="gesundheit",
            priority="important",
        ).id,
        "later": board.publish(
            "Christkindlmarkt am Rathausplatz",
            "Glühwein und Kinderchor.",
            category="verein",
            groups=[GROUP],
            valid_from="2026-12-10T09:00+01:00",
        ).id,
        "water": board.publish(
            "Wasserrohrbruch in Perlesreut",
            "Wasser abkochen.",
            category="warnung",
            priority="emergency",
            hubs=[board.perlesreut],
        ).id,
        "other_group": board.publish("Blaskapelle Grafenau", "Probe.", groups=[OTHER_GROUP]).id,
        "ended": board.publish(
            "Sperrmüllabholung",
            "War am Samstag.",
            valid_until="2026-12-06T00:00+01:00",
        ).id,
        "next_week": board.publish(
            "Neujahrsempfang", "Im Rathaus.", valid_from="2026-12-14T00:00+01:00"
        ).id,
        "withdrawn": board.publish("Sperrung Kirchweg", "Bauarbeiten.", hubs=[board.ringelai]).id,
    }
    retract(board.log, board.admin, ids["withdrawn"])
    return ids


def test_the_sheet_holds_the_hubs_notices_of_the_week_in_order(
    board: Board, tmp_path: Path
) -> None:
    ids = fill(board)
    found = week_notices(board.conn, board.ringelai.key_id, WEEK_50, MONDAY_MORNING)
    names = {value: key for key, value in ids.items()}
    # The week's events by start, then the other notices by date.
    assert [names[n.id] for n in found] == ["guide", "seniors", "bus", "heat", "later"]

    printout = sheet_from_store(board.conn, "Ringelai", WEEK_50, MONDAY_MORNING)
    path = readback.save(printout.pdf, tmp_path)
    text = readback.flat(readback.text(path))
    assert text.startswith("Aushang der Woche – Ringelai KW 50: 7. bis 13. Dezember 2026")
    guide = (
        "Digitales Sprechstunde der Digitallotsin Wann: Mittwoch, 9. Dezember 2026, "
        "10:00–12:00 Uhr Wo: Dorfhub Ringelai Frau Kern hilft beim Smartphone."
    )
    bus = (
        "Mobilität Bürgerbus nach Grafenau Aushang bis Donnerstag, 31. Dezember 2026 "
        "Jeden Dienstag um 8:15 Uhr am Rathaus."
    )
    order = [
        "Termine in dieser Woche",
        guide,
        "Seniorennachmittag im Pfarrheim",
        "Aushänge",
        bus,
        "WICHTIG · Gesundheit Hitze: Bitte viel trinken",
        "Christkindlmarkt am Rathausplatz Aushang vom Donnerstag, 10. Dezember 2026, 09:00 Uhr",
    ]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, [p for p, at in zip(order, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    assert "Stand: Montag, 7. Dezember 2026, 08:00 Uhr" in text
    for absent in ("Wasserrohrbruch", "Blaskapelle", "Sperrmüll", "Neujahrsempfang", "Kirchweg"):
        assert absent not in text
    payload = list_payload("Ringelai", WEEK_50, found, "de")
    assert payload.text.splitlines() == [
        "Ringelai, KW 50/2026",
        "Mi 09.12. 10:00 Sprechstunde der Digitallotsin",
        "Sa 12.12. 14:00 Seniorennachmittag im Pfarrheim",
        "Bürgerbus nach Grafenau",
        "… und 2 weitere",
    ]
    assert "die ersten 3 von 5 Einträgen dieser Liste" in text
    assert readback.qr_codes(path, 1, tmp_path) == readback.as_stored(payload.text)
    assert readback.qr_module_mm(path) >= 2.0 - 1e-3


def test_a_sheet_printed_mid_week_leaves_out_what_is_over(board: Board, tmp_path: Path) -> None:
    ids = fill(board)
    thursday = ms("2026-12-10T08:00+01:00")
    found = week_notices(board.conn, board.ringelai.key_id, WEEK_50, thursday)
    assert ids["guide"] not in [n.id for n in found]  # Wednesday's office hours are over
    assert ids["seniors"] in [n.id for n in found]
    printout = sheet_from_store(board.conn, board.ringelai.key_id[:12], WEEK_50, thursday, "en")
    text = readback.flat(readback.text(readback.save(printout.pdf, tmp_path)))
    assert text.startswith("Notices of the week – Ringelai Week 50: 7 to 13 December 2026")
    assert "As of Thursday, 10 December 2026, 08:00" in text


def test_another_hub_gets_its_own_notices(board: Board, tmp_path: Path) -> None:
    fill(board)
    printout = sheet_from_store(board.conn, "Perlesreut", WEEK_50, MONDAY_MORNING)
    path = readback.save(printout.pdf, tmp_path)
    text = readback.flat(readback.text(path))
    for present in ("NOTFALL · Warnung Wasserrohrbruch", "Blaskapelle Grafenau", "Hitze"):
        assert present in text
    for absent in ("Bürgerbus", "Seniorennachmittag", "Digitallotsin"):
        assert absent not in text
    found = week_notices(board.conn, board.perlesreut.key_id, WEEK_50, MONDAY_MORNING)
    payload = list_payload("Perlesreut", WEEK_50, found, "de")
    assert payload.count == payload.total == 3
    assert "diese Liste mit Tag, Zeit und Titel kommt auf Ihr Handy" in text
    assert readback.qr_codes(path, 1, tmp_path) == readback.as_stored(payload.text)


def test_a_long_week_goes_on_to_more_pages(board: Board, tmp_path: Path) -> None:
    for day in range(7, 14):
        for hour in (9, 15):
            board.publish(
                f"Termin am {day}. um {hour} Uhr",
                "Eine Veranstaltung mit einem Text, der länger ist als zwei Zeilen auf dem "
                "Blatt, damit die Vorschau ihn kürzt und mit Auslassungspunkten endet.",
                category="veranstaltung",
                hubs=[board.ringelai],
                event=(f"2026-12-{day:02d}T{hour:02d}:00+01:00", None, "Dorfhub"),
            )
    printout = sheet_from_store(board.conn, "Ringelai", WEEK_50, MONDAY_MORNING)
    path = readback.save(printout.pdf, tmp_path)
    assert printout.pages >= 3
    text = readback.flat(readback.text(path))
    titles = [f"Termin am {day}. um {hour} Uhr" for day in range(7, 14) for hour in (9, 15)]
    positions = [text.find(title) for title in titles]
    assert -1 not in positions
    assert positions == sorted(positions)
    assert f"Seite {printout.pages} von {printout.pages}" in text
    # The short texts end between two words of the text, with an ellipsis.
    body_words = set(
        re.findall(
            r"\w+",
            "Eine Veranstaltung mit einem Text, der länger ist als zwei "
            "Zeilen auf dem Blatt, damit die Vorschau ihn kürzt",
        )
    )
    endings = re.findall(r"(\w+),? … ", text.replace("… und", ""))
    assert len(endings) == len(titles)
    assert set(endings) <= body_words


def test_an_empty_week(board: Board, tmp_path: Path) -> None:
    printout = sheet_from_store(board.conn, "Ringelai", WEEK_50, MONDAY_MORNING)
    path = readback.save(printout.pdf, tmp_path)
    assert printout.pages == 1
    assert "In dieser Woche gibt es keine Aushänge." in readback.flat(readback.text(path))
    assert readback.qr_codes(path, 1, tmp_path) == b""


def test_weeks_and_hubs_that_do_not_exist(board: Board) -> None:
    assert str(Week.parse("2026-W53")) == "2026-W53"
    assert Week.containing(ms("2027-01-01T12:00+01:00")) == Week(2026, 53)
    for bad in ("2026-W54", "2027-W53", "2026W50", "50", "2026-W5"):
        with pytest.raises(ValueError, match=r"ISO week|has no week"):
            Week.parse(bad)
    with pytest.raises(ValueError, match="week 2026-W49 is over"):
        sheet_from_store(board.conn, "Ringelai", Week.parse("2026-W49"), MONDAY_MORNING)
    with pytest.raises(GrantError, match="no hub 'Nowhere'"):
        find_hub(board.conn, "Nowhere")
    with pytest.raises(GrantError, match="no hub 'Verwaltung'"):
        find_hub(board.conn, "Verwaltung")  # an admin, not a hub


def test_a_week_with_the_change_to_summer_time_is_an_hour_short() -> None:
    week = Week.parse("2026-W13")  # clocks go forward on Sunday, 29 March 2026
    assert week.end_ms - week.start_ms == (7 * 24 - 1) * 3_600_000
    assert week.start_ms == ms("2026-03-23T00:00+01:00")
