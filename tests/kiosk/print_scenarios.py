"""Taking a notice home on paper, in the live kiosk (see driver.py): the print button of the
detail screen, where a printer exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import settled, still
from tests.kiosk.ui import tap


def print_notice(app: Any, ctx: Context) -> Iterator[Step]:
    """Open the notice of `ctx.params["notice_id"]` and, if the button shows, print it."""
    out = ctx.results
    yield settled(app)
    app.open_notice(ctx.params["notice_id"])
    yield settled(app, 3)
    screen = app.current
    button = screen.ids.print_notice
    out["button"] = [screen.can_print, button.opacity, button.disabled, button.text]
    out["qr"] = [screen.qr_kind, screen.qr_caption, screen.qr_payload]
    if not screen.can_print:
        return
    yield still(button)
    tap(button)
    out["while_printing"] = [screen.print_text, button.disabled]
    done = {app.t("detail.printed", "de"), app.t("detail.print_failed", "de")}
    yield lambda: screen.print_text in done
    out["printed"] = [screen.print_text, ctx.speaker.said[-1][0], button.disabled]
