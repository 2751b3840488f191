"""What covers the screens: the emergency takeover and the idle warning (the signage loop:
kiosk/signage.py)."""

from __future__ import annotations

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.widgets import Panel


class KioskRoot(FloatLayout):
    """The window's root. Every touch passes here first: it counts as activity, stops speech,
    and a touch that ends the signage loop or the idle warning goes no further (it must not
    trigger what happens to be under the finger)."""

    def on_touch_down(self, touch: object) -> bool:
        from kivy.app import App

        app = App.get_running_app()
        if app.touched(touch.pos):  # type: ignore[attr-defined]
            return True
        return bool(super().on_touch_down(touch))


class EmergencyOverlay(Panel):
    notice_id = StringProperty("")
    title_text = StringProperty("")
    body_text = StringProperty("")

    def on_touch_down(self, touch: object) -> bool:
        # The takeover swallows touches on its area: nothing beneath it may be operated by
        # accident, while the persistent bar (outside it) keeps working and leaves it.
        if not self.collide_point(*touch.pos):  # type: ignore[attr-defined]
            return False
        super().on_touch_down(touch)
        return True


class IdleOverlay(Panel):
    seconds = NumericProperty(20)


class SpeechNotice(Panel):
    """Why nothing is heard: personal text refused on the loudspeakers ("personal", with a
    button to switch to headphones) or read-aloud not working ("unavailable")."""

    kind = StringProperty("unavailable")

    def on_touch_down(self, touch: object) -> bool:
        # Touches on the strip stay on it: nothing beneath may be pressed by accident.
        if not self.collide_point(*touch.pos):  # type: ignore[attr-defined]
            return False
        super().on_touch_down(touch)
        return True
