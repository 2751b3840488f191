"""The slip button of a screen that shows a booking (the booking's last step, Meine Buchung):
the slip is made and sent to the printer in a thread, so the screen goes on answering.

The PDF library loads on the first slip (half a second) and `lp` may take seconds. The thread
touches no widget: the outcome comes back to the screen through Kivy's clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from content import booking
from content.booking import BookingError
from kiosk import slip as slips
from kiosk.screens.base import running_app, tr

log = logging.getLogger("dorfhub.kiosk")


def hub_slip(found: booking.Slip) -> booking.Slip:
    """The slip naming this hub's village and address where the consultation is held here."""
    app = running_app()
    return slips.at_hub(found, app.village, slips.hub_address(app.home_dir))


def labels() -> dict[str, str]:
    return {key: tr(key) for key in slips.LABEL_KEYS}


class SlipPrinting:
    """Mixed into a screen: `print_request` prints a booking's slip (or saves it where there
    is no printer) and tells the resident in `slip_text` and aloud; `slip_out` is the screen's
    hook for what follows a slip."""

    printing = BooleanProperty(False)  # the slip is being made: the button waits
    slip_text = StringProperty("")
    printed_key = "booking.slip_printed"
    saved_key = "booking.slip_saved"

    def print_request(self, request_id: str) -> None:
        app = running_app()
        if self.printing or not request_id:
            return
        try:
            found = hub_slip(booking.slip(app.data.conn, request_id, app.lang))
        except BookingError as exc:
            self._slip_failed(request_id, exc)
            return
        self.printing = True
        self.slip_text = tr("booking.slip_printing")
        job = partial(
            _make,
            found,
            labels(),
            app.home_dir,
            slips.file_name(found, request_id),
            self._slip_out,
            partial(self._slip_failed, request_id),
        )
        threading.Thread(target=job, name="dorfhub-slip", daemon=True).start()

    def _slip_failed(self, request_id: str, exc: Exception) -> None:
        self.printing = False
        log.error("slip for %s failed: %s", request_id, exc)
        self.slip_text = tr("booking.slip_failed")
        running_app().say(self.slip_text)

    def _slip_out(self, delivery: slips.Delivery) -> None:
        self.printing = False
        if delivery.error:
            log.warning("printing failed, slip saved instead: %s", delivery.error)
        if delivery.printed:
            self.slip_text = spoken = tr(self.printed_key)
        else:
            # Never a file path: a resident cannot fetch it; a guide prints it from there.
            self.slip_text = tr(self.saved_key)
            spoken = tr("booking.slip_saved_spoken")
        self.slip_out(delivery)
        running_app().say(spoken)

    def slip_out(self, delivery: slips.Delivery) -> None:
        """The slip is out (printed or saved)."""


def _make(
    found: booking.Slip,
    texts: dict[str, str],
    home: Path,
    name: str,
    done: Callable[[slips.Delivery], None],
    failed: Callable[[Exception], None],
) -> None:
    """In the slip thread: no widget is touched here."""
    try:
        pdf = slips.render_pdf(found, texts)
        delivery = slips.deliver(pdf, home, name, slips.find_printer(home))
    except OSError as exc:
        failure = exc  # `exc` itself is unbound after the block
        Clock.schedule_once(lambda _dt: failed(failure))
        return
    Clock.schedule_once(lambda _dt: done(delivery))
