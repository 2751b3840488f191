"""Creating nodes: a whole network (town server) or a single hub, guide or practice identity."""

from __future__ import annotations

from pathlib import Path

from content.bodies import NetworkMetaBody, encode_body
from content.grants import grant
from content.identity import Identity, network_id_for
from content.log import Log
from content.names import check_name
from content.private_files import write_private
from node.home import Home, NodeConfig
from sync.client import CONNECT_TIMEOUT, PeerClient
from sync.tls import ServerTrust, TlsError, check_ca_file, presented_fingerprint

SERVER_CA_FILE = "server-ca.pem"


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
    path: Path,
    role: str,
    name: str,
    network_id: str = "",
    server_url: str = "",
    trust: ServerTrust | None = None,
) -> tuple[Home, Identity]:
    """Make a node identity; it may author once an admin grants its public key a role.
    `trust` (from `enrollment_trust`): how it checks the server's certificate from now on."""
    # The name goes out in the enrollment request and into the grant, where the same rule holds.
    check_name(name, "node name")
    trust = trust or ServerTrust()
    config = NodeConfig(
        name=name,
        role=role,
        network_id=network_id,
        server_url=server_url,
        server_ca=SERVER_CA_FILE if trust.ca_file else "",
        server_pin=trust.pin,
    )
    home = Home.create(path, config)
    if trust.ca_file is not None:
        # A copy in the home: the hub keeps working if the file it was given moves.
        write_private(home.path / SERVER_CA_FILE, trust.ca_file.read_bytes())
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
    client = peer_client(home, config.server_url, identity, config.network_id)
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


def enrollment_trust(server_url: str, ca_file: Path | None, pin: bool) -> ServerTrust:
    """How a new node will check its server's certificate, settled before anything is written:
    a CA file is checked; a pin is the fingerprint of the certificate the server presents now
    (trust on first use: `node init` prints it for the admin to compare)."""
    if (ca_file is not None or pin) and not server_url.startswith("https://"):
        raise TlsError("--ca and --pin need an https:// --server URL")
    if ca_file is not None:
        check_ca_file(ca_file)
        return ServerTrust(ca_file=ca_file)
    if pin:
        return ServerTrust(pin=presented_fingerprint(server_url, CONNECT_TIMEOUT))
    return ServerTrust()


def server_trust(home: Home) -> ServerTrust:
    """How this node checks its configured server's certificate (`node init --ca/--pin`)."""
    config = home.config
    ca_file = home.path / config.server_ca if config.server_ca else None
    return ServerTrust(ca_file=ca_file, pin=config.server_pin)


def peer_client(home: Home, url: str, identity: Identity, network_id: str) -> PeerClient:
    """A client for `url`: the configured server is checked as `node init` set up; any other
    https peer against the system's certificate authorities."""
    trust = server_trust(home) if url and url == home.config.server_url else None
    return PeerClient(url, identity, network_id, trust)
