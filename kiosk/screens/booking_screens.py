"""The Arzttermin screens by name, for the app to register (kiosk/app.py)."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.booking_flow import Step
from kiosk.screens.base import KioskScreen
from kiosk.screens.booking import PracticeScreen, WhenScreen, open_booking
from kiosk.screens.booking_person import ConfirmScreen, ConsentScreen, PersonScreen
from kiosk.screens.booking_status import StatusScreen

BOOKING_SCREENS: dict[str, Callable[[], KioskScreen]] = {
    Step.PRACTICE.value: PracticeScreen,
    Step.WHEN.value: WhenScreen,
    Step.PERSON.value: PersonScreen,
    Step.CONSENT.value: ConsentScreen,
    Step.CONFIRM.value: ConfirmScreen,
    Step.STATUS.value: StatusScreen,
}

__all__ = ["BOOKING_SCREENS", "open_booking"]
