"""Fixtures every part of the suite shares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.content.conftest import Stores
from tests.hardware.emulated import emulator

__all__ = ["emulator", "stores"]


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    """Stores under the test's directory, every one closed at the end."""
    opened = Stores(tmp_path)
    yield opened
    opened.close_all()
