"""`dorfhub kiosk`: the touchscreen app of a hub, and `dorfhub kiosk set-pin` for its guides."""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.pin import PinError, set_pin
from node.cli_base import CommandTree, OneLineParser, open_home
from node.home import HomeError

DEFAULT_SIZE = "1920x1080"
DEFAULT_DIAGONAL_IN = 21.5


def register(tree: CommandTree) -> None:
    sub = tree.command(None, "kiosk", cmd_kiosk, "run the touchscreen kiosk of this hub")
    sub.add_argument("--fullscreen", action="store_true", help="fill the whole screen")
    sub.add_argument(
        "--size",
        type=_size,
        default=_size(DEFAULT_SIZE),
        help=f"window size, and the panel's resolution for physical sizes (default {DEFAULT_SIZE})",
    )
    sub.add_argument(
        "--reference-diagonal",
        type=_diagonal,
        default=DEFAULT_DIAGONAL_IN,
        help=f"the panel's diagonal in inches, for sizes in mm (default {DEFAULT_DIAGONAL_IN})",
    )
    commands = sub.add_subparsers(title="commands", parser_class=OneLineParser)
    pin = commands.add_parser(
        "set-pin",
        parents=[tree.common],
        help="set the guides' PIN (read twice from the terminal or stdin)",
    )
    pin.set_defaults(handler=cmd_set_pin)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size like 1920x1080: {text!r}") from None
    if not (320 <= width <= 8192 and 240 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size out of range: {text!r}")
    return width, height


def _diagonal(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of inches: {text!r}") from None
    if not 5 <= value <= 100:
        raise argparse.ArgumentTypeError(f"diagonal out of range (5 to 100 inches): {text!r}")
    return value


def cmd_kiosk(args: argparse.Namespace) -> int:
    home = open_home(args)
    config = home.config
    if config.role != "hub":
        raise HomeError(f"{home.path} is a {config.role}, not a hub; the kiosk runs on hubs")
    from kiosk.launch import KioskOptions, run_kiosk

    width, height = args.size
    return run_kiosk(
        KioskOptions(
            db_path=home.db_path,
            home_dir=home.path,
            identity=home.identity(),
            hub_name=config.name,
            width=width,
            height=height,
            diagonal_in=args.reference_diagonal,
            fullscreen=args.fullscreen,
        )
    )


def _read_pin(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise ValueError("no PIN given on stdin")
    return line.strip()


def cmd_set_pin(args: argparse.Namespace) -> int:
    home = open_home(args)
    first = _read_pin("Neue PIN: ")
    second = _read_pin("PIN wiederholen: ")
    if first != second:
        raise ValueError("the two PINs differ; nothing was changed")
    try:
        path = set_pin(home.path, first)
    except PinError as exc:
        raise ValueError(f"{exc}; nothing was changed") from None
    print(f"PIN set ({path})")
    return 0
