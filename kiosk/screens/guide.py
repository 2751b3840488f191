"""Guide mode behind a PIN: the help requests made at this hub and the hub's status."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.keyboard import DELETE
from kiosk.pin import MAX_DIGITS
from kiosk.screens.base import KioskScreen, locked_text, page, running_app, tn, tr

STATUS_REFRESH_S = 5.0  # the hub daemon rewrites sensor-status.json every 5 s


class PinScreen(KioskScreen):
    entered = StringProperty("")
    message = StringProperty("")

    def on_pre_enter(self, *args: object) -> None:
        self.ids.keyboard_slot.take(self.key)
        self.ids.keyboard_slot.show(digits=True)

    def key(self, value: str) -> None:
        if value == DELETE:
            self.entered = self.entered[:-1]
        elif value.isdigit() and len(self.entered) < MAX_DIGITS:
            self.entered += value

    def submit(self) -> None:
        app = running_app()
        gate = app.pin_gate
        entered, self.entered = self.entered, ""
        if gate.locked_for() > 0:
            self._tell(locked_text(gate.locked_for()))
        elif gate.try_pin(entered):
            self.message = ""
            app.open_guide()
        elif gate.locked_for() > 0:
            self._tell(locked_text(gate.locked_for()))
        else:
            self._tell(tr("pin.wrong"))

    def _tell(self, text: str) -> None:
        self.message = text
        running_app().say(text)

    def wipe(self) -> None:
        self.entered = ""
        self.message = ""

    def reset(self) -> None:
        self.wipe()

    def speech(self) -> str:
        return f"{tr('pin.heading')}. {self.message}"


class GuideScreen(KioskScreen):
    requests = ListProperty([])  # rows for the list: text, request id, done
    status_text = StringProperty("")
    status_overflows = BooleanProperty(False)  # longer than its panel: page buttons shown

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._status_timer: Any = None

    def on_kv_post(self, base_widget: object) -> None:
        self.ids.status.bind(height=self._fit_status)
        self.ids.status_view.bind(height=self._fit_status)

    def _fit_status(self, *_: object) -> None:
        # Stable either way: shown buttons only make the panel shorter, hidden ones taller.
        self.status_overflows = self.ids.status.height > self.ids.status_view.height + 1

    def page_status(self, direction: int) -> None:
        page(self.ids.status_view, direction)

    def refresh(self) -> None:
        app = running_app()
        self.requests = app.guide_rows()
        self.status_text = app.status_text()

    def on_enter(self, *args: object) -> None:
        # A stopped sensor service changes no data: the status is looked at again on a timer.
        self._status_timer = Clock.schedule_interval(self._update_status, STATUS_REFRESH_S)

    def on_leave(self, *args: object) -> None:
        if self._status_timer is not None:
            self._status_timer.cancel()
            self._status_timer = None

    def _update_status(self, _dt: float) -> None:
        self.status_text = running_app().status_text()

    def wipe(self) -> None:
        self.requests = []

    def reset(self) -> None:
        self.wipe()

    def holds_personal(self) -> bool:
        return bool(self.requests)

    def speech(self) -> str:
        open_count = sum(1 for row in self.requests if not row["done"])
        return tn("guide.speech", open_count)

    def personal_speech(self) -> str:
        """The requests with names and numbers: into the guide's headphones only."""
        if not self.requests:
            return ""
        rows = [row["text"].replace(" · ", ", ").replace("\n", ", ") for row in self.requests]
        return ". ".join([self.speech(), tr("guide.requests"), *rows])
