"""A guide's grants as the desk and the op check read them: the groups each guide grant names.

The keys view keeps only the latest grant's groups per key (a later grant replaces them); what
a guide may do rests on each grant's own groups instead, which no later op changes
(content/office_hours.py).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from content.authority import grant_valid_at

GUIDE_ROLE = "guide"


def with_grant_groups(
    conn: sqlite3.Connection, grants: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The keys view's grants, each guide grant with the groups its own op names (grant ops
    are never pruned)."""
    wanted = [g["op"] for g in grants if g["role"] == GUIDE_ROLE and "groups" not in g]
    if not wanted:
        return grants
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(
        f"SELECT id, json_extract(CAST(body AS TEXT), '$.groups') FROM ops WHERE id IN ({marks})",
        wanted,
    )
    groups = {op_id: json.loads(found) if found else [] for op_id, found in rows}
    return [{**g, "groups": groups.get(g["op"], [])} if g["op"] in wanted else g for g in grants]


def guide_groups(conn: sqlite3.Connection, key: str, at_ms: int) -> list[str]:
    """The groups the key's unrevoked guide grants valid at `at_ms` name: whose hubs' help
    requests the guide works in the desk and where their office hours may show."""
    row = conn.execute("SELECT grants, revoke_op FROM keys WHERE key = ?", (key,)).fetchone()
    if row is None or row[1] is not None:
        return []
    grants = with_grant_groups(conn, json.loads(row[0]))
    return sorted(
        {
            group
            for grant in grants
            if grant["role"] == GUIDE_ROLE and grant_valid_at(grant, at_ms)
            for group in grant["groups"]
        },
        key=str.casefold,
    )
