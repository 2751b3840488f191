"""The `dorfhub` command: a thin layer over the library. Errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import msgspec

from content import grants, notices
from content.bodies import CATEGORIES, LANGUAGES, PRIORITIES, Attachment, Event
from content.clock import parse_iso, trusted_now, wall_clock_ms
from content.grants import GrantError
from content.identity import Identity, IdentityError, PublicIdentity
from content.log import AppendRefused, Log
from content.notices import NoticeError
from content.private_files import restrict_umask, write_private
from content.roles import GRANTABLE_ROLES
from content.store import Store, StoreError
from node.home import NODE_ROLES, Home, HomeError, default_home
from node.terminal import terminal_safe
from sync.errors import EnrollmentError, PeerError

# What a command needs beyond the parser (requests, zeroconf, pyserial, the protocol, fpdf, the
# daemons) is imported inside its handler: `dorfhub kiosk` must reach its first frame without
# them (tests/node/test_cli_imports.py keeps it so).

USER_ERRORS = (
    HomeError,
    IdentityError,
    AppendRefused,
    NoticeError,
    GrantError,
    StoreError,
    ValueError,
    OSError,
    msgspec.ValidationError,
    PeerError,
    EnrollmentError,
)
Handler = Callable[[argparse.Namespace], int]


class OneLineParser(argparse.ArgumentParser):
    """Argument errors print one line and exit 2, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    # Before anything is created: the database, keys, slips and logs are the node's alone,
    # whatever umask the shell, the desktop session or a supervisor handed down.
    restrict_umask()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.error("a command is required (try --help)")
    try:
        return int(args.handler(args))
    except USER_ERRORS as exc:
        # A message may quote what another node sent (a name, a reason).
        print(terminal_safe(f"dorfhub: error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# ---- parser ----------------------------------------------------------------------------------


Subparsers = argparse._SubParsersAction  # argparse exposes no public name for it


class CommandTree:
    """Builds `dorfhub GROUP COMMAND` parsers that all accept --home."""

    def __init__(self) -> None:
        self.common = OneLineParser(add_help=False)
        self.common.add_argument(
            "--home",
            type=Path,
            default=argparse.SUPPRESS,
            help="node directory (default: $DORFHUB_HOME or the per-user data directory)",
        )
        self.parser = OneLineParser(
            prog="dorfhub", parents=[self.common], description="Dorfhub village hubs"
        )
        self.top: Subparsers[OneLineParser] = self.parser.add_subparsers(
            title="commands", parser_class=OneLineParser
        )

    def command(
        self, parent: Subparsers[OneLineParser] | None, name: str, handler: Handler, help: str
    ) -> OneLineParser:
        sub = (parent or self.top).add_parser(
            name, parents=[self.common], help=help, description=help
        )
        sub.set_defaults(handler=handler)
        return sub

    def group(self, name: str, help: str) -> Subparsers[OneLineParser]:
        sub = self.top.add_parser(name, parents=[self.common], help=help)
        sub.set_defaults(handler=lambda _args: sub.error(f"{name}: a subcommand is required"))
        return sub.add_subparsers(title="commands", parser_class=OneLineParser)


def build_parser() -> OneLineParser:
    tree = CommandTree()
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
    sub.add_argument("--from", dest="valid_from", help="valid from (ISO 8601)")
    sub.add_argument("--until", dest="valid_until", help="valid until (ISO 8601)")
    sub.add_argument("--key", type=Path, help="key file to sign with (default: admin key)")
    sub = command(key, "revoke", cmd_key_revoke, "withdraw a key from now on")
    sub.add_argument("target", metavar="KEY", help="key id (or prefix), token or name")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path, help="key file to sign with (default: admin key)")
    sub = command(key, "list", cmd_key_list, "list known keys and their roles")
    sub.add_argument("--json", action="store_true")

    notice = group("notice", "the noticeboard")
    sub = command(notice, "publish", cmd_notice_publish, "publish a notice; prints its id")
    sub.add_argument("--title", required=True)
    sub.add_argument("--body", required=True)
    _notice_fields(sub, defaults=True)
    sub = command(notice, "update", cmd_notice_update, "change a notice (last writer wins)")
    sub.add_argument("id")
    sub.add_argument("--title")
    sub.add_argument("--body")
    _notice_fields(sub, defaults=False)
    sub = command(notice, "retract", cmd_notice_retract, "withdraw a notice for good")
    sub.add_argument("id")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path)
    sub = command(notice, "show", cmd_notice_show, "show one notice")
    sub.add_argument("id")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--lang", choices=LANGUAGES, default="de")
    sub = command(notice, "list", cmd_notice_list, "list the notices showing now")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--hub", help="only notices for this hub (name or key id)")
    sub.add_argument("--at", help="at this time instead of trusted now (ISO 8601)")
    sub.add_argument("--search", help="full-text search in every language")
    sub.add_argument("--limit", type=int, help="at most this many (default 50 with --search)")
    sub.add_argument("--category", choices=CATEGORIES)
    sub.add_argument("--lang", choices=LANGUAGES, default="de")
    sub = command(notice, "poster", cmd_notice_poster, "write a notice as an A4 poster (PDF)")
    sub.add_argument("id")
    sub.add_argument("--out", type=Path, required=True, metavar="FILE", help="the PDF to write")
    sub.add_argument("--lang", choices=LANGUAGES, default="de")
    sub = command(notice, "sheet", cmd_notice_sheet, "write a hub's weekly sheet (PDF)")
    sub.add_argument("--hub", help="the hub, by name or key id (default: this hub)")
    sub.add_argument("--out", type=Path, required=True, metavar="FILE", help="the PDF to write")
    sub.add_argument("--week", help="ISO week, e.g. 2026-W50 (default: this week)")
    sub.add_argument("--at", help="as of this time instead of trusted now (ISO 8601)")
    sub.add_argument("--lang", choices=LANGUAGES, default="de")

    log = group("log", "the operation log")
    command(log, "verify", cmd_log_verify, "re-verify every op and rebuild every view")

    sub = command(None, "status", cmd_status, "what this node holds and how its clock stands")
    sub.add_argument("--json", action="store_true")

    sub = command(None, "demo", cmd_demo, "build a demo network and show its noticeboards")
    sub.add_argument("--dir", type=Path, default=Path("demo-data"))
    sub.add_argument("--serve", action="store_true", help="keep the network running (Ctrl+C)")
    sub.add_argument(
        "--no-kiosk", action="store_true", help="do not open the first hub's kiosk window"
    )

    from node import cli_booking, cli_fleet, cli_kiosk, cli_retention, cli_sensors, cli_sync

    cli_sync.register(tree)
    cli_sensors.register(tree)
    cli_kiosk.register(tree)
    cli_booking.register(tree)
    cli_retention.register(tree)
    cli_fleet.register(tree)
    from node import cli_desk

    cli_desk.register(tree)
    return tree.parser


