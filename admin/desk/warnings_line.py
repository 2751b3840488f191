"""The official warnings' status line on the fleet page: what the feed poller of `dorfhub
serve` (node/warnings_feed.py) last wrote, in words. A failing feed or a poller that stopped
writing says that the state is unknown: never that there are no warnings."""

from __future__ import annotations

from pathlib import Path

from admin.desk.fleet_words import FleetWords
from node.warnings_feed import read_status

# The poller writes its status after every round; older than this, it is not running.
STALE_MS = 15 * 60_000


def warnings_line(home: Path, words: FleetWords) -> tuple[str, bool] | None:
    """The line and whether it is a problem; None when this server polls no feed."""
    status = read_status(home)
    if status is None or not status.get("feeds"):
        return None
    feeds = status["feeds"]
    counts = status.get("counts", {})
    if words.now_ms - int(status.get("written_ms", 0)) > STALE_MS:
        return words.t("warnings.stale", ago=words.ago(int(status["written_ms"]))), True
    failing = [feed for feed in feeds if feed.get("failures")]
    if failing:
        feed = failing[0]
        text = words.t(
            "warnings.failing",
            url=feed["url"],
            times=feed["failures"],
            error=feed.get("last_error", ""),
        )
        return text, True
    last = max((feed.get("last_ok_ms") or 0 for feed in feeds), default=0)
    text = words.t(
        "warnings.ok",
        feeds=len(feeds),
        ago=words.ago(last) if last else words.t("fleet.unknown"),
        published=counts.get("published", 0) + counts.get("updated", 0),
        retracted=counts.get("retracted", 0),
        unmatched=counts.get("unmatched", 0),
    )
    return text, bool(counts.get("unmatched") or counts.get("errors"))
