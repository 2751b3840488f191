"""What every screen offers the app: text to read aloud, a refresh, a privacy wipe, and the
reset for the next person."""

from __future__ import annotations

import math
from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget


def running_app() -> Any:
    return App.get_running_app()


class KioskScreen(Screen):
    def speech(self) -> str:
        """What the speaker button reads on this screen, in the current language."""
        return ""

    def personal_speech(self) -> str:
        """The screen read with its personal data (names, phone numbers), or "" if it shows
        none. Only spoken into headphones; `speech` is what the room may hear."""
        return ""

    def refresh(self) -> None:
        """Reload what the screen shows from the store (new data or a new language)."""

    def wipe(self) -> None:
        """Forget every piece of personal data the screen holds."""

    def reset(self) -> None:
        """Back to how the next person should find the screen: nothing typed, no choice left
        over, the first page. The app calls it on every screen when a person leaves (the idle
        reset, the start of the signage) and then scrolls every list and text to its top.
        No default: a new screen must say what a person may leave on it."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it is reset")

    def holds_personal(self) -> bool:
        return False


def tr(key: str, **values: object) -> str:
    """A catalog string in the language the kiosk shows now."""
    app = running_app()
    return str(app.t(key, app.lang, **values))


def tn(key: str, count: int, **values: object) -> str:
    """A catalog string with plural forms, the one for `count`, in the language shown now."""
    app = running_app()
    return str(app.tn(key, count, app.lang, **values))


def locked_text(locked_for: float) -> str:
    """A pad locked after wrong tries (kiosk.lockout): "Bitte in 5 Minuten wieder versuchen",
    in whole minutes, rounded up."""
    minutes = math.ceil(locked_for / 60)
    return tn("pin.locked", minutes, minutes=minutes)


def scroll_to_top(widget: Widget) -> None:
    """Every list and text in `widget` at its top, as a person coming to the kiosk finds it."""
    for node in widget.walk():
        if isinstance(node, ScrollView):
            effect = node.effect_y
            if effect is not None:
                # A list still gliding (or pulled past its end) would move on by itself.
                effect.velocity = 0
                effect.value = effect.max
            node.scroll_y = 1.0


def page(view: ScrollView, direction: int) -> None:
    """Scroll a list or text by most of a screenful: one tap, no swipe needed."""
    content = view.children[0] if view.children else None
    if content is None or content.height <= view.height:
        return
    step = 0.85 * view.height / (content.height - view.height)
    view.scroll_y = min(1.0, max(0.0, view.scroll_y + direction * step))
