"""`dorfhub desk user`: the people who log in to the desk (docs/desk.md).

dorfhub desk user add NAME --role admin [--key FILE]   # a new key, granted, stored encrypted
dorfhub desk user add NAME --role practice --practice-key FILE   # the practice's own key, encrypted
dorfhub desk user add NAME --role guide --group GROUP… [--email ADDRESS]   # a new guide key
dorfhub desk user add NAME --role editor --group GROUP…   # a club's login: submits notices only
dorfhub desk user email NAME [ADDRESS]   # where a guide hears of new help requests (none: off)
dorfhub desk user list [--json]
dorfhub desk user disable NAME [--reason TEXT] [--key FILE]   # revokes the user's key
                                                               # (a practice's: removes its file)

Two passphrases may be at stake in `add`: the new user's, which encrypts their key file, and the
one that unlocks the admin key signing the grant. They never share a variable:
DORFHUB_DESK_PASSPHRASE gives the new user's (otherwise it is asked twice at the terminal), and
DORFHUB_PASSPHRASE keeps its one meaning everywhere: the admin key's.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from node.cli_base import CommandTree, OneLineParser, open_home
from node.home import Home
from node.terminal import terminal_safe

NEW_PASSPHRASE_VARIABLE = "DORFHUB_DESK_PASSPHRASE"  # noqa: S105 (a variable's name)


def register(tree: CommandTree) -> None:
    desk = tree.group("desk", "the desk: the town hall's web pages on the town server")
    users = desk.add_parser("user", parents=[tree.common], help="people who log in to the desk")
    users.set_defaults(handler=lambda _args: users.error("desk user: a subcommand is required"))
    commands = users.add_subparsers(title="commands", parser_class=OneLineParser)
    sub = tree.command(commands, "add", cmd_user_add, "make a desk user: a key, granted, encrypted")
    sub.add_argument("name", metavar="NAME", help="the person's name, as the log will show it")
    sub.add_argument(
        "--role",
        required=True,
        help="what they may do at the desk: admin, practice, guide, editor (a club, a parish, "
        "the fire brigade: submits notices for an admin to publish)",
    )
    sub.add_argument("--key", type=Path, help="key file to sign the grant (default: admin key)")
    sub.add_argument(
        "--practice-key",
        type=Path,
        help="with --role practice: the practice's key file (practice add --key-out, or its "
        "node's node.key), stored here only encrypted under the new passphrase",
    )
    sub.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME",
        help="with --role guide: a group of hubs whose help queue the guide works and where "
        "its office hours show; with --role editor: a group of hubs the club may submit "
        "notices for (repeatable, at least one)",
    )
    sub.add_argument(
        "--email",
        metavar="ADDRESS",
        help="with --role guide: where the desk mails that a new request waits",
    )
    sub = tree.command(
        commands, "email", cmd_user_email, "set or clear where a guide hears of new requests"
    )
    sub.add_argument("name", metavar="NAME", help="the guide's desk user")
    sub.add_argument("address", metavar="ADDRESS", nargs="?", default="", help="none: no mail")
    sub = tree.command(commands, "list", cmd_user_list, "desk users and whether they may log in")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(commands, "disable", cmd_user_disable, "revoke a desk user's key for good")
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--reason", default="", help="kept in the log with the revoke")
    sub.add_argument("--key", type=Path, help="key file to sign the revoke (default: admin key)")


def _users_dir(home: Home) -> Path:
    from admin.desk.accounts import USERS_DIR

    return home.path / USERS_DIR


def cmd_user_add(args: argparse.Namespace) -> int:
    from admin.desk.accounts import add_user, check_new_user
    from content.grants import grant
    from content.log import Log

    home = open_home(args)
    directory = _users_dir(home)
    check_new_user(directory, args.name, args.role)
    if args.role == "practice" or args.practice_key is not None:
        return _add_practice_user(args, home, directory)
    groups, address = _guide_options(args, home)
    signer = home.publisher(args.key)  # a locked admin key fails before any question is asked
    identity, path = add_user(directory, args.name, args.role, _new_passphrase())
    try:
        with home.store() as store:
            grant(Log(store), signer, identity.public, args.role, args.name, groups=groups)
    except BaseException:
        path.unlink()  # not granted: no user
        raise
    added = f"desk user {args.name} ({args.role}) added, key {identity.public.short_id}"
    if groups:
        added += f", groups {', '.join(groups)}"
    print(terminal_safe(added))
    if address:
        _save_address(home, args.name, address)
        print(terminal_safe(f"new help requests at its hubs are mailed to {address}"))
    return 0


def _guide_options(args: argparse.Namespace, home: Home) -> tuple[list[str], str]:
    """A guide's groups, as the network spells them, and mail address; refused for others.
    A guide's key is a new key of its own (like an admin's), not one granted before: the
    desk keeps it encrypted, and `desk user disable` revokes it alone."""
    from admin.desk.accounts import AccountError
    from admin.desk.guide_mail import address_problem
    from content.notice_targets import network_of

    if args.role not in ("guide", "editor"):
        if args.group or args.email:
            raise AccountError("--group and --email go with --role guide (--group with editor too)")
        return [], ""
    if args.role == "editor" and args.email:
        raise AccountError("--email goes with --role guide")
    if not args.group:
        raise AccountError(
            "a guide needs --group: the hubs whose help requests it works"
            if args.role == "guide"
            else "an editor needs --group: the hubs it may submit notices for"
        )
    with home.store() as store:
        network = network_of(store.conn)
    groups, unknown = network.find_groups(args.group)
    if unknown:
        known = ", ".join(network.groups) or "none yet"
        raise AccountError(f"no group {', '.join(unknown)} in this network (groups: {known})")
    address = (args.email or "").strip()
    if address and (problem := address_problem(address)):
        raise AccountError(problem)
    return groups, address


def cmd_user_email(args: argparse.Namespace) -> int:
    from admin.desk.accounts import AccountError, find_user
    from admin.desk.guide_mail import address_problem

    home = open_home(args)
    file = find_user(_users_dir(home), args.name)
    if file is None or file.role != "guide":
        raise AccountError(f"no guide among the desk users named {args.name!r}")
    address = args.address.strip()
    if address and (problem := address_problem(address)):
        raise AccountError(problem)
    _save_address(home, file.name, address)
    said = f"mail to {address}" if address else "no mail"
    print(terminal_safe(f"desk user {file.name}: {said} about new help requests"))
    return 0


def _save_address(home: Home, name: str, address: str) -> None:
    """[mail.guides] in the server's config.toml: the desk's mail loop reads it for each mail,
    so a change needs no restart (admin/desk/guide_mail.py). Empty: the entry goes."""
    import tomllib

    from admin.desk.accounts import name_key

    with home.config_path.open("rb") as handle:
        mail = dict(tomllib.load(handle).get("mail", {}))
    guides = {
        n: a for n, a in dict(mail.get("guides", {})).items() if name_key(n) != name_key(name)
    }
    if address:
        guides[name] = address
    mail["guides"] = guides
    home.save_table("mail", mail)


def _add_practice_user(args: argparse.Namespace, home: Home, directory: Path) -> int:
    """A practice's desk login: the key the practice already signs its slots with and its
    bookings are sealed to, stored encrypted under the passphrase. No grant: the key holds the
    practice role already, and one practice key serves every desk user of the practice."""
    from admin.desk.accounts import AccountError, add_user
    from content.booking import get_practice
    from content.grants import key_info
    from content.identity import load_identity

    if args.role != "practice" or args.practice_key is None:
        raise AccountError("--practice-key goes with --role practice, and --role practice needs it")
    if args.key is not None:
        raise AccountError("--key signs a grant; a practice's desk user needs none")
    # Never DORFHUB_PASSPHRASE here: that variable unlocks the admin key only.
    practice_key = load_identity(args.practice_key)
    with home.store() as store:
        info = key_info(store.conn, practice_key.key_id)
        practice = get_practice(store.conn, practice_key.key_id)
    if info is None or info.revoked or "practice" not in info.roles:
        raise AccountError(f"{args.practice_key} is not the key of a practice granted here")
    if practice is None:
        raise AccountError(
            f"the practice {info.name!r} has not signed its record yet (dorfhub practice publish)"
        )
    identity, _path = add_user(
        directory, args.name, "practice", _new_passphrase(), key=practice_key
    )
    print(
        terminal_safe(
            f"desk user {args.name} (practice {practice.name}) added, key "
            f"{identity.public.short_id}"
        )
    )
    print(
        terminal_safe(
            f"The desk keeps the practice's key only encrypted under the passphrase; "
            f"{args.practice_key} stays as it is: take it back offline or delete it."
        ),
        file=sys.stderr,
    )
    return 0


def _new_passphrase() -> str:
    from admin.desk.accounts import passphrase_problem

    given = os.environ.get(NEW_PASSPHRASE_VARIABLE)
    if given is None:
        if not sys.stdin.isatty():
            raise ValueError(f"no passphrase: set {NEW_PASSPHRASE_VARIABLE} or run in a terminal")
        given = getpass.getpass("Passphrase for the new desk user: ")
        if getpass.getpass("The same passphrase again: ") != given:
            raise ValueError("the two passphrases differ; nothing was changed")
    problem = passphrase_problem(given)
    if problem is not None:
        raise ValueError(f"{problem}; nothing was changed")
    return given


def cmd_user_list(args: argparse.Namespace) -> int:
    from admin.desk.accounts import describe, list_users
    from content.grants import key_info

    home = open_home(args)
    files = list_users(_users_dir(home))
    with home.store() as store:
        rows = []
        for file in files:
            info = key_info(store.conn, file.key)
            granted = info is not None and not info.revoked and file.role in info.roles
            state = "active" if granted else "disabled"
            rows.append({**describe(file), "state": state})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no desk users (dorfhub desk user add NAME --role admin)")
    for row in rows:
        print(terminal_safe(f"{row['key'][:12]}  {row['role']:<8} {row['state']:<9} {row['name']}"))
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from admin.desk.accounts import KEPT_KEY_ROLES, AccountError, find_user, remove_user
    from content.grants import key_info, revoke
    from content.log import Log

    home = open_home(args)
    file = find_user(_users_dir(home), args.name)
    if file is None:
        raise AccountError(f"no desk user named {args.name!r}")
    if file.role in KEPT_KEY_ROLES:
        # Revoking would stop the whole practice on every node: only this login goes.
        remove_user(_users_dir(home), args.name)
        print(
            terminal_safe(
                f"removed desk user {file.name} ({file.role}): its sessions end at their next "
                "click; the key stays granted"
            )
        )
        return 0
    with home.store() as store:
        info = key_info(store.conn, file.key)
        if info is None or info.revoked:
            raise AccountError(f"desk user {file.name!r} is disabled already")
        revoke(Log(store), home.publisher(args.key), file.key, args.reason)
    print(terminal_safe(f"disabled desk user {file.name}: its sessions end at their next click"))
    return 0
