"""`dorfhub` commands for telemedicine booking: practices, slots, bookings (docs/booking.md)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content import grants
from content.identity import PublicIdentity, load_identity
from content.log import Log
from node.cli_base import CommandTree, open_home
from node.practices import RecordFields, add_practice, create_practice, publish_record
from node.terminal import terminal_safe

if TYPE_CHECKING:
    from content import booking
    from content.booking import Practice

# The booking library and the calendar feed load inside the handlers: building the parser must
# stay cheap for `dorfhub kiosk` (see node/cli.py).


def register(tree: CommandTree) -> None:
    practice = tree.group("practice", "doctors' practices that offer appointments at the hubs")
    sub = tree.command(practice, "add", cmd_practice_add, "grant a practice key (on the server)")
    sub.add_argument("name", help='e.g. "Hausarztpraxis Dr. Huber, Freyung"')
    whose = sub.add_mutually_exclusive_group(required=True)
    whose.add_argument(
        "--public-key", help="the key the practice made with `node init --role practice` (dh1.…)"
    )
    whose.add_argument(
        "--key-out", type=Path, help="make a new key, write it once to this file outside the home"
    )
    _record_arguments(sub)
    sub.add_argument("--key", type=Path, help="admin key file to grant with (default: admin key)")
    sub = tree.command(
        practice, "publish", cmd_practice_publish, "sign the practice's record (as the practice)"
    )
    sub.add_argument("--name", help="the practice's name (default: its current record's)")
    _record_arguments(sub)
    sub.add_argument(
        "--authority", help="the town server that decides its bookings (dh1.…, from practice add)"
    )
    sub.add_argument("--key", type=Path, help="the practice's key file (default: this node's)")
    sub = tree.command(practice, "show", cmd_practice_show, "a practice and who gets its bookings")
    sub.add_argument("name", help="practice name or key id")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(practice, "feed-token", cmd_feed_token, "new secret for the calendar feed")
    sub.add_argument("name", help="practice name or key id")
    sub = tree.command(practice, "list", cmd_practice_list, "list the practices")
    sub.add_argument("--json", action="store_true")

    slots = tree.group("slots", "appointment slots")
    sub = tree.command(slots, "publish", cmd_slots_publish, "publish a weekly series of slots")
    sub.add_argument("--practice", required=True, help="practice name or key id")
    sub.add_argument("--service", default="video", help="service id (video, phone, rezept)")
    sub.add_argument("--weekdays", required=True, help="e.g. mo,di,do")
    sub.add_argument("--from", dest="first", required=True, type=_date, help="first day")
    sub.add_argument("--until", dest="last", required=True, type=_date, help="last day")
    sub.add_argument("--times", required=True, help="local start times, e.g. 09:00,09:30")
    sub.add_argument("--duration", type=int, help="minutes (default: the service's)")
    sub.add_argument("--capacity", type=int, default=1)
    sub.add_argument("--place", required=True, help="e.g. Dorfhub – Beratungsraum, or Telefon")
    sub.add_argument("--key", type=Path, help="the practice's key file (only it may publish)")
    sub = tree.command(slots, "list", cmd_slots_list, "list slots")
    sub.add_argument("--practice", help="practice name or key id")
    sub.add_argument("--free", action="store_true", help="only slots with a free place")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(slots, "withdraw", cmd_slots_withdraw, "withdraw a slot for good")
    sub.add_argument("slot")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path, help="the practice's key file (only it may withdraw)")

    bookings = tree.group("bookings", "booking requests and decisions")
    sub = tree.command(bookings, "list", cmd_bookings_list, "a practice's bookings, opened")
    sub.add_argument(
        "--practice-key", type=Path, help="the practice's key file (default: this node's key)"
    )
    sub.add_argument("--json", action="store_true")
    sub = tree.command(bookings, "cancel", cmd_bookings_cancel, "cancel a booking by its code")
    sub.add_argument("code", help="booking code from the slip, e.g. ACDE-FGHJ")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path, help="key file to sign with (default: this node's key)")


def _record_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--phone", help="printed on every slip (booking by phone)")
    sub.add_argument("--address")
    sub.add_argument("--specialty")
    sub.add_argument("--video-url", help="the practice's video service (https://…)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


# ---- practices (the library: node/practices.py) ---------------------------------------------


def cmd_practice_add(args: argparse.Namespace) -> int:
    from admin.feed import feed_path

    home = open_home(args)
    admin = home.publisher(args.key)
    fields = _fields(args, None)
    if args.public_key:
        if fields != RecordFields():
            raise ValueError(
                "with --public-key the practice signs its own record (`dorfhub practice "
                "publish` on its machine): give no --phone, --address, --specialty or --video-url"
            )
        made = add_practice(home, args.name, PublicIdentity.from_token(args.public_key), admin)
    else:
        made = create_practice(home, args.name, fields, args.key_out, admin)
    print(f"practice key: {made.key[:12]}")
    if args.key_out:
        print(f"private key written to {args.key_out} (not kept on this server)")
    print(f"booking authority: {home.identity().public.token}")
    print(f"calendar feed: {feed_path(made.feed_token)}")
    print(
        "Give the key file (if any), the booking authority and the feed address to the practice "
        "only; the token is not stored here and cannot be shown again (`dorfhub practice "
        "feed-token` makes a new one).",
        file=sys.stderr,
    )
    if args.public_key:
        print(
            "The practice signs its own record on its machine: dorfhub practice publish --name … "
            "--phone … --address … --authority <the booking authority above>",
            file=sys.stderr,
        )
    return 0


def cmd_practice_publish(args: argparse.Namespace) -> int:
    home = open_home(args)
    practice = load_identity(args.key) if args.key else home.identity()
    authority = PublicIdentity.from_token(args.authority) if args.authority else None
    before, after = publish_record(home, practice, _fields(args, args.name), authority)
    print(terminal_safe(f"published the record of {after.name} ({after.key[:12]})"))
    with home.store() as store:
        print(terminal_safe(_authority_line(store.conn, after)))
    if before is not None and before.authority != after.authority:
        old = f"{before.authority[:12]}"
        print(terminal_safe(f"booking authority changed: {old} -> {after.authority[:12]}"))
    return 0


def _fields(args: argparse.Namespace, name: str | None) -> RecordFields:
    return RecordFields(
        name=name,
        phone=args.phone,
        address=args.address,
        specialty=args.specialty,
        video_url=args.video_url,
    )


def _authority_line(conn: sqlite3.Connection, practice: booking.Practice) -> str:
    """Who receives the practice's bookings, as the practice should see it."""
    info = grants.key_info(conn, practice.authority)
    name = info.name if info is not None else "unknown here"
    serving = info is not None and not info.revoked and "server" in info.roles
    state = "" if serving else " (NOT a server now: no booking is possible)"
    return (
        f"bookings are sealed to this practice and to its booking authority {name} "
        f"({practice.authority[:12]}){state}, and decided there"
    )


