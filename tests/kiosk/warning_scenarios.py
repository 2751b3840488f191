"""Kiosk scenarios for official warnings (tests/warnings/test_kiosk.py): the takeover of an
emergency warning with its source line, the detail screen's line in two languages, and the
home screen's banner for an important one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import settled


def takeover(app: Any, ctx: Context) -> Iterator[Step]:
    out = ctx.results
    yield settled(app)
    Path(ctx.params["ready"]).write_text("ready")  # the test imports the warning now
    yield lambda: app.emergency_overlay.parent is not None
    overlay = app.emergency_overlay
    yield lambda: bool(overlay.official_text)
    out["title"] = overlay.title_text
    out["official"] = overlay.official_text
    out["said"] = ctx.speaker.said[-1][0] if ctx.speaker.said else ""
    emergency = app.emergency_id
    app.dismiss_emergency()
    app.open_notice(emergency)
    yield settled(app)
    detail = app.screen("detail")
    out["detail_official"] = detail.ids.official.text
    app.set_language("en")
    yield settled(app)
    yield lambda: detail.ids.official.text != out["detail_official"]
    out["detail_official_en"] = detail.ids.official.text
    out["takeover_en"] = overlay.official_text
    app.set_language("de")
    yield settled(app)
    # An admin takes the emergency down (from another process, as the sync would bring it): the
    # important warning is the home screen's banner.
    Path(ctx.params["seen"]).write_text("seen")
    yield lambda: not app.emergency_title
    app.home()
    yield settled(app)
    home = app.screen("home")
    yield lambda: bool(home.important_id)
    out["banner"] = [home.important_id, home.important_text]
    out["home_said"] = home.speech()
    app.open_notice(home.important_id)  # the banner's notice, read aloud
    yield settled(app)
    out["detail_said"] = app.screen("detail").speech()
