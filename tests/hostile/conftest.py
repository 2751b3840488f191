"""The hostile-input suite uses the sync tests' town homes and server processes."""

from __future__ import annotations

from tests.sync.conftest import town, town_dir

__all__ = ["town", "town_dir"]
