"""Every limit lives in content/limits.py and in docs/protocol.md's table, and the two agree."""

from __future__ import annotations

import re

from content import limits
from tests.node.cli import REPO

PROTOCOL = REPO / "docs" / "protocol.md"
START, END = "<!-- limits: start -->\n", "<!-- limits: end -->"


def test_docs_table_is_the_one_the_module_generates() -> None:
    text = PROTOCOL.read_text()
    table = text[text.index(START) + len(START) : text.index(END)]
    assert table == limits.markdown_table(), (
        "docs/protocol.md is stale: paste the output of `python -m content.limits` "
        "between the limits markers"
    )


def test_every_limit_constant_is_in_the_table() -> None:
    constants = {
        name
        for name, value in vars(limits).items()
        if re.fullmatch(r"(MAX|MIN)_[A-Z_]+|[A-Z_]+_(S|MS|BYTES|RESERVE|SECOND|BURST)", name)
        and isinstance(value, int | float)
    }
    listed = {limit.name for limit in limits.LIMITS}
    assert constants - listed == set()
    for limit in limits.LIMITS:
        assert getattr(limits, limit.name) == limit.value
