"""Fixtures: a town server and a hub made with the real `dorfhub` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.node.cli import grant_hub, run_dorfhub


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """A town server home made by `dorfhub network init`."""
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    return home


@pytest.fixture
def hub(tmp_path: Path, town: Path) -> tuple[Path, str]:
    """A hub home made by `dorfhub node init`, granted the hub role on the town server."""
    return grant_hub(town, tmp_path, "Ringelai", "Ilzer Land")
