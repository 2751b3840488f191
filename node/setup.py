"""Creating nodes: a whole network (town server) or a single hub, guide or practice identity."""

from __future__ import annotations

from pathlib import Path

from content.bodies import NetworkMetaBody, encode_body
from content.grants import grant
from content.identity import Identity, network_id_for
from content.log import Log
from content.names import check_name
from node.home import Home, NodeConfig
from sync.client import PeerClient


def init_network(path: Path, network_name: str, server_name: str = "Stadtserver") -> Home:
    """Make the root key, the first admin key and this node as the town server."""
    check_name(network_name, "network name")
    check_name(server_name, "server name")
    home = Home.create(path, NodeConfig(name=server_name, role="server"))
    root = home.create_identity("root.key", "Netzwerk-Wurzel", protect=True)
    admin = home.create_identity("admin.key", "Verwaltung", protect=True)
    node = home.create_identity("node.key", server_name)
    network_id = network_id_for(root.key_id)
    home.save_config(NodeConfig(name=server_name, role="server", network_id=network_id))
    with home.store() as store:
        store.set_network(network_id)
        log = Log(store)
        log.append(
            root, "network.meta", network_id, encode_body(NetworkMetaBody(name=network_name))
        )
        grant(log, root, admin.public, "admin", admin.name, may_grant=True)
        grant(log, root, node.public, "server", server_name)
    return home


def init_node(
    path: Path, role: str, name: str, network_id: str = "", server_url: str = ""
) -> tuple[Home, Identity]:
    """Make a node identity; it may author once an admin grants its public key a role."""
    # The name goes out in the enrollment request and into the grant, where the same rule holds.
    check_name(name, "node name")
    config = NodeConfig(name=name, role=role, network_id=network_id, server_url=server_url)
    home = Home.create(path, config)
    identity = home.create_identity("node.key", name)
    if network_id:
        with home.store() as store:
            store.set_network(network_id)
    return home, identity


def join_server(home: Home) -> str:
    """Learn the network from the configured server and ask to be enrolled; returns the pairing
    code. Raises PeerError when the server cannot be reached (the hub daemon retries)."""
    config = home.config
    identity = home.identity()
    client = PeerClient(config.server_url, identity, config.network_id)
    try:
        hello = client.hello("")
        if not config.network_id:
            config.network_id = hello.net
            home.save_config(config)
        with home.store() as store:
            store.set_network(hello.net)
        client.network_id = hello.net
        return client.enroll(config.name, config.role)
    finally:
        client.close()
