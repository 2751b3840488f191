"""The sync tests' town server home, for the tests that run real processes."""

from tests.sync.conftest import town, town_dir

__all__ = ["town", "town_dir"]
