"""docs/cli.md, the reference of every `dorfhub` command, made from the argument parser.

    .venv/bin/python -m node.cli_reference --write    # rewrite docs/cli.md
    .venv/bin/python -m node.cli_reference            # print it

tests/node/test_cli_reference.py fails when docs/cli.md differs from what this makes, so a
changed option shows up in review next to the code that changed it (as sqlite-utils does with
its CLI reference). Written from the parser's actions, not from `--help` text, whose layout
changes between Python versions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from node.cli import build_parser

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
HEADER = """\
# Command-line reference

<!-- Made by `.venv/bin/python -m node.cli_reference --write` from the argument parser; do not
edit by hand: tests/node/test_cli_reference.py fails when this file and the parser differ. -->

Every `dorfhub` command, as `dorfhub COMMAND --help` describes it. Every command also takes
`--home DIR`: the node's directory (default `$DORFHUB_HOME`, else the per-user data directory,
`~/.local/share/dorfhub`). After `make run` the command is `.venv/bin/dorfhub`
([README](../README.md#two-commands) says how to call it as `dorfhub`). A user error prints one
line, `dorfhub: error: …`, and exits with 1 (2 for a wrong argument).
"""


def reference() -> str:
    commands = list(_commands(build_parser(), ()))
    contents = [f"- [{_title(path)}](#{_anchor(path)}): {about}" for path, about, _ in commands]
    sections = [_section(path, about, parser) for path, about, parser in commands]
    return "\n".join([HEADER, *contents, "", *sections]).rstrip("\n") + "\n"


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str, argparse.ArgumentParser]]:
    """Every command that runs something, depth first in the parser's order, with its help."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            subcommands = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
            # A group (`dorfhub key`) only holds commands; a command may hold more of them
            # (`dorfhub kiosk` runs the kiosk, `dorfhub kiosk set-pin` sets its PIN).
            if not subcommands or sub.description is not None:
                yield (*path, name), helps.get(name, ""), sub
            if subcommands:
                yield from _commands(sub, (*path, name))


def _section(path: tuple[str, ...], about: str, parser: argparse.ArgumentParser) -> str:
    rows = [_row(action) for action in parser._actions if _documented(action)]
    lines = [f"## {_title(path)}", "", _sentence(about), ""]
    if rows:
        lines += ["| argument | meaning |", "|---|---|", *rows, ""]
    return "\n".join(lines)


def _documented(action: argparse.Action) -> bool:
    hidden = (argparse._HelpAction, argparse._SubParsersAction)
    if isinstance(action, hidden) or action.help == argparse.SUPPRESS:
        return False
    return action.dest != "home"  # every command's, described once above


def _row(action: argparse.Action) -> str:
    name = _usage(action)
    said = action.help or ""
    notes = [said]
    if action.choices is not None:
        notes.append("one of " + ", ".join(f"`{choice}`" for choice in action.choices))
    default = action.default
    shown = default not in (None, False, [], "", argparse.SUPPRESS) and "default" not in said
    if shown and not action.required and action.option_strings:
        notes.append(f"default `{default}`")
    if isinstance(action, argparse._AppendAction) and "repeatable" not in said:
        notes.append("repeatable")
    if action.required and action.option_strings:
        notes.append("required")
    meaning = "; ".join(note for note in notes if note)
    return f"| {_cell(name)} | {_cell(meaning)} |"


def _usage(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest.upper()}`"
    flags = ", ".join(action.option_strings)
    if action.nargs == 0:
        return f"`{flags}`"
    metavar = action.metavar or action.dest.upper()
    return f"`{flags} {metavar}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", ")")) else ".")


def _title(path: Sequence[str]) -> str:
    return " ".join(("dorfhub", *path))


def _anchor(path: Sequence[str]) -> str:
    return "-".join(("dorfhub", *path)).lower()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m node.cli_reference", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {DOCS} instead of printing")
    args = parser.parse_args(argv)
    text = reference()
    if args.write:
        DOCS.write_text(text)
        print(f"wrote {DOCS}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
