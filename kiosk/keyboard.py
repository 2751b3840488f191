"""The on-screen keyboard: German QWERTZ with ä ö ü ß for names, a large pad for phone numbers.

The system keyboard never opens on the kiosk (it would cover the screen in a layout nobody
chose), so fields are filled only from these keys.

Capitals: "Groß" (SHIFT) makes the next letter a capital; a second tap locks capitals until a
third. At the start of a name and of each word in it the next letter is a capital anyway (AUTO),
and a tap of "Groß" there never makes it small: people tap "Groß" to get a capital. The rules are
pure functions over `Shift` (`tap_shift`, `after_letter`, `at_word`), tested without Kivy.

The kiosk has one keyboard, with both layouts built once. A screen that needs keys takes it into
its `KeyboardSlot` when it is entered. Three keyboards (help, booking, PIN) whose keys were built
again at every switch between a name and a number field took 46 ms per switch and 10 MB more
memory after twenty switches.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.widgets import KButton

# Key faces are characters, not words: they are the same in every language.
LETTER_ROWS = ("qwertzuiopü", "asdfghjklöä", "yxcvbnmß-")
DIGIT_ROWS = ("123", "456", "789", "+0")
SHIFT = "shift"
SPACE = "space"
DELETE = "delete"

KeyHandler = Callable[[str], None]
WORD_BREAKS = " -"  # a name's next word (or its second part, "Müller-Lüdenscheidt") starts here


class Shift(StrEnum):
    """Whether the next letter is a capital, and why."""

    OFF = "off"
    AUTO = "auto"  # a word starts: one capital, without a tap
    ONCE = "once"  # "Groß" tapped: one capital
    LOCK = "lock"  # "Groß" tapped twice: capitals until it is tapped again


def tap_shift(state: Shift) -> Shift:
    """A tap of "Groß": one capital, then (second tap) all capitals, then (third) none."""
    if state in (Shift.OFF, Shift.AUTO):
        return Shift.ONCE
    if state is Shift.ONCE:
        return Shift.LOCK
    return Shift.OFF


def after_letter(state: Shift) -> Shift:
    """A letter was typed: a single capital is used up, a lock stays."""
    return Shift.LOCK if state is Shift.LOCK else Shift.OFF


def at_word(state: Shift, text: str) -> Shift:
    """The state for typing after `text`: a capital where a word starts, unless "Groß" was
    tapped (a tap is kept until a letter uses it up)."""
    if state in (Shift.ONCE, Shift.LOCK):
        return state
    return Shift.AUTO if word_start(text) else Shift.OFF


def word_start(text: str) -> bool:
    """True where the next letter starts a name or one of its words."""
    return not text or text[-1] in WORD_BREAKS


def capital(state: Shift) -> bool:
    return state is not Shift.OFF


class Key(KButton):
    value = StringProperty("")


class KeyLayout(BoxLayout):
    """The rows of one layout (letters or digits); `keys` maps each value to its key."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.keys: dict[str, Key] = {}


