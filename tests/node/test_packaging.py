"""What an install holds: pyproject.toml's package discovery and package-data cover every module
and every data file the code reads. An editable install (`make run`) reads the working tree and
hides any gap; a wheel once lacked hardware.parsers, which only the explicit package list missed.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

from setuptools import find_packages

from tests.node.cli import REPO

PACKAGE_ROOTS = ("content", "sync", "hardware", "kiosk", "admin", "node")


def _setuptools_config() -> dict[str, Any]:
    tool: dict[str, dict[str, Any]] = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]
    return tool["setuptools"]


def _tracked() -> list[PurePosixPath]:
    listed = subprocess.run(
        ["git", "ls-files", "--", *PACKAGE_ROOTS],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [PurePosixPath(line) for line in listed.splitlines()]


def _packages() -> set[str]:
    include = _setuptools_config()["packages"]["find"]["include"]
    return set(find_packages(str(REPO), include=include))


def test_every_module_lies_in_a_package_that_is_installed() -> None:
    folders = {".".join(path.parent.parts) for path in _tracked() if path.suffix == ".py"}
    assert sorted(folders - _packages()) == []


def test_every_data_file_is_named_by_package_data() -> None:
    config = _setuptools_config()
    assert config["include-package-data"] is False  # else setuptools warns for each data folder
    installed: set[Path] = set()
    for package, patterns in config["package-data"].items():
        assert package in _packages(), package
        folder = REPO / package.replace(".", "/")
        for pattern in patterns:
            installed |= {path for path in folder.glob(pattern) if path.is_file()}
    # Notes for developers (README.md) need not ship; everything else is read at run time.
    data = [p for p in _tracked() if p.suffix != ".py" and p.name != "README.md"]
    assert data, "git ls-files found no data files"
    assert sorted(str(p) for p in data if REPO / p not in installed) == []
