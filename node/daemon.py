"""The long-running processes: `dorfhub serve` (town server) and `dorfhub hub` (hub daemon).

Both serve the peer API with uvicorn (which handles SIGTERM and SIGINT by finishing requests in
flight and stopping). The hub daemon also runs the sync loop in a thread: pull and push with the
town server, every --peer and every LAN peer, a long-poll on each configured peer between rounds,
exponential backoff per failing peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI

from admin.desk import desk_app
from admin.feed import feed_router
from content.bodies import encode_body
from content.booking_allocation import allocate
from content.clock import trusted_now
from content.fleet import STATUS_EVERY_MS
from content.grants import key_info
from content.identity import Identity
from content.limits import KEEP_ALIVE_S, MAX_REPORTED_FORKS
from content.log import AppendRefused, Log
from content.screenshots import UploadSchedule
from content.store import Store
from node import __version__
from node.forks import quarantined_here
from node.help_keys import erase_spent_help_keys
from node.home import Home
from node.listen import write_ready_file
from node.retention_loop import start_retention
from node.setup import peer_client
from node.warnings_feed import start_warnings, warnings_table
from sync import peers
from sync.client import PeerClient, PeerError, sync_round
from sync.http import LOCAL_PROXIES, ConnectionGuard, guarded_protocol, limit_tls_handshakes
from sync.server import create_app
from sync.tls import ServerTls

log = logging.getLogger("dorfhub.daemon")
# Whose X-Forwarded-Proto and X-Forwarded-For are believed: a reverse proxy on this machine
# (docs/town-server.md). Stated here, not left to uvicorn's FORWARDED_ALLOW_IPS, so that no
# environment variable can let a remote client claim it came over TLS.
TRUSTED_PROXIES = list(LOCAL_PROXIES)
MAX_BACKOFF_S = 60.0
LOCAL_POLL_S = 0.2
# A hub.status op at start and this often; the desk's fleet calls a hub offline that the town
# server has not seen for two of them (content/fleet.py).
STATUS_EVERY_S = STATUS_EVERY_MS / 1000
# The hub daemon looks this often whether the kiosk wrote a new screenshot (it writes one at most
# every 15 minutes, and sends it at most that often: content/screenshots.py).
SCREENSHOT_LOOK_S = 60.0
# A hub without its grant asks its server again this often: the server keeps a bounded queue of
# waiting requests (content/limits.py MAX_PENDING_ENROLLMENTS) and may have pushed ours out.
ENROLL_AGAIN_S = 60.0


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so logs can be read by journald and by machines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= getattr(record, "fields", {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: int = logging.INFO) -> dict[str, Any]:
    """Log configuration for uvicorn and our loggers alike."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {"uvicorn.access": {"level": logging.WARNING}},
    }


@dataclass
class PeerSchedule:
    """When each peer may be tried next, with exponential backoff after failures."""

    due: dict[str, float] = field(default_factory=dict)

    def ready(self, url: str, now: float) -> bool:
        return self.due.get(url, 0.0) <= now

    def failed(self, url: str, failures: int, now: float) -> float:
        delay = min(MAX_BACKOFF_S, 0.5 * 2.0 ** (failures - 1))
        self.due[url] = now + delay
        return delay

    def succeeded(self, url: str) -> None:
        self.due.pop(url, None)

    def retry_due(self, now: float) -> bool:
        """Whether a failed peer's backoff has run out (retry it even if nothing changed)."""
        return any(due <= now for due in self.due.values())

    def keep_only(self, urls: list[str]) -> None:
        """Forget peers no longer listed (a vanished LAN peer must not keep waking rounds)."""
        self.due = {url: due for url, due in self.due.items() if url in urls}


