"""Asking for help: first what it is about (four large choices), then an optional name and phone
from the on-screen keyboard, then a sealed request that carries all three."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.keyboard import DELETE, SPACE
from kiosk.screens.base import KioskScreen, running_app, tr

NAME_LIMIT = 60
PHONE_LIMIT = 24


KINDS = ("device", "forms", "health", "other")  # as content.help.HELP_KINDS


class HelpKindScreen(KioskScreen):
    """What the help is about: Handy/Tablet, Formular/Amt, Arzttermin/Gesundheit, Sonstiges."""

    def choose_kind(self, kind: str) -> None:
        app = running_app()
        app.screen("help").kind = kind
        app.go("help")

    def reset(self) -> None:
        """Nothing is typed or chosen here: the choice lives in the help screen."""

    def speech(self) -> str:
        kinds = ", ".join(tr(f"help.kind.{kind}") for kind in KINDS)
        return f"{tr('help.heading')}. {tr('help.kind_question')} {kinds}."


class HelpScreen(KioskScreen):
    focus = StringProperty("name")  # which field the keyboard types into
    error_text = StringProperty("")
    kind = StringProperty("")  # what the help is about (HelpKindScreen), "" if not chosen

    def on_pre_enter(self, *args: object) -> None:
        self.ids.keyboard_slot.take(self.key)
        self._show_keys()

    def field(self, name: str):  # type: ignore[no-untyped-def]
        return self.ids.name_field if name == "name" else self.ids.phone_field

    def choose(self, name: str) -> None:
        self.focus = name
        self._show_keys()

    def key(self, value: str) -> None:
        field = self.field(self.focus)
        if value == DELETE:
            field.value = field.value[:-1]
        elif value == SPACE:
            if field.value and not field.value.endswith(" "):
                field.value += " "
        elif len(field.value) < (NAME_LIMIT if self.focus == "name" else PHONE_LIMIT):
            field.value += value
        self.error_text = ""
        self._show_keys()

    def _show_keys(self) -> None:
        # Names start with capitals: the keyboard gives one at the start of each word.
        self.ids.keyboard_slot.show(digits=self.focus == "phone", text=self.field(self.focus).value)

    def send(self) -> None:
        app = running_app()
        name = self.ids.name_field.value.strip()
        phone = self.ids.phone_field.value.strip()
        error = app.send_help(name, phone, self.kind)
        if error is not None:
            self.error_text = tr(error)
            app.say(self.error_text)
            return
        self.wipe()

    def wipe(self) -> None:
        self.ids.name_field.value = ""
        self.ids.phone_field.value = ""
        self.error_text = ""
        self.kind = ""
        self.choose("name")

    def holds_personal(self) -> bool:
        return bool(self.ids.name_field.value or self.ids.phone_field.value)

    def reset(self) -> None:
        self.wipe()

    def speech(self) -> str:
        # Never the typed name or number: the loudspeaker is heard by the whole room.
        return tr("help.heading") + ". " + tr("help.intro")


class HelpDoneScreen(KioskScreen):
    hours_text = StringProperty("")
    answer_text = StringProperty("")  # kiosk.help_answer: who is here when, who calls

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.name_given = ""
        self.phone_given = ""

    def show(self, hours: list[str], name: str = "", phone: str = "", answer: str = "") -> None:
        self.answer_text = answer or tr("help.done_text")
        if hours:
            self.hours_text = tr("help.hours") + "\n" + "\n".join(hours)
        else:
            self.hours_text = tr("help.no_hours")
        self.name_given, self.phone_given = name, phone

    def speech(self) -> str:
        answer = self.answer_text or tr("help.done_text")
        return f"{tr('help.done_heading')}. {answer} {self.hours_text}"

    def personal_speech(self) -> str:
        """The confirmation with the name and number as typed, so the resident can check them
        (into headphones only). The number is read digit by digit."""
        if not (self.name_given or self.phone_given):
            return ""
        parts = [self.speech()]
        if self.name_given:
            parts.append(tr("help.done_name", name=self.name_given))
        if self.phone_given:
            parts.append(tr("help.done_phone", phone=" ".join(self.phone_given)))
        return " ".join(parts)

    def wipe(self) -> None:
        self.name_given = self.phone_given = ""
        self.answer_text = ""

    def reset(self) -> None:
        self.wipe()

    def holds_personal(self) -> bool:
        return bool(self.name_given or self.phone_given)
