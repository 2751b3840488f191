"""What every `dorfhub` command module shares: the command tree, the parser that errs in one
line, the node directory, and the errors a command reports as one line. Imports no cli_* module;
node/cli.py assembles the commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import msgspec

from content.errors import ContentError
from content.local_time import EXAMPLES, moment_ms
from node.home import Home, default_home

# The errors a command reports as one line (`dorfhub: error: …`), never as a traceback: the
# library's, the node directory's and the peers' (content.errors), bad input, and files.
USER_ERRORS = (ContentError, ValueError, OSError, msgspec.ValidationError)
Handler = Callable[[argparse.Namespace], int]
# The address the daemons and the demo listen on unless told.
DEFAULT_HOST = "127.0.0.1"
# How the options that take a date or time say what they read.
WHEN = f"Berlin time, e.g. {EXAMPLES}"


class OneLineParser(argparse.ArgumentParser):
    """Argument errors print one line and exit 2, without the usage block, starting as every
    other error does (`dorfhub: error:`), then naming the command."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("dorfhub").strip()
        self.exit(2, f"dorfhub: error: {command + ': ' if command else ''}{message}\n")


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
        sub.set_defaults(handler=lambda _args: sub.error("a subcommand is required"))
        return sub.add_subparsers(title="commands", parser_class=OneLineParser)


def home_dir(args: argparse.Namespace) -> Path:
    """The node directory --home names, else $DORFHUB_HOME or the per-user data directory."""
    return Path(getattr(args, "home", None) or default_home())


def open_home(args: argparse.Namespace) -> Home:
    return Home.open(home_dir(args))


def moment_arg(text: str | None, *, end: bool = False) -> int | None:
    """A date or time typed in Berlin time (content/local_time.py); a date alone as an `end`
    is the end of that day."""
    return None if text is None else moment_ms(text, end=end)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse
