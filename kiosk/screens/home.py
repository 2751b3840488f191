"""The home screen (tiles, language, accessibility) and the honest "kommt bald" page."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.screens.base import KioskScreen, running_app, tr


class HomeScreen(KioskScreen):
    def speech(self) -> str:
        app = running_app()
        return tr(
            "home.speech",
            village=app.village,
            date=app.date_text,
            time=app.time_text,
        )

    def reset(self) -> None:
        """Nothing of a person lives here: language and theme are the app's to reset."""


class SoonScreen(KioskScreen):
    """For tiles whose part is not built yet: says so, instead of a button that does nothing."""

    topic = StringProperty("tile.doctor")

    def speech(self) -> str:
        return tr(self.topic) + ". " + tr("soon.text")

    def reset(self) -> None:
        """An explanation, the same for everyone: nothing to forget."""
