"""Official warnings in the demo and the benchmark: a DWD-style CAP 1.2 message built from a few
values, and the demo's step: its feed server (node/cap_feed_server.py) publishes a heat warning
for Perlesreut's warn cell, the town server's poller imports it, and once Perlesreut's board
shows it the feed cancels it. The demo prints both as they happen.

The warn cell 809272129 stands for the Gemeinde Perlesreut in the Landkreis Freyung-Grafenau
(type 8 and the AGS 09272129, made up for the demo: check the DWD's list of warn cells,
cap_warncellids_csv.csv, before configuring a real hub).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from content.identity import Identity
from node.cap_feed_server import publish_file
from node.home import Home
from node.listen import wait_for_ready_file

PERLESREUT_CELL = "809272129"
FEED_FILE = "warnungen.xml"
DWD_SENDER = "opendata@dwd.de"
# A county polls every minute; the demo every second (docs/warnings.md).
DEMO_POLL_S = 1.0


def cap_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def dwd_identifier(sent_ms: int, serial: str) -> str:
    """As the DWD writes them: 2.49.0.0.276.0.DWD.PVW.<ms>.<uuid-like>.MUL."""
    return f"2.49.0.0.276.0.DWD.PVW.{sent_ms}.{serial}.MUL"


def dwd_cap(
    identifier: str,
    sent_ms: int,
    expires_ms: int,
    *,
    cell: str = PERLESREUT_CELL,
    area: str = "Gemeinde Perlesreut",
    msg_type: str = "Alert",
    references: tuple[tuple[str, int], ...] = (),
    severity: str = "Severe",
    urgency: str = "Expected",
    event: str = "EXTREME HITZE",
    headline: str = "Amtliche WARNUNG vor EXTREMER HITZE",
    description: str = "Es tritt extreme Hitze auf. Die gefühlte Temperatur steigt auf über 38 °C.",
    instruction: str = "Trinken Sie ausreichend. Meiden Sie die Mittagshitze.",
    headline_en: str = "Official WARNING of EXTREME HEAT",
    description_en: str = "Extreme heat is expected; apparent temperatures above 38 °C.",
) -> bytes:
    """A CAP 1.2 alert in the DWD's shape (OASIS CAP 1.2; DWD profile: WARNCELLID, a German and
    an English info)."""
    refs = " ".join(f"{DWD_SENDER},{ident},{cap_time(sent)}" for ident, sent in references)
    reference = f"<references>{refs}</references>" if refs else ""

    def info(language: str, title: str, text: str, advice: str) -> str:
        return (
            f"<info><language>{language}</language><category>Health</category>"
            f"<event>{escape(event)}</event><urgency>{urgency}</urgency>"
            f"<severity>{severity}</severity><certainty>Likely</certainty>"
            f"<effective>{cap_time(sent_ms)}</effective><expires>{cap_time(expires_ms)}</expires>"
            "<senderName>Deutscher Wetterdienst</senderName>"
            f"<headline>{escape(title)}</headline><description>{escape(text)}</description>"
            f"<instruction>{escape(advice)}</instruction>"
            f"<area><areaDesc>{escape(area)}</areaDesc><geocode><valueName>WARNCELLID"
            f"</valueName><value>{cell}</value></geocode></area></info>"
        )

    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{identifier}</identifier><sender>{DWD_SENDER}</sender>"
        f"<sent>{cap_time(sent_ms)}</sent><status>Actual</status><msgType>{msg_type}</msgType>"
        f"<scope>Public</scope>{reference}"
        + info("de-DE", headline, description, instruction)
        + info("en-GB", headline_en, description_en, "Drink enough water.")
        + "</alert>"
    ).encode()


@contextmanager
def feed_server(directory: Path) -> Iterator[str]:
    """node/cap_feed_server.py in its own process; yields the feed's URL."""
    directory.mkdir(parents=True, exist_ok=True)
    ready = directory.parent / "feed.ready"
    ready.unlink(missing_ok=True)
    log = (directory.parent / "feed.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cap_feed_server", str(directory), str(ready)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        port = wait_for_ready_file(ready, process, 20).port
        yield f"http://127.0.0.1:{port}/{FEED_FILE}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def heat_warning_round(
    directory: Path,
    now_ms: int,
    shown: Callable[[], str | None],
    wait_s: float = 60.0,
) -> Iterator[str]:
    """Publish the heat warning on the feed, say when `shown()` (the title on Perlesreut's
    board) has it, cancel it, and say when it has left. Yields the demo's lines."""
    serial = f"{now_ms:x}-demo-heat"
    identifier = dwd_identifier(now_ms, serial)
    expires = now_ms + 24 * 3_600_000
    publish_file(directory, FEED_FILE, dwd_cap(identifier, now_ms, expires))
    yield "Wetterdienst (Demo-Feed): Hitzewarnung für Perlesreut veröffentlicht"
    started = time.monotonic()
    title = _until(shown, wait_s)
    yield (
        f"Perlesreut: Amtliche Warnung – Quelle: DWD »{title}« nach "
        f"{time.monotonic() - started:.1f} s auf dem Bildschirm"
    )
    cancel_id = dwd_identifier(now_ms + 1, serial + "-cancel")
    cancel = dwd_cap(
        cancel_id, now_ms + 1, expires, msg_type="Cancel", references=((identifier, now_ms),)
    )
    publish_file(directory, FEED_FILE, cancel)
    yield "Wetterdienst (Demo-Feed): Hitzewarnung aufgehoben"
    started = time.monotonic()
    _until(lambda: "gone" if shown() is None else None, wait_s)
    yield f"Perlesreut: Hitzewarnung nach {time.monotonic() - started:.1f} s vom Bildschirm"


def _until(check: Callable[[], str | None], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while (found := check()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the heat warning did not arrive in {seconds:.0f} s")
        time.sleep(0.1)
    return found


def configure_town(home: Home, admin: Identity, feed_url: str, poll_s: float) -> None:
    """What `dorfhub warnings init` and `warnings feed add` do, for the demo's town server."""
    from content.grants import grant
    from content.log import Log
    from node.warnings_feed import WARNINGS_KEY

    identity = home.create_identity(WARNINGS_KEY, "Amtliche Warnungen")
    with home.store() as store:
        grant(Log(store), admin, identity.public, "warnings", identity.name)
    home.save_table("warnings", {"feeds": [{"url": feed_url, "interval_s": poll_s}]})


def map_cell(home: Home, hub_key: str, cell: str = PERLESREUT_CELL) -> None:
    """`dorfhub warnings area add --geocode WARNCELLID:<cell> --hub <hub>`."""
    from node.warnings_feed import warnings_table

    table = dict(warnings_table(home))
    table["areas"] = [{"geocode": f"WARNCELLID:{cell}", "groups": [], "hubs": [hub_key]}]
    home.save_table("warnings", table)


def board_warning(home: Home, hub_key: str) -> str | None:
    """The German title of the official warning on a hub's board, if one shows."""
    from content.notices import active_notices
    from content.warning_bodies import WARNING_PREFIX

    with home.store() as store:
        shown = active_notices(store.conn, hub=hub_key, category="warnung", bodies=False)
    return next((n.title["de"] for n in shown if n.id.startswith(WARNING_PREFIX)), None)
