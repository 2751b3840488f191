"""The `dorfhub` command: a thin layer over the library. Errors are one line, never a traceback.
This module only assembles the commands; what they share is node/cli_base.py."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from content.private_files import restrict_umask
from node import (
    cli_article,
    cli_booking,
    cli_demo,
    cli_desk,
    cli_fleet,
    cli_kiosk,
    cli_node,
    cli_notice,
    cli_retention,
    cli_sensors,
    cli_sync,
    cli_warnings,
)
from node.cli_base import USER_ERRORS, CommandTree, OneLineParser
from node.terminal import terminal_safe

# What a command needs beyond the parser (requests, zeroconf, pyserial, the protocol, fpdf, the
# daemons) is imported inside its handler: `dorfhub kiosk` must reach its first frame without
# them (tests/node/test_cli_imports.py keeps it so).

# In the order `dorfhub --help` lists them.
COMMANDS = (
    cli_node,
    cli_notice,
    cli_article,
    cli_demo,
    cli_sync,
    cli_sensors,
    cli_kiosk,
    cli_booking,
    cli_retention,
    cli_fleet,
    cli_desk,
    cli_warnings,
)


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


def build_parser() -> OneLineParser:
    tree = CommandTree()
    for commands in COMMANDS:
        commands.register(tree)
    return tree.parser


if __name__ == "__main__":
    sys.exit(main())
