"""Fixtures: a town server and a hub made with the real `dorfhub` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.node.cli import run_dorfhub


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """A town server home made by `dorfhub network init`."""
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    return home


@pytest.fixture
def hub(tmp_path: Path, town: Path) -> tuple[Path, str]:
    """A hub home made by `dorfhub node init`, granted the hub role on the town server."""
    network = json.loads(run_dorfhub("status", "--json", home=town).stdout)["network"]
    home = tmp_path / "ringelai"
    out = run_dorfhub(
        "node", "init", "--role", "hub", "--name", "Ringelai", "--network", network, home=home
    ).stdout
    token = out.split("public key: ")[1].split()[0]
    run_dorfhub(
        "key",
        "grant",
        "--role",
        "hub",
        "--name",
        "Ringelai",
        "--public-key",
        token,
        "--group",
        "Ilzer Land",
        home=town,
    )
    return home, token
