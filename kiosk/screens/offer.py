"""Biete / Suche, the resident's part: what kind of notice (offer_kind), a title and a short text
(offer_text), then an optional name and phone for the admins' questions (offer_contact).

What is typed lives only in these screens' fields until "Senden" on the read-back screen
(offer_check.py); Start, the idle reset and a sent notice forget it.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.offer_flow import DIGIT_FIELDS, KINDS, LIMITS, text_errors, typed
from kiosk.screens.base import KioskScreen, running_app, tr

OFFER_SCREENS = ("offer_kind", "offer_text", "offer_contact", "offer_check", "offer_done")


def forget_offer() -> None:
    """Every field and choice of the flow, on every screen of it that was built."""
    app = running_app()
    for name in OFFER_SCREENS:
        if app.sm.has_screen(name):
            app.screen(name).wipe()


class OfferScreen(KioskScreen):
    """What the flow's screens share: Start (home) forgets what was typed."""

    def on_leave(self, *args: object) -> None:
        if self.manager is not None and self.manager.current == "home":
            forget_offer()

    def reset(self) -> None:
        self.wipe()


class OfferKindScreen(OfferScreen):
    """Biete, Suche or Fundsache, as three large tiles."""

    def choose_kind(self, kind: str) -> None:
        app = running_app()
        app.screen("offer_text").kind = kind
        app.go("offer_text")

    def speech(self) -> str:
        kinds = ", ".join(tr(f"offer.kind.{kind}") for kind in KINDS)
        return f"{tr('offer.heading')}. {tr('offer.kind_question')} {kinds}. {tr('offer.checked')}"


class TypingScreen(OfferScreen):
    """Fields filled from the kiosk's keyboard; `fields` in screen order, the first has the keys
    when the screen opens after a wipe."""

    fields: tuple[str, ...] = ()
    focus = StringProperty("")
    error_text = StringProperty("")
    digits = BooleanProperty(False)  # the digit pad shown for a letter field ("123")

    def on_pre_enter(self, *args: object) -> None:
        self.ids.keyboard_slot.take(self.key)
        self._show_keys()

    def field(self, name: str) -> Any:
        return self.ids[f"{name}_field"]

    def value(self, name: str) -> str:
        return str(self.field(name).value)

    def choose(self, name: str) -> None:
        self.focus = name
        self.digits = False
        self._show_keys()

    def toggle_digits(self) -> None:
        self.digits = not self.digits
        self._show_keys()

    def key(self, value: str) -> None:
        field = self.field(self.focus)
        field.value = typed(field.value, value, LIMITS[self.focus])
        self.error_text = ""
        self._show_keys()

    def _show_keys(self) -> None:
        focus = self.focus or self.fields[0]
        self.ids.keyboard_slot.show(
            digits=focus in DIGIT_FIELDS or self.digits, text=self.capital_before(focus)
        )

    def capital_before(self, name: str) -> str:
        """The text the keyboard looks at for a capital: a name's words each start with one."""
        return self.value(name)

    def wipe(self) -> None:
        for name in self.fields:
            self.field(name).value = ""
        self.error_text = ""
        self.choose(self.fields[0])


class OfferTextScreen(TypingScreen):
    """A title and a short text, on the letters (and, for a date or a number, the digits)."""

    fields = ("title", "text")
    kind = StringProperty("biete")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.focus = "title"

    def capital_before(self, name: str) -> str:
        # Prose: a capital where the field or a sentence starts, not at every word.
        text = self.value(name)
        starts = not text.strip() or (text.endswith(" ") and text.rstrip()[-1] in ".!?")
        return "" if starts else "x"

    def next_step(self) -> None:
        errors = text_errors(self.value("title"))
        if errors:
            self.error_text = tr(errors[0][1])
            self.choose(errors[0][0])
            running_app().say(self.error_text)
            return
        running_app().go("offer_contact")

    def wipe(self) -> None:
        super().wipe()
        self.kind = "biete"

    def speech(self) -> str:
        heading = tr(f"offer.kind.{self.kind}")
        return " ".join(part for part in (heading, tr("offer.text_intro"), self.error_text) if part)


class OfferContactScreen(TypingScreen):
    """An optional name and phone number: only the admins see them, for questions."""

    fields = ("name", "phone")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.focus = "name"

    def holds_personal(self) -> bool:
        return bool(self.value("name") or self.value("phone"))

    def speech(self) -> str:
        # Never what was typed: the loudspeaker is heard by the whole room.
        return f"{tr('offer.contact_heading')}. {tr('offer.contact_intro')}"