def _notice_fields(sub: OneLineParser, defaults: bool) -> None:
    sub.add_argument("--lang", choices=LANGUAGES, default="de", help="language of title/body")
    sub.add_argument("--category", choices=CATEGORIES, default="allgemein" if defaults else None)
    sub.add_argument("--priority", choices=PRIORITIES, default="normal" if defaults else None)
    sub.add_argument("--from", dest="valid_from", help="show from (ISO 8601; default now)")
    sub.add_argument("--until", dest="valid_until", help="show until (ISO 8601)")
    sub.add_argument("--hub", action="append", default=[], help="target hub (repeatable)")
    sub.add_argument("--group", action="append", default=[], help="target hub group")
    sub.add_argument("--event-start", help="event begins (ISO 8601)")
    sub.add_argument("--event-end", help="event ends (ISO 8601)")
    sub.add_argument("--place", help="where the event takes place")
    sub.add_argument("--attach", type=Path, action="append", default=[], help="attach a file")
    sub.add_argument("--key", type=Path, help="key file to sign with (default: admin key)")


# ---- handlers --------------------------------------------------------------------------------


def open_home(args: argparse.Namespace) -> Home:
    return Home.open(getattr(args, "home", None) or default_home())


def _target_dir(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "home", None) or default_home())


def cmd_network_init(args: argparse.Namespace) -> int:
    from node.setup import init_network

    home = init_network(_target_dir(args), args.name, args.server_name)
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
        _target_dir(args), args.role, args.name, args.network, args.server or "", trust
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
    valid_from, valid_until = _ms(args.valid_from), _ms(args.valid_until)
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


@contextmanager
def _publishing(args: argparse.Namespace) -> Iterator[tuple[Store, Log, Identity]]:
    """The store, its log and the key that signs, for commands that publish."""
    home = open_home(args)
    with home.store() as store:
        yield store, Log(store), home.publisher(args.key)


def cmd_notice_publish(args: argparse.Namespace) -> int:
    with _publishing(args) as (store, log, author):
        body = notices.notice_body(
            args.title,
            args.body,
            language=args.lang,
            category=args.category,
            priority=args.priority,
            valid_from=_ms(args.valid_from) or trusted_now(store.conn).now_ms,
            valid_until=_ms(args.valid_until),
            event=_event(args),
            hubs=_hubs(store, args.hub),
            groups=args.group,
            attachments=[_attach(log, author, path) for path in args.attach],
        )
        print(notices.publish(log, author, body))
    return 0


