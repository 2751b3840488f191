"""KIOSK-UX.md's rules about the person at the screen, in the real app under Xvfb: a full reset
when a person leaves, nothing moving under a finger, warnings that inform and never lock.
The scenarios are in person_scenarios.py; the idle times pass on the app's fake clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.kiosk.hubhome import HubHome
from tests.kiosk.person_scenarios import SCREEN_NAMES
from tests.kiosk.run import finish_scenario, start_scenario

pytestmark = pytest.mark.usefixtures("display")
SCENARIOS = "person_scenarios:"
# What _leave_traces leaves on every screen before the reset: the check is not vacuous.
LEFT_EVERYWHERE = {
    "language",
    "theme",
    "topic",
    "scrolled",
    "typed",
    "errors",
    "help_done",
    "booking_flow",
    "keyboard",  # the digit pad, and caps lock (Groß twice) left on
    "code",  # Meine Buchung: a code half typed, a message
    "my_booking",  # a booking found by its code
    "howto",  # an article, the step reached and read-aloud on
    "offer",  # Biete / Suche: the kind chosen, the digits on, the contact read back
}


def _run(scenario: str, home: HubHome, tmp: Path, params: dict[str, Any]) -> Any:
    process, result = start_scenario(SCENARIOS + scenario, home.path, tmp, params)
    # Seventeen visits, or hundreds of taps in three themes: more than the usual scenario's
    # time on a busy machine.
    return finish_scenario(process, result, timeout=300)["results"]


def test_a_person_leaving_any_screen_leaves_nothing_for_the_next(
    hub_home: HubHome, tmp_path: Path
) -> None:
    out = _run("full_reset", hub_home, tmp_path, {"notice_id": hub_home.event_id})
    # Verwaltung has no notices; after Start, the Aushänge tile shows every notice again, and
    # the topics screen marks "Alle".
    assert out["verwaltung_shown"] is False  # an empty topic is hidden
    category, count, text = out["verwaltung"]
    assert (category, count) == ("verwaltung", 0)
    assert text == "Zurzeit gibt es hier keine Aushänge."
    category, count, text = out["after_start"]
    assert (category, count) == ("", len(hub_home.notice_ids))
    assert str(count) in text
    assert out["marked"] == ["cat_all"]
    # Every screen the app has is visited: a new one must be added here, and say how it resets.
    assert out["screens"] == sorted(SCREEN_NAMES)
    assert set(out["before"]) == set(SCREEN_NAMES)
    for name, kinds in out["before"].items():
        # Going home (Start) already ends a booking; everything else stays until the reset.
        assert LEFT_EVERYWHERE - ({"booking_flow"} if name == "home" else set()) <= set(kinds)
    assert "pin" in out["before"]["pin"]
    # The idle reset (the signage start on the home screen) leaves none of it, from anywhere.
    assert out["left"] == {name: {} for name in SCREEN_NAMES}


THEMES = [
    {"palette": "default", "large": False, "language": "de"},
    {"palette": "high-contrast", "large": True, "language": "en"},
    {"palette": "default", "large": True, "language": "de-LS"},
]


def test_no_key_press_and_no_error_moves_a_button(hub_home: HubHome, tmp_path: Path) -> None:
    out = _run("stillness", hub_home, tmp_path, {"themes": THEMES})
    assert len(out) == len(THEMES)
    for theme, screens in out.items():
        assert set(screens) == {"pin", "help", "booking_person", "my_booking"}, theme
        for screen, found in screens.items():
            assert found["moves"] == [], (theme, screen)
            # Measured, not vacuous: many steps, each comparing the buttons on screen.
            assert found["steps"] >= 10, (theme, screen)
            assert found["compared"] >= found["steps"] * 10, (theme, screen)


def test_an_emergency_takes_over_once_then_stays_as_a_banner(
    hub_home: HubHome, tmp_path: Path
) -> None:
    out = _run("emergency_banner", hub_home, tmp_path, {"admin_key": str(hub_home.admin_key)})
    takeover = out["takeover"]
    assert takeover["screen"] == "board"
    assert takeover["covers"] is True  # everything but the bar
    assert takeover["title_px"] >= 80
    assert takeover["body_px"] >= 50
    assert takeover["spoken"] == [
        "Wasserrohrbruch: Leitungswasser abkochen. Trinkwasser gibt es am Feuerwehrhaus."
    ]
    assert takeover["layout"] == []
    # Start leaves the takeover for the banner; nothing is locked.
    assert out["after_start"] == ["home", True, True]
    banner_text, problems = out["banner"]
    assert banner_text == "NOTFALL: Wasserrohrbruch: Leitungswasser abkochen"
    assert problems == []
    assert out["reached"] == ["board", "booking_practice", "pin"]
    # The banner opens it again, read aloud once more; "Verstanden" and Zurück close it.
    shown, said = out["reopened"]
    assert shown is True
    assert [text for text, _, _ in said] == [takeover["spoken"][0]]
    assert out["understood"] == ["board", True, True]
    assert out["back_leaves_it"] == ["board", True]
    # The idle warning: a calm colour, the bar with "Hilfe holen" in reach and working.
    assert out["idle"] == {"role": "tile", "bar_free": True, "layout": []}
    assert out["help_through_warning"] == ["help_kind", True]
    assert out["next_person"] is True  # the next person sees it in full
    assert out["retracted"] == [True, 0, 0]
