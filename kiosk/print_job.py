"""A screen's print button: a large-print PDF made and sent to the printer in a thread, so a
slow printer never freezes the screen (a notice's poster, a how-to article).

The PDF library loads with the first print (half a second) and `lp` may take seconds. The
thread touches no widget: the outcome comes back to the screen through Kivy's clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from kiosk import slip as slips
from kiosk.screens.base import running_app, tr

log = logging.getLogger("dorfhub.kiosk")


class BackgroundPrint:
    """Mixed into a screen: `start_print` prints what `render` makes and tells the resident in
    `print_text` and aloud, with the catalog keys `<print_prefix>.printing`, `.printed` and
    `.print_failed`."""

    print_prefix = ""
    printing = BooleanProperty(False)  # being made and sent: the button waits
    print_text = StringProperty("")

    def start_print(self, render: Callable[[], bytes], printer: list[str], what: str) -> None:
        """`render` runs in the print thread: it reads nothing from the store."""
        self.printing = True
        self.print_text = tr(f"{self.print_prefix}.printing")
        job = partial(_print, render, printer, partial(self._printed, what))
        threading.Thread(target=job, name=f"dorfhub-{self.print_prefix}-print", daemon=True).start()

    def _printed(self, what: str, error: str) -> None:
        self.printing = False
        if error:
            log.warning("printing %s failed: %s", what, error)
        outcome = "print_failed" if error else "printed"
        self.print_text = tr(f"{self.print_prefix}.{outcome}")
        running_app().say(self.print_text)


def _print(render: Callable[[], bytes], printer: list[str], done: Callable[[str], None]) -> None:
    """In the print thread: no widget is touched here."""
    try:
        error = slips.send_to_printer(render(), printer)
    except (OSError, ValueError, RuntimeError) as exc:
        error = str(exc)
    Clock.schedule_once(lambda _dt: done(error))
