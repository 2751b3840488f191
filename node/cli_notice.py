"""`dorfhub notice …`: the noticeboard from the command line (docs/admin-publishing.md).

dorfhub notice publish --title … --body … [--until 31.12.2026] [--hub NAME] [--attach FILE]
dorfhub notice update ID [--title …] [--body-file FILE] [--event-start …] [--all-hubs]
dorfhub notice retract ID [--reason …]
dorfhub notice show ID / list [--hub NAME] [--at …] / poster ID / sheet --hub NAME

What is typed is read as the desk's editor reads it: dates and times in Berlin time, a date
alone the whole day (content/local_time.py), hubs and groups checked against the network
(content/notice_targets.py), attachments by their content (content/attachments.py). Every
check runs before anything is stored, and a notice is stored together with its files or not
at all; each write then prints one line: the id, what happened, for whom and when it shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from content import notices
from content.bodies import (
    CATEGORIES,
    LANGUAGES,
    MAX_ATTACHMENTS,
    MAX_PLACE_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    PRIORITIES,
    Event,
    NoticeBody,
    encode_body,
)
from content.clock import trusted_now
from content.identity import Identity
from content.limits import MAX_JSON_BODY_BYTES
from content.local_time import (
    event_leaves,
    local,
    local_ms,
    moment_ms,
    parse_clock,
    read_moment,
    whole_day,
)
from content.log import Log
from content.notice_targets import key_names, network_of
from content.notices import Notice, NoticeError
from content.private_files import write_private
from content.store import Store
from node.board import done_line, end_words, moment_words, render_board, render_notice
from node.cli_base import WHEN, CommandTree, OneLineParser, open_home
from node.terminal import terminal_safe

if TYPE_CHECKING:
    from content.attachments import Prepared

# A body read from a file or stdin is read no further than a text of MAX_TEXT_CHARS can take
# (four bytes a character in UTF-8) and some blank lines around it.
MAX_BODY_READ_BYTES = 4 * MAX_TEXT_CHARS + 64 * 1024


def register(tree: CommandTree) -> None:
    command, group = tree.command, tree.group
    notice = group("notice", "the noticeboard")
    sub = command(
        notice, "publish", cmd_notice_publish, "publish a notice; prints its id, targets and window"
    )
    sub.add_argument(
        "--title", required=True, help=f"the title (at most {MAX_TITLE_CHARS} characters)"
    )
    _body_options(sub, required=True)
    _notice_fields(sub, defaults=True)
    sub = command(notice, "update", cmd_notice_update, "change a notice (last writer wins)")
    sub.add_argument("id")
    sub.add_argument("--title", help=f"the title (at most {MAX_TITLE_CHARS} characters)")
    _body_options(sub, required=False)
    _notice_fields(sub, defaults=False)
    sub.add_argument(
        "--all-hubs", action="store_true", help="show it on every hub (instead of --hub/--group)"
    )
    sub = command(notice, "retract", cmd_notice_retract, "withdraw a notice for good")
    sub.add_argument("id")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path)
    sub = command(
        notice, "show", cmd_notice_show, "show one notice: targets, window, text, attachments"
    )
    sub.add_argument("id")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--lang", choices=LANGUAGES, default="de")
    sub = command(notice, "list", cmd_notice_list, "list the notices showing now")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--hub", help="only notices for this hub (name or key id)")
    sub.add_argument("--at", metavar="WHEN", help=f"at this time instead of trusted now ({WHEN})")
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
    sub.add_argument(
        "--at", metavar="WHEN", help=f"as of this time instead of trusted now ({WHEN})"
    )
    sub.add_argument("--lang", choices=LANGUAGES, default="de")


def _body_options(sub: OneLineParser, required: bool) -> None:
    body = sub.add_mutually_exclusive_group(required=required)
    body.add_argument(
        "--body",
        help=f"the text, at most {MAX_TEXT_CHARS:,} characters; - reads it from stdin",
    )
    body.add_argument(
        "--body-file",
        type=Path,
        metavar="FILE",
        help=f"read the text from FILE (UTF-8, at most {MAX_TEXT_CHARS:,} characters; - is stdin)",
    )


def _notice_fields(sub: OneLineParser, defaults: bool) -> None:
    sub.add_argument("--lang", choices=LANGUAGES, default="de", help="language of title/body")
    sub.add_argument("--category", choices=CATEGORIES, default="allgemein" if defaults else None)
    sub.add_argument("--priority", choices=PRIORITIES, default="normal" if defaults else None)
    sub.add_argument(
        "--from",
        dest="valid_from",
        metavar="WHEN",
        help=f"show from ({WHEN}; a date: its start; default now)",
    )
    sub.add_argument(
        "--until",
        dest="valid_until",
        metavar="WHEN",
        help=f"show until ({WHEN}; a date: its end; default: until the event is over, "
        "else until retracted)",
    )
    sub.add_argument(
        "--hub",
        action="append",
        default=[],
        metavar="NAME",
        help="target hub, by name in any case (repeatable)",
    )
    sub.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME",
        help="target hub group, in any case (repeatable)",
    )
    sub.add_argument(
        "--event-start",
        metavar="WHEN",
        help=f"event begins ({WHEN}; a date alone: a whole-day event)",
    )
    sub.add_argument(
        "--event-end",
        metavar="WHEN",
        help="event ends (a date, a date and time, or a time on the start's day)",
    )
    sub.add_argument(
        "--place", help=f"where the event takes place (at most {MAX_PLACE_CHARS} characters)"
    )
    sub.add_argument(
        "--attach",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help=f"attach an image (scaled for the kiosk) or a PDF; at most {MAX_ATTACHMENTS}",
    )
    sub.add_argument("--key", type=Path, help="key file to sign with (default: admin key)")


# ---- writing ----------------------------------------------------------------------------------


@contextmanager
def _publishing(args: argparse.Namespace) -> Iterator[tuple[Store, Log, Identity]]:
    """The store, its log and the key that signs, for commands that publish."""
    home = open_home(args)
    with home.store() as store:
        yield store, Log(store), home.publisher(args.key)


def cmd_notice_publish(args: argparse.Namespace) -> int:
    # What is read from stdin or files is read and checked before the key is loaded.
    title, text = _title(args.title), _body(args)
    place = _place(args.place)
    files = _files(args.attach)
    with _publishing(args) as (store, log, author):
        now = trusted_now(store.conn).now_ms
        event = _event(args, None, place)
        valid_from = _moment(args.valid_from) or now
        valid_until = _moment(args.valid_until, end=True)
        if valid_until is None and event is not None:
            valid_until = event_leaves(event.start, event.end)
        hubs, groups = network_of(store.conn).targets(args.hub, args.group)
        body = notices.notice_body(
            title or "",
            text or "",
            language=args.lang,
            category=args.category,
            priority=args.priority,
            valid_from=valid_from,
            valid_until=valid_until,
            event=event,
            hubs=hubs,
            groups=groups,
            attachments=[file.reference() for file in files],
        )
        _check(body, from_event=event is not None and args.valid_until is None)
        notice_id = notices.publish_with_files(log, author, body, [file.data for file in files])
        _say("publish", store, notice_id)
    return 0


def cmd_notice_update(args: argparse.Namespace) -> int:
    title, text = _title(args.title), _body(args)
    place = _place(args.place)
    files = _files(args.attach)
    if (args.hub or args.group) and args.all_hubs:
        raise ValueError("--all-hubs or --hub/--group, not both")
    with _publishing(args) as (store, log, author):
        current = notices.current_body(log, args.id)
        changes: dict[str, Any] = {}
        for field, value in (("title", title), ("body", text)):
            if value is not None:
                changes[field] = {args.lang: value}
        for field in ("category", "priority"):
            if getattr(args, field) is not None:
                changes[field] = getattr(args, field)
        if args.valid_from:
            changes["valid_from"] = _moment(args.valid_from)
        event = _event(args, current.event, place)
        if event != current.event:
            changes["event"] = event
        if args.valid_until:
            changes["valid_until"] = _moment(args.valid_until, end=True)
        elif event != current.event and _leaves_with_event(current):
            # The notice was on the board until its event was over: it follows the event.
            changes["valid_until"] = None if event is None else event_leaves(event.start, event.end)
        if args.hub or args.group or args.all_hubs:
            hubs, groups = network_of(store.conn).targets(args.hub, args.group)
            changes["targets"] = {"hubs": hubs, "groups": groups}
        if files:
            changes["attachments"] = [file.reference() for file in files]
        if not changes:
            raise ValueError("nothing to change (give --title, --body, --until, --hub, …)")
        body = notices.updated_body(current, **changes)
        _check(body, from_event=not args.valid_until and "valid_until" in changes)
        notices.publish_with_files(log, author, body, [file.data for file in files], args.id)
        _say("update", store, args.id)
    return 0


def cmd_notice_retract(args: argparse.Namespace) -> int:
    home = open_home(args)
    with home.store() as store:
        notices.retract(Log(store), home.publisher(args.key), args.id, args.reason)
        _say("retract", store, args.id, args.reason)
    return 0


def _say(action: str, store: Store, notice_id: str, reason: str = "") -> None:
    notice = notices.get_notice(store.conn, notice_id)
    assert notice is not None  # just written, in this process's own transaction
    print(done_line(action, notice, key_names(store.conn), reason))


def _leaves_with_event(current: NoticeBody) -> bool:
    event = current.event
    return event is not None and current.valid_until == event_leaves(event.start, event.end)


def _check(body: NoticeBody, from_event: bool) -> None:
    """What the log would refuse, or a notice that would never show, said before anything is
    stored and in the admin's terms."""
    size = len(encode_body(body))
    if size > MAX_JSON_BODY_BYTES:
        raise ValueError(
            f"the notice is {size:,} bytes in all its languages; a notice may have at most "
            f"{MAX_JSON_BODY_BYTES:,} (UTF-8: an umlaut takes two): shorten a text"
        )
    if body.valid_until is None or body.valid_until > body.valid_from:
        return
    start, end = moment_words(body.valid_from), end_words(body.valid_until)
    if from_event:
        raise ValueError(
            f"the event is over ({end}) before the notice would show ({start}); "
            "give --until to say how long it shows"
        )
    raise ValueError(f"--until ({end}) is not after the notice starts showing ({start})")