class SyncLoop(threading.Thread):
    """Sync with every peer whenever something changed here or there."""

    def __init__(
        self,
        home: Home,
        peer_urls: Callable[[str], list[str]],
        configured: Sequence[str] = (),
        discovering: bool = False,
    ) -> None:
        """`peer_urls(own_digest)` lists the peers of a round, configured and discovered alike;
        each `configured` URL (the server from `node init`, each --peer) is also long-polled,
        so that a change there starts a round at once. Discovered peers wake rounds through
        discovery itself."""
        super().__init__(name="dorfhub-sync", daemon=True)
        self.home = home
        self.peer_urls = peer_urls
        self.configured = list(dict.fromkeys(url for url in configured if url))
        self.discovering = discovering
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.schedule = PeerSchedule()
        self.clients: dict[str, PeerClient] = {}
        # Monotonic time of the next hub.status op; infinity while the log refuses it (no grant
        # yet), which waits for the next round, since only new data can bring the grant.
        self.status_due = 0.0
        self.status_refusal = ""  # logged once per reason, not once per attempt
        self.forks_raised: set[str] = set()
        self.enroll_due = 0.0
        self.screenshots = UploadSchedule(home.path)
        self.screenshot_due = 0.0
        self.screenshot_error = ""  # logged once per reason, not once a minute

    def run(self) -> None:
        identity = self.home.identity()
        with self.home.store() as store:
            network_id = store.network_id or ""
            self._start_long_polls(identity, network_id)
            self._raise_forks(store)
            seen_version = -1
            while not self.stop.is_set():
                if time.monotonic() >= self.enroll_due:
                    self._ask_again(store, identity)
                if time.monotonic() >= self.status_due:
                    self._report_status(store, identity)
                if time.monotonic() >= self.screenshot_due:
                    self._send_screenshot(identity, network_id)
                version = store.data_version()
                retry = self.schedule.retry_due(time.monotonic())
                if self.wake.is_set() or version != seen_version or retry:
                    self.wake.clear()
                    self._round(store, identity, network_id)
                    # The version from before the round: a commit by another process during
                    # the round (the kiosk's help request) must start a round of its own. The
                    # round's own commits do not move data_version on this connection.
                    seen_version = version
                    self._after_round(store)
                self.wake.wait(LOCAL_POLL_S)
        for client in self.clients.values():
            client.close()

    def _start_long_polls(self, identity: Identity, network_id: str) -> None:
        if not self.configured and not self.discovering:
            log.warning(
                "no peer to sync with: only a USB bundle brings new ops to this hub",
                extra={"fields": {"fix": "node init --server URL, hub --peer URL or --discover"}},
            )
        for url in self.configured:
            threading.Thread(
                target=self._long_poll,
                args=(url, identity, network_id),
                name=f"dorfhub-wait-{url}",
                daemon=True,
            ).start()

    def _round(self, store: Store, identity: Identity, network_id: str) -> None:
        now = time.monotonic()
        urls = self.peer_urls(Log(store).digest())
        self.schedule.keep_only(urls)
        for url in urls:
            if not self.schedule.ready(url, now):
                continue
            client = self.clients.get(url) or peer_client(self.home, url, identity, network_id)
            self.clients[url] = client
            try:
                # Anyone on the LAN can announce a peer; a configured one was chosen by an admin.
                discovered = url not in self.configured
                result = sync_round(Log(store), client, known_peers_only=discovered)
            except PeerError as exc:
                failures = peers.record_failure(store, url, str(exc))
                delay = self.schedule.failed(url, failures, now)
                _info("sync failed", peer=url, error=str(exc), retry_in_s=delay)
                continue
            self.schedule.succeeded(url)
            held = result.peer_vector
            if held is None:  # no-op: equal digests, so the peer holds what we hold
                held = Log(store).version_vector()
            peers.record_success(store, result, client.last_node, held)
            if not result.noop:
                _info(
                    "synced",
                    peer=url,
                    pulled=result.pulled,
                    pushed=result.pushed,
                    bytes_in=result.bytes_in,
                    bytes_out=result.bytes_out,
                )

    def _after_round(self, store: Store) -> None:
        """A fork that this round or another process brought in goes out with a status op at
        once; a refused status op is tried again, as new data may have brought our grant."""
        if self._raise_forks(store) or self.status_due == math.inf:
            self.status_due = 0.0
        erase_spent_help_keys(store)  # the kiosk may no longer read them: docs/guide-queue.md

    def _raise_forks(self, store: Store) -> bool:
        """Log each author newly quarantined here, once and at error level: until an admin
        revokes the key, this node refuses its ops and drifts apart from the nodes that kept
        its other op. Returns whether there was a new one."""
        new = [f for f in quarantined_here(store.conn) if f.author not in self.forks_raised]
        for fork in new:
            self.forks_raised.add(fork.author)
            if not fork.revoked:
                log.error(
                    "forked key quarantined: its ops are refused here until an admin revokes it",
                    extra={
                        "fields": {
                            "author": fork.author,
                            "name": fork.name,
                            "roles": fork.roles,
                            "reason": fork.reason,
                            "recovery": "docs/admin-publishing.md, When a key forks",
                        }
                    },
                )
        return bool(new)

    def _ask_again(self, store: Store, identity: Identity) -> None:
        """While this hub holds no grant, ask the server to enroll it again: a request pushed
        out of the server's queue comes back, and one still waiting moves to the back."""
        self.enroll_due = time.monotonic() + ENROLL_AGAIN_S
        config = self.home.config
        network_id = store.network_id
        if config.role != "hub" or not config.server_url or not network_id:
            return
        if key_info(store.conn, identity.key_id) is not None:
            self.enroll_due = math.inf  # granted (a revoked hub does not ask again either)
            return
        client = peer_client(self.home, config.server_url, identity, network_id)
        try:
            client.hello("")
            code = client.enroll(config.name, config.role)
            _info("asked the server to enroll this hub", code=code)
        except PeerError as exc:
            _info("enrollment request failed", error=str(exc))
        finally:
            client.close()

    def _report_status(self, store: Store, identity: Identity) -> None:
        """Append a hub.status op: how this hub is, including a clock it cannot trust and the
        keys it quarantined. Until the log accepts it, try again after the next round."""
        if self.home.config.role != "hub":
            self.status_due = time.monotonic() + STATUS_EVERY_S
            return
        body = encode_body(self._status_body(store))
        try:
            Log(store).append(identity, "hub.status", identity.key_id, body)
        except AppendRefused as exc:
            if str(exc) != self.status_refusal:
                self.status_refusal = str(exc)
                _info("no status report yet", reason=str(exc))
            self.status_due = math.inf
            return
        self.status_refusal = ""
        self.status_due = time.monotonic() + STATUS_EVERY_S
        self.wake.set()  # our own commit does not change data_version

    def _status_body(self, store: Store) -> dict[str, Any]:
        clock = trusted_now(store.conn)
        forks = [fork.author for fork in quarantined_here(store.conn)]
        disk = shutil.disk_usage(self.home.path)
        body = {
            "name": self.home.config.name,
            "software": f"dorfhub {__version__}",
            "ops": Log(store).count(),
            "clock_skew_s": round(clock.skew_ms / 1000),
            "clock_suspect": clock.clock_suspect,
            "quarantined": forks[:MAX_REPORTED_FORKS],
            "disk_free_bytes": disk.free,
            "disk_total_bytes": disk.total,
        }
        position = warnings_table(self.home).get("position")
        if position:  # `dorfhub warnings position`: polygon warnings reach it (docs/warnings.md)
            body["position"] = position
        server = self.clients.get(self.home.config.server_url or "")
        if server is not None and server.last_node:  # it said hello: its clock is known
            body["clock_offset_s"] = round(server.clock_offset_ms / 1000)
        return body

    def _send_screenshot(self, identity: Identity, network_id: str) -> None:
        """Send the kiosk's newest screenshot to the town server when it changed, at most once
        every 15 minutes (docs/kiosk.md); after a failure, the next look tries again."""
        now = time.monotonic()
        self.screenshot_due = now + SCREENSHOT_LOOK_S
        config = self.home.config
        png = self.screenshots.due(now) if config.role == "hub" and config.server_url else None
        if png is None:
            return
        url = config.server_url
        client = self.clients.get(url) or peer_client(self.home, url, identity, network_id)
        self.clients[url] = client
        try:
            if not client.last_node:
                client.hello("")  # the server's clock, for the time the request is signed at
            answer = client.screenshot(png)
        except PeerError as exc:
            if str(exc) != self.screenshot_error:
                self.screenshot_error = str(exc)
                _info("screenshot not sent", error=str(exc))
            return
        self.screenshot_error = ""
        self.screenshots.sent(png, now)
        _info("screenshot sent", bytes=len(png), taken_at=answer.taken_at)

    def _long_poll(self, url: str, identity: Identity, network_id: str) -> None:
        """Wait on one configured peer's digest; any change wakes a round at once."""
        client = peer_client(self.home, url, identity, network_id)
        digest, failures = "", 0
        while not self.stop.is_set():
            try:
                if not digest:
                    digest = client.hello("").digest
                    self.wake.set()  # (re)connected: the peer may have changed meanwhile
                new = client.wait(digest)
                failures = 0
                if new != digest:
                    digest = new
                    self.wake.set()
            except PeerError:
                failures += 1
                digest = ""
                self.stop.wait(min(MAX_BACKOFF_S, 0.5 * 2**failures))
        client.close()


