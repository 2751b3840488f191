"""`dorfhub retention`: erase what fell due now, show the periods in force, shorten them.

dorfhub retention run                      # what the daemons do daily (for cron and tests)
dorfhub retention show [--json]
dorfhub retention set NAME=DAYS … [--key root.key]   # the county's shorter periods
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from node.cli_base import CommandTree, open_home


def register(tree: CommandTree) -> None:
    group = tree.group("retention", "how long personal data is kept, and erasing it")
    tree.command(group, "run", cmd_retention_run, "erase the personal data that fell due now")
    sub = tree.command(group, "show", cmd_retention_show, "the retention periods in force")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(
        group, "set", cmd_retention_set, "shorten retention periods for the whole network"
    )
    sub.add_argument("periods", nargs="+", metavar="NAME=DAYS")
    sub.add_argument("--key", type=Path, help="the network's root key (default: root.key here)")


def cmd_retention_run(args: argparse.Namespace) -> int:
    from node.retention_loop import run_retention

    print(run_retention(open_home(args)).line)
    return 0


def cmd_retention_show(args: argparse.Namespace) -> int:
    from content.retention import RETENTIONS, network_days

    with open_home(args).store() as store:
        days = network_days(store.conn)
    rows = [
        {"name": r.name, "days": days[r.name], "default": r.days, "counts_from": r.counts_from}
        for r in RETENTIONS
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        print(
            f"{row['name']:<26} {row['days']:>3} days (default {row['default']}) after "
            f"{row['counts_from']}"
        )
    return 0


def cmd_retention_set(args: argparse.Namespace) -> int:
    from content.bodies import encode_body
    from content.log import Log
    from content.retention import DEFAULT_DAYS, SETTINGS_KIND, NetworkSettingsBody, network_days

    changes = dict(_period(text) for text in args.periods)
    home = open_home(args)
    root = home.publisher(args.key or home.key_path("root.key"))
    with home.store() as store:
        # The record is replaced whole (last writer wins): the periods not named stay as set.
        current = network_days(store.conn)
        kept = {name: days for name, days in current.items() if days < DEFAULT_DAYS[name]}
        body = NetworkSettingsBody(retention_days={**kept, **changes})
        network_id = store.network_id or ""
        Log(store).append(root, SETTINGS_KIND, network_id, encode_body(body))
    print(", ".join(f"{name} {days} days" for name, days in sorted(changes.items())))
    return 0


def _period(text: str) -> tuple[str, int]:
    name, equals, days = text.partition("=")
    if not equals or not days.strip().isdigit():
        raise ValueError(f"expected NAME=DAYS, e.g. booking_after_cancel=3, not {text!r}")
    return name.strip(), int(days)