# ---- what was typed ---------------------------------------------------------------------------


def _moment(text: str | None, *, end: bool = False) -> int | None:
    return None if text is None else moment_ms(text, end=end)


def _title(text: str | None) -> str | None:
    return None if text is None else _limited("title", text, MAX_TITLE_CHARS)


def _body(args: argparse.Namespace) -> str | None:
    """The text from --body, from stdin (--body - or --body-file -) or from --body-file."""
    if args.body_file is not None and str(args.body_file) != "-":
        with args.body_file.open("rb") as file:
            text = _decoded(file, str(args.body_file))
    elif args.body_file is not None or args.body == "-":
        if sys.stdin.isatty():
            print("reading the text from the terminal; end it with Ctrl+D", file=sys.stderr)
        text = _decoded(sys.stdin.buffer, "stdin")
    elif args.body is None:
        return None
    else:
        text = args.body
    # As the desk's editor keeps a text: its inner line breaks, not the blank ends.
    return _limited("body", text.replace("\r\n", "\n"), MAX_TEXT_CHARS)


def _limited(field: str, text: str, most: int, *, empty_ok: bool = False) -> str:
    """The text without its blank ends; ValueError when it is empty or too long."""
    text = text.strip()
    if not text and not empty_ok:
        raise ValueError(f"the {field} is empty")
    if len(text) > most:
        raise ValueError(
            f"the {field} has {len(text):,} characters; a notice's {field} may have at most "
            f"{most:,}"
        )
    return text


