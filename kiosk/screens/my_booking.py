"""Meine Buchung, first: the booking code from the slip, typed on a large pad of the characters a
code can hold. A wrong code says only that it is not known; a few in a row lock the pad for a
while (kiosk/booking_code.py)."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from content import booking
from kiosk.booking_code import PAD_COLUMNS, PAD_KEYS, add_key, complete
from kiosk.lockout import Lockout
from kiosk.screens.base import KioskScreen, locked_text, running_app, tr
from kiosk.widgets import KButton

MY_BOOKING = "my_booking"


class CodeKey(KButton):
    value = StringProperty("")  # "" is the delete key


class MyBookingScreen(KioskScreen):
    typed = StringProperty("")
    message = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        self.keys: dict[str, CodeKey] = {}  # filled by on_kv_post, inside Screen.__init__
        self.gate = Lockout(running_app().monotonic)
        super().__init__(name=MY_BOOKING, **kwargs)

    def on_kv_post(self, base_widget: object) -> None:
        self.keys = {"": self.ids.code_delete}
        for index, value in enumerate(PAD_KEYS):
            key = CodeKey(value=value, text=value)
            key.bind(on_release=lambda k: self.key(k.value))
            row = self.ids[f"code_row_{index // PAD_COLUMNS}"]
            # In the last row, before the delete key the .kv put there: all in place from the
            # start.
            row.add_widget(key, index=1 if self.ids.code_delete.parent is row else 0)
            self.keys[value] = key

    def key(self, value: str) -> None:
        self.typed = add_key(self.typed, value)
        self.message = ""

    def look_up(self) -> None:
        app = running_app()
        if self.gate.locked_for() > 0:
            self._tell(locked_text(self.gate.locked_for()))
            return
        if not complete(self.typed):
            self._tell(tr("my_booking.incomplete"))
            return
        status = booking.find_booking(app.data.conn, self.typed)
        if self.gate.attempt(status is not None) and status is not None:
            self.wipe()
            app.open_my_booking_status(status.request_id)
        elif self.gate.locked_for() > 0:
            self.typed = ""
            self._tell(locked_text(self.gate.locked_for()))
        else:
            # Nothing about which codes exist: the same words for every code not found.
            self._tell(tr("my_booking.unknown"))

    def _tell(self, text: str) -> None:
        self.message = text
        running_app().say(text)

    def wipe(self) -> None:
        self.typed = ""
        self.message = ""

    def reset(self) -> None:
        """The code typed and any message go; the count of wrong codes stays (a lock must
        outlast the next person)."""
        self.wipe()

    def speech(self) -> str:
        parts = [tr("my_booking.heading"), tr("my_booking.intro"), self.message]
        return " ".join(part for part in parts if part)
