"""Fixtures: a booking network on real SQLite files: town server, two hubs, a guide, two
practices with slots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.booking.helpers import BookingNet, build_net
from tests.content.conftest import Stores


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    opened = Stores(tmp_path)
    yield opened
    opened.close_all()


@pytest.fixture
def net(stores: Stores) -> BookingNet:
    return build_net(stores)
