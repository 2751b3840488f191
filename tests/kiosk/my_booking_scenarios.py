"""Meine Buchung in the live kiosk (driver.py): from the Arzttermin screen, the code pad, a wrong
code, the booking a practice cancelled with its reason, a new slip, the lock after wrong codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import _tap, settled, still
from tests.kiosk.ui import check_layout, tap, widget


def sample_slip(**changes: Any) -> Any:
    """A confirmed booking's slip as content.booking.slip gives it, with `changes`."""
    from dataclasses import replace

    from content.booking import Slip

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
    return replace(slip, **changes)


def _code(app: Any, code: str) -> Iterator[Step]:
    screen = app.current
    for char in code.replace("-", ""):
        key = screen.keys[char]
        yield still(key)
        tap(key)
        yield settled(app, 1)


def _clear(app: Any) -> Iterator[Step]:
    screen = app.current
    while screen.typed:
        tap(screen.keys[""])
        yield settled(app, 1)


def my_booking(app: Any, ctx: Context) -> Iterator[Step]:
    out, said = ctx.results, ctx.speaker.said
    cancelled, confirmed = ctx.params["cancelled_code"], ctx.params["confirmed_code"]
    yield settled(app)
    yield from _tap(app, "tile_doctor")
    yield from _tap(app, "my_booking_open")
    screen = app.current
    out["opened"] = [app.sm.current, screen.ids.code.text]
    out["layout_pad"] = check_layout(app)["problems"]
    app.set_theme("high-contrast", True)  # the widest faces: "Löschen" in large text
    yield settled(app, 3)
    out["layout_pad_large"] = check_layout(app)["problems"]
    out["rows"] = [len(screen.ids[f"code_row_{n}"].children) for n in range(4)]
    app.set_theme("default", False)
    yield settled(app, 3)
    yield from _code(app, cancelled[:3])
    yield from _tap(app, "my_booking_show")
    out["incomplete"] = [app.sm.current, screen.message, screen.ids.code.text]
    yield from _clear(app)
    # A code that exists nowhere, and one a character off from a real one: the same words.
    wrong = next(c for c in "ACDEFGHJ" if c != cancelled[0]) + cancelled[1:]
    messages = []
    for attempt in ("ACDE-FGHJ", wrong):
        yield from _code(app, attempt)
        yield from _tap(app, "my_booking_show")
        messages.append(screen.message)
        yield from _clear(app)
    out["wrong"] = [app.sm.current, messages, said[-1][0]]
    yield from _code(app, cancelled)
    yield from _tap(app, "my_booking_show")
    status = app.current
    out["cancelled"] = {
        "screen": app.sm.current,
        "heading": status.heading_text,
        "code": status.code_text,
        "note": status.note_text,
        "details": status.details_text,
        "said": said[-1][0],
        "can_print": status.can_print,
        "layout": check_layout(app)["problems"],
        "code_left": screen.typed,
    }
    yield from _tap(app, "my_booking_print")
    yield lambda: not status.printing
    out["slip"] = [status.slip_text, said[-1][0]]
    yield from _tap(app, "bar_back")
    out["back"] = app.sm.current  # past the code pad
    yield from _tap(app, "my_booking_open")
    yield from _code(app, confirmed)
    yield from _tap(app, "my_booking_show")
    out["confirmed"] = [app.sm.current, app.current.heading_text, app.current.note_text]
    yield from _tap(app, "bar_back")
    yield from _tap(app, "my_booking_open")
    screen = app.current
    for _ in range(5):  # the gate counts none yet: the right code reset it
        screen.typed = "ACDEFGHJ"  # through the pad's handler: the taps were tested above
        screen.look_up()
    screen.typed = confirmed.replace("-", "")
    yield from _tap(app, "my_booking_show")
    out["locked"] = [app.sm.current, screen.message]
    yield from _code(app, "AC")
    app.privacy_reset()
    yield settled(app)
    out["after_reset"] = [
        app.sm.current,
        app.screen("my_booking").typed,
        app.screen("my_booking").message,
        app.screen("my_booking_status").request_id,
        app.screen("my_booking_status").heading_text,
    ]
    widget(app, "tile_doctor")
