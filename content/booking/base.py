"""What the booking modules share: its constants, the default services, the error."""

from __future__ import annotations

import re

import msgspec

from content.booking_bodies import (
    ServiceBody,
)
from content.errors import ContentError

MINUTE = 60_000
DAY = 24 * 60 * MINUTE
MAX_SERIES_SLOTS = 2000
MAX_SERIES_DAYS = 366
WEEKDAYS = {
    "mo": 0,
    "di": 1,
    "mi": 2,
    "do": 3,
    "fr": 4,
    "sa": 5,
    "so": 6,
    "tu": 1,
    "we": 2,
    "th": 3,
    "su": 6,
}
STATES = ("pending", "confirmed", "rejected", "cancelled")
# The role a practice's booking authority must hold (unrevoked) for hubs to seal to it.
SERVER_ROLE = "server"

DEFAULT_SERVICES: tuple[ServiceBody, ...] = (
    ServiceBody(
        id="video",
        name={
            "de": "Videosprechstunde",
            "en": "Video consultation",
            "de-LS": "Arzt·gespräch mit Video",
        },
        duration_min=15,
        buffer_before_min=5,
        buffer_after_min=5,
        min_notice_min=120,
        horizon_days=28,
        bring={
            "de": "Versichertenkarte, Medikamentenliste, Brille; bitte 10 Minuten vorher da sein.",
            "en": "Health insurance card, list of medicines, glasses; "
            "please come 10 minutes early.",
            "de-LS": "Bringen Sie mit: Ihre Karte von der Kranken·kasse. Ihre Medikamente auf "
            "einem Zettel. Ihre Brille. Kommen Sie 10 Minuten früher.",
        },
    ),
    ServiceBody(
        id="phone",
        name={"de": "Telefonrückruf", "en": "Phone call back", "de-LS": "Die Praxis ruft Sie an"},
        duration_min=10,
        buffer_after_min=5,
        min_notice_min=60,
        horizon_days=14,
        bring={
            "de": "Halten Sie Ihre Versichertenkarte und Ihre Medikamentenliste bereit.",
            "en": "Have your health insurance card and list of medicines at hand.",
            "de-LS": "Legen Sie Ihre Karte von der Kranken·kasse bereit.",
        },
    ),
    ServiceBody(
        id="rezept",
        name={
            "de": "Rezept/Überweisung",
            "en": "Prescription/referral",
            "de-LS": "Rezept oder Über·weisung",
        },
        duration_min=5,
        min_notice_min=60,
        horizon_days=14,
        bring={
            "de": "Versichertenkarte.",
            "en": "Health insurance card.",
            "de-LS": "Ihre Karte von der Kranken·kasse.",
        },
    ),
)
HOW_TO_CANCEL = {
    "de": "Absagen: am Dorfhub mit dem Buchungscode oder telefonisch bei der Praxis {phone}.",
    "en": "To cancel: at the village hub with the booking code, or call the practice on {phone}.",
    "de-LS": "Sie können nicht kommen? Sagen Sie im Dorf·hub Bescheid. Zeigen Sie den Code. "
    "Oder rufen Sie die Praxis an: {phone}.",
}


class BookingError(ContentError, ValueError):
    """A booking input that cannot be used; nothing was stored."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field  # which input was wrong, for the kiosk to point at


def _field_of(exc: msgspec.ValidationError) -> str:
    found = re.search(r"\$\.(\w+)", str(exc))
    return found.group(1) if found else ""