def cmd_notice_update(args: argparse.Namespace) -> int:
    with _publishing(args) as (store, log, author):
        changes: dict[str, Any] = {}
        for field in ("title", "body"):
            if getattr(args, field) is not None:
                changes[field] = {args.lang: getattr(args, field)}
        for field in ("category", "priority"):
            if getattr(args, field) is not None:
                changes[field] = getattr(args, field)
        if args.valid_from:
            changes["valid_from"] = _ms(args.valid_from)
        if args.valid_until:
            changes["valid_until"] = _ms(args.valid_until)
        if args.event_start:
            changes["event"] = _event(args)
        if args.hub or args.group:
            changes["targets"] = {"hubs": _hubs(store, args.hub), "groups": sorted(args.group)}
        if args.attach:
            changes["attachments"] = [_attach(log, author, path) for path in args.attach]
        if not changes:
            raise ValueError("nothing to change (give --title, --body, --priority, …)")
        notices.update(log, author, args.id, **changes)
    return 0


def cmd_notice_retract(args: argparse.Namespace) -> int:
    home = open_home(args)
    with home.store() as store:
        notices.retract(Log(store), home.publisher(args.key), args.id, args.reason)
    return 0


def cmd_notice_show(args: argparse.Namespace) -> int:
    from node.board import render_notice

    with open_home(args).store() as store:
        notice = notices.get_notice(store.conn, args.id)
    if notice is None:
        raise NoticeError(f"no notice {args.id}")
    print(
        json.dumps(notice.as_json(), ensure_ascii=False, indent=2)
        if args.json
        else render_notice(notice, args.lang)
    )
    return 0


def cmd_notice_list(args: argparse.Namespace) -> int:
    from node.board import render_board

    home = open_home(args)
    config = home.config
    with home.store() as store:
        hub = grants.resolve_key(store.conn, args.hub).key if args.hub else None
        if hub is None and config.role == "hub":
            hub = home.identity().key_id
        limit = args.limit if args.limit is not None else (50 if args.search else None)
        found = notices.active_notices(
            store.conn,
            hub=hub,
            at_ms=_ms(args.at),
            category=args.category,
            search=args.search,
            limit=limit,
        )
    if args.json:
        print(json.dumps([n.as_json() for n in found], ensure_ascii=False, indent=2))
    else:
        print(render_board(config.name, found, args.lang))
    return 0


def cmd_notice_poster(args: argparse.Namespace) -> int:
    from content.posters import poster_from_store

    out = _pdf_path(args.out)
    with open_home(args).store() as store:
        printout = poster_from_store(store.conn, args.id, args.lang)
    _write_printout(f"Aushang für {printout.label}", out, printout.pdf, printout.pages)
    return 0


def cmd_notice_sheet(args: argparse.Namespace) -> int:
    from content.week_sheet import Week, sheet_from_store

    out = _pdf_path(args.out)
    week = Week.parse(args.week) if args.week else None
    home = open_home(args)
    with home.store() as store:
        hub = args.hub or (home.identity().key_id if home.config.role == "hub" else None)
        if hub is None:
            raise ValueError("--hub is required on a node that is not a hub")
        now = parse_iso(args.at) if args.at else trusted_now(store.conn).now_ms
        printout = sheet_from_store(store.conn, hub, week, now, args.lang)
    _write_printout(f"Aushang der Woche für {printout.label}", out, printout.pdf, printout.pages)
    return 0


def cmd_log_verify(args: argparse.Namespace) -> int:
    from content.verify import verify_store

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


def cmd_demo(args: argparse.Namespace) -> int:
    from node.demo import run_demo

    # The kiosk window opens only where there is a display to open it on.
    kiosk = bool(os.environ.get("DISPLAY")) and not args.no_kiosk
    return run_demo(args.dir, keep_running=args.serve, kiosk=kiosk)


# ---- argument helpers ------------------------------------------------------------------------


def _ms(text: str | None) -> int | None:
    return None if text is None else parse_iso(text)


def _event(args: argparse.Namespace) -> Event | None:
    if not args.event_start:
        return None
    return Event(start=parse_iso(args.event_start), end=_ms(args.event_end), place=args.place or "")


def _hubs(store: Store, names: list[str]) -> list[str]:
    return sorted(grants.resolve_key(store.conn, name).key for name in names)


def _pdf_path(path: Path) -> Path:
    """Checked before anything is read, so a bad path leaves nothing behind."""
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a file")
    if not path.parent.is_dir():
        raise ValueError(f"no directory {path.parent} for {path.name}")
    return path


def _write_printout(what: str, out: Path, pdf: bytes, pages: int) -> None:
    from content.print_text import pages_word

    write_private(out, pdf)
    print(terminal_safe(f"{what} geschrieben: {out} ({pages_word(pages)})"))


def _attach(log: Log, author: Identity, path: Path) -> Attachment:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return notices.attach(log, author, path.read_bytes(), path.name, mime)


if __name__ == "__main__":
    sys.exit(main())
