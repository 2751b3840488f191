"""Telemedicine booking: practices, their services and slots, booking requests made at a hub,
and the queries the kiosk, the CLI and the practices' feed ask (docs/booking.md).

Who writes what:
- a practice signs its own record (`practice.meta`), which names its booking authority: the one
  town server that decides its bookings; the practice (or an admin for it) publishes its slots
  (`slot.publish`), and only the practice withdraws them (`slot.withdraw`); ids name the
  practice, so nobody writes for another;
- a hub (or a guide, on the resident's behalf) appends a `booking.request`: its id is public
  (slot, on-behalf flag, author, authority), its body is sealed to the practice and its
  authority only, with the keys the practice's record names (`custody`), never to whoever else
  holds a server grant;
- only the authority named in the request id decides (`booking.decision`,
  content/booking_allocation.py);
- a booking is cancelled (`booking.cancel`) by the hub that made it, by anyone showing its
  booking code, by the practice, or by the server.

The hub keeps no plaintext personal data: the person's details exist in the kiosk's memory and
in the sealed box, which the hub itself cannot open.

The package's modules, in the order they build on each other: base (constants, the default
services, BookingError), practices, slots, states, hub_requests (made at a hub), opened (read by
the town server and the practice), slip (and cancelling).
"""

from __future__ import annotations

from content.booking.base import (
    DAY,
    DEFAULT_SERVICES,
    HOW_TO_CANCEL,
    MAX_SERIES_DAYS,
    MAX_SERIES_SLOTS,
    MINUTE,
    SERVER_ROLE,
    STATES,
    WEEKDAYS,
    BookingError,
)
from content.booking.hub_requests import (
    Custody,
    Person,
    check_person,
    custody,
    request_booking,
    sealed_recipients,
)
from content.booking.opened import OpenedBooking, open_bookings, open_request
from content.booking.practices import (
    AuthorityChange,
    Practice,
    authority_history,
    find_practice,
    get_practice,
    list_practices,
    practice_meta,
    publish_practice,
    publish_practice_in,
)
from content.booking.slip import SLIP_WEEKDAYS, Slip, slip, utc_text
from content.booking.slots import (
    CANCELLED,
    Slot,
    bookable_days,
    expand_series,
    get_slot,
    list_slots,
    next_bookable_change,
    publish_slots,
    withdraw_slot,
)
from content.booking.states import (
    BookingStatus,
    booking_status,
    cancel_booking,
    find_booking,
    list_bookings,
    normalize_code,
)
from content.booking_ids import is_slot_id, practice_of_slot
from content.local_time import LOCAL_TIME

__all__ = [
    "CANCELLED",
    "DAY",
    "DEFAULT_SERVICES",
    "HOW_TO_CANCEL",
    "LOCAL_TIME",
    "MAX_SERIES_DAYS",
    "MAX_SERIES_SLOTS",
    "MINUTE",
    "SERVER_ROLE",
    "SLIP_WEEKDAYS",
    "STATES",
    "WEEKDAYS",
    "AuthorityChange",
    "BookingError",
    "BookingStatus",
    "Custody",
    "OpenedBooking",
    "Person",
    "Practice",
    "Slip",
    "Slot",
    "authority_history",
    "bookable_days",
    "booking_status",
    "cancel_booking",
    "check_person",
    "custody",
    "expand_series",
    "find_booking",
    "find_practice",
    "get_practice",
    "get_slot",
    "is_slot_id",
    "list_bookings",
    "list_practices",
    "list_slots",
    "next_bookable_change",
    "normalize_code",
    "open_bookings",
    "open_request",
    "practice_meta",
    "practice_of_slot",
    "publish_practice",
    "publish_practice_in",
    "publish_slots",
    "request_booking",
    "sealed_recipients",
    "slip",
    "utc_text",
    "withdraw_slot",
]
