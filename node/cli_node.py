"""`dorfhub network`, `node`, `key`, `log` and `status`: the network, this node, its keys."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from content import grants
from content.clock import wall_clock_ms
from content.identity import PublicIdentity
from content.log import Log
from content.roles import GRANTABLE_ROLES
from node.cli_base import WHEN, CommandTree, home_dir, moment_arg, open_home
from node.home import NODE_ROLES
from node.terminal import terminal_safe
from sync.errors import PeerError


def register(tree: CommandTree) -> None:
    command, group = tree.command, tree.group
    network = group("network", "the network of hubs and its root key")
    init = command(network, "init", cmd_network_init, "create a network with this node as server")
    init.add_argument("--name", required=True, help="network name, e.g. the Verbandsgemeinde")
    init.add_argument("--server-name", default="Stadtserver")

    node = group("node", "this node")
    init = command(node, "init", cmd_node_init, "create a node identity and print its public key")
    init.add_argument("--role", required=True, choices=NODE_ROLES)
    init.add_argument("--name", required=True)
    init.add_argument("--network", default="", help="network id printed by `network init`")
    init.add_argument("--server", help="town server URL, e.g. http://stadtserver:8470")
    trust = init.add_mutually_exclusive_group()
    trust.add_argument("--ca", type=Path, metavar="FILE", help="https: the county's CA (PEM)")
    trust.add_argument(
        "--pin", action="store_true", help="https: accept only the certificate the server shows now"
    )

    key = group("key", "roles: grant, revoke, list")
    sub = command(key, "grant", cmd_key_grant, "give a public key a role")
    sub.add_argument("--role", required=True, choices=sorted(GRANTABLE_ROLES))
    sub.add_argument("--name", required=True)
    sub.add_argument("--public-key", required=True, help="token printed by `node init` (dh1.…)")
    sub.add_argument("--group", action="append", default=[], help="hub group (repeatable)")
    sub.add_argument("--may-grant", action="store_true", help="admin may grant (root key only)")
    sub.add_argument(
        "--from", dest="valid_from", metavar="WHEN", help=f"valid from ({WHEN}; a date: its start)"
    )
    sub.add_argument(
        "--until", dest="valid_until", metavar="WHEN", help=f"valid until ({WHEN}; a date: its end)"
    )
    sub.add_argument("--key", type=Path, help="key file to sign with (default: admin key)")
    sub = command(key, "revoke", cmd_key_revoke, "withdraw a key from now on")
    sub.add_argument("target", metavar="KEY", help="key id (or prefix), token or name")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path, help="key file to sign with (default: admin key)")
    sub = command(key, "list", cmd_key_list, "list known keys and their roles")
    sub.add_argument("--json", action="store_true")

    log = group("log", "the operation log")
    command(log, "verify", cmd_log_verify, "re-verify every op and rebuild every view")

    sub = command(None, "status", cmd_status, "what this node holds and how its clock stands")
    sub.add_argument("--json", action="store_true")


def cmd_network_init(args: argparse.Namespace) -> int:
    from node.setup import init_network

    home = init_network(home_dir(args), args.name, args.server_name)
    print(home.config.network_id)
    print(
        f"Root key written to {home.key_path('root.key')}: copy it to offline storage and "
        "delete it here once the first admins are set up.",
        file=sys.stderr,
    )
    return 0


def cmd_node_init(args: argparse.Namespace) -> int:
    from node.setup import enrollment_trust, init_node, join_server
    from sync.enrollment import pairing_code

    trust = enrollment_trust(args.server or "", args.ca, args.pin)
    home, identity = init_node(
        home_dir(args), args.role, args.name, args.network, args.server or "", trust
    )
    public = identity.public
    print(f"public key: {public.token}")
    print(f"signing key (Ed25519): {public.sign_key}")
    print(f"sealing key (X25519): {public.seal_key}")
    print(f"pairing code: {pairing_code(public)}")
    if trust.pin:
        print(f"server certificate SHA-256: {trust.pin}")
        print("pinned: compare it with the one `dorfhub serve` logs; no other is accepted")
    if args.server:
        try:
            join_server(home)
            print(f"asked {args.server} to enroll this node; an admin approves the code")
        except PeerError as exc:
            print(f"server not reachable yet ({exc}); the hub daemon will ask", file=sys.stderr)
    return 0


def cmd_key_grant(args: argparse.Namespace) -> int:
    home = open_home(args)
    grantee = PublicIdentity.from_token(args.public_key)
    valid_from, valid_until = moment_arg(args.valid_from), moment_arg(args.valid_until, end=True)
    with home.store() as store:
        log = Log(store)
        grants.grant(
            log,
            home.publisher(args.key),
            grantee,
            role=args.role,
            name=args.name,
            groups=args.group,
            valid_from=valid_from,
            valid_until=valid_until,
            may_grant=args.may_grant,
        )
    print(terminal_safe(_granted(args, grantee.sign_key, valid_from, valid_until)))
    return 0


def _granted(args: argparse.Namespace, key: str, valid_from: int | None, until: int | None) -> str:
    from node.board import local

    groups = sorted(set(args.group))
    where = f"in {'group' if len(groups) == 1 else 'groups'} {', '.join(groups)}"
    line = (
        f"granted {args.role} to {args.name} (key {key[:12]}) {where if groups else 'in no group'}"
    )
    if valid_from is not None:
        line += f", from {local(valid_from)}"
    if until is not None:
        line += f", until {local(until)}"
    return line + (", may grant" if args.may_grant else "")


def cmd_key_revoke(args: argparse.Namespace) -> int:
    home = open_home(args)
    with home.store() as store:
        target = grants.resolve_key(store.conn, args.target)
        grants.revoke(Log(store), home.publisher(args.key), target.key, args.reason)
    print(terminal_safe(f"revoked {target.name} ({target.short_id})"))
    return 0


def cmd_key_list(args: argparse.Namespace) -> int:
    with open_home(args).store() as store:
        keys = grants.list_keys(store.conn)
    if args.json:
        print(json.dumps([key.__dict__ for key in keys], ensure_ascii=False, indent=2))
        return 0
    for key in keys:
        state = "REVOKED" if key.revoked else ",".join(key.roles)
        groups = f"  [{', '.join(key.groups)}]" if key.groups else ""
        print(terminal_safe(f"{key.short_id}  {state:<14} {key.name}{groups}"))
    return 0


def cmd_log_verify(args: argparse.Namespace) -> int:
    from content.log_audit import verify_store

    with open_home(args).store() as store:
        report = verify_store(store)
    if report.ok:
        print(f"ok: {report.ops_checked} ops verified; rebuilt views equal the stored ones")
        return 0
    print(f"FAILED: {report.problems[0]}", file=sys.stderr)
    return 1


def cmd_status(args: argparse.Namespace) -> int:
    from node.status import node_status, render_status

    home = open_home(args)
    now = wall_clock_ms()
    status = node_status(home, now)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return 0
    for line in render_status(status, now):
        print(line)
    return 0
