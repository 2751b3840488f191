"""How the desk says what a notice is: its state, its window, its targets and its languages,
in the page's language and Europe/Berlin time ("bis Fr 12.12.2026, 18:00 Uhr")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import Request

from admin.desk.i18n import Words, language_of
from admin.desk.web import desk_of
from content.bodies import CATEGORIES, LANGUAGES, PRIORITIES
from content.local_time import is_midnight, local
from content.notices import Notice

# Form field suffixes of the notice languages (a field id may not hold "de-LS" nicely).
FIELD_OF_LANGUAGE = {"de": "de", "en": "en", "de-LS": "ls"}
LANGUAGE_OF_FIELD = {field: language for language, field in FIELD_OF_LANGUAGE.items()}


@dataclass(frozen=True)
class Choice:
    value: str
    label_key: str


CATEGORY_CHOICES = tuple(Choice(c, f"notices.category.{c}") for c in CATEGORIES)
PRIORITY_CHOICES = tuple(Choice(p, f"notices.priority.{p}") for p in PRIORITIES)
LANGUAGE_KEYS = {
    language: f"notices.language.{FIELD_OF_LANGUAGE[language]}" for language in LANGUAGES
}
LANGUAGE_CHOICES = tuple(Choice(language, LANGUAGE_KEYS[language]) for language in LANGUAGES)


def words_of(request: Request) -> Words:
    """The page's words, for what a route says before its template does."""
    return Words(desk_of(request).translator, language_of(request.cookies))


def number_words(t: Words, number: int) -> str:
    """20.000 / 20,000."""
    return str(format_decimal(number, locale=t.language))


def moment_words(t: Words, ms: int) -> str:
    """Fr 12.12.2026, 18:00 Uhr / Fri 12 Dec 2026, 18:00."""
    moment = local(ms)
    return t("notices.moment", day=day_words(t, ms), time=f"{moment:%H:%M}")


def day_words(t: Words, ms: int) -> str:
    """Fr 12.12.2026 / Fri 12 Dec 2026: the weekday first, as people plan by it."""
    moment = local(ms)
    date = str(format_date(moment.date(), t("notices.date_pattern"), locale=t.language))
    return t("notices.day", weekday=t(f"notices.weekday.{moment.weekday()}"), date=date)


def from_words(t: Words, ms: int) -> str:
    """A start at local midnight is that whole day: "ab Mo 14.12.2026"."""
    if is_midnight(ms):
        return t("notices.from_day", day=day_words(t, ms))
    return t("notices.from", moment=moment_words(t, ms))


def until_words(t: Words, ms: int | None) -> str:
    """An end at local midnight is the end of the day before ("bis Do 31.12.2026, 24:00 Uhr"),
    which is what a date given alone means; no end is "unbefristet"."""
    if ms is None:
        return t("notices.until_retracted")
    if is_midnight(ms):
        return t("notices.until_day_end", day=day_words(t, ms - 1))
    return t("notices.until", moment=moment_words(t, ms))


def window_words(t: Words, valid_from: int, valid_until: int | None) -> str:
    return t("notices.window", start=from_words(t, valid_from), end=until_words(t, valid_until))


def state_of(notice: Notice, at_ms: int) -> str:
    if notice.retracted:
        return "retracted"
    if notice.valid_from > at_ms:
        return "scheduled"
    if notice.valid_until is not None and notice.valid_until <= at_ms:
        return "expired"
    return "current"


def targets_words(
    t: Words, hubs: list[str], groups: list[str], hub_names: Mapping[str, str]
) -> str:
    """Hub names and groups in words; no targets at all is every hub of the network."""
    if not hubs and not groups:
        return t("notices.targets.everywhere")
    named = sorted(
        hub_names.get(key) or t("notices.targets.unknown_hub", id=key[:12]) for key in hubs
    )
    parts = named + [t("notices.targets.group", name=group) for group in sorted(groups)]
    return ", ".join(parts)


def languages_words(t: Words, titles: Mapping[str, str]) -> str:
    """The languages a notice has, in the order the editor shows them."""
    return ", ".join(t(choice.label_key) for choice in LANGUAGE_CHOICES if choice.value in titles)


def missing_languages(titles: Mapping[str, str]) -> list[str]:
    return [language for language in LANGUAGES if language not in titles]
