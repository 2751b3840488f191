"""Official warnings on a town server: the `[warnings]` table of config.toml, importing CAP
documents with the `warnings` key, and the feed poller that `dorfhub serve` runs beside the
peer API (docs/warnings.md).

    [warnings]
    drills = false                       # CAP Exercise and Test reach no board
    position = [48.78, 13.43]            # on a hub: where it stands (reported in hub.status)
    [[warnings.feeds]]
    url = "https://…/cap.atom"           # a CAP file, or an Atom / RSS index of CAP files
    interval_s = 60
    [[warnings.areas]]
    geocode = "ARS:092720000000"
    groups = ["Ilzer Land"]
    hubs = []                            # hub keys

The poller asks each feed with If-None-Match / If-Modified-Since, backs off on errors (doubling
up to MAX_BACKOFF_S), and writes what it did to warnings-status.json in the home, which the
desk's fleet page shows. A feed that fails says so there: an outage is "unknown", never "no
warnings".
"""

from __future__ import annotations

import json
import logging
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from content.cap import MAX_CAP_BYTES, CapError, is_cap, read_cap, read_index
from content.clock import trusted_now, wall_clock_ms
from content.identity import Identity
from content.log import Log
from content.warnings import Outcome, WarningsConfig, apply_alert, config_from_table, hub_places
from node.home import Home

log = logging.getLogger("dorfhub.warnings")
WARNINGS_KEY = "warnings.key"
STATUS_FILE = "warnings-status.json"
DEFAULT_INTERVAL_S = 60.0
MIN_INTERVAL_S = 0.1  # tests and the benchmark poll fast; a county asks every minute
MAX_BACKOFF_S = 900.0
FETCH_TIMEOUT_S = 20.0
COUNTED = ("published", "updated", "retracted", "duplicate", "ignored", "unmatched", "expired")


def warnings_table(home: Home) -> dict[str, Any]:
    with home.config_path.open("rb") as handle:
        table: dict[str, Any] = tomllib.load(handle).get("warnings", {})
    return table


def warnings_config(home: Home) -> WarningsConfig:
    return config_from_table(warnings_table(home))


def feeds_of(table: dict[str, Any]) -> list[tuple[str, float]]:
    return [
        (str(feed["url"]), max(MIN_INTERVAL_S, float(feed.get("interval_s", DEFAULT_INTERVAL_S))))
        for feed in table.get("feeds", [])
    ]


def warnings_identity(home: Home) -> Identity:
    if not home.key_path(WARNINGS_KEY).exists():
        raise CapError("no warnings key here: run `dorfhub warnings init` on the town server")
    return home.identity(WARNINGS_KEY)


def import_alert(home: Home, data: bytes) -> Outcome:
    """Read one CAP document and apply it with the warnings key (CapError: nothing stored)."""
    alert = read_cap(data)
    identity = warnings_identity(home)
    config = warnings_config(home)
    with home.store() as store:
        places = hub_places(store.conn)
        now = trusted_now(store.conn, wall_clock_ms()).now_ms
        outcome = apply_alert(Log(store), identity, alert, config, places, now)
    _log_outcome(outcome)
    return outcome


class Unchanged(CapError):
    """An index entry that did not change since the last poll: nothing to import."""


def import_document(
    home: Home, data: bytes, fetch: Callable[[str], bytes], base_url: str = ""
) -> list[Outcome | CapError]:
    """A CAP file, or an index whose entries are fetched and imported one by one (an entry
    that fails is reported and the others still count)."""
    if is_cap(data):
        return [import_alert(home, data)]
    results: list[Outcome | CapError] = []
    for link in read_index(data):
        try:
            results.append(import_alert(home, fetch(urljoin(base_url, link))))
        except Unchanged:
            continue
        except (CapError, OSError) as exc:  # one entry refused or missing: the others count
            log.warning("warning entry refused", extra={"fields": {"url": link, "error": str(exc)}})
            results.append(CapError(f"{link}: {exc}"))
    return results


def _log_outcome(outcome: Outcome) -> None:
    level = logging.WARNING if outcome.action == "unmatched" else logging.INFO
    log.log(level, f"warning {outcome.action}", extra={"fields": outcome.as_json()})


@dataclass
class FeedState:
    url: str
    interval_s: float
    etag: str = ""
    modified: str = ""
    failures: int = 0
    due: float = 0.0
    last_ok_ms: int | None = None
    last_error: str = ""

    def as_json(self, now: float) -> dict[str, Any]:
        return {
            "url": self.url,
            "interval_s": self.interval_s,
            "last_ok_ms": self.last_ok_ms,
            "failures": self.failures,
            "last_error": self.last_error,
            "next_in_s": round(max(0.0, self.due - now), 1),
        }


