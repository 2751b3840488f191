"""The real kiosk app under Xvfb, one fresh process per scenario (see driver.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from content.help import help_requests_for_hub
from content.identity import Identity
from content.notices import active_notices
from content.sealing import SealError, open_sealed
from content.store import Store
from kiosk.data import LIST_CHUNK_ROWS as CHUNK_ROWS
from tests.kiosk.hubhome import HubHome, make_hub_home
from tests.kiosk.qrcheck import expected_modules, modules, on_white
from tests.kiosk.run import REPO, finish_scenario, run_scenario, start_scenario

pytestmark = pytest.mark.usefixtures("display")
# Where the layout tests write their screenshots (docs/screenshots takes a few of them).
SHOTS = os.environ.get("DORFHUB_KIOSK_SHOTS")


def test_tiles_navigation_detail_categories_and_language(hub_home: HubHome, tmp_path: Path) -> None:
    out = run_scenario("navigation", hub_home.path, tmp_path)["results"]
    assert out["opened"] == {
        "tile_notices": ["board", "", "home"],
        "tile_events": ["events", "", "home"],
        "tile_doctor": ["booking_practice", "", "home"],
        "tile_howto": ["howto", "", "home"],
        "tile_climate": ["climate", "", "home"],
        "tile_offer": ["offer_kind", "", "home"],
        "guide_login": ["pin", "", "home"],
    }
    # Home's "today": each line opens what it shows.
    ids = hub_home.notice_ids
    today = out["today_opened"]
    assert today["event_0"] == ["detail", ids[3]]  # the office hour is the next event
    assert today["notice_0"][0] == "detail"
    assert today["notice_0"][1] in ids
    assert today["important"] == ["detail", ids[1]]  # the heat warning
    assert today["office_hours"] == ["detail", ids[3]]
    assert today["climate_line"][0] == "climate"
    # Newest first, but the important heat warning outranks newer normal notices.
    assert out["first_row"].startswith("Hitze: Bitte viel trinken\nWichtig")
    assert out["detail"] == ["detail", "Hitze: Bitte viel trinken", True]
    # The code on screen reads back, module by module, as the notice's text: a phone can scan it.
    shot, payload, (width, height) = out["qr"]
    assert payload.startswith("Hitze: Bitte viel trinken\n")
    assert on_white(shot).size == (round(width), round(height))
    assert modules(on_white(shot)) == expected_modules(payload)
    # 9 whole pixels a module, quiet zone included: 2.23 mm on the 21.5" panel.
    assert width == height == (len(expected_modules(payload)) + 8) * 9
    assert out["back_from_detail"] == "board"
    assert out["categories_screen"] == "categories"
    assert out["filtered"][0] == "board"
    assert [text.split("\n")[0] for text in out["filtered"][1]] == ["Grippeimpfung"]
    assert out["home_again"] == "home"
    # Events by the time they happen, not by when they were published.
    assert [text.split("\n")[0] for text in out["events"]] == [
        "Sprechstunde der Digitallotsin",
        "Seniorennachmittag",
    ]
    assert "Pfarrheim" in out["events"][1]
    assert out["languages"] == {
        "en": ["en", "Notices", "Get help"],
        "de-LS": ["de-LS", "Aus·hänge", "Hilfe holen"],
        "de": ["de", "Aushänge", "Hilfe holen"],
    }
    assert out["accessible"] == [True, "high-contrast", True, 240.0]
    text, language, personal = out["read"]
    assert "Ringelai" in text
    assert (language, personal) == ("de", False)
    assert out["stopped_by_touch"]


@pytest.mark.parametrize(
    ("palette", "large", "language"),
    [
        ("default", False, "de"),
        ("high-contrast", False, "de"),
        ("default", True, "de"),
        # The longest words of the other catalogs, at the largest size: nothing may be cut.
        ("high-contrast", True, "en"),
        ("default", True, "de-LS"),
    ],
    ids=["default", "high-contrast", "large-text", "large-high-contrast-en", "large-text-de-LS"],
)
def test_every_screen_keeps_the_size_gap_and_contrast_rules(
    hub_home: HubHome, tmp_path: Path, palette: str, large: bool, language: str
) -> None:
    name = f"{palette}{'-large' if large else ''}-{language}"
    shots = Path(SHOTS) / name if SHOTS else tmp_path / "shots"
    params = {
        "palette": palette,
        "large": large,
        "language": language,
        "event_id": hub_home.event_id,
        "admin_key": str(hub_home.admin_key),
        "shots": str(shots),
    }
    out = run_scenario("layout", hub_home.path, tmp_path, params)["results"]
    states = {
        "home",
        "board",
        "categories",
        "detail",
        "events",
        "soon",
        "climate",
        "help_kind",
        "help_name",
        "help_phone",
        "help_done",
        "my_booking",
        "offer_text",
        "pin",
        "guide",
        "idle_warning",
        "signage",
        "emergency",
        "emergency_banner",
    }
    assert set(out) == states
    problems = {state: found["problems"] for state, found in out.items() if found["problems"]}
    assert problems == {}
    # Measured, not vacuous: every screen has text and touch targets (the bar's six at least),
    # and the idle warning "Weiter" beside the bar; any touch ends the signage loop.
    assert all(found["texts"] > 0 for found in out.values())
    overlays = {"idle_warning": 7, "signage": 0}
    assert {state: found["targets"] for state, found in out.items() if state in overlays} == (
        overlays
    )
    assert all(found["targets"] >= 6 for state, found in out.items() if state not in overlays)
    assert out["help_name"]["targets"] > 40  # the QWERTZ keyboard
    assert (shots / "home.png").stat().st_size > 10_000
    # Home is "today", without a tap: the important notice as a banner, the next events, the
    # three newest notices, the guides' next office hour and the room climate in one line.
    today = out["home"]["today"]
    assert today["important"].endswith(": Hitze: Bitte viel trinken")
    assert [text.split("\n")[0] for text in today["events"]] == [
        "Sprechstunde der Digitallotsin",
        "Seniorennachmittag",
    ]
    assert len(today["notices"]) == 3
    assert "Dorfhub" in today["office_hours"]
    assert today["climate"]  # no sensor: it says so
    # With readings, the room climate in one line: temperature, humidity and CO2.
    line = out["climate"]["home_line"]
    assert "°C" in line
    assert " % " in line
    assert "CO2 " in line
    assert "ppm" in line
    # Only lines with something to show take a place (two events, three notices).
    assert sorted(today["lines"]) == ["event_0", "event_1", "notice_0", "notice_1", "notice_2"]
    # Page buttons only where there is more to see: the board's 35 notices go on below, the
    # event's short text does not; topics with no notices (Verwaltung, Vereine) are hidden.
    assert out["board"]["paging"] == [False, True]
    # A title of three lines and more: its row grew with it (the meta line is one more).
    lines, text_px, row_px = out["board"]["long_row"]
    assert lines >= 4
    assert row_px >= text_px
    assert out["detail"]["paging"] == [False, False]
    assert sorted(out["categories"]["shown"]) == [
        "cat_all",
        "cat_allgemein",
        "cat_digitales",
        "cat_gesundheit",
        "cat_mobilitaet",
        "cat_veranstaltung",
        "cat_warnung",
    ]


def test_a_long_board_is_read_in_chunks_as_the_resident_pages_down(tmp_path: Path) -> None:
    home = make_hub_home(tmp_path, extra_notices=CHUNK_ROWS * 2 + 30)
    params = {"admin_key": str(home.admin_key)}
    out = run_scenario("long_list", home.path, tmp_path, params)["results"]
    with Store(home.path / "dorfhub.db") as store:
        shown = [n.id for n in active_notices(store.conn, hub=home.hub.key_id)]
        general = len(active_notices(store.conn, hub=home.hub.key_id, category="allgemein"))
    before = [notice_id for notice_id in shown if notice_id != out["new_id"]]
    assert len(before) == len(shown) - 1 > CHUNK_ROWS * 2
    assert out["first_read"] == [CHUNK_ROWS, len(before)]
    # Paged down to the end: every notice once, in the board's order, read chunk by chunk.
    assert out["ids"] == before
    assert sorted(set(out["loaded"])) == [CHUNK_ROWS, CHUNK_ROWS * 2, len(before)]
    # Every tap moved the list on by about a screenful, also when rows were read below it:
    # the rows on screen stayed where they were while the list grew. (The last two taps: the
    # rest of the list, then nothing.)
    tops = out["tops"]
    steps = [after - before for before, after in pairwise(tops)][:-2]
    assert len(steps) > 10
    assert min(steps) >= 3
    assert max(steps) - min(steps) <= 1
    assert tops[-1] > len(before) - 15  # the last screenful
    # The notice that came while the list stood at its end pushed the last row down: read too.
    assert out["new_at_end"] == [len(shown), len(shown)]
    assert out["opened"] == ["detail", True]
    assert out["back"] == [True, len(shown)]
    assert out["refreshed"] == [True, len(shown)]
    # Back from anywhere else: the top of the list, with only the first rows read.
    assert out["again"] == [CHUNK_ROWS, 1.0, 0]
    # A swipe across the end of the first chunk reads the next one and glides on without a jump.
    swipe, read = out["swipe"]
    assert read == CHUNK_ROWS * 2
    moves = [after - before for before, after in pairwise(swipe)]
    assert min(moves) >= 0
    assert max(moves) <= 10
    assert swipe[-1] - swipe[0] >= 5
    # The idle reset forgets the category: the next visit shows every notice again.
    assert out["category"] == ["allgemein", general]
    assert general < len(shown)
    assert out["after_reset"] == ["", len(shown), shown[:5]]


def test_a_long_guide_status_gets_page_buttons(hub_home: HubHome, tmp_path: Path) -> None:
    out = run_scenario("guide_status_pages", hub_home.path, tmp_path)["results"]
    assert out["three_sensors"] is False
    assert out["nine_sensors"] == [True, 1.0, True]
    assert out["layout"] == []  # the page buttons keep the size, gap and contrast rules
    assert 0.0 < out["after_down"] < 1.0
    assert out["at_end"] == 0.0
    assert out["after_up"] > out["at_end"]


def test_one_keyboard_moves_between_screens_and_keeps_its_keys(
    hub_home: HubHome, tmp_path: Path
) -> None:
    out = run_scenario("one_keyboard", hub_home.path, tmp_path)["results"]
    # The phone field shows the digit pad, the name field the same letter keys as before.
    assert out["fields"] == [True, False, True]
    assert out["typed"] == "Anna"
    # Groß, then a: "Anna" (Groß lit until its letter); Groß twice: capitals until a third tap.
    assert out["capitals"] == [
        "Anna ABc",
        [True, [True, "GROSS"], [False, "Groß"]],
    ]
    assert out["phone_typed"] == "0170 12"
    # On the PIN screen: the same keyboard and digit keys; the help screen's slot is empty.
    assert out["on_pin"] == [True, True, True, True, 0]
    # Wiping the help screen in the background resets its field, not the PIN screen's keys.
    assert out["after_background_wipe"] == [True, ""]
    (delete_de, height_before), (delete_en, height_after), held = out["rebuilt"]
    assert (delete_de, delete_en) == ("Löschen", "Delete")
    assert height_after > height_before
    assert held is True
    assert out["pin_entered"] == "guide"


def test_notices_come_and_go_on_time_with_no_commit(hub_home: HubHome, tmp_path: Path) -> None:
    from content.clock import wall_clock_ms
    from tests.kiosk.hubhome import publish_window

    now = wall_clock_ms()
    change_after_s, later_after_s = 100, 500
    change, later = now + 90_000, now + 400_000  # reached by the fake clock only
    titles = {"ending": "Nur noch kurz", "starting": "Gleich geht es los", "later": "Spät dran"}
    publish_window(hub_home.path, hub_home.admin_key, titles["ending"], (now - 1000, change))
    publish_window(hub_home.path, hub_home.admin_key, titles["starting"], (change, None))
    publish_window(hub_home.path, hub_home.admin_key, titles["later"], (later, None))
    params = {
        **titles,
        "wall_follows_clock": True,
        "change_after_s": change_after_s,
        "later_after_s": later_after_s,
    }
    out = run_scenario("time_changes", hub_home.path, tmp_path, params)["results"]
    assert out["before"] == [True, False]
    assert out["after"] == [False, True]
    assert out["signage_before"] is False
    running, rotation = out["signage_after"]
    assert running is True
    assert titles["later"] in rotation
    assert titles["ending"] not in rotation


def test_a_notice_being_read_keeps_its_place_when_the_screens_are_read_again(
    hub_home: HubHome, tmp_path: Path
) -> None:
    from content import notices
    from content.clock import wall_clock_ms
    from content.identity import load_identity
    from content.log import Log
    from tests.kiosk.hubhome import GROUP, publish_window

    now = wall_clock_ms()
    text = "\n\n".join(f"Absatz {n}: " + "Bitte lesen Sie weiter. " * 12 for n in range(30))
    body = notices.notice_body("Sehr langer Aushang", text, valid_from=now - 1000, groups=[GROUP])
    with Store(hub_home.path / "dorfhub.db") as store:
        long_id = notices.publish(Log(store), load_identity(hub_home.admin_key), body)
    publish_window(hub_home.path, hub_home.admin_key, "Gleich vorbei", (now - 1000, now + 60_000))
    params = {"long_id": long_id, "advance_s": 120, "wall_follows_clock": True}
    out = run_scenario("detail_keeps_place", hub_home.path, tmp_path, params)["results"]
    assert out["after"] == ["detail", 0.0, True]
    assert out["opened_again"] == 1.0


def test_a_clock_set_back_takes_early_notices_off_the_board(
    hub_home: HubHome, tmp_path: Path
) -> None:
    from content.clock import wall_clock_ms
    from tests.kiosk.hubhome import publish_window

    title = "Erst in einer halben Stunde"
    publish_window(hub_home.path, hub_home.admin_key, title, (wall_clock_ms() + 1_800_000, None))
    out = run_scenario("clock_back", hub_home.path, tmp_path, {"title": title})["results"]
    assert out["while_fast"] is True
    assert out["after_step_back"] is False


def test_a_commit_without_an_op_leaves_the_list_alone(hub_home: HubHome, tmp_path: Path) -> None:
    params = {"admin_key": str(hub_home.admin_key)}
    out = run_scenario("local_commits", hub_home.path, tmp_path, params)["results"]
    assert out["climate_read"] is True
    # The readings mark the climate screen for reading again; the list is not read again.
    assert out["list_kept"] is True
    assert "Chorprobe" in out["after_op"]


def test_idle_warning_continue_and_privacy_reset(hub_home: HubHome, tmp_path: Path) -> None:
    out = run_scenario("idle", hub_home.path, tmp_path)["results"]
    assert out["typed"] == ["Anna", "0170"]
    assert out["warning_at_119s"] is False
    assert out["seconds_left"] == 20
    assert out["warning_spoken"] == "Sind Sie noch da?"
    assert out["after_continue"] == [True, "help", "Anna"]
    assert out["still_warning_at_19s"] == [True, "help"]
    assert out["after_reset"] == [True, "", ""]
    assert out["accessible_no_warning_at_121s"] is True


def test_signage_rotates_and_the_first_touch_only_wakes(hub_home: HubHome, tmp_path: Path) -> None:
    out = run_scenario("signage", hub_home.path, tmp_path)["results"]
    assert out["early"] is False
    title, font_px = out["first"]
    assert title.replace("\n", " ") == "Hitze: Bitte viel trinken"  # wrapped, never cut
    assert font_px >= 140  # a capital of 0.7 degrees from two metres
    assert out["second"] != title
    # The touch landed on the Aushänge tile, but only woke the kiosk.
    assert out["after_first_touch"] == [True, "home"]
    assert out["after_second_touch"] == "board"


def _wait_for(path: Path, process: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the kiosk never wrote {path.name}")
        time.sleep(0.02)


def _hubhome_command(*args: str | Path) -> float:
    result = subprocess.run(
        [sys.executable, "-m", "tests.kiosk.hubhome", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = result.stdout.split()
    return float(lines[-1])


def test_emergency_from_another_process_takes_over_within_two_seconds(
    hub_home: HubHome, tmp_path: Path
) -> None:
    ready, seen = tmp_path / "ready", tmp_path / "seen"
    process, out_file = start_scenario(
        "emergency", hub_home.path, tmp_path, {"ready": str(ready), "seen": str(seen)}
    )
    try:
        _wait_for(ready, process, 60)
        published = _hubhome_command("publish-emergency", hub_home.path, hub_home.admin_key)
        _wait_for(seen, process, 30)
        with Store(hub_home.path / "dorfhub.db") as store:
            notice_id = store.conn.execute(
                "SELECT id FROM notices WHERE priority = 'emergency'"
            ).fetchone()[0]
        retracted = _hubhome_command("retract", hub_home.path, hub_home.admin_key, notice_id)
        out = finish_scenario(process, out_file)["results"]
    finally:
        process.kill()
    assert out["appeared_at"] - published < 2.0
    assert out["left_at"] - retracted < 2.0
    assert out["over_screen"] == "board"  # it took over the noticeboard the resident was on
    assert out["title"] == "Wasserrohrbruch: Leitungswasser abkochen"
    assert out["said"].startswith("Wasserrohrbruch")
    assert out["help_during"] == ["help_kind", True]
    assert out["after_help"] == ["home", True, out["title"]]  # the banner, not a lock


def _database_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(home.glob("dorfhub.db*")))


def test_help_request_is_sealed_and_guide_mode_is_behind_the_pin(
    hub_home: HubHome, tmp_path: Path
) -> None:
    from kiosk.pin import set_pin

    set_pin(hub_home.path, "4711")
    name, phone = "Anna Müller", "0170123"
    params: dict[str, Any] = {"name": name, "phone": phone, "pin": "4711"}
    out = run_scenario("help_and_guide", hub_home.path, tmp_path, params)["results"]
    screen, name_left, hours = out["after_send"]
    assert (screen, name_left) == ("help_done", "")
    assert "Sprechstunde der Digitallotsin" in hours
    # The honest answer (kiosk.help_answer; which of its first sentences depends on the hour the
    # test runs, so only its form): who is here when, and a call, since a number was given.
    first, _, last = out["answer"].rpartition(". ")
    assert first.startswith(("Gerade ist Sprechstunde", "Heute ab ", "Heute ist niemand da"))
    assert last == "Eine Lotsin ruft Sie an."
    # First the kind of help, as large choices; it travels (sealed) in the request.
    screen, spoken = out["first"]
    assert screen == "help_kind"
    assert "Wobei brauchen Sie Hilfe?" in spoken
    assert "Arzttermin / Gesundheit" in spoken
    assert out["kind_sent"] == ["health"]
    spoken, _, personal = out["confirmation_spoken"]
    assert "Ihre Bitte ist angekommen" in spoken
    assert name not in spoken
    assert not personal
    assert out["wrong"] == ["pin", *["Die PIN stimmt nicht. Bitte noch einmal eingeben."] * 2]
    screen, requests, status = out["guide"]
    assert screen == "guide"
    assert len(requests) == 1
    assert name in requests[0]["text"]
    assert not requests[0]["done"]
    assert "Noch kein Abgleich" in status
    assert out["after_mark"][0]["done"] is True
    # Done: the hub may no longer read it, so guide mode shows no name from then on.
    assert name not in out["after_mark"][0]["text"]
    assert "Name und Nummer hier gelöscht" in out["after_mark"][0]["text"]
    assert out["after_logout"] == ["home", []]
    assert out["locked"][0] == "pin"  # five wrong PINs lock even the right one out
    assert "Zu viele falsche Versuche" in out["locked"][1]

    raw = _database_bytes(hub_home.path)
    assert name.encode() not in raw
    assert phone.encode() not in raw
    assert b"Anna" not in raw
    with Store(hub_home.path / "dorfhub.db") as store:
        (box,) = store.conn.execute("SELECT body FROM ops WHERE kind = 'help.request'").fetchone()
        opened = help_requests_for_hub(store.conn, hub_home.hub)
    assert [(r.name, r.phone, r.state, r.readable) for r in opened] == [("", "", "done", False)]
    assert name.encode() in open_sealed(box, hub_home.guide)  # the guides can read it ...
    with pytest.raises(SealError):
        open_sealed(box, hub_home.hub)  # ... the hub's node key cannot
    with pytest.raises(SealError):
        open_sealed(box, Identity.generate("Fremder"))  # ... a stranger's key cannot
