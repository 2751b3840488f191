"""`dorfhub fleet`: how each hub is, as this town server knows it (content/fleet.py, which the
desk's fleet page shows too).

dorfhub fleet [--json] [--at ISO]                 # one line per hub
dorfhub fleet --hub NAME [--json] [--at ISO]      # one hub, with its sensors and screenshot
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from content.screenshots import Screenshot
from node.cli_base import WHEN, CommandTree, open_home
from node.home import Home
from node.terminal import terminal_safe

COLUMNS = (
    ("Hub", "name"),
    ("Zustand", "state_text"),
    ("Zuletzt gesehen", "seen_text"),
    ("Version", "version"),
    ("Ops", "ops_text"),
    ("Uhr", "clock_text"),
    ("Speicher", "disk_text"),
    ("Sensoren", "sensors_text"),
    ("Warnungen", "alerts_text"),
    ("Forks", "forks_text"),
)
SCREENS = {"home": "Startbildschirm", "signage": "Signage", "emergency": "Notfallmeldung"}


def register(tree: CommandTree) -> None:
    sub = tree.command(
        None,
        "fleet",
        cmd_fleet,
        "every hub: last seen, version, ops behind, clock, disk, sensors, alerts, forks",
    )
    sub.add_argument("--hub", help="one hub in detail (name or key)")
    sub.add_argument("--json", action="store_true")
    sub.add_argument(
        "--at", metavar="WHEN", help=f"as if it were this moment ({WHEN}; default now)"
    )


def cmd_fleet(args: argparse.Namespace) -> int:
    from content.clock import wall_clock_ms
    from content.fleet import fleet
    from content.local_time import moment_ms

    home = open_home(args)
    # The server's own clock, which also stamped each hub's last contact.
    now = moment_ms(args.at) if args.at else wall_clock_ms()
    if args.hub:
        return _show_hub(home, args.hub, now, args.json)
    with home.store() as store:
        rows = fleet(store.conn, now)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2))
        return 0
    cells = [[_cell(getattr(row, field)) for _, field in COLUMNS] for row in rows]
    for line in table([title for title, _ in COLUMNS], cells) if rows else ["keine Hubs"]:
        print(line)
    return 0


def _show_hub(home: Home, text: str, now: int, as_json: bool) -> int:
    from content import screenshots
    from content.fleet import hub_detail
    from content.grants import resolve_key

    with home.store() as store:
        key = resolve_key(store.conn, text).key
        detail = hub_detail(store.conn, key, now, screenshots.server_dir(home.path))
    if detail is None:
        raise ValueError(f"{text!r} is not a hub of this network")
    if as_json:
        print(json.dumps(detail.as_json(), ensure_ascii=False, indent=2))
        return 0
    row = detail.row
    lines = [
        ("Hub", f"{row.name} ({row.key})" + (" – widerrufen" if detail.revoked else "")),
        ("Zustand", f"{row.state_text}, {row.seen_text}"),
        ("Version", row.version or "unbekannt"),
        ("Ops", row.ops_text),
        ("Uhr", row.clock_text),
        ("Speicher", row.disk_text),
        ("Sensoren", row.sensors_text),
        *((f"  {s.sensor}", f"{s.quantity} {s.mean:g} {s.unit}") for s in detail.series),
        ("Warnungen", row.alerts_text),
        ("Forks", row.forks_text),
        ("Probleme", ", ".join(row.problems) or "keine"),
        ("Bildschirm", _screenshot_words(detail.screenshot, now)),
    ]
    for title, value in lines:
        print(terminal_safe(f"{title:<12} {value}"))
    return 0


def _screenshot_words(shot: Screenshot | None, now: int) -> str:
    from content.fleet import span_words

    if shot is None:
        return "kein Bild"
    taken = f"aufgenommen vor {span_words(max(0, now - shot.taken_at_ms), True)}"
    return f"{SCREENS.get(shot.screen, shot.screen)}, {taken} ({shot.width} x {shot.height} px)"


def _cell(value: object) -> str:
    return terminal_safe("–" if value is None else str(value))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; every cell already escaped for the terminal."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *rows)
    ]
