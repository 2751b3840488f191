"""The words of the kiosk and the desk: gettext catalogs (.po files) read with Babel at start,
so a fresh clone needs no compile step, and the Babel locale each of Dorfhub's languages
formats dates and numbers with. One home for what both user interfaces need."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

# Leichte Sprache is German: dates and numbers follow the German locale.
BABEL_LOCALES = {"de": "de_DE", "en": "en_GB", "de-LS": "de_DE"}


def babel_locale(language: str) -> str:
    return BABEL_LOCALES[language]


def read_catalog(path: Path, language: str, domain: str) -> dict[str, str]:
    """msgid -> msgstr of one language, read from its .po file."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=babel_locale(language))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(buffer, domain=domain)
    return {
        str(message.id): translations.gettext(str(message.id)) for message in catalog if message.id
    }
