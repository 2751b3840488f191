"""Scenarios run inside the live kiosk (see driver.py). Each yields waits and records facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.ui import rows, tap, widget


def settled(app: Any, frames: int = 3) -> Step:
    """A wait until the screen change is done and a few frames were drawn after it."""
    from kivy.clock import Clock

    start = Clock.frames

    def done() -> bool:
        return not app.sm.transition.is_active and Clock.frames >= start + frames

    return done


def tour(app: Any, ctx: Context) -> Iterator[Step]:
    """Visit every screen and write a screenshot of each."""
    shots = Path(ctx.params["shots"])
    shots.mkdir(parents=True, exist_ok=True)
    yield 0.5

    def shot(name: str) -> Iterator[Step]:
        yield settled(app)
        app.root.export_to_png(str(shots / f"{name}.png"))

    yield from shot("home")
    tap(widget(app, "tile_notices"))
    yield from shot("board")
    tap(rows(app)[0])
    yield from shot("detail")
    app.home()
    yield settled(app)
    tap(widget(app, "tile_events"))
    yield from shot("events")
    app.home()
    yield settled(app)
    tap(widget(app, "tile_help"))
    yield from shot("help")
    app.go("pin")
    yield from shot("pin")
    app.open_soon("tile.doctor")
    yield from shot("soon")
    app.go("categories")
    yield from shot("categories")
