"""Meine Buchung (issue 16): the code pad's rules (pure), the slip of a cancelled booking, and in
the real app under Xvfb a booking made at the hub, confirmed by the town server's allocator and
cancelled by the practice through the library, looked up by its code."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from content import booking
from content.booking_bodies import CODE_ALPHABET
from content.identity import load_identity
from content.log import Log
from content.store import Store
from kiosk import slip as slips
from kiosk.booking_code import (
    CODE_LENGTH,
    PAD_COLUMNS,
    PAD_KEYS,
    add_key,
    complete,
    shown,
)
from kiosk.lockout import LOCK_S, MAX_WRONG, Lockout
from node.home import Home
from tests.kiosk.fakes import FakeClock
from tests.kiosk.my_booking_scenarios import sample_slip
from tests.kiosk.run import run_scenario
from tests.kiosk.test_booking_flow import (
    RESIDENT,
    SECOND,
    _labels,
    _sync,
    make_booking_home,
    pdf_facts,
    town_decide,
)

REASON = "Frau Dr. Huber ist am Vormittag krank."


def test_the_pad_types_only_what_a_code_can_hold() -> None:
    assert set(PAD_KEYS) == set(CODE_ALPHABET)
    assert (len(PAD_KEYS) + 1) % PAD_COLUMNS == 0  # with delete: a full rectangle
    typed = ""
    for key in "KM4T7QXA9":
        typed = add_key(typed, key)
    assert typed == "KM4T7QXA"  # the ninth is not taken
    assert complete(typed)
    assert len(typed) == CODE_LENGTH
    assert add_key(typed, "") == "KM4T7QX"
    assert add_key("", "") == ""
    assert add_key("K", "0") == "K"  # no such character in a code
    assert shown("") == "____-____"
    assert shown("KM4T7") == "KM4T-7___"
    assert shown("KM4T7QXA") == "KM4T-7QXA"


def test_wrong_codes_in_a_row_lock_for_a_while() -> None:
    clock = FakeClock()
    gate = Lockout(clock)
    assert not gate.attempt(False)
    assert gate.attempt(True)  # a right code starts the count again
    for _ in range(MAX_WRONG):
        assert not gate.attempt(False)
    assert gate.locked_for() == LOCK_S
    assert not gate.attempt(True)
    clock.advance(LOCK_S)
    assert gate.attempt(True)


def test_a_cancelled_bookings_slip_says_why_and_has_no_code_to_come() -> None:
    found = sample_slip(state="cancelled", code=None, cancel_reason=REASON)
    labels = _labels()
    rows = dict(slips.lines(found, labels))
    assert slips.title(found, labels) == "Dieser Termin ist abgesagt"
    assert rows["Grund der Absage"] == REASON
    assert not {"Buchungscode", "Bitte mitbringen", "Absagen"} & set(rows)
    facts = pdf_facts(slips.render_pdf(found, labels))
    assert REASON in " ".join(facts["text"].split())
    assert "folgt mit der Bestätigung" not in facts["text"]


@pytest.mark.usefixtures("display")
def test_a_resident_sees_the_practices_cancel_by_the_code_on_the_slip(tmp_path: Path) -> None:
    home = make_booking_home(tmp_path)
    hub_identity = Home.open(home.hub).identity()
    with Store(home.hub / "dorfhub.db") as store:
        slots = booking.list_slots(store.conn, booking.list_practices(store.conn)[0].key)
        log = Log(store)
        first = booking.request_booking(log, hub_identity, slots[0].id, RESIDENT)
        second = booking.request_booking(log, hub_identity, slots[1].id, SECOND)
    town_decide(tmp_path)
    with Store(home.hub / "dorfhub.db") as hub_store, Store(tmp_path / "town.db") as town_store:
        town = Log(town_store)
        practice_key = slots[0].practice
        practice = next(
            key
            for key in (load_identity(p) for p in sorted(tmp_path.glob("practice-*.key")))
            if key.key_id == practice_key
        )
        booking.cancel_booking(town, practice, request_id=first, reason=REASON)
        _sync(town, Log(hub_store))
        cancelled = booking.booking_status(hub_store.conn, first)
        confirmed = booking.booking_status(hub_store.conn, second)
    assert cancelled is not None
    assert confirmed is not None
    assert (cancelled.state, cancelled.cancel_reason) == ("cancelled", REASON)
    assert cancelled.code is not None  # confirmed before the practice cancelled
    params = {"cancelled_code": cancelled.code, "confirmed_code": confirmed.code}
    out = run_scenario("my_booking_scenarios:my_booking", home.hub, tmp_path, params)["results"]
    assert out["opened"] == ["my_booking", "____-____"]
    assert out["layout_pad"] == []
    assert out["layout_pad_large"] == []
    assert out["rows"] == [7, 7, 7, 7]  # six characters and the delete key in the last
    screen, message, code = out["incomplete"]
    assert screen == "my_booking"
    assert message.startswith("Der Buchungscode hat 8 Zeichen")
    assert code == f"{cancelled.code[:3]}_-____"  # kept, to go on typing
    screen, messages, said = out["wrong"]
    unknown = "Diesen Buchungscode finden wir nicht. Bitte prüfen Sie ihn auf Ihrem Zettel."
    assert (screen, messages, said) == ("my_booking", [unknown, unknown], unknown)
    found = out["cancelled"]
    assert found["screen"] == "my_booking_status"
    assert found["heading"] == "Termin abgesagt"
    assert found["note"].startswith(f"Die Praxis hat abgesagt: {REASON}")
    assert found["code"] == f"Buchungscode: {cancelled.code}"
    assert "Hausarztpraxis Dr. Huber" in found["details"]
    assert found["said"].startswith("Termin abgesagt.")
    assert f"Die Praxis hat abgesagt: {REASON}" in found["said"]
    assert found["can_print"] is True
    assert found["layout"] == []
    assert found["code_left"] == ""
    assert out["slip"] == ["Bitte fragen Sie eine Lotsin nach Ihrem Zettel."] * 2
    saved = list((home.hub / "slips").glob("*.pdf"))
    assert len(saved) == 1
    text = subprocess.run(
        ["pdftotext", "-layout", str(saved[0]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Dieser Termin ist abgesagt" in text
    assert REASON in " ".join(text.split())
    for needle in (RESIDENT.name, RESIDENT.birth_date, RESIDENT.phone):
        assert needle not in text
    assert out["back"] == "booking_practice"
    screen, heading, note = out["confirmed"]
    assert (screen, heading) == ("my_booking_status", "Termin bestätigt")
    assert "abgesagt" not in note
    screen, message = out["locked"]
    assert screen == "my_booking"  # the right code, but locked: not looked up
    assert message == "Zu viele falsche Versuche. Bitte in 5 Minuten wieder versuchen."
    assert out["after_reset"] == ["home", "", "", "", ""]
