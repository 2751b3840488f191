"""The few widget kinds every kiosk screen is built from (their look is in widgets.kv).

Every touchable thing is a `KButton` (or a subclass), so tests can find all touch targets by
class, and every coloured area draws its fill as the first Color + Rectangle of canvas.before, so
tests can read the colours the widgets actually use.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior


class KLabel(Label):
    """Text on a coloured area; `tone` names the palette colour of the text."""

    tone = StringProperty("text")
    size_role = StringProperty("body")


class KButton(ButtonBehavior, Label):
    """A touch target: `role` names the palette fill (button, tile, help, surface)."""

    role = StringProperty("button")
    selected = BooleanProperty(False)
    size_role = StringProperty("body")


class Panel(BoxLayout):
    """A box with a fill: `role` names the palette colour (background, surface, bar, alert)."""

    role = StringProperty("background")


class NoticeRow(RecycleDataViewBehavior, KButton):
    """One notice in the recycled list: title, then category and date on a second line."""

    notice_id = StringProperty("")
    index = NumericProperty(0)


class Field(KButton):
    """A text field filled from the on-screen keyboard (the system keyboard never opens).

    `value` holds what was typed (its label is a KLabel beside it). Fields with `personal` set
    are wiped when the kiosk resets for privacy."""

    value = StringProperty("")
    personal = BooleanProperty(True)
    max_length = NumericProperty(60)