def _info(message: str, **fields: Any) -> None:
    log.info(message, extra={"fields": fields})


class _Server(uvicorn.Server):
    """Releases long-polls at once on SIGTERM, so shutdown does not wait for them, and says
    when it serves."""

    def __init__(
        self,
        config: uvicorn.Config,
        closing: Callable[[], asyncio.Event],
        on_serving: Callable[[], None],
    ) -> None:
        super().__init__(config)
        self.closing = closing
        self.on_serving = on_serving

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_serving()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().call_soon(self.closing().set)
        super().handle_exit(sig, frame)


def _ignore_signal(sig: int, frame: FrameType | None) -> None:
    """Stands in for SIGTERM's default action while uvicorn owns the shutdown."""


def serve(
    home: Home,
    listener: socket.socket,
    sync_loop: SyncLoop | None = None,
    ready_file: Path | None = None,
    tls: ServerTls | None = None,
) -> None:
    """Serve the peer API on `listener` until SIGTERM, over TLS when `tls` is given; run the
    sync loop beside it when given. Once serving, write `ready_file` (node/listen.py)."""
    config = home.config
    app = _peer_app(home)
    host, port = listener.getsockname()[:2]
    # Admins compare this with what `node init --pin` showed on the hub.
    scheme = {"scheme": "https", "certificate_sha256": tls.fingerprint} if tls else {}

    def serving() -> None:
        if ready_file is not None:
            write_ready_file(ready_file, port)
        _info("serving", node=config.name, host=host, port=port, **scheme)

    server = _Server(_uvicorn_config(app, tls), lambda: app.state.service.closing, serving)
    start_retention(home)  # erases what fell due, now and daily (docs/protocol.md "Retention")
    # Official warnings: the town server polls the CAP feeds of its config (docs/warnings.md).
    warnings = start_warnings(home)
    if sync_loop is not None:
        sync_loop.start()
    _info("starting", node=config.name, role=config.role, host=host, port=port)
    # uvicorn re-raises the SIGTERM it handled once it has shut down; with the default action
    # that would kill the process before the cleanup below. Treat it as a normal exit.
    previous = signal.signal(signal.SIGTERM, _ignore_signal)
    try:
        server.run(sockets=[listener])
    finally:
        signal.signal(signal.SIGTERM, previous)
        if warnings is not None:
            warnings.stop.set()
        if sync_loop is not None:
            sync_loop.stop.set()
            sync_loop.wake.set()
            sync_loop.join(timeout=10)
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)  # it says "serving"; no longer true
        _info("stopped", node=config.name)


