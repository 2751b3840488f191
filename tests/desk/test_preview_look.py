"""The preview and the kiosk agree without the desk importing the kiosk: the numbers (theme and
content/kiosk_look.py), the words (kiosk catalogs and KIOSK_WORDS), the dates, the stylesheet
made from the numbers, the font files, and Kivy's way of breaking and cutting lines."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict
from datetime import date, time
from pathlib import Path

import pytest

from admin.desk import preview_words
from admin.desk.i18n import LANGUAGES as DESK_LANGUAGES
from admin.desk.i18n import load_catalog as desk_catalog
from admin.desk.preview_css import DESK_CSS, block, block_in
from admin.desk.preview_layout import STATIC, measure, pages, signage, wrap
from content import kiosk_look
from content.local_time import local_ms
from content.print_layout import font_dir
from kiosk import theme
from kiosk.i18n import LANGUAGES, Translator
from kiosk.i18n import load_catalog as kiosk_catalog

DESK = Path(preview_words.__file__).parent
# Moments around the clocks changing in spring and autumn, and a plain winter afternoon.
MOMENTS = [
    local_ms(date(2026, 3, 29), time(1, 30)),
    local_ms(date(2026, 10, 25), time(2, 30)),
    local_ms(date(2026, 12, 12), time(14, 0)),
]


@pytest.mark.parametrize("large_text", [False, True])
@pytest.mark.parametrize("palette", list(kiosk_look.PALETTES.values()))
def test_the_kiosk_theme_is_made_from_the_shared_numbers(
    large_text: bool, palette: kiosk_look.Palette
) -> None:
    screen = kiosk_look.Screen()
    made = theme.make_theme(screen, palette, large_text)
    shared = kiosk_look.sizes(screen, large_text)
    assert {name: getattr(made, name) for name in asdict(shared)} == asdict(shared)
    assert made.border_width == kiosk_look.border_width(palette)
    assert made.palette is palette
    assert theme.DEFAULT is kiosk_look.DEFAULT
    assert theme.Screen is kiosk_look.Screen


def test_the_reference_panel_has_the_sizes_the_preview_draws() -> None:
    size = kiosk_look.sizes(kiosk_look.Screen())
    assert (size.body, size.heading, size.title, size.target, size.gap) == (24, 30, 43, 65, 13)
    assert (size.signage_title, size.signage_body, size.bar_height) == (141, 106, 91)
    # Kivy's line heights for Roboto at those sizes (read from the running kiosk's labels).
    assert [kiosk_look.line_px(px) for px in (24, 30, 43, 100, 141)] == [29, 36, 51, 118, 166]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_kiosk_words_are_the_kiosk_catalogs(language: str) -> None:
    catalog = kiosk_catalog(language)
    copied = {key: texts[language] for key, texts in kiosk_look.KIOSK_WORDS.items()}
    assert copied == {key: catalog[key] for key in copied}
    bar_keys = {key for key, _ in kiosk_look.BAR_BUTTONS if key is not None}
    assert bar_keys | set(kiosk_look.DETAIL_PAGE_KEYS) <= set(copied)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("moment", MOMENTS)
def test_dates_are_written_as_the_kiosk_writes_them(language: str, moment: int) -> None:
    kiosk = Translator()
    assert preview_words.kiosk_date_time(language, moment) == kiosk.date_time(language, moment)
    assert preview_words.kiosk_time(language, moment) == kiosk.time(language, moment)
    assert preview_words.kiosk_short_date(language, moment) == kiosk.short_date(language, moment)
    # The detail screen's "Wann:" line (kiosk/screens/board.py DetailScreen.refresh).
    end = moment + 3 * 3_600_000
    until = kiosk.t(
        language,
        "detail.until",
        start=kiosk.date_time(language, moment),
        end=kiosk.time(language, end),
    )
    assert preview_words.when_line(language, moment, end) == kiosk.t(
        language, "detail.when", when=until
    )


def test_the_stylesheet_block_is_made_from_the_numbers() -> None:
    """Run `python -m admin.desk.preview_css` when this fails."""
    assert block_in(DESK_CSS.read_text()) == block()
    css = block()
    size = kiosk_look.sizes(kiosk_look.Screen())
    assert f".k-title {{ font-size: {size.title}px;" in css
    assert f"background: {kiosk_look.DEFAULT.tile};" in css


def test_the_desk_serves_the_kiosks_own_font() -> None:
    kivy_fonts = font_dir()
    if kivy_fonts is None:
        pytest.skip("Kivy's fonts are not installed")
    for name in (kiosk_look.FONT_REGULAR, kiosk_look.FONT_BOLD):
        ours = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()
        assert ours == hashlib.sha256((kivy_fonts / name).read_bytes()).hexdigest()
    assert "Apache License" in (STATIC / "LICENSE-Roboto.txt").read_text()


# ---- Kivy's line breaking, as it laid these texts out (Kivy 2.3.1, SDL2) ---------------------

LONG_TITLE = (
    "Seniorennachmittag mit Kaffee und Kuchen im Pfarrheim Perlesreut für alle Generationen"
)


def test_lines_wrap_at_spaces_and_keep_blank_lines() -> None:
    assert wrap(LONG_TITLE, 1816, measure(141, bold=True)) == [
        "Seniorennachmittag mit",
        "Kaffee und Kuchen im",
        "Pfarrheim Perlesreut für alle",
        "Generationen",
    ]
    assert wrap("Erste Zeile\n\nDritte", 1452, measure(24)) == ["Erste Zeile", "", "Dritte"]
    assert wrap("a  b   c", 1452, measure(24)) == ["a  b   c"]


def test_a_word_no_line_holds_is_split_between_letters() -> None:
    text = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung ist lang"
    assert wrap(text, 1000, measure(141)) == [
        "Donaudampfsc",
        "hifffahrtsgesell",
        "schaftskapitän",
        "switwenrentenv",
        "ersicherung ist",
        "lang",
    ]


def test_the_signage_is_laid_out_by_the_kiosks_rule_with_the_kiosks_font() -> None:
    """content/signage.py lays the card out for both; here with Roboto through Pillow."""
    (card,) = signage(
        kiosk_look.Screen(), kiosk_look.sizes(kiosk_look.Screen()), LONG_TITLE, (), ""
    )
    assert card.title.split() == LONG_TITLE.split()  # whole, wrapped at spaces
    assert card.title_px > 141  # a short notice is set larger than the two-metre size
    width = 1816 - 4
    assert all(measure(card.title_px, bold=True)(line) <= width for line in card.title.split("\n"))


def test_pages_step_by_most_of_a_screenful() -> None:
    assert pages(500, 500) == 1
    assert pages(501, 500) == 2
    assert pages(500 + 425, 500) == 2  # one tap moves 85 % of the view
    assert pages(500 + 426, 500) == 3
    assert pages(100, 0) == 0


# ---- the desk's own words ---------------------------------------------------------------------

MY_KEY = r"(?:preview|fleet|print)(?:\.[A-Za-z_-]+)+"
MY_FILES = ("preview*.py", "fleet*.py", "printing.py")
MY_TEMPLATES = ("preview*.html", "fleet*.html", "partials/preview_*.html", "partials/print_*.html")


def my_keys() -> set[str]:
    """The catalog keys my pages name: literals in their modules and templates, with the
    parts made at run time (languages, notes, problems, screens, states) spelt out."""
    found: set[str] = set()
    for pattern in (*MY_FILES, *(f"templates/{name}" for name in MY_TEMPLATES)):
        for path in DESK.glob(pattern):
            found |= set(re.findall(rf"""["']({MY_KEY})["']""", path.read_text()))
    found |= {f"preview.language.{lang}" for lang in LANGUAGES}
    found |= {f"print.language.{lang}" for lang in LANGUAGES}
    found |= {f"preview.note.fallback.{lang}" for lang in ("en", "de-LS")}
    found |= {f"preview.note.unreadable.{name}" for name in ("event_start", "event_end")}
    found |= {f"fleet.state.{state}" for state in ("online", "offline", "never")}
    found |= {f"fleet.screen.{screen}" for screen in ("home", "signage", "emergency")}
    found |= {f"fleet.sorted.{column}" for column in ("problems", "name", "seen", "ops", "disk")}
    found |= {f"fleet.span.{unit}" for unit in ("day", "days", "days_dative")}
    found |= {f"fleet.span.{unit}" for unit in ("year", "years", "years_dative")}
    from admin.desk.fleet_words import PROBLEM_KEYS

    found |= {f"fleet.problem.{key}" for key in PROBLEM_KEYS.values()}
    return {key for key in found if not key.endswith((".html", ".py"))}


@pytest.mark.parametrize("language", DESK_LANGUAGES)
def test_every_word_of_the_preview_hubs_and_print_pages_is_in_both_catalogs(
    language: str,
) -> None:
    catalog = desk_catalog(language)
    keys = my_keys()
    assert len(keys) > 100
    assert sorted(key for key in keys if not catalog.get(key)) == []
