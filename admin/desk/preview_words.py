"""The kiosk's lines on the two screens the desk previews, in its three languages: its words
(content.kiosk_look.KIOSK_WORDS) and its way of writing dates and times, as kiosk/i18n.py and
kiosk/screens/board.py write them. tests/desk/test_preview_look.py keeps both equal."""

from __future__ import annotations

from babel.dates import format_date, format_time

from content.catalogs import babel_locale
from content.kiosk_look import KIOSK_WORDS
from content.local_time import local


def kiosk_word(language: str, key: str, **values: object) -> str:
    text = KIOSK_WORDS[key][language]
    return text.format(**values) if values else text


def kiosk_date(language: str, ms: int) -> str:
    """Samstag, 12. Dezember 2026: the kiosk spells the weekday out."""
    return str(format_date(local(ms).date(), format="full", locale=babel_locale(language)))


def kiosk_time(language: str, ms: int) -> str:
    return str(format_time(local(ms), format="HH:mm", locale=babel_locale(language)))


def kiosk_short_date(language: str, ms: int) -> str:
    return str(format_date(local(ms).date(), format="medium", locale=babel_locale(language)))


def kiosk_date_time(language: str, ms: int) -> str:
    date, time = kiosk_date(language, ms), kiosk_time(language, ms)
    return kiosk_word(language, "format.date_time", date=date, time=time)


def when_line(language: str, start: int | None, end: int | None) -> str:
    """The detail screen's "Wann:" line, or "" for a notice without an event."""
    if start is None:
        return ""
    when = kiosk_date_time(language, start)
    if end is not None:
        when = kiosk_word(language, "detail.until", start=when, end=kiosk_time(language, end))
    return kiosk_word(language, "detail.when", when=when)


def where_line(language: str, place: str | None) -> str:
    return kiosk_word(language, "detail.where", place=place) if place else ""


def meta_line(language: str, category: str, priority: str, published_at: int) -> str:
    """The line under the title: priority (unless normal), category and publishing date."""
    parts = [kiosk_word(language, f"category.{category}")]
    if priority != "normal":
        parts.insert(0, kiosk_word(language, f"priority.{priority}"))
    parts.append(kiosk_short_date(language, published_at))
    return " · ".join(parts)