def _peer_app(home: Home) -> FastAPI:
    identity = home.identity()
    role = home.config.role
    if role != "server":
        return create_app(home.db_path, identity.key_id, role)
    # The booking authority decides pushed requests in this process, right after ingest; the
    # practices' calendar feeds and the desk (docs/desk.md) are served beside the peer API.
    app = create_app(
        home.db_path,
        identity.key_id,
        role,
        after_change=lambda store: allocate(store, identity),
    )
    app.include_router(feed_router(home.db_path, identity))
    app.mount("/desk", desk_app(home.path, home.db_path))
    return app


def _uvicorn_config(app: FastAPI, tls: ServerTls | None = None) -> uvicorn.Config:
    """How uvicorn serves the app; the listening socket is bound before (node/listen.py).
    Connections go through sync.http's guard: a connection limit that fits the process's file
    descriptors, and deadlines for slow requests (content/limits.py). With `tls`, uvicorn
    wraps the sockets it is handed in TLS and the ASGI scope's scheme is "https"."""
    guard = ConnectionGuard(dropped=app.state.service.drops)
    if tls is not None:
        limit_tls_handshakes()
    return uvicorn.Config(
        app,
        http=guarded_protocol(guard),
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
        proxy_headers=True,
        forwarded_allow_ips=TRUSTED_PROXIES,
        timeout_keep_alive=KEEP_ALIVE_S,
        log_config=setup_logging(),
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=5,
    )
