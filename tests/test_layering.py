"""Which part of Dorfhub may import which (README.md, Layout): every import in every module,
at the top or inside a function, read with ast. The library (content) stands alone; the kiosk
never talks to the network or the sensors itself; the sensor layer knows neither the network
nor the screen; benchmarks use the code as it is published, not the tests' helpers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PARTS = ("content", "sync", "hardware", "kiosk", "admin", "node", "bench", "tests")
NETWORK = ("socket", "requests", "urllib", "urllib3", "http", "zeroconf", "uvicorn", "fastapi")
# What each package must not import (top-level names).
FORBIDDEN: dict[str, frozenset[str]] = {
    "content": frozenset(PARTS) - {"content"},
    "kiosk": frozenset({"sync", "hardware", "node", "admin", "bench", "tests", *NETWORK}),
    "hardware": frozenset({"sync", "kiosk", "admin", "node", "bench", "tests"}),
    "bench": frozenset({"tests"}),
}
# Known exceptions, each with its reason, to be removed rather than added to.
# The kiosk judges staleness on each sensor's configured reading period, read from config.toml
# through hardware.config (which loads no serial library; a032027). Its home belongs in content/
# or in what the hub daemon stores for the kiosk.
ALLOWED = {("kiosk/climate_data.py", "hardware.config")}


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, wherever the statement stands, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(package: str) -> list[str]:
    forbidden = FORBIDDEN[package]
    return [
        f"{path.relative_to(REPO)}:{line}: imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for line, name in imported(path)
        if name.split(".")[0] in forbidden and (str(path.relative_to(REPO)), name) not in ALLOWED
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_package_imports_only_what_its_layer_may(package: str) -> None:
    assert violations(package) == []


def test_the_reader_sees_imports_inside_functions(tmp_path: Path) -> None:
    # The guard above is only worth something if a hidden import is found.
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sync.client import PeerClient\n    import hardware\n")
    assert imported(module) == [(2, "sync.client"), (3, "hardware")]
