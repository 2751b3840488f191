"""Biete / Suche in the live kiosk (driver.py): from the board to the read-back and "Gesendet",
typed on the on-screen keys, every button's place watched on the typing screens, in the
tightest theme (high contrast, large text)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.person_scenarios import Watch, _press
from tests.kiosk.scenarios import _tap, held_keyboard, settled
from tests.kiosk.ui import check_layout, tap, widget


def _fits(field: Any) -> bool:
    """The field's text is drawn inside it (a long text must not spill over its edge)."""
    return bool(field.texture_size[1] <= field.height + 0.5)


def _write(app: Any, watch: Watch | None, text: str) -> Iterator[Step]:
    """Type as a resident does: "Groß" before a capital the keyboard does not give anyway.
    With `watch`, every button's place is compared after each key (slower)."""
    for char in text:
        keyboard = held_keyboard(app)
        keys = ["shift"] if char.isupper() and not keyboard.shift else []
        for key in [*keys, "space" if char == " " else char.lower()]:
            if watch is None:
                tap(keyboard.keys[key])
                yield settled(app, 1)
            else:
                yield from _press(app, watch, keyboard.keys[key], f"key {key!r}")


class _Records(logging.Handler):
    """Every log record of the kiosk process, as the journal would get it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


def offer(app: Any, ctx: Context) -> Iterator[Step]:
    out, said, params = ctx.results, ctx.speaker.said, ctx.params
    records = _Records()
    for name in ("", "kivy", "dorfhub"):
        logging.getLogger(name).addHandler(records)
    app.set_theme("high-contrast", True)
    yield settled(app)
    yield from _tap(app, "tile_notices")
    yield from _tap(app, "board_offer")
    out["kind"] = [app.sm.current, check_layout(app)["problems"]]
    yield from _tap(app, "offer_suche")
    screen = app.current
    held_keyboard(app)
    watch = Watch(app)
    yield from _press(app, watch, widget(app, "offer_text_next"), "next, no title")
    out["no_title"] = [app.sm.current, screen.error_text, said[-1][0]]
    yield from _write(app, watch, params["title"])
    yield from _press(app, watch, screen.ids.text_field, "text field")
    yield from _write(app, None, params["words"])
    yield from _press(app, watch, widget(app, "offer_digits"), "digits")
    yield from _write(app, watch, params["digits"])
    yield from _press(app, watch, widget(app, "offer_digits"), "letters")
    out["typed"] = [screen.value("title"), screen.value("text")]
    # The longest text the field takes, as the keys type it: it stays inside its field.
    for _ in range(300):
        screen.key("m")
    yield settled(app, 3)
    watch.check("longest text")
    out["longest"] = [len(screen.value("text")), _fits(screen.ids.text_field)]
    out["text_layout"] = check_layout(app)["problems"]
    for _ in range(300 - len(params["words"]) - len(params["digits"])):
        screen.key("delete")
    screen.ids.text_field.value = params["words"] + params["digits"]
    out["text_watch"] = watch.result()
    yield from _tap(app, "offer_text_next")
    contact = app.current
    watch = Watch(app)
    yield from _write(app, watch, params["name"])
    yield from _press(app, watch, contact.ids.phone_field, "phone field")
    yield from _write(app, None, params["phone"])
    out["contact"] = [app.sm.current, contact.value("name"), contact.value("phone")]
    out["contact_layout"] = check_layout(app)["problems"]
    spoken = len(said)
    out["contact_watch"] = watch.result()
    yield from _tap(app, "offer_contact_next")
    yield lambda: len(said) > spoken
    check = app.current
    out["check"] = {
        "screen": app.sm.current,
        "title": check.ids.offer_title.text,
        "body": check.ids.offer_body.text,
        "contact": check.ids.offer_contact.text,
        "said": said[spoken:],
        # What the room may hear: said instead when the speakers refuse personal text.
        "public": app.personal_pending[1] if app.personal_pending else None,
        "layout": check_layout(app)["problems"],
    }
    yield from _tap(app, "offer_change")
    out["change"] = [app.sm.current, app.current.value("title")]
    yield from _tap(app, "offer_text_next")
    yield from _tap(app, "offer_contact_next")
    spoken = len(said)
    yield from _tap(app, "offer_send")
    out["done"] = {
        "screen": app.sm.current,
        "said": said[spoken:],
        "left": [
            app.screen("offer_text").value("title"),
            app.screen("offer_text").value("text"),
            contact.value("name"),
            contact.value("phone"),
            check.contact_text,
        ],
        "layout": check_layout(app)["problems"],
    }
    yield from _tap(app, "bar_back")
    out["back_from_done"] = app.sm.current
    yield from _over_the_limit(app, ctx, records)


def _over_the_limit(app: Any, ctx: Context, records: _Records) -> Iterator[Step]:
    """The hub's daily limit reached (nine more from this hub): the next notice is refused,
    shown and spoken on the check screen, and the log names only the field."""
    from content.submission_rules import SUBMISSIONS_PER_DAY
    from content.submissions import submit_from_hub

    params, said = ctx.params, ctx.speaker.said
    for number in range(SUBMISSIONS_PER_DAY - 1):
        submit_from_hub(app.data.log, app.data.hub, "biete", f"Rad {number}", "")
    app.open_offer()
    app.current.choose_kind("biete")
    app.current.ids.title_field.value = "Kinderwagen"
    app.screen("offer_contact").ids.name_field.value = params["name"]
    app.screen("offer_contact").ids.phone_field.value = params["phone"]
    app.go("offer_check")
    yield settled(app, 3)
    spoken = len(said)
    yield from _tap(app, "offer_send")
    ctx.results["refused"] = {
        "screen": app.sm.current,
        "error": app.current.error_text,
        "said": [text for text, _, _ in said[spoken:]],
        "layout": check_layout(app)["problems"],
        "kept": app.screen("offer_contact").value("phone"),  # to try again tomorrow, or change
    }
    ctx.results["log"] = records.lines
