"""A real touch panel (issue 17): Kivy's input configuration for the panels hubs use, and a
kiosk start (with a slip made) whose log holds no ERROR, no traceback and no fontTools DEBUG
line. The app runs under Xvfb with Kivy's console log on, as in the systemd journal."""

from __future__ import annotations

import ctypes.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.touch import MOUSE, configured_touch, input_config
from tests.kiosk.hubhome import HubHome
from tests.kiosk.run import REPO, kiosk_env


def test_the_touch_provider_comes_from_the_hub_config(tmp_path: Path) -> None:
    assert configured_touch(tmp_path) == "mtdev"  # no config.toml
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\ntouch = "hidinput"\n')
    assert configured_touch(tmp_path) == "hidinput"
    config.write_text('[kiosk]\ntouch = "wacom"\n')
    assert configured_touch(tmp_path) == "mtdev"
    config.write_text("[kiosk\n")
    assert configured_touch(tmp_path) == "mtdev"
    assert input_config("mtdev") == {"mouse": MOUSE, "%(name)s": "probesysfs,provider=mtdev"}
    assert input_config("mouse")["%(name)s"] == ""  # no evdev probe at all
    assert "disable_on_activity" in MOUSE  # a finger is never a touch and a click


def test_libmtdev_is_installed_as_the_packaging_says() -> None:
    assert ctypes.util.find_library("mtdev") is not None
    script = (REPO / "packaging" / "ensure-system-packages").read_text()
    assert "libmtdev1" in script


@pytest.mark.usefixtures("display")
def test_a_kiosk_start_and_a_slip_log_no_error_and_no_font_debug(
    hub_home: HubHome, tmp_path: Path
) -> None:
    out = tmp_path / "quiet.json"
    env = kiosk_env(tmp_path)
    env.pop("KIVY_NO_FILELOG")  # Kivy's log file: what the journal gets from its console
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.kiosk.driver",
            "touch_scenarios:quiet_start",
            str(hub_home.path),
            str(out),
        ],
        cwd=REPO,
        env={key: value for key, value in env.items() if key != "KIVY_LOG_LEVEL"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    [log_file] = (tmp_path / "kivy-home" / "logs").glob("*.txt")
    log = log_file.read_text() + done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert result["ok"], result["error"]
    assert result["results"]["pdf_bytes"] > 1000
    assert result["results"]["input"]["%(name)s"] == "probesysfs,provider=mtdev"
    assert result["results"]["input"]["mouse"] == MOUSE
    lines = log.splitlines()
    started = lines.index("[INFO   ] Base: Start application main loop")
    assert "[INFO   ] Kivy: v2.3.1" in lines[:started]
    assert [line for line in lines if "ERROR" in line or "CRITICAL" in line] == []
    assert "Traceback" not in log
    # Nothing at DEBUG once the kiosk runs: the slip's libraries (fontTools, PIL, fpdf) wrote
    # dozens of lines per slip.
    assert [line for line in lines[started:] if line.startswith("[DEBUG")] == []
    assert os.environ.get("DISPLAY")
