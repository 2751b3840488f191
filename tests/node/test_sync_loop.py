"""The hub daemon's sync loop runs a round for every commit another process makes, including
one that lands while a round is running (the kiosk's help request, an admin's CLI): a commit
missed there would wait for the next unrelated change, up to the 10-minute status report."""

from __future__ import annotations

import time
from pathlib import Path

from content.identity import Identity, network_id_for
from content.store import Store
from node.daemon import SyncLoop
from node.home import Home, NodeConfig


class RecordingLoop(SyncLoop):
    """The real loop; its round only counts, and the first one lets another connection commit
    meanwhile, as another process would."""

    def __init__(self, home: Home) -> None:
        super().__init__(home, lambda _digest: [])
        self.rounds = 0

    def _round(self, store: Store, identity: Identity, network_id: str) -> None:
        self.rounds += 1
        if self.rounds == 1:
            with Store(self.home.db_path) as other, other.write() as conn:
                conn.execute("INSERT INTO peers (url) VALUES ('http://127.0.0.1:9')")


def test_a_commit_during_a_round_gets_a_round_of_its_own(tmp_path: Path) -> None:
    network_id = network_id_for(Identity.generate("Netzwerk-Wurzel").key_id)
    home = Home.create(tmp_path / "hub", NodeConfig("Ringelai", "hub", network_id))
    home.create_identity("node.key", "Ringelai")
    with home.store() as store:
        store.set_network(network_id)
    loop = RecordingLoop(home)
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while loop.rounds < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        loop.stop.set()
        loop.wake.set()
        loop.join(10)
    assert loop.rounds >= 2
