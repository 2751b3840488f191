"""`dorfhub` commands for telemedicine booking: practices, slots, bookings (docs/booking.md)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content import grants
from content.identity import Identity, load_identity, save_identity
from content.log import Log
from node.cli import CommandTree, open_home
from node.home import Home
from node.terminal import terminal_safe

if TYPE_CHECKING:
    from content import booking
    from content.booking import Practice

# The booking library and the calendar feed load inside the handlers: building the parser must
# stay cheap for `dorfhub kiosk` (see node/cli.py).

PRACTICE_DIR = "practices"


def register(tree: CommandTree) -> None:
    practice = tree.group("practice", "doctors' practices that offer appointments at the hubs")
    sub = tree.command(practice, "add", cmd_practice_add, "create a practice key and its record")
    sub.add_argument("name", help='e.g. "Hausarztpraxis Dr. Huber, Freyung"')
    sub.add_argument("--phone", required=True, help="printed on every slip (booking by phone)")
    sub.add_argument("--address", required=True)
    sub.add_argument("--specialty", default="")
    sub.add_argument("--video-url", default="", help="the practice's video service (https://…)")
    sub.add_argument("--key", type=Path, help="admin key file to grant with (default: admin key)")
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
    sub.add_argument("--key", type=Path, help="key file to sign with (practice or admin key)")
    sub = tree.command(slots, "list", cmd_slots_list, "list slots")
    sub.add_argument("--practice", help="practice name or key id")
    sub.add_argument("--free", action="store_true", help="only slots with a free place")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(slots, "withdraw", cmd_slots_withdraw, "withdraw a slot for good")
    sub.add_argument("slot")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path, help="key file to sign with (practice or admin key)")

    bookings = tree.group("bookings", "booking requests and decisions")
    sub = tree.command(bookings, "list", cmd_bookings_list, "a practice's bookings, opened")
    sub.add_argument("--practice-key", type=Path, required=True, help="the practice's key file")
    sub.add_argument("--json", action="store_true")
    sub = tree.command(bookings, "cancel", cmd_bookings_cancel, "cancel a booking by its code")
    sub.add_argument("code", help="booking code from the slip, e.g. ACDE-FGHJ")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path, help="key file to sign with (default: this node's key)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().replace("ä", "ae").replace("ö", "oe"))
    return slug.replace("ü", "ue").replace("ß", "ss").strip("-")[:60] or "praxis"


# ---- practices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPractice:
    identity: Identity
    key_file: Path
    feed_token: str


def create_practice(
    home: Home,
    name: str,
    phone: str,
    address: str,
    specialty: str = "",
    video_url: str = "",
    admin: Identity | None = None,
) -> NewPractice:
    """Make a practice key in <home>/practices/, grant it the practice role, publish its record
    and create its feed token. Everything is checked first: bad input stores nothing."""
    from admin.feed import new_feed_token
    from content import booking
    from content.booking import BookingError

    meta = booking.practice_meta(name, address, phone, specialty, video_url=video_url)
    signer = admin or home.publisher()
    key_file = home.key_path(PRACTICE_DIR) / f"{_slug(name)}.key"
    with home.store() as store:
        if any(p.name == meta.name for p in booking.list_practices(store.conn)):
            raise BookingError(f"a practice named {meta.name!r} exists already")
        if key_file.exists():
            raise BookingError(f"{key_file} exists already")
        identity = Identity.generate(meta.name)
        save_identity(identity, key_file)
        log = Log(store)
        grants.grant(log, signer, identity.public, "practice", meta.name)
        booking.publish_practice(log, identity, identity.key_id, meta)
        token = new_feed_token(store, identity.key_id)
    return NewPractice(identity, key_file, token)


def cmd_practice_add(args: argparse.Namespace) -> int:
    from admin.feed import feed_path

    home = open_home(args)
    admin = home.publisher(args.key)
    made = create_practice(
        home, args.name, args.phone, args.address, args.specialty, args.video_url, admin
    )
    print(f"practice key: {made.key_file} ({made.identity.public.short_id})")
    print(f"calendar feed: {feed_path(made.feed_token)}")
    print(
        "Give the key file and the feed address to the practice only; the token is not stored "
        "here and cannot be shown again (`dorfhub practice feed-token` makes a new one).",
        file=sys.stderr,
    )
    return 0


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
    if args.json:
        print(json.dumps([_practice_json(p) for p in practices], ensure_ascii=False, indent=2))
        return 0
    for practice in practices:
        line = f"{practice.key[:12]}  {practice.name}  ·  {practice.address}  ·  {practice.phone}"
        print(terminal_safe(line))
    if not practices:
        print("no practices")
    return 0


def _practice_json(practice: Practice) -> dict[str, Any]:
    return {
        "key": practice.key,
        "name": practice.name,
        "address": practice.address,
        "phone": practice.phone,
        "specialty": practice.specialty,
        "services": [s.id for s in practice.services],
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

    identity = load_identity(args.practice_key)
    with open_home(args).store() as store:
        if booking.get_practice(store.conn, identity.key_id) is None:
            raise BookingError(f"{args.practice_key} is not the key of a known practice")
        opened = booking.open_bookings(store.conn, identity, identity.key_id)
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
    return 0


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
