"""The kiosk's words: gettext catalogs for German, English and Leichte Sprache.

Catalogs are the .po files under kiosk/locale/<language>/LC_MESSAGES/kiosk.po, read with Babel at
start, so a fresh clone needs no compile step. Message ids are short keys (`tile.notices`), so a
missing translation shows up as a key, never as silently German text in an English screen.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from content.catalogs import (
    Plurals,
    babel_locale,
    read_catalog,
    read_catalog_and_plurals,
    read_plurals,
)
from content.languages import LANGUAGES
from content.local_time import local

DEFAULT_LANGUAGE = "de"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "kiosk"
# A day coming up, written out (Babel's skeletons pick the abbreviated weekday).
DAY_PATTERNS = {"de_DE": "EEEE, d. MMMM", "en_GB": "EEEE d MMMM"}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(language: str) -> dict[str, str]:
    """msgid -> msgstr of one language, read from its .po file."""
    return read_catalog(po_path(language), language, DOMAIN)


def load_plurals(language: str) -> Plurals:
    """The messages with plural forms of one language ("{count} Aushang" / "{count} Aushänge")."""
    return read_plurals(po_path(language), language)


@lru_cache(maxsize=4096)
def _short_date(language: str, day: date) -> str:
    # A list of thousands of notices has few distinct days; Babel takes tens of µs per call.
    return str(format_date(day, format="medium", locale=babel_locale(language)))


class Translator:
    """Looks keys up in the current language; `t(key, **values)` formats placeholders."""

    def __init__(self) -> None:
        read = {
            language: read_catalog_and_plurals(po_path(language), language, DOMAIN)
            for language in LANGUAGES
        }
        self.catalogs = {language: texts for language, (texts, _) in read.items()}
        self.plurals = {language: plurals for language, (_, plurals) in read.items()}

    def t(self, language: str, key: str, **values: object) -> str:
        text = self.catalogs[language].get(key) or key
        return text.format(**values) if values else text

    def tn(self, language: str, key: str, count: int, **values: object) -> str:
        """A message with plural forms, the form for `count` chosen by the language's gettext
        rule; `count` is also a placeholder."""
        text = self.plurals[language].get(key, count) or key
        return text.format(count=count, **values)

    def date(self, language: str, ms: int) -> str:
        moment = local(ms)
        return str(format_date(moment.date(), format="full", locale=babel_locale(language)))

    def time(self, language: str, ms: int) -> str:
        moment = local(ms)
        return str(format_time(moment, format="HH:mm", locale=babel_locale(language)))

    def short_date(self, language: str, ms: int) -> str:
        return _short_date(language, local(ms).date())

    def number(self, language: str, value: float) -> str:
        """One decimal, in the language's way (German: 82,5)."""
        return str(format_decimal(value, format="#,##0.0", locale=babel_locale(language)))

    def day_time(self, language: str, ms: int) -> str:
        """Weekday, day and month written out, and the time ("Freitag, 4. Dezember, 14:30
        Uhr"): no year and no abbreviation, for what is coming up."""
        locale = babel_locale(language)
        day = format_date(local(ms).date(), DAY_PATTERNS[locale], locale=locale)
        return self.t(language, "format.date_time", date=day, time=self.time(language, ms))

    def date_time(self, language: str, ms: int) -> str:
        return self.t(
            language, "format.date_time", date=self.date(language, ms), time=self.time(language, ms)
        )
