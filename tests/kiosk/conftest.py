"""Fixtures: a hub home as the kiosk finds it, and a guard for tests that need a display."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.kiosk.hubhome import HubHome, make_hub_home


@pytest.fixture
def hub_home(tmp_path: Path) -> HubHome:
    return make_hub_home(tmp_path, extra_notices=30)


@pytest.fixture
def display() -> None:
    """The app tests run the real Kivy window; `make test` provides Xvfb."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display: run under xvfb-run (make test does)")
