"""`dorfhub` commands for moving ops: serve, hub, peers, enroll, bundle."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from content.clock import to_iso
from content.grants import resolve_key
from content.log import Log
from node.cli_base import DEFAULT_HOST, CommandTree, open_home, whole_number
from node.home import Home
from node.terminal import terminal_safe

if TYPE_CHECKING:
    import socket

    from sync.discovery import Discovery


# The sync layer (requests, zeroconf, zstandard) and the sensor readers (pyserial) load inside
# the handlers: building the parser must stay cheap for `dorfhub kiosk` (see node/cli.py).
def register(tree: CommandTree) -> None:
    sub = tree.command(None, "serve", cmd_serve, "run the town server (peer API) until SIGTERM")
    _listen_arguments(sub)
    sub.add_argument("--tls-cert", type=Path, metavar="FILE", help="serve https: certificate (PEM)")
    sub.add_argument("--tls-key", type=Path, metavar="FILE", help="its private key (PEM)")
    sub = tree.command(None, "hub", cmd_hub, "run the hub daemon: peer API and sync loop")
    _listen_arguments(sub)
    sub.add_argument("--peer", action="append", default=[], help="also sync with this URL")
    sub.add_argument("--discover", action="store_true", help="find LAN peers with zeroconf")
    sub.add_argument(
        "--interface", action="append", default=[], help="address zeroconf binds to (repeatable)"
    )
    sub = tree.command(None, "peers", cmd_peers, "list the Dorfhub nodes visible on the LAN now")
    sub.add_argument("--seconds", type=float, default=3.0, help="how long to listen")
    sub.add_argument("--interface", action="append", default=[])
    sub.add_argument("--json", action="store_true")

    enroll = tree.group("enroll", "pairing new hubs")
    tree.command(enroll, "list", cmd_enroll_list, "show pending enrollment requests")
    sub = tree.command(enroll, "approve", cmd_enroll_approve, "grant the role a code asks for")
    sub.add_argument("code")
    sub.add_argument("--group", action="append", default=[], help="hub group (repeatable)")

    bundle = tree.group("bundle", "USB bundles")
    sub = tree.command(bundle, "export", cmd_bundle_export, "write ops to a file")
    sub.add_argument("file", type=Path)
    sub.add_argument(
        "--for",
        dest="for_node",
        help="only what this node lacks (key id or name; all of it for a node that never "
        "synced), with the bytes of only the files a hub shows",
    )
    sub = tree.command(bundle, "import", cmd_bundle_import, "apply a bundle file")
    sub.add_argument("file", type=Path)


def _listen_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST})")
    where = sub.add_mutually_exclusive_group()
    where.add_argument(
        "--port",
        type=whole_number(0, 65535),
        help="TCP port (default: 8470, sync.discovery; 0: any free port)",
    )
    where.add_argument(
        "--listen-fd",
        type=whole_number(0, 1 << 20),
        metavar="FD",
        help="serve this inherited listening socket instead (systemd socket activation)",
    )
    sub.add_argument(
        "--ready-file",
        type=Path,
        metavar="FILE",
        help='once serving, write {"port": N, "pid": P} here (atomically)',
    )


def _port(args: argparse.Namespace) -> int:
    from sync.discovery import DEFAULT_PORT

    port: int = DEFAULT_PORT if args.port is None else args.port
    return port


@contextmanager
def _daemon_socket(args: argparse.Namespace) -> Iterator[tuple[Home, socket.socket]]:
    """The home, held as this daemon's, and the socket to serve: a second daemon on the same
    home stops here, before it binds a port or touches anything."""
    from node.listen import bind_listener, inherited_listener

    if args.listen_fd is not None and args.host is not None:
        raise ValueError("--host has no meaning with --listen-fd")
    home = open_home(args)
    with home.daemon_lock():
        if args.listen_fd is not None:
            listener = inherited_listener(args.listen_fd)
        else:
            listener = bind_listener(args.host or DEFAULT_HOST, _port(args))
        with listener:
            yield home, listener


def cmd_serve(args: argparse.Namespace) -> int:
    from node.daemon import serve  # FastAPI and uvicorn load only for the daemons
    from sync.tls import load_server_tls

    tls = load_server_tls(args.tls_cert, args.tls_key)  # before the lock and the port
    with _daemon_socket(args) as (home, listener):
        serve(home, listener, ready_file=args.ready_file, tls=tls)
    return 0


def cmd_hub(args: argparse.Namespace) -> int:
    with _daemon_socket(args) as (home, listener):
        _run_hub(args, home, listener)
    return 0


def _run_hub(args: argparse.Namespace, home: Home, listener: socket.socket) -> None:
    from hardware.config import load_sensor_configs
    from node.daemon import SyncLoop, serve  # FastAPI and uvicorn load only for the daemons
    from node.listen import listening_port
    from node.sensing import SensorLoop
    from sync.discovery import Discovery

    port = listening_port(listener)  # what zeroconf announces: the port really served
    config = home.config
    targets = [url for url in [config.server_url, *args.peer] if url]
    discovery: Discovery | None = None

    def peer_urls(own_digest: str) -> list[str]:
        found = discovery.candidates(own_digest) if discovery else []
        return targets + [url for url in found if url not in targets]

    loop = SyncLoop(home, peer_urls, targets, discovering=args.discover)
    sensing = SensorLoop(home, load_sensor_configs(home.config_path))
    if args.discover:
        discovery = Discovery(
            home.identity().key_id,
            config.network_id,
            config.role,
            port,
            args.interface,
            lambda: _digest(home),
            loop.wake,
        )
        discovery.start()
    if sensing.sensors:
        sensing.start()
    try:
        serve(home, listener, loop, args.ready_file)
    finally:
        if discovery is not None:
            discovery.close()
        if sensing.is_alive():
            sensing.stop.set()
            sensing.join(timeout=10)


def cmd_peers(args: argparse.Namespace) -> int:
    from sync import peers
    from sync.discovery import browse

    home = open_home(args)
    found = browse(home.config.network_id, args.seconds, args.interface)
    if args.json:
        print(json.dumps([peer.__dict__ for peer in found], indent=2))
        return 0
    for peer in found:
        # Every field comes from a zeroconf TXT record: anyone on the LAN writes those.
        line = f"{peer.node[:12]}  {peer.role:<7} {peer.url:<28} digest {peer.digest}"
        print(terminal_safe(line))
    if not found:
        print("no Dorfhub peers of this network visible")
    with home.store() as store:
        for state in peers.peer_states(store):
            last = to_iso(state.last_success) or "never"
            print(terminal_safe(f"known: {state.url}  last sync {last}  failures {state.failures}"))
    return 0


def cmd_enroll_list(args: argparse.Namespace) -> int:
    from sync import enrollment

    with open_home(args).store() as store:
        waiting = enrollment.pending(store)
    for item in waiting:
        state = "approved" if item.approved else "waiting"
        asked = time.strftime("%d.%m.%Y %H:%M", time.localtime(item.requested_at / 1000))
        # Names were checked on the way in, but a database from before that check may hold any.
        print(terminal_safe(f"{item.code}  {item.role:<8} {item.name:<24} {state:<9} {asked}"))
    if not waiting:
        print("no enrollment requests")
    return 0


def cmd_enroll_approve(args: argparse.Namespace) -> int:
    from sync import enrollment

    home = open_home(args)
    with home.store() as store:
        approved = enrollment.approve(Log(store), home.publisher(), args.code, args.group)
    print(terminal_safe(f"approved {approved.name} as {approved.role}"))
    return 0


def cmd_bundle_export(args: argparse.Namespace) -> int:
    from content import relay
    from sync import peers
    from sync.bundle import export_bundle

    home = open_home(args)
    with home.store() as store:
        log = Log(store)
        vector = None
        blob_bodies = None
        target = ""
        if args.for_node:
            found = resolve_key(store.conn, args.for_node)
            # A hub that never synced (the new offline hub a stick is for) lacks everything:
            # the grants and settings that let it check the rest, and every op before the
            # ones targeted at it, since each author's ops apply only in order.
            vector = peers.last_known_vector(store, found.key) or {}
            blob_bodies = relay.bodies_for(store.conn, log.network_id, found.key)
            target = f" for {terminal_safe(found.name)}"
        count = export_bundle(log, args.file, vector, blob_bodies)
    print(f"wrote {count} ops{target} to {args.file}")
    return 0


def cmd_bundle_import(args: argparse.Namespace) -> int:
    from content import relay
    from sync.bundle import import_bundle

    home = open_home(args)
    with home.store() as store:
        log = Log(store)
        detached = relay.takes_detached(store.conn, log.network_id, home.identity().key_id)
        report = import_bundle(log, args.file, detached)
    print(report.summary())
    return 0 if not report.rejected else 1


def _digest(home: Home) -> str:
    with home.store() as store:
        return Log(store).digest()
