"""A kiosk start and one slip, for the test that the log stays quiet (test_touch.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.my_booking_scenarios import sample_slip
from tests.kiosk.scenarios import settled


def quiet_start(app: Any, ctx: Context) -> Iterator[Step]:
    from kivy.config import Config

    from kiosk import slip as slips
    from kiosk.slip_job import labels

    yield settled(app, 5)
    ctx.results["input"] = dict(Config.items("input"))
    slip = sample_slip()
    ctx.results["pdf_bytes"] = len(slips.render_pdf(slip, labels()))
