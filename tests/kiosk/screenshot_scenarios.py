"""Scenarios for the kiosk's screenshot (kiosk/screenshot.py), run in the live app (driver.py).

The app's monotonic clock is the test's: every wait for a screenshot is a wait on the app, and
every "none taken" is read after a tick the scenario runs itself, so nothing depends on time.
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from typing import Any

from content.screenshots import KIOSK_FILE, check_png
from kiosk.screenshot import QUIET_S
from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import _tap, _type, settled


def _shot(ctx: Context) -> dict[str, Any]:
    path = ctx.home / KIOSK_FILE
    facts = check_png(path.read_bytes())
    return {
        "size": [facts.width, facts.height],
        "text": facts.text,
        "mode": stat.S_IMODE(path.stat().st_mode),
        "bytes": path.stat().st_size,
    }


def _taken(app: Any, count: int) -> Step:
    """A wait until at least `count` were taken and written; the test checks the exact counts."""
    taker = app.screenshots
    return lambda: taker.taken >= count and not taker.busy


def _after_a_tick(app: Any) -> int:
    """Run the app's tick now (after the clock moved) and say how many were taken by then."""
    app.tick(0)
    taken: int = app.screenshots.taken
    return taken


def screenshots(app: Any, ctx: Context) -> Iterator[Step]:
    """Home at rest, signage, then a resident's help and booking flows: a screenshot only when
    the kiosk is at rest, and never two within 15 minutes."""
    from kivy.core.window import Window

    out = ctx.results
    every = app.screenshots.every_s
    yield settled(app)
    out["at_start"] = [_after_a_tick(app), (ctx.home / KIOSK_FILE).exists()]
    ctx.clock.advance(QUIET_S + 1)
    yield _taken(app, 1)
    out["home"] = _shot(ctx) | {"count": app.screenshots.taken}
    # The same screen as Kivy's own capture of the window's framebuffer, for the test to compare.
    shutil.copy(ctx.home / KIOSK_FILE, ctx.params["first_shot"])
    out["window"] = Window.screenshot(name=ctx.params["window_shot"])
    ctx.clock.advance(app.idle.signage_s)
    yield lambda: app.signage_overlay.parent is not None
    yield settled(app, 3)
    out["signage_on"] = _after_a_tick(app)
    ctx.clock.advance(every - app.idle.signage_s - 1)
    out["one_second_early"] = _after_a_tick(app)
    ctx.clock.advance(2)
    yield _taken(app, 2)
    out["signage"] = _shot(ctx) | {"count": app.screenshots.taken}
    yield from _help_flow(app, ctx, every)
    yield from _booking_flow(app, ctx, every)
    ctx.clock.advance(QUIET_S + 1)
    yield _taken(app, 3)
    out["after_reset"] = [app.sm.current, _shot(ctx) | {"count": app.screenshots.taken}]
    out["costs_ms"] = _costs(app)


def _costs(app: Any) -> dict[str, list[float]]:
    """What one screenshot costs Kivy's thread (drawing and reading back) and the worker
    (encoding), five times each: printed by the test, not asserted."""
    import time

    from kiosk.screenshot import capture, encode_png

    costs: dict[str, list[float]] = {"capture": [], "encode": []}
    for _ in range(5):
        started = time.perf_counter()
        pixels, size = capture(app.root_widget, app.th.colour("background"))
        captured = time.perf_counter()
        encode_png(pixels, size, "home", 1)
        costs["capture"].append(round((captured - started) * 1000, 1))
        costs["encode"].append(round((time.perf_counter() - captured) * 1000, 1))
    return costs


def _help_flow(app: Any, ctx: Context, every: float) -> Iterator[Step]:
    out = ctx.results
    yield from _tap(app, "tile_notices")  # the first touch only ends the signage
    yield from _tap(app, "bar_help")
    yield from _tap(app, "kind_other")
    yield from _type(app, "Anna")
    ctx.clock.advance(every + 1)
    out["help"] = [app.sm.current, _after_a_tick(app)]
    yield lambda: app.idle_overlay.parent is not None
    yield from _tap(app, "idle_continue")
    yield from _tap(app, "bar_home")  # home, but the typed name is still held
    ctx.clock.advance(QUIET_S + 1)
    out["home_with_a_typed_name"] = [app.sm.current, _after_a_tick(app)]


def _booking_flow(app: Any, ctx: Context, every: float) -> Iterator[Step]:
    out = ctx.results
    yield from _tap(app, "tile_doctor")
    ctx.clock.advance(every + 1)
    out["booking"] = [app.sm.current, _after_a_tick(app)]
    yield lambda: app.idle_overlay.parent is not None
    out["warning"] = _after_a_tick(app)
    ctx.clock.advance(app.idle.warn_s + 1)
    yield lambda: app.sm.current == "home"  # the privacy reset wiped the name
    out["reset"] = _after_a_tick(app)
