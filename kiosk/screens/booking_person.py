"""Arzttermin, steps 3 to 5: the resident's entries, consent in plain words, and the check
before the request is stored.

What is typed lives in the flow (memory only) and in the fields; nothing is written anywhere
until "Termin anfragen", and then only sealed (content.booking.request_booking).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from kivy.properties import BooleanProperty, DictProperty, StringProperty

from content import booking
from content.booking import LOCAL_TIME, BookingError
from content.errors import WRITE_ERRORS
from kiosk.booking_flow import (
    BIRTH_DIGITS,
    GUIDE_LIMIT,
    NAME_LIMIT,
    PHONE_LIMIT,
    EntryErrors,
    Step,
    birth_display,
)
from kiosk.keyboard import DELETE, SPACE
from kiosk.screens.base import running_app, tr
from kiosk.screens.booking import BookingScreen, error_key, sentences, session, slot_when

LIMITS = {
    "name": NAME_LIMIT,
    "birth_date": BIRTH_DIGITS,
    "phone": PHONE_LIMIT,
    "guide": GUIDE_LIMIT,
}
ATTRIBUTES = {"name": "name", "birth_date": "birth_digits", "phone": "phone", "guide": "guide"}
DIGIT_FIELDS = ("birth_date", "phone")

log = logging.getLogger("dorfhub.kiosk")


def appointment_line() -> str:
    """ "Dienstag, 2. Dezember 2026 um 09:30 Uhr, Hausarztpraxis Dr. Huber" for the flow."""
    app = running_app()
    flow = session()
    slot = booking.get_slot(app.data.conn, flow.slot_id) if flow.slot_id else None
    if slot is None:
        return ""
    return tr("booking.appointment", when=slot_when(slot), practice=slot.practice_name)


class PersonScreen(BookingScreen):
    """Name (QWERTZ), date of birth (digit pad, TT.MM.JJJJ), an optional phone; in guide mode
    also the helping guide's name."""

    focus = StringProperty("name")
    error_field = StringProperty("")  # the first field with an error
    error_text = StringProperty("")  # every error, in the fields' order (spoken)
    error_lines = DictProperty({})  # field -> its error
    name_error_text = StringProperty("")  # under the name
    birth_phone_error_text = StringProperty("")  # under the date of birth and the phone
    appointment_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=Step.PERSON.value, **kwargs)

    def field(self, name: str) -> Any:
        return self.ids[f"{name}_field"]

    def choose(self, name: str) -> None:
        self.focus = name
        self._show_keys()

    def key(self, value: str) -> None:
        flow = self.flow
        attribute = ATTRIBUTES[self.focus]
        current: str = getattr(flow, attribute)
        if value == DELETE:
            current = current[:-1]
        elif value == SPACE:
            if current and not current.endswith(" ") and self.focus != "birth_date":
                current += " "
        elif len(current) < LIMITS[self.focus] and (self.focus != "birth_date" or value.isdigit()):
            current += value
        setattr(flow, attribute, current)
        self._show_entries()
        if self.focus in self.error_lines:
            lines = {field: line for field, line in self.error_lines.items() if field != self.focus}
            self._set_errors(lines)
        if self.focus == "birth_date" and len(current) == BIRTH_DIGITS:
            # The date is complete: the phone comes next, without a tap on its field.
            self.choose("phone")
        self._show_keys()

    def _show_entries(self) -> None:
        flow = self.flow
        self.ids.name_field.value = flow.name
        self.ids.birth_date_field.value = birth_display(flow.birth_digits)
        self.ids.phone_field.value = flow.phone
        self.ids.guide_field.value = flow.guide

    def _show_keys(self) -> None:
        # Names start with capitals: the keyboard gives one at the start of each word.
        value = getattr(self.flow, ATTRIBUTES[self.focus])
        self.ids.keyboard_slot.show(digits=self.focus in DIGIT_FIELDS, text=value)

    def on_pre_enter(self, *args: object) -> None:
        super().on_pre_enter(*args)
        self.ids.keyboard_slot.take(self.key)
        self._show_keys()
        self.refresh()
        self._show_entries()

    def refresh(self) -> None:
        self.appointment_text = appointment_line()

    def next_step(self) -> None:
        app = running_app()
        today = datetime.fromtimestamp(app.data.now_ms() / 1000, LOCAL_TIME).date()
        try:
            step = self.flow.entries_done(today)
        except EntryErrors as exc:
            self.show_errors(exc.errors)
            return
        except BookingError as exc:
            self.show_error(exc)
            return
        self._set_errors({})
        app.go(step.value)

    def show_error(self, exc: BookingError) -> None:
        """Beside the field, and spoken; the keyboard then types into that field."""
        self.show_errors([(exc.field if exc.field in ATTRIBUTES else "name", error_key(exc))])

    def show_errors(self, errors: list[tuple[str, str]]) -> None:
        """Every error (field and catalog key, in the fields' order) at once, each beside its
        field, spoken in that order; the keyboard then types into the first field."""
        self._set_errors({field: tr(key) for field, key in errors})
        self.choose(self.error_field)
        running_app().say(self.error_text)

    def _set_errors(self, lines: dict[str, str]) -> None:
        ordered = {field: lines[field] for field in ATTRIBUTES if field in lines}
        self.error_lines = ordered
        self.error_field = next(iter(ordered), "")
        self.error_text = " ".join(ordered.values())
        self.name_error_text = ordered.get("name", "")
        self.birth_phone_error_text = " ".join(
            ordered[field] for field in ("birth_date", "phone") if field in ordered
        )

    def wipe(self) -> None:
        session().forget_person()
        for name in ATTRIBUTES:
            self.field(name).value = ""
        self._set_errors({})
        self.appointment_text = ""
        self.choose("name")

    def holds_personal(self) -> bool:
        return any(self.field(name).value for name in ATTRIBUTES)

    def speech(self) -> str:
        # Never what was typed: the loudspeaker is heard by the whole room.
        parts = [tr("booking.person_heading"), self.appointment_text, tr("booking.person_intro")]
        if self.error_text:
            parts.append(self.error_text)
        return sentences(parts)


