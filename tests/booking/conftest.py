"""Fixtures: a booking network on real SQLite files: town server, two hubs, a guide, two
practices with slots."""

from __future__ import annotations

import pytest

from tests.booking.helpers import BookingNet, build_net
from tests.content.conftest import Stores


@pytest.fixture
def net(stores: Stores) -> BookingNet:
    return build_net(stores)
