"""A scenario for tests/privacy/test_stolen_kiosk.py, run inside the live kiosk (driver.py,
as "help_privacy:ask_then_done"): a resident asks for help, a guide opens guide mode behind the
PIN, sees the request with its name, and marks it done."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import _tap, _type, settled
from tests.kiosk.ui import tap


def ask_then_done(app: Any, ctx: Context) -> Iterator[Step]:
    out = ctx.results
    yield settled(app)
    yield from _tap(app, "bar_help")
    yield from _tap(app, "kind_device")
    screen = app.current
    yield from _type(app, ctx.params["name"])
    tap(screen.ids.phone_field)
    yield settled(app)
    yield from _type(app, ctx.params["phone"])
    yield from _tap(app, "send")
    out["after_send"] = app.sm.current
    yield from _tap(app, "done")
    yield from _tap(app, "guide_login")
    yield from _type(app, ctx.params["pin"])
    yield from _tap(app, "pin_ok")
    guide = app.current
    out["open_rows"] = [dict(row) for row in guide.requests]
    # What a thief would look for later: the request's key, as the hub holds it while open.
    keys = app.data.conn.execute("SELECT private_key FROM hub_help_keys").fetchall()
    out["keys"] = [key.hex() for (key,) in keys]
    yield settled(app, 5)
    from kiosk.widgets import KButton

    row = next(w for w in guide.ids.rv.children[0].children if w.request_id)
    tap(next(w for w in row.walk() if isinstance(w, KButton)))
    yield settled(app)
    out["done_rows"] = [dict(row) for row in guide.requests]
    yield from _tap(app, "logout")
