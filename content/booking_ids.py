"""Booking ids: what a slot id and a request id say about who may write about them.

Ids carry their public facts so that every node can check an op from its header alone, whatever
order ops arrive in:

    slot id     s-<practice key, 64 hex>-<10 random [a-z0-9]>
    request id  b.<slot id>.<r|g>.<first 32 hex of the author's key>
                .<first 32 hex of the booking authority's key>.<8 random [a-z0-9]>

`r`: the resident booked at the kiosk; `g`: a guide booked on the resident's behalf. A practice
may publish and withdraw only slots whose id names its key, and cancel only bookings of those
slots; a request id names its author, so no node can take another node's request id. It also
names the town server that decides it (the authority the practice named in its signed record
when the request was made), so a decision by any other server is refused at ingest.

Imports nothing from `content`, so roles, authority and bodies can all use it.
"""

from __future__ import annotations

import re
import secrets

_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
SLOT_PATTERN = "s-[0-9a-f]{64}-[a-z0-9]{10}"
_KEY_PREFIX = "([0-9a-f]{32})"
REQUEST_PATTERN = rf"b\.({SLOT_PATTERN})\.([rg])\.{_KEY_PREFIX}\.{_KEY_PREFIX}\.[a-z0-9]{{8}}"
_SLOT = re.compile(f"^{SLOT_PATTERN}$")
_REQUEST = re.compile(f"^{REQUEST_PATTERN}$")
AUTHOR_PREFIX = 32


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_slot_id(practice: str) -> str:
    return f"s-{practice}-{_random(10)}"


def new_request_id(slot_id: str, author: str, on_behalf: bool, authority: str) -> str:
    names = f"{author[:AUTHOR_PREFIX]}.{authority[:AUTHOR_PREFIX]}"
    return f"b.{slot_id}.{'g' if on_behalf else 'r'}.{names}.{_random(8)}"


def is_slot_id(text: str) -> bool:
    return _SLOT.match(text) is not None


def is_request_id(text: str) -> bool:
    return _REQUEST.match(text) is not None


def practice_of_slot(slot_id: str) -> str | None:
    return slot_id[2:66] if is_slot_id(slot_id) else None


def slot_of_request(request_id: str) -> str | None:
    found = _REQUEST.match(request_id)
    return found.group(1) if found else None


def request_on_behalf(request_id: str) -> bool:
    found = _REQUEST.match(request_id)
    return found is not None and found.group(2) == "g"


def request_names_author(request_id: str, author: str) -> bool:
    found = _REQUEST.match(request_id)
    return found is not None and found.group(3) == author[:AUTHOR_PREFIX]


def request_authority(request_id: str) -> str | None:
    """The first 32 hex of the key of the server that decides this request."""
    found = _REQUEST.match(request_id)
    return found.group(4) if found else None


def request_names_authority(request_id: str, server: str) -> bool:
    return request_authority(request_id) == server[:AUTHOR_PREFIX]


def practice_owns(kind: str, entity: str, practice: str) -> bool:
    """Whether a practice key may write this kind about this entity: only its own record, its
    own slots and the bookings of its own slots."""
    if kind == "practice.meta":
        return entity == practice
    if kind in ("slot.publish", "slot.withdraw"):
        return practice_of_slot(entity) == practice
    if kind == "booking.cancel":
        slot = slot_of_request(entity)
        return slot is not None and practice_of_slot(slot) == practice
    return False
