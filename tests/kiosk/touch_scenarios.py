"""A kiosk start and one slip, for the test that the log stays quiet (test_touch.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import settled


def quiet_start(app: Any, ctx: Context) -> Iterator[Step]:
    from kivy.config import Config

    from content.booking import Slip
    from kiosk import slip as slips
    from kiosk.slip_job import labels

    yield settled(app, 5)
    ctx.results["input"] = dict(Config.items("input"))
    slip = Slip(
        state="confirmed",
        code="KM4T-7QXA",
        date="Di 02.12.2026",
        time="09:30",
        place="Dorfhub – Beratungsraum",
        practice="Hausarztpraxis Dr. Huber",
        practice_address="Stadtplatz 1, 94078 Freyung",
        practice_phone="08551 9876",
        service="Videosprechstunde",
        bring="Versichertenkarte",
        how_to_cancel="Absagen: am Dorfhub mit dem Buchungscode.",
        video_url="",
    )
    ctx.results["pdf_bytes"] = len(slips.render_pdf(slip, labels()))
