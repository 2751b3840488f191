"""The few widget kinds every kiosk screen is built from (their look is in widgets.kv).

Every touchable thing is a `KButton` (or a subclass), so tests can find all touch targets by
class, and every coloured area draws its fill as the first Color + Rectangle of canvas.before, so
tests can read the colours the widgets actually use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.core.text import LabelBase
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior

# The pictograms: Fork Awesome 1.2.0 (SIL OFL 1.1, kiosk/assets/fonts with its licence), a font,
# so Kivy draws them crisp at any size with no image or SVG renderer. Glyphs by name.
ICON_FONT = "DorfhubIcons"
LabelBase.register(ICON_FONT, str(Path(__file__).parent / "assets" / "fonts" / "ForkAwesome.ttf"))
ICONS = {
    "notices": "\uf1ea",  # newspaper-o
    "events": "\uf073",  # calendar
    "doctor": "\uf0f1",  # stethoscope
    "howto": "\uf059",  # question-circle
    "help": "\uf1cd",  # life-ring
    "climate": "\uf2c9",  # thermometer-half
    "offer": "\uf2b5",  # handshake-o
    "access": "\uf29a",  # universal-access
    "important": "\uf071",  # exclamation-triangle
    "office_hours": "\uf0c0",  # users
    "back": "\uf060",  # arrow-left
    "home": "\uf015",  # home
    "read": "\uf028",  # volume-up
    "repeat": "\uf01e",  # repeat
    "headphones": "\uf025",  # headphones
}


def icon_glyph(name: str) -> str:
    return ICONS.get(name, "")


def text_height(text: str, font_size: float, width: float, padding: float = 0) -> int:
    """How high `text` is when wrapped to `width`: laid out as a Label lays it out, without
    drawing it (a list sets each row's height from this before the row is made)."""
    label = CoreLabel(text=text, font_size=font_size, text_size=(max(1.0, width), None))
    _, height = label.render()
    return int(height + 2 * padding)


class Icon(Label):
    """A pictogram of ICONS (text: `icon_glyph(name)`) in the icon font."""


class KLabel(Label):
    """Text on a coloured area; `tone` names the palette colour of the text.

    `reserve` lists the texts the label may come to show (an error, a PIN's dots): it is as
    high as the tallest of them from the start, so showing one moves nothing under a finger."""

    tone = StringProperty("text")
    size_role = StringProperty("body")
    reserve = ListProperty([])
    reserved_height = NumericProperty(0)

    def on_reserve(self, *_: object) -> None:
        if not hasattr(self, "_measure"):
            # Only labels that reserve space pay for measuring, once per frame at most.
            self._measure = Clock.create_trigger(self._reserve_height, -1)
            self.bind(width=self._measure, font_size=self._measure, bold=self._measure)
        self._measure()

    def _reserve_height(self, *_: object) -> None:
        heights = [0]
        for text in self.reserve:
            label = CoreLabel(
                text=text,
                font_size=self.font_size,
                bold=self.bold,
                halign=self.halign,
                text_size=(max(1, self.width), None),
            )
            label.refresh()
            texture: Any = label.texture
            heights.append(texture.size[1] if texture is not None else 0)
        self.reserved_height = max(heights)


class KButton(ButtonBehavior, Label):
    """A touch target: `role` names the palette fill (button, tile, help, surface)."""

    role = StringProperty("button")
    selected = BooleanProperty(False)
    size_role = StringProperty("body")


class Panel(BoxLayout):
    """A box with a fill: `role` names the palette colour (background, surface, bar, alert)."""

    role = StringProperty("background")


class Tile(KButton):
    """A home tile: a pictogram (`icon`, a name in ICONS) above its words."""

    icon = StringProperty("")


class NoticeButton(KButton):
    """A notice (or a line of home's "today") in reading text, with a pictogram (`icon`, a name
    in ICONS) before it. An important notice is marked by its pictogram, its colour and the
    word "Wichtig"."""

    notice_id = StringProperty("")
    icon = StringProperty("")
    important = BooleanProperty(False)
    mark_width = NumericProperty(0)  # room for the pictogram before the text


class NoticeRow(RecycleDataViewBehavior, NoticeButton):
    """One notice in the recycled list: title, then category and date on a second line, as high
    as its text (the list sets `height` in each row's data)."""

    index = NumericProperty(0)


class Field(KButton):
    """A text field filled from the on-screen keyboard (the system keyboard never opens).

    `value` holds what was typed (its label is a KLabel beside it). Fields with `personal` set
    are wiped when the kiosk resets for privacy."""

    value = StringProperty("")
    personal = BooleanProperty(True)
    max_length = NumericProperty(60)