class ConsentScreen(BookingScreen):
    """What is stored, who sees it, and that booking by phone stays possible, in plain words."""

    consent_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=Step.CONSENT.value, **kwargs)

    def on_pre_enter(self, *args: object) -> None:
        super().on_pre_enter(*args)
        self.refresh()

    def refresh(self) -> None:
        app = running_app()
        flow = self.flow
        slot = booking.get_slot(app.data.conn, flow.slot_id) if flow.slot_id else None
        practice = booking.get_practice(app.data.conn, slot.practice) if slot else None
        self.consent_text = tr(
            "booking.consent_text",
            practice=practice.name if practice else "",
            phone=practice.phone if practice else "",
        )

    def agree(self) -> None:
        app = running_app()
        confirm = app.screen(Step.CONFIRM.value)
        confirm.error_text = ""
        confirm.slot_gone = False
        app.go(self.flow.agree().value)

    def decline(self) -> None:
        app = running_app()
        app.say(tr("booking.consent_declined"))
        app.home()

    def speech(self) -> str:
        return sentences([tr("booking.consent_heading"), self.consent_text])


class ConfirmScreen(BookingScreen):
    """Everything once more, then the request is stored (sealed) and the status follows."""

    summary_text = StringProperty("")
    error_text = StringProperty("")
    slot_gone = BooleanProperty(False)  # the time was taken meanwhile: offer another

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=Step.CONFIRM.value, **kwargs)
        self.sending = False

    def on_pre_enter(self, *args: object) -> None:
        super().on_pre_enter(*args)
        self.refresh()

    def refresh(self) -> None:
        flow = self.flow
        if not flow.holds_person():
            self.summary_text = ""
            return
        lines = [
            appointment_line(),
            tr("booking.summary_name", name=flow.name),
            tr("booking.summary_birth", birth=birth_display(flow.birth_digits)),
            tr("booking.summary_phone", phone=flow.phone)
            if flow.phone
            else tr("booking.summary_no_phone"),
        ]
        if flow.on_behalf:
            lines.append(tr("booking.summary_guide", guide=self.guide_name()))
        self.summary_text = "\n".join(lines)

    def guide_name(self) -> str:
        return self.flow.guide_name() or tr("booking.guide_default")

    def send(self) -> bool:
        """Store the request (once per tap, never twice for one confirmation); True if stored."""
        if self.sending:
            return False
        app = running_app()
        flow = self.flow
        self.sending = True
        try:
            request_id = booking.request_booking(
                app.data.log,
                app.data.hub,
                flow.slot_id,
                flow.person(),
                on_behalf=flow.on_behalf,
                guide=self.guide_name() if flow.on_behalf else "",
            )
        except BookingError as exc:
            self._failed(exc)
            return False
        except WRITE_ERRORS as exc:  # the resident is told, the reason goes to the log
            log.error("booking request not stored: %s", exc)
            self._failed(BookingError("", "store"))
            return False
        finally:
            self.sending = False
        self.error_text = ""
        self.slot_gone = False
        flow.requested(request_id)
        show_status(app)
        return True

    def _failed(self, exc: BookingError) -> None:
        app = running_app()
        if exc.field in ATTRIBUTES:
            app.go(Step.PERSON.value)
            app.screen(Step.PERSON.value).show_error(exc)
            return
        self.slot_gone = exc.field == "slot"
        key = "booking.error.store" if exc.field == "store" else error_key(exc)
        self.error_text = tr(key)
        app.say(self.error_text)

    def change(self) -> None:
        running_app().go(Step.PERSON.value)

    def other_time(self) -> None:
        app = running_app()
        app.dirty.add(Step.WHEN.value)
        app.go(Step.WHEN.value)

    def wipe(self) -> None:
        self.summary_text = self.error_text = ""

    def holds_personal(self) -> bool:
        return bool(self.summary_text)

    def speech(self) -> str:
        parts = [tr("booking.confirm_heading"), appointment_line(), self.error_text]
        return sentences(parts)

    def personal_speech(self) -> str:
        """The entries as typed, for the resident to check them (into headphones only)."""
        if not self.summary_text:
            return ""
        lines = self.summary_text.split("\n")
        return sentences([tr("booking.confirm_heading"), *lines, self.error_text])


def show_status(app: Any) -> None:
    """The status screen of the request just made; Back from there leads home, not to a
    second request."""
    if app.sm.current == Step.STATUS.value:
        app.current.refresh()  # an alternative booked from the status screen itself
    else:
        app.dirty.add(Step.STATUS.value)
        app.go(Step.STATUS.value)
    app.history = [name for name in app.history if not name.startswith("booking_")]
