"""The kiosk's screenshot for the desk, taken by the real app under Xvfb (kiosk/screenshot.py):
on the home screen and the signage, never in a resident's help or booking flow, at most every
15 minutes, written 0600 with what it shows and when in its text chunks."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from content.screenshots import KIOSK_FILE, SCREEN, TAKEN_AT, check_screenshot, write_atomically
from kiosk.screenshot import ScreenshotTaker, encode_png
from tests.kiosk.hubhome import HubHome
from tests.kiosk.run import run_scenario


@pytest.mark.usefixtures("display")
def test_screenshots_only_at_rest_and_at_most_every_15_minutes(
    hub_home: HubHome, tmp_path: Path
) -> None:
    first = tmp_path / "first.png"
    params = {"window_shot": str(tmp_path / "window.png"), "first_shot": str(first)}
    result = run_scenario("screenshot_scenarios:screenshots", hub_home.path, tmp_path, params)
    out = result["results"]
    # Within the first minute nobody can tell a resident from an empty room.
    assert out["at_start"] == [0, False]
    home, signage, after = out["home"], out["signage"], out["after_reset"][1]
    assert [home["count"], signage["count"], after["count"]] == [1, 2, 3]
    assert home["text"][SCREEN] == "home"
    assert home["size"] == [960, 540]
    assert home["mode"] == 0o600
    # Signage began 3 minutes after the first screenshot, but waited for its 15 minutes.
    assert out["signage_on"] == 1
    assert out["one_second_early"] == 1
    assert signage["text"][SCREEN] == "signage"
    assert int(signage["text"][TAKEN_AT]) > int(home["text"][TAKEN_AT])
    # 15 minutes and more in the flows, yet none taken: a resident's session.
    assert out["help"] == ["help", 2]
    assert out["home_with_a_typed_name"] == ["home", 2]
    assert out["booking"][0].startswith("booking")
    assert out["booking"][1] == 2
    assert out["warning"] == 2
    assert out["reset"] == 2
    # Once the privacy reset ended the session and the room was quiet for a minute: again.
    assert out["after_reset"][0] == "home"
    assert after["text"][SCREEN] == "home"
    _is_what_the_window_showed(first, Path(out["window"]))
    print("screenshot costs in ms (Kivy's thread, then the worker):", out["costs_ms"])


def _is_what_the_window_showed(shot_path: Path, window_path: Path) -> None:
    """The first screenshot is the window, upright and scaled to half: compared with Kivy's own
    capture of the window's framebuffer right after it, and with that capture's mirror image."""
    check_screenshot(shot_path.read_bytes())  # what the town server will check too
    with Image.open(shot_path) as shot, Image.open(window_path) as window:
        scaled = window.convert("RGB").resize(shot.size)
        upright = _difference(shot.convert("RGB"), scaled)
        mirrored = _difference(
            shot.convert("RGB"), scaled.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        )
    assert upright < 8, upright
    assert mirrored > 3 * upright, (upright, mirrored)


def _difference(a: Image.Image, b: Image.Image) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)


def test_a_restarted_kiosk_waits_out_the_15_minutes(tmp_path: Path) -> None:
    """The interval holds across restarts: the last picture says when it was taken."""
    now_ms = 1_800_000_000_000
    pixels = bytes(4 * 8 * 4)
    write_atomically(tmp_path / KIOSK_FILE, encode_png(pixels, (8, 4), "home", now_ms - 300_000))
    assert ScreenshotTaker(tmp_path, lambda: 50.0, lambda: now_ms).next_at == 50.0 + 600
    write_atomically(tmp_path / KIOSK_FILE, encode_png(pixels, (8, 4), "home", now_ms - 901_000))
    assert ScreenshotTaker(tmp_path, lambda: 50.0, lambda: now_ms).next_at == 50.0
    # A clock set back since: the picture is from "the future"; no reason to wait.
    write_atomically(tmp_path / KIOSK_FILE, encode_png(pixels, (8, 4), "home", now_ms + 60_000))
    assert ScreenshotTaker(tmp_path, lambda: 50.0, lambda: now_ms).next_at == 50.0