class FeedPoller(threading.Thread):
    """Polls the configured feeds until `stop` is set."""

    def __init__(self, home: Home, feeds: list[tuple[str, float]]) -> None:
        super().__init__(name="dorfhub-warnings", daemon=True)
        import requests  # the daemon's, not the command line's: loaded only when polling

        self.home = home
        self.feeds = [FeedState(url, interval) for url, interval in feeds]
        self.session = requests.Session()
        self.stop = threading.Event()
        self.counts = dict.fromkeys((*COUNTED, "errors"), 0)
        self.last_warning = ""
        self.entry_etags: dict[str, str] = {}  # an index's entries: url -> ETag

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            for feed in self.feeds:
                if feed.due <= now and not self.stop.is_set():
                    self._poll(feed)
            self._write_status()
            wait = min((feed.due for feed in self.feeds), default=now + 60) - time.monotonic()
            self.stop.wait(max(0.0, wait))
        self.session.close()

    def _poll(self, feed: FeedState) -> None:
        try:
            data, feed.etag, feed.modified = self._get(feed.url, feed.etag, feed.modified)
            if data is not None:
                results = import_document(self.home, data, self._entry, feed.url)
                for result in results:
                    self._count(result)
        except Exception as exc:  # a locked database, a refused append, …
            # Whatever fails, the poller backs off and keeps going: a thread that died would
            # leave the fleet page saying "unknown" only once its status had gone stale.
            feed.failures += 1
            feed.last_error = str(exc)[:300]
            self.counts["errors"] += 1
            delay = min(MAX_BACKOFF_S, feed.interval_s * 2.0**feed.failures)
            feed.due = time.monotonic() + delay
            log.warning(
                "warning feed failed",
                extra={"fields": {"url": feed.url, "error": feed.last_error, "retry_s": delay}},
            )
            return
        feed.failures, feed.last_error = 0, ""
        feed.last_ok_ms = wall_clock_ms()
        feed.due = time.monotonic() + feed.interval_s

    def _count(self, result: Outcome | CapError) -> None:
        if isinstance(result, CapError):
            self.counts["errors"] += 1
            return
        self.counts[result.action] += 1
        if result.action != "duplicate":
            self.last_warning = f"{result.action} {result.identifier}"

    def _entry(self, url: str) -> bytes:
        """An index's entry; one unchanged since the last poll answers 304 and is skipped."""
        data, etag, _ = self._get(url, self.entry_etags.get(url, ""), "")
        if data is None:
            raise Unchanged(url)
        self.entry_etags[url] = etag
        return data

    def _get(self, url: str, etag: str, modified: str) -> tuple[bytes | None, str, str]:
        """The document at `url` with its ETag and Last-Modified; None when unchanged (304)."""
        import requests

        headers = {"Accept": "application/cap+xml, application/atom+xml, application/xml"}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        try:
            with self.session.get(
                url, headers=headers, timeout=FETCH_TIMEOUT_S, stream=True
            ) as answer:
                if answer.status_code == 304:
                    return None, etag, modified
                if answer.status_code != 200:
                    raise OSError(f"{url} answered {answer.status_code}")
                data = answer.raw.read(MAX_CAP_BYTES + 1, decode_content=True)
                found = answer.headers
                return bytes(data), found.get("ETag", ""), found.get("Last-Modified", "")
        except requests.RequestException as exc:
            raise OSError(f"{url}: {type(exc).__name__}") from None

    def _write_status(self) -> None:
        now = time.monotonic()
        status = {
            "written_ms": wall_clock_ms(),
            "feeds": [feed.as_json(now) for feed in self.feeds],
            "counts": self.counts,
            "last": self.last_warning,
        }
        path = self.home.path / STATUS_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(status))
        temporary.replace(path)


def read_status(home_path: Path) -> dict[str, Any] | None:
    """What the poller last wrote (None: no poller ran in this home)."""
    try:
        status: dict[str, Any] = json.loads((home_path / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return status


def start_warnings(home: Home) -> FeedPoller | None:
    """The poller of `dorfhub serve`, when this is a town server with feeds configured."""
    if home.config.role != "server":
        return None
    feeds = feeds_of(warnings_table(home))
    if not feeds:
        return None
    poller = FeedPoller(home, feeds)
    poller.start()
    return poller
