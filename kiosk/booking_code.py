"""Meine Buchung: the booking code as typed on the kiosk's code pad, the limit on guessing, and
what a cancelled booking tells the resident.

The code pad has only the characters a booking code can hold (content.booking_bodies
CODE_ALPHABET: no 0/O, 1/I, 5/S, 8/B), so no key can type a code that cannot exist. A wrong
code tells nothing about which codes exist; a few wrong codes in a row lock the pad for a while,
as the guides' PIN does (kiosk/pin.py): 27^8 codes cannot be tried at a screen, but a lock keeps
a passer-by from trying at all. The count lives in memory, like the PIN's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from content.booking import BookingStatus
from content.booking_bodies import CODE_ALPHABET
from content.booking_views import counting_cancel

CODE_LENGTH = 8  # "KM4T-7QXA" without its dash
PAD_COLUMNS = 7
# Rows of seven, in the alphabet's order (letters, then digits): the last row ends with the
# delete key, so the pad is a full rectangle and no key ever moves.
PAD_KEYS = tuple(CODE_ALPHABET)


def add_key(typed: str, key: str) -> str:
    """The code after a key: a character of a code (up to eight), or the delete key ("")."""
    if key == "":
        return typed[:-1]
    if key in PAD_KEYS and len(typed) < CODE_LENGTH:
        return typed + key
    return typed


def shown(typed: str) -> str:
    """The code as the slip prints it, "KM4T-7QXA", with a place holder for what is missing,
    so the line is the same width from the first key on."""
    padded = typed.ljust(CODE_LENGTH, "_")
    return f"{padded[:4]}-{padded[4:]}"


def complete(typed: str) -> bool:
    return len(typed) == CODE_LENGTH


def cancelled_by_practice(conn: sqlite3.Connection, status: BookingStatus) -> bool:
    """Whether the cancel that counts (the first, as content.booking_views decides) is the
    practice's own: then the resident reads "Die Praxis hat abgesagt"."""
    row = conn.execute(
        "SELECT x.author FROM booking_cancels x "
        "LEFT JOIN booking_decisions d ON d.request_id = x.request_id "
        f"WHERE x.request_id = ? AND {counting_cancel('x', 'x.request_id', 'd.code')} "
        "ORDER BY x.time, x.op_id LIMIT 1",
        (status.request_id,),
    ).fetchone()
    return row is not None and row[0] == status.practice


def cancel_note(
    conn: sqlite3.Connection, status: BookingStatus, phone: str, t: Callable[..., str]
) -> str:
    """What a cancelled booking says: who cancelled and why (the reason the practice gave in
    its desk), then how to get a new appointment. `t(key, **values)` is the kiosk's catalog."""
    reason = (status.cancel_reason or "").strip()
    if cancelled_by_practice(conn, status):
        why = t("booking.by_practice", reason=reason) if reason else t("booking.by_practice_plain")
    else:
        why = t("booking.cancel_reason", reason=reason) if reason else ""
    return " ".join(part for part in (why, t("booking.cancelled_note", phone=phone)) if part)
