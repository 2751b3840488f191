"""Fixtures: a small network (root, a granting admin, a hub) on real SQLite files in tmp_path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from content import grants
from content.identity import Identity, network_id_for
from content.log import Log
from content.store import Store
from tests.content.helpers import GROUP


class Stores:
    """Opens stores under one directory and closes every one of them at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.opened: list[Store] = []

    def log(self, name: str, network_id: str) -> Log:
        store = Store(self.directory / f"{name}.db")
        self.opened.append(store)
        store.set_network(network_id)
        return Log(store)

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


@dataclass
class Network:
    root: Identity
    admin: Identity  # granted by root, allowed to grant
    hub: Identity  # granted by the admin, member of GROUP
    network_id: str
    log: Log
    stores: Stores

    @property
    def store(self) -> Store:
        return self.log.store

    def fresh_log(self, name: str) -> Log:
        """An empty store of the same network, as a newly installed node has."""
        return self.stores.log(name, self.network_id)


@pytest.fixture
def network(stores: Stores) -> Network:
    root = Identity.generate("Netzwerk-Wurzel")
    admin = Identity.generate("Verwaltung")
    hub = Identity.generate("Ringelai")
    network_id = network_id_for(root.key_id)
    log = stores.log("town", network_id)
    grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
    grants.grant(log, admin, hub.public, "hub", hub.name, groups=[GROUP])
    return Network(root, admin, hub, network_id, log, stores)
