"""`dorfhub serve` as a process: it starts, answers, and stops promptly on SIGTERM."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from content.identity import Identity
from sync.client import PeerClient, PeerError
from tests.sync.conftest import running, start_peer

LONG_POLL_S = 25.0


def test_sigterm_releases_a_long_poll(town: Path) -> None:
    """A hub waiting on /v1/wait must not hold the server up for its 25 s."""
    answers: list[str] = []
    with running(town) as server:
        hello = server.hello()
        client = PeerClient(server.url, Identity.generate("Wartend"), hello["net"])
        waiter = threading.Thread(target=lambda: answers.append(_wait(client, hello["digest"])))
        waiter.start()
        time.sleep(0.5)  # the long-poll is parked on the server
        server.stop()
        waiter.join(timeout=30)
        client.close()
    # Answered, unchanged, not cut off: a poll still parked when the graceful shutdown runs out
    # (5 s) is cancelled and its client sees the connection drop instead.
    assert answers == [hello["digest"]]


def _wait(client: PeerClient, digest: str) -> str:
    try:
        return client.wait(digest, timeout=LONG_POLL_S)
    except PeerError as exc:
        return f"failed: {exc}"


def test_sigterm_runs_the_shutdown_path(town: Path) -> None:
    server = start_peer(town)
    server.stop()
    assert '"message": "stopped"' in server.output()
