"""The words of the kiosk and the desk: gettext catalogs (.po files) read with Babel at start,
so a fresh clone needs no compile step, and the Babel locale each of Dorfhub's languages
formats dates and numbers with. One home for what both user interfaces need."""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

# Leichte Sprache is German: dates and numbers follow the German locale.
BABEL_LOCALES = {"de": "de_DE", "en": "en_GB", "de-LS": "de_DE"}


def babel_locale(language: str) -> str:
    return BABEL_LOCALES[language]


def _read_po(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=babel_locale(language))


def read_catalog(path: Path, language: str, domain: str) -> dict[str, str]:
    """msgid -> msgstr of one language, read from its .po file (messages with plural forms are
    `read_plurals`')."""
    return read_catalog_and_plurals(path, language, domain)[0]


def read_catalog_and_plurals(
    path: Path, language: str, domain: str
) -> tuple[dict[str, str], Plurals]:
    """`read_catalog` and `read_plurals` of one file, read once."""
    catalog = _read_po(path, language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(buffer, domain=domain)
    texts = {
        str(message.id): translations.gettext(str(message.id))
        for message in catalog
        if message.id and not message.pluralizable
    }
    return texts, _plurals(catalog)


@dataclass(frozen=True)
class Plurals:
    """The messages of one catalog that have plural forms ("1 Aushang", "2 Aushänge"): key (the
    msgid) -> its forms, and the language's gettext rule choosing a form for a number."""

    forms: dict[str, tuple[str, ...]]
    rule: Callable[[int], int]

    def get(self, key: str, count: int) -> str | None:
        forms = self.forms.get(key)
        if not forms:
            return None
        return forms[min(self.rule(count), len(forms) - 1)]


def read_plurals(path: Path, language: str) -> Plurals:
    """The plural messages of one .po file, with the rule of its Plural-Forms header (or the
    locale's own, when the header has none)."""
    return _plurals(_read_po(path, language))


def _plurals(catalog: Catalog) -> Plurals:
    forms = {
        str(message.id[0]): tuple(str(form) for form in message.string or ())
        for message in catalog
        if message.id and message.pluralizable
    }
    return Plurals(forms, gettext.c2py(catalog.plural_expr))
