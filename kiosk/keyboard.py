"""The on-screen keyboard: German QWERTZ with ä ö ü ß for names, a large pad for phone numbers.

The system keyboard never opens on the kiosk (it would cover the screen in a layout nobody
chose), so fields are filled only from these keys.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.widgets import KButton

# Key faces are characters, not words: they are the same in every language.
LETTER_ROWS = ("qwertzuiopü", "asdfghjklöä", "yxcvbnmß-")
DIGIT_ROWS = ("123", "456", "789", "+0")
SHIFT = "shift"
SPACE = "space"
DELETE = "delete"


class Key(KButton):
    value = StringProperty("")


class Keyboard(BoxLayout):
    """Calls `on_key(value)` with a character, or SPACE / DELETE."""

    digits = BooleanProperty(False)
    shift = BooleanProperty(True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.on_key: Callable[[str], None] = lambda value: None
        self.keys: dict[str, Key] = {}
        self.build()

    def on_digits(self, *args: object) -> None:
        self.build()

    def on_shift(self, *args: object) -> None:
        for value, key in self.keys.items():
            if len(value) == 1:
                key.text = _upper(value) if self.shift else value

    def build(self) -> None:
        from kivy.app import App

        app = App.get_running_app()
        self.clear_widgets()
        self.keys = {}
        theme = app.th
        width = theme.target * (2.6 if self.digits else 1.6)
        height = max(theme.button_height, theme.target * (1.5 if self.digits else 1.2))
        rows = DIGIT_ROWS if self.digits else LETTER_ROWS
        for row_index, row in enumerate(rows):
            line = self._row(height)
            if not self.digits and row_index == 0:
                line.add_widget(self._key(SHIFT, app.t("key.shift", app.lang), width * 1.6, height))
            for value in row:
                line.add_widget(self._key(value, value, width, height))
            if row_index == len(rows) - 1:
                if not self.digits:
                    space = app.t("key.space", app.lang)
                    line.add_widget(self._key(SPACE, space, width * 3, height))
                line.add_widget(
                    self._key(DELETE, app.t("key.delete", app.lang), width * 2.2, height)
                )
        self.on_shift()

    def _row(self, height: float) -> BoxLayout:
        from kivy.app import App

        theme = App.get_running_app().th
        outer = BoxLayout(size_hint_y=None, height=height)
        inner = BoxLayout(spacing=theme.gap, size_hint_x=None)
        inner.bind(minimum_width=inner.setter("width"))
        outer.add_widget(BoxLayout())
        outer.add_widget(inner)
        outer.add_widget(BoxLayout())
        self.add_widget(outer)
        return inner

    def _key(self, value: str, face: str, width: float, height: float) -> Key:
        key = Key(value=value, text=face, size_hint=(None, None), width=width, height=height)
        key.bind(on_release=lambda _key: self._pressed(value))
        self.keys[value] = key
        return key

    def _pressed(self, value: str) -> None:
        if value == SHIFT:
            self.shift = not self.shift
            return
        if len(value) == 1 and self.shift:
            value = _upper(value)
        self.on_key(value)


def _upper(value: str) -> str:
    # "ß".upper() is "SS"; a key must type the one character it shows.
    upper = value.upper()
    return upper if len(upper) == 1 else value
