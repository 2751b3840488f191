"""Driving the real `dorfhub` command in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DORFHUB = [sys.executable, "-m", "node.cli"]
REPO = Path(__file__).resolve().parents[2]

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_dorfhub(
    *args: str | Path,
    home: Path | None = None,
    check: bool = True,
    prefix: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    command = [*prefix, *DORFHUB, *map(str, args)]
    if home is not None:
        command += ["--home", str(home)]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
        input=input,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed ({result.returncode}): {result.stderr}")
    return result


def notices_json(home: Path, *args: str, **kwargs: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(
        run_dorfhub("notice", "list", "--json", *args, home=home, **kwargs).stdout
    )
    return result


def grant_hub(town: Path, tmp_path: Path, name: str, group: str | None = None) -> tuple[Path, str]:
    """A hub home made by `node init`, granted the hub role (in `group`) on the town server;
    its home and public key token."""
    network = json.loads(run_dorfhub("status", "--json", home=town).stdout)["network"]
    home = tmp_path / name.lower()
    out = run_dorfhub(
        "node", "init", "--role", "hub", "--name", name, "--network", network, home=home
    ).stdout
    token = out.split("public key: ")[1].split()[0]
    groups = ("--group", group) if group else ()
    run_dorfhub(
        *("key", "grant", "--role", "hub", "--name", name, "--public-key", token, *groups),
        home=town,
    )
    return home, token


def carry(source: Path, target: Path) -> None:
    """Move the ops `target` lacks from `source`, as a USB bundle will (library call)."""
    from content.log import Log
    from content.store import Store

    with Store(source / "dorfhub.db") as src, Store(target / "dorfhub.db") as dst:
        missing = list(Log(src).ops_missing_from(Log(dst).version_vector()))
        report = Log(dst).ingest(missing)
    assert not report.rejected, report.rejected
