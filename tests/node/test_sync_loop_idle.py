"""A hub with no peer and no grant of its own yet (`node init --network`, nothing imported):
its sync loop says once that it has no peer and does not spin. The status report the log
refuses is tried again only after a round, that is when new data came, not every second."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from content.identity import Identity, network_id_for
from content.store import Store
from node.daemon import SyncLoop
from node.home import Home, NodeConfig
from tests.sync.procs import wait_for

# Idle turns of the loop to watch: the old loop retried its refused status report every fifth.
QUIET_TURNS = 15


class CountingEvent(threading.Event):
    """The loop's wake-up event, counting how often the loop waited on it: its idle turns."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return super().wait(timeout)


class CountingLoop(SyncLoop):
    """The real loop with no peer, counting its turns, rounds and status reports."""

    def __init__(self, home: Home) -> None:
        super().__init__(home, lambda _digest: [], ())  # no configured peer
        self.wake = CountingEvent()
        self.rounds = 0
        self.reports = 0

    def _round(self, store: Store, identity: Identity, network_id: str) -> None:
        self.rounds += 1
        super()._round(store, identity, network_id)

    def _report_status(self, store: Store, identity: Identity) -> None:
        self.reports += 1
        super()._report_status(store, identity)


def test_a_hub_with_no_peer_says_so_once_and_does_not_spin(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    network_id = network_id_for(Identity.generate("Netzwerk-Wurzel").key_id)
    home = Home.create(tmp_path / "hub", NodeConfig("Ringelai", "hub", network_id))
    home.create_identity("node.key", "Ringelai")
    with home.store() as store:
        store.set_network(network_id)
    loop = CountingLoop(home)
    with caplog.at_level(logging.INFO, logger="dorfhub.daemon"):
        loop.start()
        try:
            wait_for(lambda: loop.rounds, 10, "the first round")
            turns = loop.wake.waits
            wait_for(lambda: loop.wake.waits >= turns + QUIET_TURNS, 60, "idle turns")
        finally:
            loop.stop.set()
            loop.wake.set()
            loop.join(10)
    # One report at start, one after the first round (new data might have brought the grant).
    assert (loop.rounds, loop.reports) == (1, 2)
    messages = [record.getMessage() for record in caplog.records]
    warnings = [r for r in caplog.records if r.getMessage().startswith("no peer to sync with")]
    assert [r.levelno for r in warnings] == [logging.WARNING], messages
    assert messages.count("no status report yet") == 1, messages
