"""Biete / Suche, the end: the whole notice read back before it is sent, then "Gesendet – wird
geprüft, bevor es am Brett erscheint".

The read-back says the contact only into headphones (`say(..., personal=True)`); on the
speakers the room hears the notice and that a contact was given. Sending goes through
content.submissions.submit_from_hub, which seals the notice and the contact to the town servers
and admins; the hub itself cannot read it back, and the fields are forgotten at once.
"""

from __future__ import annotations

import logging

from kivy.properties import StringProperty

from content.errors import WRITE_ERRORS
from content.submissions import RESIDENT_NOTICE_DAYS, SubmissionError, submit_from_hub
from kiosk.offer_flow import Offer, error_key, read_back
from kiosk.screens.base import running_app, tn, tr
from kiosk.screens.offer import OfferScreen, forget_offer

log = logging.getLogger("dorfhub.kiosk")


def current_offer() -> Offer:
    """The notice as typed on the flow's screens."""
    app = running_app()
    text, contact = app.screen("offer_text"), app.screen("offer_contact")
    return Offer(
        kind=text.kind,
        title=text.value("title"),
        text=text.value("text"),
        name=contact.value("name"),
        phone=contact.value("phone"),
    )


class OfferCheckScreen(OfferScreen):
    kind_text = StringProperty("")
    title_text = StringProperty("")
    body_text = StringProperty("")
    contact_text = StringProperty("")
    error_text = StringProperty("")

    def on_pre_enter(self, *args: object) -> None:
        offer = current_offer()
        self.kind_text = tr(f"offer.kind.{offer.kind}")
        self.title_text = offer.title.strip()
        self.body_text = offer.text.strip()
        lines = []
        if offer.name.strip():
            lines.append(tr("offer.read_name", name=offer.name.strip()))
        if offer.phone.strip():
            lines.append(tr("offer.read_phone", phone=offer.phone.strip()))
        self.contact_text = "\n".join(lines) or tr("offer.read_no_contact")
        self.error_text = ""

    def on_enter(self, *args: object) -> None:
        running_app().read_aloud()  # the whole notice, before anything is sent

    def speech(self) -> str:
        spoken = read_back(current_offer(), tr, with_contact=False)
        return f"{spoken} {self.error_text}".strip()

    def personal_speech(self) -> str:
        """With the name and the number, digit by digit: into headphones only."""
        offer = current_offer()
        if not offer.has_contact():
            return ""
        return f"{read_back(offer, tr, with_contact=True)} {self.error_text}".strip()

    def change(self) -> None:
        running_app().go("offer_text")

    def send(self) -> None:
        app = running_app()
        offer = current_offer()
        try:
            submit_from_hub(
                app.data.log,
                app.data.hub,
                offer.kind,
                offer.title,
                offer.text,
                contact_name=offer.name,
                contact_phone=offer.phone,
            )
        except SubmissionError as exc:
            # The field only: the message could one day quote what was typed.
            log.error("submission refused (field %r)", exc.field)
            self._refused(error_key(exc.field))
            return
        except WRITE_ERRORS as exc:
            log.error("submission not stored: %s", type(exc).__name__)
            self._refused("offer.error.other")
            return
        forget_offer()
        app.history.clear()
        app.go("offer_done")
        app.history.clear()  # Zurück from "Gesendet" goes home, never to a second send
        app.say(app.screen("offer_done").speech())

    def _refused(self, key: str) -> None:
        self.error_text = tr(key)
        running_app().say(self.error_text)

    def wipe(self) -> None:
        self.kind_text = self.title_text = self.body_text = ""
        self.contact_text = self.error_text = ""

    def holds_personal(self) -> bool:
        return bool(self.contact_text and current_offer().has_contact())


class OfferDoneScreen(OfferScreen):
    """Sent: checked by the administration before it appears on the board."""

    def speech(self) -> str:
        done = tn("offer.done_text", RESIDENT_NOTICE_DAYS)
        return f"{tr('offer.done_heading')}. {done} {tr('offer.done_contact')}"

    def wipe(self) -> None:
        pass  # nothing typed is shown here
