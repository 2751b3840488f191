"""Arzttermin, the last step: what became of the request, the alternatives after a rejection,
and the slip.

The state comes only from `content.booking.booking_status`, read again whenever the app's
`PRAGMA data_version` poll sees a commit (the hub daemon bringing the server's decision): a
request is "Anfrage gespeichert – Bestätigung folgt" until the town server's decision is in the
store, and "Termin bestätigt" only then. Once the slip is out, what was typed is forgotten.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from content import booking
from content.booking import BookingError, BookingStatus, Slot
from content.booking_bodies import MAX_ALTERNATIVES
from kiosk import slip as slips
from kiosk.booking_code import cancel_note
from kiosk.booking_flow import PERSONAL_STEPS, Step
from kiosk.screens.base import running_app, tr
from kiosk.screens.booking import (
    BookingScreen,
    BookingTile,
    pool,
    sentences,
    session,
    show,
    slot_when,
)
from kiosk.screens.booking_person import appointment_line, show_status
from kiosk.slip_job import SlipPrinting, hub_slip, labels

log = logging.getLogger("dorfhub.kiosk")
REASONS = ("full", "withdrawn", "too_soon", "too_far", "unknown_slot", "invalid")


class StatusScreen(SlipPrinting, BookingScreen):
    state = StringProperty("")  # pending | confirmed | rejected | cancelled
    heading_text = StringProperty("")
    code_text = StringProperty("")
    details_text = StringProperty("")
    note_text = StringProperty("")
    can_print = BooleanProperty(False)
    rejected = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=Step.STATUS.value, **kwargs)
        self.status: BookingStatus | None = None
        self.alternative_buttons: dict[str, BookingTile] = {}
        self.slip_path = ""

    def refresh(self) -> None:
        app = running_app()
        flow = self.flow
        conn = app.data.conn
        self.status = booking.booking_status(conn, flow.request_id) if flow.request_id else None
        status = self.status
        if status is None:
            self._clear()
            return
        slot = booking.get_slot(conn, status.slot_id)
        practice = booking.get_practice(conn, status.practice)
        phone = practice.phone if practice else ""
        state = status.state
        self.state = state
        self.rejected = state == "rejected"
        self.can_print = state in ("pending", "confirmed")
        self.heading_text = tr(f"booking.state.{state}")
        self.code_text = tr("booking.code", code=status.code) if state == "confirmed" else ""
        details = [appointment_line() if slot else ""]
        if slot is not None and slot.place:
            details.append(tr("booking.place", place=slot.place))
        details.append(tr("booking.by_phone", phone=phone))
        self.details_text = "\n".join(part for part in details if part)
        self.note_text = self._note(status, phone)
        self._alternatives(status if state == "rejected" else None)
        if flow.announce(f"{flow.request_id}:{state}"):
            app.say(self.speech())

    def _note(self, status: BookingStatus, phone: str) -> str:
        if status.state == "pending":
            return tr("booking.pending_note")
        if status.state == "confirmed":
            return tr("booking.confirmed_note")
        if status.state == "cancelled":
            return cancel_note(running_app().data.conn, status, phone, tr)
        reason = status.reason if status.reason in REASONS else "invalid"
        more = "booking.alternatives" if status.alternatives else "booking.no_alternatives"
        return f"{tr(f'booking.reason.{reason}')} {tr(more, phone=phone)}"

    def _alternatives(self, status: BookingStatus | None) -> None:
        app = running_app()
        buttons = pool(self.ids.alternatives, MAX_ALTERNATIVES, self._alternative_button)
        self.alternative_buttons = {}
        for button in buttons:
            show(button, False)
        if status is None:
            return
        now = app.data.now_ms()
        slots = [booking.get_slot(app.data.conn, slot_id) for slot_id in status.alternatives]
        free = [s for s in slots if s is not None and s.free > 0 and s.bookable_at(now)]
        for button, slot in zip(buttons, free[:MAX_ALTERNATIVES], strict=False):
            button.key = slot.id
            button.text = _alternative_face(slot)
            show(button, True)
            self.alternative_buttons[slot.id] = button

    def _alternative_button(self) -> BookingTile:
        button = BookingTile()
        button.bind(on_release=lambda b: self.choose_alternative(b.key))
        return button

    def _clear(self) -> None:
        self.state = self.heading_text = self.code_text = ""
        self.details_text = self.note_text = self.slip_text = ""
        self.can_print = self.rejected = False
        for button in self.ids.alternatives.children:
            show(button, False)
        self.alternative_buttons = {}

    def choose_alternative(self, slot_id: str) -> None:
        """Book the alternative with the entries still held; else ask for them again."""
        app = running_app()
        step = self.flow.choose_alternative(slot_id)
        if step is Step.CONFIRM:
            confirm = app.screen(Step.CONFIRM.value)
            confirm.refresh()
            if confirm.send():
                return
        app.go(step.value)

    def other_time(self) -> None:
        app = running_app()
        app.dirty.add(Step.WHEN.value)
        app.go(Step.WHEN.value)

    def print_slip(self) -> None:
        """Print the slip (or save it when there is no printer); then forget the entries."""
        self.print_request(self.flow.request_id)

    def slip_out(self, delivery: slips.Delivery) -> None:
        self.slip_path = str(delivery.path or "")
        self.forget_entries()

    def forget_entries(self) -> None:
        """The slip is out: the person's entries leave the kiosk's memory and every field."""
        app = running_app()
        session().forget_person()
        for step in PERSONAL_STEPS:
            if app.sm.has_screen(step.value):
                app.screen(step.value).wipe()

    def slip_speech(self) -> str:
        app = running_app()
        if not self.can_print or not self.flow.request_id:
            return ""
        try:
            found = hub_slip(booking.slip(app.data.conn, self.flow.request_id, app.lang))
        except BookingError:
            return ""
        return slips.text(found, labels(), with_title=False)

    def wipe(self) -> None:
        session().reset()
        self.slip_path = ""
        self._clear()

    def speech(self) -> str:
        parts = [self.heading_text, self.code_text, self.note_text]
        if self.alternative_buttons:
            parts += [
                button.text.replace("\n", ", ") for button in self.alternative_buttons.values()
            ]
        parts += [self.slip_text, self.slip_speech() or self.details_text.replace("\n", ". ")]
        return sentences(parts)

    def personal_speech(self) -> str:
        """With the name and date of birth while they are held (into headphones only)."""
        flow = self.flow
        if not flow.holds_person():
            return ""
        return sentences([self.speech(), tr("booking.summary_name", name=flow.name)])


def _alternative_face(slot: Slot) -> str:
    return f"{slot_when(slot)}\n{slot.practice_name}"


__all__ = ["StatusScreen", "show_status"]
