"""docs/cli.md is the argument parser's reference, regenerated with every change to an option
(`.venv/bin/python -m node.cli_reference --write`), and the README and docs point to it."""

from __future__ import annotations

import subprocess
import sys

from tests.node.cli import REPO, run_dorfhub

WRITE = ".venv/bin/python -m node.cli_reference --write"


def test_docs_cli_md_is_what_the_parser_says() -> None:
    made = subprocess.run(
        [sys.executable, "-m", "node.cli_reference"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    written = (REPO / "docs" / "cli.md").read_text()
    assert written == made, f"docs/cli.md is stale: run {WRITE}"


def test_the_reference_has_every_command_and_option() -> None:
    """A spot check that the reference follows the parser, not a copy of it."""
    written = (REPO / "docs" / "cli.md").read_text()
    help_text = run_dorfhub("demo", "--help").stdout
    assert "## dorfhub demo\n" in written
    for option in ("--dir", "--serve", "--no-kiosk", "--host", "--port-base"):
        assert option in help_text
        assert f"`{option}" in written.split("## dorfhub demo\n")[1].split("\n## ")[0]
    assert "## dorfhub kiosk\n" in written  # a command that holds another one
    assert "## dorfhub kiosk set-pin\n" in written


def test_readme_and_docs_link_the_reference() -> None:
    assert "(docs/cli.md)" in (REPO / "README.md").read_text()
    for doc in ("install-hub.md", "admin-publishing.md"):
        assert "(cli.md)" in (REPO / "docs" / doc).read_text(), doc
