"""What covers the screens: the emergency takeover and the idle warning (the signage loop:
kiosk/signage.py)."""

from __future__ import annotations

from typing import Any

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


def official_line(notice_id: str, language: str, *_changed: object) -> str:
    """For an official warning (content.warnings.official_of: a notice signed by a key with the
    `warnings` role), who issued it, when, and until when: "Amtliche Warnung – Quelle: DWD",
    then "Ausgegeben … · Gültig bis …"; "" for any other notice. `_changed`: properties the kv
    passes so that the line is read again when the notice changes."""
    from kivy.app import App

    from content.warnings import official_of

    app: Any = App.get_running_app()
    official = official_of(app.data.conn, notice_id) if notice_id and app else None
    notice = app.data.notice(notice_id) if official is not None else None
    if official is None or notice is None:
        return ""
    t, words = app.translator, []

    def moment(ms: int) -> str:
        return str(
            t.t(
                language,
                "warning.moment",
                date=t.short_date(language, ms),
                time=t.time(language, ms),
            )
        )

    first = app.t("warning.official", language, source=official.source)
    if official.drill:
        first = app.t("warning.drill", language) + " – " + first
    words.append(app.t("warning.issued", language, when=moment(official.sent)))
    if notice.valid_until is not None:
        words.append(app.t("warning.until", language, when=moment(notice.valid_until)))
    return f"{first}\n{' · '.join(words)}"


def spoken_official(line: str) -> str:
    """official_line as read aloud: its lines and parts as sentences (a line break or a dot
    between parts would be read as nothing, or as "Punkt")."""
    return ". ".join(part for part in line.replace(" · ", "\n").split("\n") if part)


class EmergencyOverlay(Panel):
    notice_id = StringProperty("")
    title_text = StringProperty("")
    body_text = StringProperty("")
    # "Amtliche Warnung – Quelle: DWD", issued and until when (official_line), under the title.
    official_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from kivy.app import App

        from kiosk.widgets import KLabel

        label = KLabel(tone="alert_text", size_role="heading", bold=True)
        self.bind(official_text=label.setter("text"))
        # Under the title (the children list runs bottom to top): the kv rule placed the rest.
        self.add_widget(label, index=self.children.index(self.ids.title))
        self.ids["official"] = label
        for name in ("notice_id", "title_text", "body_text"):
            self.bind(**{name: self._read_official})
        app = App.get_running_app()
        if app is not None:
            app.bind(lang=self._read_official)

    def _read_official(self, *_: object) -> None:
        from kivy.app import App

        app: Any = App.get_running_app()
        self.official_text = official_line(self.notice_id, app.lang) if app else ""

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
