"""Fixtures shared with other parts of the suite: the content tests' small network (root,
admin, hub on real SQLite files) and the kiosk tests' hub home and display; and the umask kept
as it was, since `node.cli.main` (called in process here) restricts it for the whole process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.content.conftest import network
from tests.kiosk.conftest import display, hub_home

__all__ = ["display", "hub_home", "keep_umask", "network"]


@pytest.fixture(autouse=True)
def keep_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)
