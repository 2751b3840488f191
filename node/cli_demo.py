"""`dorfhub demo`: its arguments, checked before the demo deletes or builds anything."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from node.cli_base import DEFAULT_HOST, CommandTree, whole_number

# The demo's nodes: the town server on the base port, the hubs on the ports after it (node/demo.py
# HUBS, not imported here: the demo loads only when it runs).
NODES = 3


def register(tree: CommandTree) -> None:
    sub = tree.command(None, "demo", cmd_demo, "build a demo network and show its noticeboards")
    sub.add_argument("--dir", type=Path, default=Path("demo-data"))
    sub.add_argument("--serve", action="store_true", help="keep the network running (Ctrl+C)")
    sub.add_argument(
        "--no-kiosk", action="store_true", help="do not open the first hub's kiosk window"
    )
    sub.add_argument(
        "--host",
        type=_host,
        default=DEFAULT_HOST,
        help=f"address every node listens on (default {DEFAULT_HOST}; 0.0.0.0: the LAN too)",
    )
    sub.add_argument(
        "--port-base",
        type=whole_number(1, 65535 - (NODES - 1)),
        metavar="PORT",
        help="the town server listens on PORT, the hubs on PORT+1 and PORT+2 "
        "(default: any free ports)",
    )


def _host(text: str) -> str:
    """An address or a name; whether this machine has it, binding it tells (node/demo.py)."""
    host = text.strip()
    if not host or any(char.isspace() or char in "/[]" for char in host):
        raise argparse.ArgumentTypeError(f"not an address: {text!r} (e.g. 127.0.0.1 or ::1)")
    return host


def cmd_demo(args: argparse.Namespace) -> int:
    from node.demo import run_demo

    return run_demo(
        args.dir,
        keep_running=args.serve,
        kiosk=not args.no_kiosk,
        # The kiosk window opens only where there is a display to open it on.
        display=bool(os.environ.get("DISPLAY")),
        host=args.host,
        port_base=args.port_base,
    )
