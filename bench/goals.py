"""The verdict column of the benchmarks' tables, and rows for the goals an issue sets.

A goal is checked in the run that measures it, beside its baseline, so that one `make bench`
shows where each goal stands. A goal whose measure failed or was skipped still gets its row,
saying so, instead of vanishing from the table.
"""

from __future__ import annotations

from oplog import Row

MET = "meets goal"
MISSED = "misses goal"
NOT_MEASURED = "not measured"


def verdict(ok: bool | None) -> str:
    """The verdict column: None when the figure was not measured in this run."""
    if ok is None:
        return NOT_MEASURED
    return MET if ok else MISSED


def goal_row(measure: str, value: str | None, goal: str, ok: bool | None) -> Row:
    """One goal's row; `value` None (and `ok` None) when the run has no figure for it."""
    return Row(measure, "—" if value is None else value, goal, verdict(ok))
