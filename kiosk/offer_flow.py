"""Biete / Suche at the kiosk: a resident's small notice, typed on the on-screen keys, read back
aloud, then sent sealed for an admin to check (content.submissions.submit_from_hub).

Pure parts: what a key does to a field, the limits (shorter than the library's: a notice typed
on a screen by someone who types little), what is checked before the read-back, and the
read-back itself, with and without the contact (the contact is only ever spoken into
headphones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from content.submissions import RESIDENT_KINDS
from kiosk.keyboard import DELETE, SPACE

KINDS = tuple(RESIDENT_KINDS)  # biete, suche, fund
LIMITS = {"title": 60, "text": 240, "name": 60, "phone": 24}
DIGIT_FIELDS = ("phone",)
# The library's SubmissionError.field -> the kiosk's field and its message.
ERROR_FIELDS = {
    "title": "title",
    "text": "text",
    "contact_name": "name",
    "contact_phone": "phone",
}

Translate = Callable[..., str]


def typed(current: str, key: str, limit: int) -> str:
    """A field after one key: a character up to the limit, one space between words (none at the
    start), or the last character deleted."""
    if key == DELETE:
        return current[:-1]
    if key == SPACE:
        if current and not current.endswith(" ") and len(current) < limit:
            return current + " "
        return current
    return current + key if len(current) < limit else current


@dataclass(frozen=True)
class Offer:
    kind: str
    title: str
    text: str
    name: str = ""
    phone: str = ""

    def has_contact(self) -> bool:
        return bool(self.name.strip() or self.phone.strip())


def text_errors(title: str) -> list[tuple[str, str]]:
    """What keeps the resident on the text screen: a title is needed (the text may be empty)."""
    return [] if title.strip() else [("title", "offer.error.title")]


def error_key(field: str) -> str:
    """The catalog key for a SubmissionError's field ("" is the daily limit or the network)."""
    if field in ERROR_FIELDS:
        return f"offer.error.{ERROR_FIELDS[field]}"
    return "offer.error.limit" if field == "" else "offer.error.other"


def read_back(offer: Offer, t: Translate, with_contact: bool) -> str:
    """The whole submission as it will be sent, for reading aloud before "Senden". The phone
    number is read digit by digit, so the resident can check it."""
    parts = [
        t("offer.check_heading"),
        t("offer.read_kind", kind=t(f"offer.kind.{offer.kind}")),
        t("offer.read_title", title=offer.title.strip()),
    ]
    if offer.text.strip():
        parts.append(t("offer.read_text", text=offer.text.strip()))
    if with_contact:
        if offer.name.strip():
            parts.append(t("offer.read_name", name=offer.name.strip()))
        if offer.phone.strip():
            digits = " ".join(offer.phone.replace(" ", ""))
            parts.append(t("offer.read_phone", phone=digits))
    elif offer.has_contact():
        parts.append(t("offer.read_contact_given"))
    else:
        parts.append(t("offer.read_no_contact"))
    parts.append(t("offer.check_question"))
    return " ".join(part if part[-1] in ".:!?" else f"{part}." for part in parts if part)
