"""Meine Buchung, then: the state of the booking found by its code (pending, confirmed,
rejected, cancelled), with the practice's reason when it cancelled, and a new slip.

It is read again whenever the store changes (a cancel arriving while the resident looks). The
screen holds no personal data: a booking's public part is the practice, the time and the code.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from content import booking
from content.booking import BookingStatus
from kiosk.booking_code import cancel_note
from kiosk.screens.base import KioskScreen, running_app, tr
from kiosk.screens.booking import sentences, slot_when
from kiosk.slip_job import SlipPrinting

MY_BOOKING_STATUS = "my_booking_status"


class MyBookingStatusScreen(SlipPrinting, KioskScreen):
    # Nothing typed is held here: the words after a slip say only where it is.
    printed_key = "my_booking.slip_printed"
    saved_key = "booking.slip_saved_spoken"

    state = StringProperty("")
    heading_text = StringProperty("")
    code_text = StringProperty("")
    details_text = StringProperty("")
    note_text = StringProperty("")
    can_print = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=MY_BOOKING_STATUS, **kwargs)
        self.request_id = ""
        self.announced = ""  # the state last spoken: each state is said once

    def show(self, request_id: str) -> None:
        self.request_id = request_id
        self.slip_text = ""
        self.announced = ""
        self.refresh()

    def refresh(self) -> None:
        app = running_app()
        conn = app.data.conn
        status = booking.booking_status(conn, self.request_id) if self.request_id else None
        if status is None:
            self._clear()
            return
        slot = booking.get_slot(conn, status.slot_id)
        practice = booking.get_practice(conn, status.practice)
        phone = practice.phone if practice else ""
        self.state = status.state
        self.can_print = status.state != "rejected"
        self.heading_text = tr(f"booking.state.{status.state}")
        self.code_text = tr("booking.code", code=status.code) if status.code else ""
        details = []
        if slot is not None:
            details.append(
                tr("booking.appointment", when=slot_when(slot), practice=slot.practice_name)
            )
            if slot.place:
                details.append(tr("booking.place", place=slot.place))
        details.append(tr("booking.by_phone", phone=phone))
        self.details_text = "\n".join(details)
        self.note_text = self._note(status, phone)
        # A new state while the resident looks (a cancel arriving) is said at once.
        changed, self.announced = self.announced != status.state, status.state
        if changed and self.manager is not None and self.manager.current == self.name:
            app.say(self.speech())

    def _note(self, status: BookingStatus, phone: str) -> str:
        if status.state == "cancelled":
            return cancel_note(running_app().data.conn, status, phone, tr)
        if status.state == "rejected":
            return tr("booking.no_alternatives", phone=phone)
        return tr(f"booking.{status.state}_note")

    def _clear(self) -> None:
        self.state = self.heading_text = self.code_text = ""
        self.details_text = self.note_text = self.slip_text = ""
        self.can_print = False

    def print_slip(self) -> None:
        """A new slip: a cancelled booking's says so, with the reason (kiosk/slip.py)."""
        self.print_request(self.request_id)

    def wipe(self) -> None:
        self.request_id = ""
        self.announced = ""
        self._clear()

    def reset(self) -> None:
        """The next person finds no one's booking here."""
        self.wipe()

    def speech(self) -> str:
        parts = [self.heading_text, self.code_text, self.note_text, self.slip_text]
        return sentences([*parts, self.details_text.replace("\n", ". ")])
