"""The official warnings' line on the fleet page, in the browser and checked by axe-core (WCAG
2.2 AA) like every desk page: what the feed poller wrote, and "Stand unbekannt" for a failing
feed (admin/desk/warnings_line.py). The status file is the poller's (node/warnings_feed.py),
written here into the running server's home and removed again: the server is the session's."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from content.clock import wall_clock_ms
from node.warnings_feed import STATUS_FILE
from tests.desk.conftest import ANNA, DeskSite


@pytest.fixture
def status(desk: DeskSite) -> Iterator[dict[str, object]]:
    path = desk.server.home / STATUS_FILE
    feed = {"url": "http://127.0.0.1:9/warnungen.xml", "interval_s": 60, "failures": 0}
    feed |= {"last_ok_ms": wall_clock_ms(), "last_error": "", "next_in_s": 30}
    counts = {"published": 2, "updated": 0, "retracted": 1, "unmatched": 1, "errors": 0}
    written: dict[str, object] = {"written_ms": wall_clock_ms(), "feeds": [feed], "counts": counts}
    path.write_text(json.dumps(written))
    try:
        yield written
    finally:
        path.unlink(missing_ok=True)


def test_the_fleet_page_shows_the_warnings_poller(
    page: Page, desk: DeskSite, status: dict[str, object]
) -> None:
    desk.log_in(page, ANNA)
    desk.visit(page, "/hubs")
    line = page.locator("#warnings-status")
    expect(line).to_contain_text("Amtliche Warnungen: 1 Quelle(n), zuletzt abgerufen")
    expect(line).to_contain_text("2 veröffentlicht, 1 aufgehoben, 1 ohne Hub")
    failing = status["feeds"][0] | {"failures": 3, "last_error": "timeout"}  # type: ignore[index]
    (desk.server.home / STATUS_FILE).write_text(json.dumps(status | {"feeds": [failing]}))
    desk.visit(page, "/hubs")
    expect(line).to_contain_text("Stand unbekannt")
    expect(line).to_contain_text("3× gescheitert (timeout)")
