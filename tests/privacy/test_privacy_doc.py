"""docs/privacy.md's retention table is the one content/retention.py generates."""

from __future__ import annotations

from content.retention import markdown_table
from tests.node.cli import REPO

START, END = "<!-- retention: start -->\n", "<!-- retention: end -->"


def test_retention_table_is_the_one_the_code_generates() -> None:
    text = (REPO / "docs" / "privacy.md").read_text()
    table = text[text.index(START) + len(START) : text.index(END)]
    assert table.rstrip("\n") == markdown_table().rstrip("\n"), (
        "docs/privacy.md is stale: paste the output of `python -m content.retention` "
        "between the retention markers"
    )
