"""Starting a scenario in a fresh process (Kivy does not like being started twice)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def kiosk_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONSOLELOG": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_HOME": str(tmp / "kivy-home"),
    }


def start_scenario(
    name: str, home: Path, tmp: Path, params: dict[str, Any] | None = None
) -> tuple[subprocess.Popen[str], Path]:
    out = tmp / f"{name}-result.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kiosk.driver",
            name,
            str(home),
            str(out),
            json.dumps(params or {}),
        ],
        cwd=REPO,
        env=kiosk_env(tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, out


def finish_scenario(process: subprocess.Popen[str], out: Path, timeout: float = 90) -> Any:
    output, _ = process.communicate(timeout=timeout)
    if not out.exists():
        raise AssertionError(f"the kiosk stopped without a result:\n{output[-3000:]}")
    result = json.loads(out.read_text())
    if not result["ok"]:
        raise AssertionError(f"scenario failed:\n{result['error']}\n{output[-2000:]}")
    return result


def run_scenario(name: str, home: Path, tmp: Path, params: dict[str, Any] | None = None) -> Any:
    process, out = start_scenario(name, home, tmp, params)
    return finish_scenario(process, out)