def _decoded(source: IO[bytes], name: str) -> str:
    data = source.read(MAX_BODY_READ_BYTES + 1)
    if len(data) > MAX_BODY_READ_BYTES:
        raise ValueError(
            f"the body from {name} is longer than a notice's text may be "
            f"(at most {MAX_TEXT_CHARS:,} characters)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"the body from {name} is not UTF-8 text") from None


def _place(text: str | None) -> str | None:
    # An empty place is allowed: it clears the one an event had.
    return None if text is None else _limited("place", text, MAX_PLACE_CHARS, empty_ok=True)


def _files(paths: list[Path]) -> list[Prepared]:
    """Each file as it will be stored, its type read from its content (the desk's rule)."""
    from content.attachments import prepare_file  # Pillow loads only to attach

    if len(paths) > MAX_ATTACHMENTS:
        raise ValueError(f"{len(paths)} attachments; a notice may have at most {MAX_ATTACHMENTS}")
    return [prepare_file(path) for path in paths]


def _event(args: argparse.Namespace, current: Event | None, place: str | None) -> Event | None:
    """The event as typed over the one the notice has: a start without an end that is a date
    alone is a whole-day event; an end that is a time alone is on the start's day."""
    if not args.event_start and not args.event_end and place is None:
        return current
    end: int | None
    if args.event_start:
        typed = read_moment(args.event_start)
        start, end = whole_day(typed) if isinstance(typed, date) else (typed, None)
    elif current is not None:
        start, end = current.start, current.end
    else:
        raise ValueError("--event-end and --place need --event-start (the notice has no event)")
    if args.event_end:
        clock = parse_clock(args.event_end)
        if clock is not None:
            end = local_ms(local(start).date(), clock)
        else:
            end = moment_ms(args.event_end, end=True)
    if end is not None and end <= start:
        raise ValueError(
            f"the event ends ({end_words(end)}) before it starts ({moment_words(start)})"
        )
    kept_place = current.place if current is not None else ""
    return Event(start=start, end=end, place=kept_place if place is None else place)


# ---- reading ----------------------------------------------------------------------------------


def cmd_notice_show(args: argparse.Namespace) -> int:
    with open_home(args).store() as store:
        notice = notices.get_notice(store.conn, args.id)
        names = key_names(store.conn)
    if notice is None:
        raise NoticeError(f"no notice {args.id}")
    if args.json:
        print(json.dumps(notice.as_json(), ensure_ascii=False, indent=2))
    else:
        print(render_notice(notice, args.lang, names))
    return 0


def cmd_notice_list(args: argparse.Namespace) -> int:
    home = open_home(args)
    config = home.config
    heading = config.name
    with home.store() as store:
        hub: str | None = None
        if args.hub:
            found = network_of(store.conn).hub(args.hub)
            hub, heading = found.key, found.name
        elif config.role == "hub":
            hub = home.identity().key_id
        limit = args.limit if args.limit is not None else (50 if args.search else None)
        shown: list[Notice] = notices.active_notices(
            store.conn,
            hub=hub,
            at_ms=_moment(args.at),
            category=args.category,
            search=args.search,
            limit=limit,
        )
        names = key_names(store.conn)
    if args.json:
        print(json.dumps([n.as_json() for n in shown], ensure_ascii=False, indent=2))
    else:
        print(render_board(heading, shown, args.lang, names))
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
        now = _moment(args.at) or trusted_now(store.conn).now_ms
        printout = sheet_from_store(store.conn, hub, week, now, args.lang)
    _write_printout(f"Aushang der Woche für {printout.label}", out, printout.pdf, printout.pages)
    return 0


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
