"""The content tests' small network (root, admin, hub on real SQLite files), for the warnings."""

from __future__ import annotations

from tests.content.conftest import network

__all__ = ["network"]
