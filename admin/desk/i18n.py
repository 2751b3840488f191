"""The desk's words, German first with English beside it, and how it writes dates and times.

Catalogs are .po files under admin/desk/locale/<language>/LC_MESSAGES/desk.po, read with Babel
when the desk starts (no compile step). Message ids are short keys (`login.title`), so a missing
text shows up as its key, never as German in an English page. The language is the browser's
choice, kept in a cookie that the switch in every page's header sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from babel.dates import format_date, format_time

from content.catalogs import babel_locale, read_catalog
from content.local_time import local

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_COOKIE = "dorfhub_desk_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "desk"


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(language: str) -> dict[str, str]:
    """msgid -> msgstr of one language, read from its .po file."""
    return read_catalog(po_path(language), language, DOMAIN)


def language_of(cookies: Mapping[str, str]) -> str:
    chosen = cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    def __init__(self) -> None:
        self.catalogs = {language: load_catalog(language) for language in LANGUAGES}

    def t(self, language: str, key: str, **values: object) -> str:
        text = self.catalogs[language].get(key) or key
        return text.format(**values) if values else text

    def day(self, language: str, ms: int) -> str:
        """A date alone, in Europe/Berlin: 03.12.2026 / 3 Dec 2026."""
        return str(format_date(local(ms).date(), "medium", locale=babel_locale(language)))

    def moment(self, language: str, ms: int) -> str:
        """A date and time in Europe/Berlin: 03.12.2026, 14:05 Uhr."""
        clock = str(format_time(local(ms), "HH:mm", locale=babel_locale(language)))
        return self.t(language, "format.date_time", date=self.day(language, ms), time=clock)


class Words:
    """The translator bound to one page's language, as templates call it: t("key", name=…)."""

    def __init__(self, translator: Translator, language: str) -> None:
        self.translator = translator
        self.language = language

    def __call__(self, key: str, **values: object) -> str:
        return self.translator.t(self.language, key, **values)

    def day(self, ms: int) -> str:
        return self.translator.day(self.language, ms)

    def moment(self, ms: int) -> str:
        return self.translator.moment(self.language, ms)