class Keyboard(BoxLayout):
    """Calls `on_key(value)` with a character, or SPACE / DELETE. `digits` shows the pad.

    `mode` is a `Shift`; `shift` (read only) is True while the letter keys show capitals."""

    digits = BooleanProperty(False)
    mode = StringProperty(Shift.AUTO.value)
    shift = BooleanProperty(True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.on_key: KeyHandler = lambda value: None
        self.letters = KeyLayout()
        self.pad = KeyLayout()
        # As high as the taller layout, whichever shows: a field switching between letters and
        # digits must not move the fields and buttons around the keyboard.
        self.letters.bind(height=self._fit)
        self.pad.bind(height=self._fit)
        self.build()

    def _fit(self, *_: object) -> None:
        self.height = max(self.letters.height, self.pad.height)

    @property
    def keys(self) -> dict[str, Key]:
        """The keys on show."""
        return self.pad.keys if self.digits else self.letters.keys

    def reset(self) -> None:
        """As the next person finds it: the letters, a capital first, typing nowhere."""
        self.on_key = lambda value: None
        self.digits = False
        self.mode = Shift.AUTO.value

    def on_digits(self, *args: object) -> None:
        self.clear_widgets()
        self.add_widget(self.pad if self.digits else self.letters)

    def on_mode(self, *args: object) -> None:
        from kivy.app import App

        mode = Shift(self.mode)
        self.shift = capital(mode)
        for value, key in self.letters.keys.items():
            if len(value) == 1:
                key.text = _upper(value) if self.shift else value
        shift_key = self.letters.keys.get(SHIFT)
        if shift_key is not None:
            # Lit while a tap holds: the resident sees that "Groß" took.
            shift_key.selected = mode in (Shift.ONCE, Shift.LOCK)
            app = App.get_running_app()
            face = "key.caps_lock" if mode is Shift.LOCK else "key.shift"
            shift_key.text = app.t(face, app.lang)

    def build(self) -> None:
        """Both layouts again, sized for the theme and named in the language now chosen."""
        self._fill(self.letters, LETTER_ROWS, digits=False)
        self._fill(self.pad, DIGIT_ROWS, digits=True)
        self.on_digits()
        self.on_mode()

    def _fill(self, layout: KeyLayout, rows: tuple[str, ...], digits: bool) -> None:
        from kivy.app import App

        app = App.get_running_app()
        theme = app.th
        layout.clear_widgets()
        layout.keys = {}
        width = theme.target * (2.6 if digits else 1.6)
        height = max(theme.button_height, theme.target * (1.5 if digits else 1.2))
        for row_index, row in enumerate(rows):
            line = self._row(layout, height)
            if not digits and row_index == 0:
                face = app.t("key.shift", app.lang)
                line.add_widget(self._key(layout, SHIFT, face, width * 1.6, height))
            for value in row:
                line.add_widget(self._key(layout, value, value, width, height))
            if row_index == len(rows) - 1:
                # The pad's space is for phone numbers as people write them ("0170 123").
                face = app.t("key.space", app.lang)
                space_width = width * (1.4 if digits else 3)
                line.add_widget(self._key(layout, SPACE, face, space_width, height))
                face = app.t("key.delete", app.lang)
                delete_width = width * (1.4 if digits else 2.2)
                line.add_widget(self._key(layout, DELETE, face, delete_width, height))

    def _row(self, layout: KeyLayout, height: float) -> BoxLayout:
        from kivy.app import App

        theme = App.get_running_app().th
        outer = BoxLayout(size_hint_y=None, height=height)
        inner = BoxLayout(spacing=theme.gap, size_hint_x=None)
        inner.bind(minimum_width=inner.setter("width"))
        outer.add_widget(BoxLayout())
        outer.add_widget(inner)
        outer.add_widget(BoxLayout())
        layout.add_widget(outer)
        return inner

    def _key(self, layout: KeyLayout, value: str, face: str, width: float, height: float) -> Key:
        key = Key(value=value, text=face, size_hint=(None, None), width=width, height=height)
        key.bind(on_release=lambda _key: self._pressed(value))
        layout.keys[value] = key
        return key

    def _pressed(self, value: str) -> None:
        mode = Shift(self.mode)
        if value == SHIFT:
            self.mode = tap_shift(mode).value
            return
        if len(value) == 1 and not self.digits and value.isalpha():
            if capital(mode):
                value = _upper(value)
            self.mode = after_letter(mode).value
        self.on_key(value)


class KeyboardSlot(BoxLayout):
    """Where a screen shows the kiosk's keyboard; empty (no height) while another screen has it."""

    @property
    def keyboard(self) -> Keyboard | None:
        """The keyboard while this slot holds it."""
        return next((child for child in self.children if isinstance(child, Keyboard)), None)

    def take(self, on_key: KeyHandler) -> None:
        """The app's keyboard, from whichever screen had it; its keys now type into `on_key`."""
        from kivy.app import App

        keyboard: Keyboard = App.get_running_app().keyboard
        if keyboard.parent is not self:
            if keyboard.parent is not None:
                keyboard.parent.remove_widget(keyboard)
            self.add_widget(keyboard)
        keyboard.on_key = on_key

    def show(self, digits: bool, text: str = "") -> None:
        """The layout the screen's field needs, and capitals where a word starts in its `text`,
        if this slot holds the keyboard: a screen wiped in the background must not change the
        keys another screen shows."""
        keyboard = self.keyboard
        if keyboard is not None:
            keyboard.digits = digits
            keyboard.mode = at_word(Shift(keyboard.mode), text).value


def _upper(value: str) -> str:
    # "ß".upper() is "SS"; a key must type the one character it shows.
    upper = value.upper()
    return upper if len(upper) == 1 else value
