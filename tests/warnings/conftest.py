"""Fixtures shared with other parts of the suite: the content tests' small network (root,
admin, hub on real SQLite files) and the kiosk tests' hub home and display."""

from __future__ import annotations

from tests.content.conftest import network
from tests.kiosk.conftest import display, hub_home

__all__ = ["display", "hub_home", "network"]
