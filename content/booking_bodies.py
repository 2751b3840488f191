"""Booking op bodies: practice.meta, slot.publish, slot.withdraw, booking.decision and
booking.cancel (public, no personal data), the sealed plaintext of a booking.request, and the
checks every node runs at ingest (`check_booking_op`, `check_request_header`).

Imports nothing from `content` but `ops` and `booking_ids`, so `bodies` and `views` can use it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from content.booking_ids import (
    REQUEST_PATTERN,
    SLOT_PATTERN,
    is_request_id,
    practice_of_slot,
    request_names_author,
    slot_of_request,
)
from content.languages import Language
from content.ops import Header, Hex32, OpError

ServiceId = Annotated[str, msgspec.Meta(pattern="^[a-z0-9-]{1,20}$")]
SlotId = Annotated[str, msgspec.Meta(pattern=f"^{SLOT_PATTERN}$")]
RequestId = Annotated[str, msgspec.Meta(pattern=f"^{REQUEST_PATTERN}$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Line = Annotated[str, msgspec.Meta(max_length=300)]
PracticeName = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Address = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
PHONE_PATTERN = r"^[0-9 +()/-]{0,30}$"
Phone = Annotated[str, msgspec.Meta(pattern=PHONE_PATTERN)]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=60 * 24 * 60)]
Duration = Annotated[int, msgspec.Meta(ge=1, le=8 * 60)]
Buffer = Annotated[int, msgspec.Meta(ge=0, le=4 * 60)]
Days = Annotated[int, msgspec.Meta(ge=1, le=366)]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=50)]
Millis = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
# Unambiguous capitals and digits (no 0/O, 1/I, 5/S, 8/B), read aloud and typed at a kiosk.
CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY234679"
CODE_PATTERN = f"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$"
Code = Annotated[str, msgspec.Meta(pattern=CODE_PATTERN)]
MAX_ALTERNATIVES = 3
REJECT_REASONS = ("full", "withdrawn", "too_soon", "too_far", "unknown_slot", "invalid")
RejectReason = Literal["full", "withdrawn", "too_soon", "too_far", "unknown_slot", "invalid"]


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class ServiceBody(_Strict):
    """What a practice offers, and the rules a slot of it is booked under."""

    id: ServiceId
    name: dict[Language, Label]
    duration_min: Duration
    buffer_before_min: Buffer = 0
    buffer_after_min: Buffer = 0
    min_notice_min: Minutes = 0
    horizon_days: Days = 28
    bring: dict[Language, Line] = {}


class PracticeMetaBody(_Strict):
    """The public record of a practice (entity: the practice's key), signed by the practice
    itself. It fixes who receives the practice's bookings: hubs seal a request to `seal` (the
    practice's X25519 key) and `authority_seal`, and only `authority` (the Ed25519 key of the
    town server that decides, ARCHITECTURE.md section 6) may decide it. Neither comes from a
    key.grant, which an admin writes: a new grant adds no reader."""

    name: PracticeName
    address: Address
    phone: Phone
    seal: Hex32
    authority: Hex32
    authority_seal: Hex32
    specialty: Annotated[str, msgspec.Meta(max_length=80)] = ""
    video_url: Annotated[str, msgspec.Meta(pattern=r"^(https://\S{1,300})?$")] = ""
    services: Annotated[list[ServiceBody], msgspec.Meta(min_length=1, max_length=20)] = []


class SlotBody(_Strict):
    """One bookable time (entity: the slot id, which names the practice). The service is a
    snapshot: the rules a slot was published with stay its rules."""

    service: ServiceBody
    start: Millis
    capacity: Capacity
    place: Address


class SlotWithdrawBody(_Strict):
    reason: Line = ""


class DecisionBody(_Strict):
    """The town server's answer to one request (entity: the request id)."""

    outcome: Literal["confirmed", "rejected"]
    slot: SlotId
    code: Code | None = None
    alternatives: Annotated[list[SlotId], msgspec.Meta(max_length=MAX_ALTERNATIVES)] = []
    reason: RejectReason | None = None


class CancelBody(_Strict):
    """Cancel a booking (entity: the request id); a hub that did not make it shows the code."""

    code: Code | None = None
    reason: Line = ""


class BookingPersonBody(_Strict):
    """The sealed plaintext of a booking.request: only the town server and the practice open it.
    Never a symptom field. `request` binds the box to its op."""

    request: RequestId
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    birth_date: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    phone: Phone
    consent: Literal[True]
    reminder_consent: bool = False
    guide: Annotated[str, msgspec.Meta(max_length=80)] = ""
    hub: Annotated[str, msgspec.Meta(max_length=80)] = ""
    created: Millis = 0


BOOKING_SCHEMAS: dict[str, type[msgspec.Struct]] = {
    "practice.meta": PracticeMetaBody,
    "slot.publish": SlotBody,
    "slot.withdraw": SlotWithdrawBody,
    "booking.decision": DecisionBody,
    "booking.cancel": CancelBody,
}
BookingBody = PracticeMetaBody | SlotBody | SlotWithdrawBody | DecisionBody | CancelBody


def check_request_header(header: Header) -> None:
    """A booking.request's id must be well formed and name its author."""
    if not request_names_author(header.entity, header.author):
        raise OpError("a booking request id must name its author: b.<slot>.<r|g>.<author>.<random>")


def check_booking_op(header: Header, body: BookingBody) -> None:
    """Raise OpError unless the body fits its entity (every node runs this at ingest)."""
    if isinstance(body, PracticeMetaBody):
        if len(header.entity) != 64 or any(c not in "0123456789abcdef" for c in header.entity):
            raise OpError("a practice.meta's entity must be the practice's key")
        ids = [service.id for service in body.services]
        if len(set(ids)) != len(ids):
            raise OpError("a practice lists each service id once")
        _check_services(body.services)
    elif isinstance(body, SlotBody):
        if practice_of_slot(header.entity) is None:
            raise OpError("a slot's entity must be s-<practice key>-<random>")
        _check_services([body.service])
    elif isinstance(body, SlotWithdrawBody):
        if practice_of_slot(header.entity) is None:
            raise OpError("slot.withdraw names a slot id")
    elif isinstance(body, DecisionBody):
        _check_decision(header, body)
    elif not is_request_id(header.entity):
        raise OpError("booking.cancel names a request id")


def _check_services(services: list[ServiceBody]) -> None:
    for service in services:
        if "de" not in service.name:
            raise OpError(f"service {service.id} needs a German name")


def _check_decision(header: Header, body: DecisionBody) -> None:
    if slot_of_request(header.entity) != body.slot:
        raise OpError("a decision's slot must be the slot its request id names")
    if body.outcome == "confirmed":
        if body.code is None or body.alternatives or body.reason is not None:
            raise OpError("a confirmation carries a code and nothing else")
    else:
        if body.code is not None or body.reason is None:
            raise OpError("a rejection carries a reason and no code")
        if body.slot in body.alternatives or len(set(body.alternatives)) != len(body.alternatives):
            raise OpError("alternatives are other slots, each once")
