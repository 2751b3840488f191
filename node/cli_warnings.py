"""`dorfhub warnings`: official warnings from CAP feeds (docs/warnings.md). On the town server:
the warnings key, the areas (geocode → hub groups or hubs), the feeds `dorfhub serve` polls,
drills, importing a file by hand and the poller's status; on a hub: where it stands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from node.cli_base import CommandTree, open_home
from node.home import Home
from node.terminal import terminal_safe

# The CAP reader and the store load inside the handlers: the parser stays cheap (node/cli.py).
WARNINGS_KEY_NAME = "Amtliche Warnungen"


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.1 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be between 0.1 and 86400 seconds: {text}")
    return value


def register(tree: CommandTree) -> None:
    warnings = tree.group("warnings", "official warnings (CAP): key, areas, feeds, import")
    sub = tree.command(warnings, "init", cmd_init, "make the warnings key and grant its role")
    sub.add_argument("--name", default=WARNINGS_KEY_NAME, help="the key's name in the network")
    sub.add_argument("--key", type=Path, help="key file to grant with (default: admin key)")
    area = tree.command(warnings, "area", _area_help, "map CAP geocodes to hub groups or hubs")
    areas = area.add_subparsers(title="commands", parser_class=type(area))
    sub = tree.command(areas, "add", cmd_area_add, "warnings for GEOCODE reach these hubs")
    sub.add_argument(
        "--geocode", required=True, help="ARS:<12 digits>, AGS:<8 digits> or WARNCELLID:<9>"
    )
    sub.add_argument("--group", action="append", default=[], help="hub group (repeatable)")
    sub.add_argument("--hub", action="append", default=[], help="hub name or key (repeatable)")
    tree.command(areas, "list", cmd_area_list, "list the areas and whom they reach")
    sub = tree.command(areas, "remove", cmd_area_remove, "forget an area")
    sub.add_argument("--geocode", required=True)
    feed = tree.command(warnings, "feed", _feed_help, "the CAP feeds `dorfhub serve` polls")
    feeds = feed.add_subparsers(title="commands", parser_class=type(feed))
    sub = tree.command(feeds, "add", cmd_feed_add, "poll URL (a CAP file or an Atom/RSS index)")
    sub.add_argument("url", metavar="URL")
    sub.add_argument("--interval", type=_interval, default=60.0, help="seconds between polls")
    tree.command(feeds, "list", cmd_feed_list, "list the feeds")
    sub = tree.command(feeds, "remove", cmd_feed_remove, "stop polling URL")
    sub.add_argument("url", metavar="URL")
    sub = tree.command(warnings, "drills", cmd_drills, "show CAP Exercise and Test messages?")
    sub.add_argument("setting", choices=("on", "off"))
    sub = tree.command(warnings, "import", cmd_import, "import a CAP file or Atom/RSS index")
    sub.add_argument("file", type=Path, metavar="FILE")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(warnings, "status", cmd_status, "what the feed poller did last")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(warnings, "position", cmd_position, "on a hub: where it stands")
    sub.add_argument("latitude", type=float)
    sub.add_argument("longitude", type=float)


def _area_help(args: argparse.Namespace) -> int:
    raise ValueError("say `warnings area add`, `list` or `remove`")


def _feed_help(args: argparse.Namespace) -> int:
    raise ValueError("say `warnings feed add`, `list` or `remove`")


def _table(home: Home) -> dict[str, Any]:
    from node.warnings_feed import warnings_table

    return dict(warnings_table(home))


def cmd_init(args: argparse.Namespace) -> int:
    from content.grants import grant
    from content.log import Log
    from node.warnings_feed import WARNINGS_KEY

    home = open_home(args)
    if home.config.role != "server":
        raise ValueError("the warnings key lives on the town server, which imports the feeds")
    if home.key_path(WARNINGS_KEY).exists():
        raise ValueError(f"{home.key_path(WARNINGS_KEY)} exists already")
    identity = home.create_identity(WARNINGS_KEY, args.name)
    with home.store() as store:
        grant(Log(store), home.publisher(args.key), identity.public, "warnings", args.name)
    print(terminal_safe(f"granted warnings to {args.name} (key {identity.key_id[:12]})"))
    return 0


def cmd_area_add(args: argparse.Namespace) -> int:
    from content.cap import CapError
    from content.notice_targets import network_of
    from content.warnings import parse_geocode

    home = open_home(args)
    kind, value = parse_geocode(args.geocode)
    if not args.group and not args.hub:
        raise ValueError("name at least one --group or --hub the area's warnings reach")
    with home.store() as store:
        hubs, groups = network_of(store.conn).targets(args.hub, args.group)
    table = _table(home)
    geocode = f"{kind}:{value}"
    if any(area["geocode"] == geocode for area in table.get("areas", [])):
        raise CapError(f"{geocode} is mapped already: remove it first")
    table["areas"] = [*table.get("areas", []), {"geocode": geocode, "groups": groups, "hubs": hubs}]
    home.save_table("warnings", table)
    print(terminal_safe(f"warnings for {geocode} reach {_whom(groups, hubs, {})}"))
    return 0


def _whom(groups: list[str], hubs: list[str], names: dict[str, str]) -> str:
    parts = [f"group {group}" for group in groups]
    parts += [f"hub {names.get(key, key[:12])}" for key in hubs]
    return ", ".join(parts) or "nobody"


def cmd_area_list(args: argparse.Namespace) -> int:
    from content.notice_targets import key_names

    home = open_home(args)
    with home.store() as store:
        names = key_names(store.conn)
    areas = _table(home).get("areas", [])
    if not areas:
        print("no areas: warnings reach no hub (`dorfhub warnings area add`)")
    for area in areas:
        whom = _whom(area.get("groups", []), area.get("hubs", []), names)
        print(terminal_safe(f"{area['geocode']:<24} {whom}"))
    return 0


def cmd_area_remove(args: argparse.Namespace) -> int:
    from content.warnings import parse_geocode

    home = open_home(args)
    geocode = ":".join(parse_geocode(args.geocode))
    table = _table(home)
    kept = [area for area in table.get("areas", []) if area["geocode"] != geocode]
    if len(kept) == len(table.get("areas", [])):
        raise ValueError(f"no area {geocode}")
    table["areas"] = kept
    home.save_table("warnings", table)
    print(f"removed {geocode}")
    return 0


def cmd_feed_add(args: argparse.Namespace) -> int:
    home = open_home(args)
    if not args.url.startswith(("http://", "https://")):
        raise ValueError("a feed URL begins http:// or https://")
    table = _table(home)
    feeds = [feed for feed in table.get("feeds", []) if feed["url"] != args.url]
    table["feeds"] = [*feeds, {"url": args.url, "interval_s": args.interval}]
    home.save_table("warnings", table)
    print(terminal_safe(f"polling {args.url} every {args.interval:g} s (from the next serve)"))
    return 0


def cmd_feed_list(args: argparse.Namespace) -> int:
    from node.warnings_feed import feeds_of

    feeds = feeds_of(_table(open_home(args)))
    if not feeds:
        print("no feeds (`dorfhub warnings feed add URL`)")
    for url, interval in feeds:
        print(terminal_safe(f"every {interval:g} s  {url}"))
    return 0


def cmd_feed_remove(args: argparse.Namespace) -> int:
    home = open_home(args)
    table = _table(home)
    kept = [feed for feed in table.get("feeds", []) if feed["url"] != args.url]
    if len(kept) == len(table.get("feeds", [])):
        raise ValueError(f"no feed {args.url}")
    table["feeds"] = kept
    home.save_table("warnings", table)
    print(terminal_safe(f"no longer polling {args.url}"))
    return 0


def cmd_drills(args: argparse.Namespace) -> int:
    home = open_home(args)
    table = _table(home)
    table["drills"] = args.setting == "on"
    home.save_table("warnings", table)
    shown = "reach the boards, marked as drills" if table["drills"] else "reach no board"
    print(f"CAP Exercise and Test messages {shown}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from content.cap import CapError
    from node.warnings_feed import import_document

    home = open_home(args)
    data = args.file.read_bytes()

    def local_entry(link: str) -> bytes:
        # An index read from a file names its entries as files beside it (or file: URLs).
        path = Path(link.removeprefix("file://"))
        return (path if path.is_absolute() else args.file.parent / path).read_bytes()

    results = import_document(home, data, local_entry)
    if args.json:
        print(json.dumps([_result_json(result) for result in results], ensure_ascii=False))
    else:
        for result in results:
            print(terminal_safe(_result_line(result)))
    return 1 if any(isinstance(result, CapError) for result in results) else 0


def _result_json(result: Any) -> dict[str, str]:
    from content.cap import CapError

    if isinstance(result, CapError):
        return {"action": "error", "reason": str(result)}
    return dict(result.as_json())


def _result_line(result: Any) -> str:
    found = _result_json(result)
    line = f"{found.pop('action')}: {found.pop('identifier', '')}"
    if "notice_id" in found:
        line += f" as {found['notice_id']}"
    if "priority" in found:
        line += f" ({found['priority']})"
    return line + (f" – {found['reason']}" if "reason" in found else "")


def cmd_status(args: argparse.Namespace) -> int:
    from node.warnings_feed import read_status

    home = open_home(args)
    status = read_status(home.path)
    if args.json:
        print(json.dumps(status))
        return 0
    if status is None:
        print("the feed poller has not run here (`dorfhub serve` with feeds configured)")
        return 0
    for line in status_lines(status):
        print(terminal_safe(line))
    return 0


def status_lines(status: dict[str, Any]) -> list[str]:
    counts = status.get("counts", {})
    lines = [", ".join(f"{name} {count}" for name, count in counts.items())]
    for feed in status.get("feeds", []):
        state = f"failing ({feed['failures']}×): {feed['last_error']}" if feed["failures"] else "ok"
        lines.append(f"{feed['url']}: {state}, next poll in {feed['next_in_s']:g} s")
    return lines


def cmd_position(args: argparse.Namespace) -> int:
    home = open_home(args)
    if not (-90 <= args.latitude <= 90 and -180 <= args.longitude <= 180):
        raise ValueError("latitude -90..90 and longitude -180..180, in degrees (WGS 84)")
    table = _table(home)
    table["position"] = [args.latitude, args.longitude]
    home.save_table("warnings", table)
    print(f"this hub stands at {args.latitude:g}, {args.longitude:g} (sent with its status)")
    return 0
