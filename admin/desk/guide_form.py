"""A guide's office-hour form, read and checked without a server.

What the form can say is exactly the guide's narrow right (content/office_hours.py): the
category, the priority, the targets' kind and the display window are not fields at all; the
groups are checkboxes of the guide's own groups. Every problem is a catalog key beside its
field, and nothing is published while any is left; the op check on every node says the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import msgspec

from content.bodies import MAX_PLACE_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, NoticeBody
from content.local_time import event_leaves, local_ms, parse_clock, parse_day
from content.office_hours import office_hour, office_hours_problem

DEFAULT_TITLE = "Sprechstunde der Digitallotsen"
DEFAULT_TITLE_EN = "Digital guides' office hours"


@dataclass
class HoursForm:
    """The form as typed; `errors` maps a field to its catalog key."""

    title_de: str = DEFAULT_TITLE
    text_de: str = ""
    title_en: str = DEFAULT_TITLE_EN
    text_en: str = ""
    day: str = ""
    start: str = ""
    end: str = ""
    place: str = ""
    groups: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, int | str] = field(default_factory=dict)  # for the messages' {…}


def read_hours_form(data: Mapping[str, object], groups: Sequence[str]) -> HoursForm:
    """The fields of a POST (`groups`: the checked boxes)."""

    def text(name: str) -> str:
        value = data.get(name)
        return value.strip() if isinstance(value, str) else ""

    return HoursForm(
        title_de=text("title_de"),
        text_de=text("text_de"),
        title_en=text("title_en"),
        text_en=text("text_en"),
        day=text("day"),
        start=text("start"),
        end=text("end"),
        place=text("place"),
        groups=list(dict.fromkeys(groups)),
    )


def check_hours(
    form: HoursForm, allowed: Sequence[str], today: date, now_ms: int
) -> NoticeBody | None:
    """The office hour's notice, or None with `form.errors` filled in. `allowed`: the guide's
    groups; a group not among them (a hand-made POST) is refused like a missing one."""
    _check_texts(form)
    day = parse_day(form.day)
    if not form.day:
        form.errors["day"] = "guide.hours.error.day_missing"
    elif day is None:
        form.errors["day"] = "guide.hours.error.day_unreadable"
    elif day < today:
        form.errors["day"] = "guide.hours.error.day_past"
    start, end = parse_clock(form.start), parse_clock(form.end)
    if not form.start:
        form.errors["start"] = "guide.hours.error.start_missing"
    elif start is None:
        form.errors["start"] = "guide.hours.error.time_unreadable"
    if not form.end:
        form.errors["end"] = "guide.hours.error.end_missing"
    elif end is None:
        form.errors["end"] = "guide.hours.error.time_unreadable"
    elif start is not None and end <= start:
        form.errors["end"] = "guide.hours.error.end_before_start"
    if not form.place:
        form.errors["place"] = "guide.hours.error.place_missing"
    elif len(form.place) > MAX_PLACE_CHARS:
        form.errors["place"] = "guide.hours.error.place_too_long"
        form.values["max_place"] = MAX_PLACE_CHARS
    if not form.groups:
        form.errors["groups"] = "guide.hours.error.groups_missing"
    elif not set(form.groups) <= set(allowed):
        form.errors["groups"] = "guide.hours.error.groups_unknown"
    if form.errors or day is None or start is None or end is None:
        return None
    starts, ends = local_ms(day, start), local_ms(day, end)
    if ends <= now_ms:
        form.errors["end"] = "guide.hours.error.over"
        return None
    try:
        body = office_hour(
            _texts(form.title_de, form.title_en),
            {"de": form.text_de, **({"en": form.text_en} if form.text_en else {})},
            start=starts,
            end=ends,
            place=form.place,
            groups=form.groups,
            shown_from=now_ms,
            leaves=event_leaves(starts, ends),
        )
    except msgspec.ValidationError:
        form.errors["form"] = "guide.hours.error.invalid"
        return None
    if office_hours_problem(body, allowed) is not None:
        form.errors["form"] = "guide.hours.error.invalid"
        return None
    return body


def _check_texts(form: HoursForm) -> None:
    if not form.title_de:
        form.errors["title_de"] = "guide.hours.error.title_missing"
    for name in ("title_de", "title_en"):
        if len(getattr(form, name)) > MAX_TITLE_CHARS:
            form.errors[name] = "guide.hours.error.title_too_long"
            form.values["max_title"] = MAX_TITLE_CHARS
    for name in ("text_de", "text_en"):
        if len(getattr(form, name)) > MAX_TEXT_CHARS:
            form.errors[name] = "guide.hours.error.text_too_long"
            form.values["max_text"] = MAX_TEXT_CHARS


def _texts(german: str, english: str) -> dict[str, str]:
    return {"de": german, **({"en": english} if english else {})}
