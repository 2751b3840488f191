"""content/screenshots.py: what the town server accepts as a kiosk screenshot, how it keeps the
latest per hub, and when a hub daemon sends one. Real files, explicit clocks."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from content.limits import MAX_SCREENSHOT_BYTES, MAX_SCREENSHOT_SIDE_PX
from content.screenshots import (
    KIOSK_FILE,
    RECEIVED_AT,
    SCREEN,
    TAKEN_AT,
    ScreenshotError,
    UploadSchedule,
    check_png,
    check_screenshot,
    keep_latest,
    latest,
    write_atomically,
)
from tests.fleet.pngs import declared_png, kiosk_png

HUB = "ab" * 32
T0 = 1_800_000_000_000


def test_a_kiosk_screenshot_passes_and_says_what_it_shows() -> None:
    png = kiosk_png(T0, "signage")
    facts, screen, taken = check_screenshot(png)
    assert (facts.width, facts.height, screen, taken) == (960, 540, "signage", T0)
    assert len(png) < MAX_SCREENSHOT_BYTES // 10


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"GIF89a" + b"\0" * 100, "not a PNG"),
        (b"", "not a PNG"),
        (declared_png(100_000, 100_000), "100000 x 100000"),
        (declared_png(MAX_SCREENSHOT_SIDE_PX + 1, 10), "at most"),
        (declared_png(0, 10), "0 x 10"),
        (kiosk_png(T0)[:-20], "cut short"),
        (kiosk_png(T0) + b"more", "bytes follow"),
        (b"\0" * (MAX_SCREENSHOT_BYTES + 1), "at most 1048576 bytes"),
    ],
)
def test_what_is_no_png_of_sane_size(data: bytes, why: str) -> None:
    with pytest.raises(ScreenshotError, match=why):
        check_png(data)


def test_a_flipped_bit_fails_a_checksum() -> None:
    png = bytearray(kiosk_png(T0))
    png[len(png) // 2] ^= 0x01
    with pytest.raises(ScreenshotError, match="checksum"):
        check_png(bytes(png))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ({}, "must show one of"),
        ({SCREEN: "help", TAKEN_AT: str(T0)}, "must show one of"),
        ({SCREEN: "home"}, "when it was taken"),
        ({SCREEN: "home", TAKEN_AT: "-5"}, "when it was taken"),
    ],
)
def test_a_screenshot_must_say_what_and_when(text: dict[str, str], why: str) -> None:
    with pytest.raises(ScreenshotError, match=why):
        check_screenshot(declared_png(64, 1, text))


def test_image_data_that_does_not_decode_is_refused() -> None:
    # Every chunk well-formed and its checksum right, but the pixels are no zlib stream.
    text = {SCREEN: "home", TAKEN_AT: str(T0)}
    with pytest.raises(ScreenshotError, match="image data is broken"):
        check_screenshot(declared_png(64, 64, text, data=b"not zlib at all" * 10))


def test_the_server_keeps_only_the_latest(tmp_path: Path) -> None:
    directory = tmp_path / "screenshots"
    keep_latest(directory, HUB, kiosk_png(T0), T0 + 5)
    second = keep_latest(directory, HUB, kiosk_png(T0 + 900_000, "signage", shade=10), T0 + 9)
    assert [path.name for path in directory.iterdir()] == [f"{HUB}.png"]
    assert stat.S_IMODE((directory / f"{HUB}.png").stat().st_mode) == 0o600
    kept = latest(directory, HUB)
    assert kept == second
    assert (kept.screen, kept.taken_at_ms, kept.received_at_ms) == ("signage", T0 + 900_000, T0 + 9)
    assert check_png(kept.png).text[RECEIVED_AT] == str(T0 + 9)
    check_screenshot(kept.png)  # what the server added keeps it a valid PNG
    assert latest(directory, "cd" * 32) is None


def test_a_refused_upload_changes_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "screenshots"
    first = keep_latest(directory, HUB, kiosk_png(T0), T0 + 5)
    with pytest.raises(ScreenshotError):
        keep_latest(directory, HUB, declared_png(100_000, 100_000), T0 + 6)
    assert latest(directory, HUB) == first
    assert [path.name for path in directory.iterdir()] == [f"{HUB}.png"]


def test_a_key_never_becomes_a_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a hub key"):
        latest(tmp_path, "../../etc/passwd")


def test_a_hub_sends_a_new_screenshot_at_most_every_15_minutes(tmp_path: Path) -> None:
    schedule = UploadSchedule(tmp_path)
    assert schedule.due(0.0) is None  # the kiosk wrote none yet
    write_atomically(tmp_path / KIOSK_FILE, kiosk_png(T0))
    first = schedule.due(0.0)
    assert first is not None
    schedule.sent(first, 0.0)
    assert schedule.due(1.0) is None  # the same one
    write_atomically(tmp_path / KIOSK_FILE, kiosk_png(T0 + 1, shade=20))
    assert schedule.due(899.0) is None  # a new one, but too soon
    assert schedule.due(900.0) is not None
    # A restarted daemon remembers what it sent: not the same one again.
    again = UploadSchedule(tmp_path)
    assert again.due(0.0) is not None
    write_atomically(tmp_path / KIOSK_FILE, first)
    assert again.due(0.0) is None