def cmd_practice_show(args: argparse.Namespace) -> int:
    from content import booking

    with open_home(args).store() as store:
        practice = booking.find_practice(store.conn, args.name)
        history = booking.authority_history(store.conn, practice.key)
        authority = grants.key_info(store.conn, practice.authority)
        line = _authority_line(store.conn, practice)
    if args.json:
        shown = {
            **_practice_json(practice),
            "authority_name": authority.name if authority else None,
            "history": [
                {"op": h.op_id, "time": h.time, "author": h.author, "authority": h.authority}
                for h in history
            ],
        }
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    print(terminal_safe(f"{practice.name}  ·  {practice.address}  ·  {practice.phone}"))
    print(f"key: {practice.key}")
    print(f"seal key: {practice.seal}")
    print(f"authority: {practice.authority} (seal key {practice.authority_seal})")
    print(terminal_safe(line))
    for change in history:
        when = _local(change.time)
        print(f"record {when}: authority {change.authority[:12]} (signed by {change.author[:12]})")
    return 0


def _local(ms: int) -> str:
    from content.booking import LOCAL_TIME

    return datetime.fromtimestamp(ms / 1000, LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def cmd_feed_token(args: argparse.Namespace) -> int:
    from admin.feed import feed_path, new_feed_token
    from content import booking

    with open_home(args).store() as store:
        practice = booking.find_practice(store.conn, args.name)
        token = new_feed_token(store, practice.key)
    print(f"calendar feed: {feed_path(token)}")
    return 0


def cmd_practice_list(args: argparse.Namespace) -> int:
    from content import booking

    with open_home(args).store() as store:
        practices = booking.list_practices(store.conn)
        names = {p.key: _key_name(store.conn, p.authority) for p in practices}
    if args.json:
        print(json.dumps([_practice_json(p) for p in practices], ensure_ascii=False, indent=2))
        return 0
    for practice in practices:
        line = (
            f"{practice.key[:12]}  {practice.name}  ·  {practice.address}  ·  {practice.phone}"
            f"  ·  decided by {names[practice.key]} ({practice.authority[:12]})"
        )
        print(terminal_safe(line))
    if not practices:
        print("no practices")
    return 0


def _key_name(conn: sqlite3.Connection, key: str) -> str:
    info = grants.key_info(conn, key)
    return info.name if info is not None else "?"


def _practice_json(practice: Practice) -> dict[str, Any]:
    return {
        "key": practice.key,
        "name": practice.name,
        "address": practice.address,
        "phone": practice.phone,
        "specialty": practice.specialty,
        "services": [s.id for s in practice.services],
        "seal": practice.seal,
        "authority": practice.authority,
        "authority_seal": practice.authority_seal,
    }


# ---- slots -----------------------------------------------------------------------------------


def cmd_slots_publish(args: argparse.Namespace) -> int:
    from content import booking

    home = open_home(args)
    with home.store() as store:
        practice = booking.find_practice(store.conn, args.practice)
        slots = booking.expand_series(
            practice,
            args.service,
            args.weekdays.split(","),
            args.first,
            args.last,
            args.times.split(","),
            args.capacity,
            args.place,
            args.duration,
        )
        count = booking.publish_slots(store, home.publisher(args.key), slots)
    print(terminal_safe(f"published {count} slots for {practice.name}"))
    return 0


def cmd_slots_list(args: argparse.Namespace) -> int:
    from content import booking

    with open_home(args).store() as store:
        practice = booking.find_practice(store.conn, args.practice).key if args.practice else None
        slots = booking.list_slots(store.conn, practice, free_only=args.free)
    if args.json:
        print(json.dumps([_slot_json(s) for s in slots], ensure_ascii=False, indent=2))
        return 0
    for slot in slots:
        start = slot.local_start()
        weekday = booking.SLIP_WEEKDAYS["de"][start.weekday()]
        state = "withdrawn" if slot.withdrawn else f"{slot.free}/{slot.capacity} free"
        print(
            terminal_safe(
                f"{weekday} {start:%d.%m.%Y %H:%M}  {slot.service.id:<7} {state:<11} "
                f"{slot.practice_name}  ·  {slot.place}  [{slot.id}]"
            )
        )
    if not slots:
        print("no slots")
    return 0


def _slot_json(slot: booking.Slot) -> dict[str, Any]:
    return {
        "id": slot.id,
        "practice": slot.practice,
        "practice_name": slot.practice_name,
        "service": slot.service.id,
        "start": slot.local_start().isoformat(),
        "duration_min": slot.service.duration_min,
        "capacity": slot.capacity,
        "free": slot.free,
        "place": slot.place,
        "withdrawn": slot.withdrawn,
    }


def cmd_slots_withdraw(args: argparse.Namespace) -> int:
    from content import booking

    home = open_home(args)
    with home.store() as store:
        booking.withdraw_slot(Log(store), home.publisher(args.key), args.slot, args.reason)
    print(f"withdrew {args.slot}")
    return 0


# ---- bookings --------------------------------------------------------------------------------


def cmd_bookings_list(args: argparse.Namespace) -> int:
    from content import booking
    from content.booking import BookingError

    home = open_home(args)
    identity = load_identity(args.practice_key) if args.practice_key else home.identity()
    with home.store() as store:
        practice = booking.get_practice(store.conn, identity.key_id)
        if practice is None:
            raise BookingError(f"{args.practice_key or 'this node'} is no known practice's key")
        opened = booking.open_bookings(store.conn, identity, identity.key_id)
        # Not what fell due, even before the daemon's run erases it (content/retention.py).
        opened, erased = _within_retention(store.conn, opened, identity.key_id)
        # The practice sees who else can open what it lists here.
        print(terminal_safe(_authority_line(store.conn, practice)), file=sys.stderr)
    rows = [_booking_json(item) for item in opened]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        print(
            terminal_safe(
                f"{row['start'] or '?':<17} {row['state']:<9} {row['code'] or '—':<9} "
                f"{row['name']} (geb. {row['birth_date']})  {row['phone']}  {row['hub']}"
            )
        )
    if not rows:
        print("no bookings")
    if erased:
        print(f"{erased} earlier bookings not shown: their personal data is erased (retention)")
    return 0


def _within_retention(
    conn: sqlite3.Connection, opened: list[booking.OpenedBooking], practice: str
) -> tuple[list[booking.OpenedBooking], int]:
    """The bookings still within their retention period, and how many others this node holds
    (erased, or fallen due before the daemon's run erases them)."""
    from content.pruning import erased_bookings, within_retention

    kept = within_retention(conn, opened)
    return kept, erased_bookings(conn, practice) + len(opened) - len(kept)


def _booking_json(item: booking.OpenedBooking) -> dict[str, Any]:
    start = item.slot.local_start().strftime("%d.%m.%Y %H:%M") if item.slot else None
    return {
        "request": item.status.request_id,
        "state": item.status.state,
        "code": item.status.code,
        "start": start,
        "service": item.slot.service.id if item.slot else None,
        "name": item.person.name,
        "birth_date": item.person.birth_date,
        "phone": item.person.phone,
        "hub": item.person.hub,
        "guide": item.person.guide,
        "reminder_consent": item.person.reminder_consent,
    }


def cmd_bookings_cancel(args: argparse.Namespace) -> int:
    from content import booking

    home = open_home(args)
    author = load_identity(args.key) if args.key else home.identity()
    with home.store() as store:
        request_id = booking.cancel_booking(Log(store), author, code=args.code, reason=args.reason)
    print(f"cancelled {booking.normalize_code(args.code)} ({request_id[-8:]})")
    return 0
