"""The kiosk's look as plain data: the reference panel, the physical rules, the palettes and the
sizes computed from them, and the layout and words of the two screens the desk previews.

kiosk/theme.py builds its Kivy theme from these; the desk's live preview (admin/desk/preview*.py)
draws the detail screen and the signage card with the same numbers, because the desk may not
import the kiosk. Pure: no Kivy, no screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from content.notice_qr import QUIET_ZONE, SCREEN_MAX_VERSION

MM_PER_INCH = 25.4
TARGET_MM = 16.0  # touch targets for older users
MIN_TARGET_PX = 44  # WCAG 2.2 2.5.5, whatever the panel
MIN_GAP_PX = 8
BODY_MM = 5.9  # 24 px on a 21.5" 1080p panel (0.248 mm per px)
MIN_BODY_PX = 24
LARGE_TEXT_FACTOR = 1.5
# EN 301 549 5.1.4: a capital H subtends at least 0.7 degrees. Read from two metres through the
# window, a capital of 2000 mm * tan(0.7°) = 24.4 mm needs a font of about 35 mm (cap height is
# about 0.7 of the font size).
SIGNAGE_FONT_MM = 2000 * math.tan(math.radians(0.7)) / 0.7

# ---- the layout of the screens the desk previews ---------------------------------------------
# Factors of the theme's sizes as the .kv files use them; tests/desk/test_preview_kiosk.py
# measures the running kiosk against them.
# detail.kv: the code's column is as wide as the largest code the kiosk draws
# (content.notice_qr.SCREEN_MAX_VERSION with its quiet zone), each module a whole number of
# pixels and at least QR_MODULE_MM on the panel, so an old phone's camera reads it.
QR_MODULE_MM = 2.0
QR_MAX_SIDE_MODULES = 17 + 4 * SCREEN_MAX_VERSION + 2 * QUIET_ZONE
# The caption under the code says what the phone gets (content.notice_qr.screen_payload's
# kinds; None: the notice has no code).
QR_CAPTION_KEYS: dict[str | None, str] = {
    "event": "detail.qr_event",
    "event_no_place": "detail.qr_event_no_place",
    "whole": "detail.qr_text",
    "title": "detail.qr_title",
    None: "detail.qr_none",
}
DETAIL_BOX_GAPS = 2  # detail.kv: gaps between the text and the code's column
SIGNAGE_PADDINGS = 4  # signage.kv: the signage card's padding, in paddings
SIGNAGE_GAPS = 3  # signage.kv: its spacing, in gaps
SIGNAGE_BODY_FACTOR = 0.75  # the signage body's size against its title's
# A short notice is set larger than the size read from two metres, up to this factor of it, so
# the card is filled rather than left mostly empty (content/signage.py fits the type).
SIGNAGE_MAX_FACTOR = 1.5
# KIOSK-UX.md: reading text at least 32 px at 1080p on the reference panel; in millimetres, so a
# denser panel gets as large letters. The signage's text never gets smaller: it pages instead.
READING_MIN_PX = 32
READING_MM = READING_MIN_PX * 21.5 * MM_PER_INCH / math.hypot(1920, 1080)
PAGE_STEP = 0.85  # kiosk/screens/base.py: one tap scrolls this much of a screenful
# The persistent bar's buttons, left to right, with their share of the width (bar.kv); None is
# an empty space between groups of buttons.
BAR_BUTTONS: tuple[tuple[str | None, float], ...] = (
    ("bar.back", 1.0),
    ("bar.home", 1.0),
    (None, 0.15),
    ("bar.read", 1.0),
    ("bar.repeat", 1.0),
    ("bar.headphones_off", 1.3),
    (None, 0.15),
    ("bar.help", 1.6),
)

# ---- the font ----------------------------------------------------------------------------------
# Kivy's default font, Roboto: a line is as high as its ascender plus descender (1900 + 500 of
# 2048 units per em), rounded up to whole pixels, as Kivy's SDL2 text renderer lays it out.
FONT_REGULAR = "Roboto-Regular.ttf"
FONT_BOLD = "Roboto-Bold.ttf"
FONT_LINE_PER_PX = (1900 + 500) / 2048


def line_px(font_px: float) -> int:
    """The height of one line of text at `font_px`."""
    return math.ceil(font_px * FONT_LINE_PER_PX)


@dataclass(frozen=True)
class Screen:
    """The reference panel: its resolution and physical diagonal."""

    width_px: int = 1920
    height_px: int = 1080
    diagonal_in: float = 21.5

    @property
    def mm_per_px(self) -> float:
        return self.diagonal_in * MM_PER_INCH / math.hypot(self.width_px, self.height_px)

    def px(self, mm: float) -> int:
        return math.ceil(mm / self.mm_per_px)

    def mm(self, px: float) -> float:
        return px * self.mm_per_px


@dataclass(frozen=True)
class Palette:
    name: str
    background: str  # screen
    text: str  # body text on the background
    surface: str  # panels (lists, text fields, overlays' boxes)
    surface_text: str
    button: str  # ordinary buttons
    button_text: str
    tile: str  # the home screen's tiles and the main action of a screen
    tile_text: str
    help: str  # the "Hilfe holen" button
    help_text: str
    bar: str  # the persistent bar
    border: str  # outlines that separate a target from what is behind it (non-text 3:1)
    marker: str  # the selected-state stripe on a button
    alert: str  # emergency takeover, idle warning, errors
    alert_text: str


DEFAULT = Palette(
    name="default",
    background="#FAF7F0",
    text="#1A1A1A",
    surface="#FFFFFF",
    surface_text="#1A1A1A",
    button="#374151",
    button_text="#FFFFFF",
    tile="#0B3D91",
    tile_text="#FFFFFF",
    help="#9B1C1C",
    help_text="#FFFFFF",
    bar="#E5DED0",
    border="#1A1A1A",
    marker="#FFD200",
    alert="#8B0000",
    alert_text="#FFFFFF",
)
HIGH_CONTRAST = Palette(
    name="high-contrast",
    background="#000000",
    text="#FFFFFF",
    surface="#000000",
    surface_text="#FFFFFF",
    button="#000000",
    button_text="#FFFF00",
    tile="#000000",
    tile_text="#FFFF00",
    help="#FFFF00",
    help_text="#000000",
    bar="#000000",
    border="#FFFF00",
    marker="#00FFFF",
    alert="#8B0000",
    alert_text="#FFFFFF",
)
PALETTES = {palette.name: palette for palette in (DEFAULT, HIGH_CONTRAST)}


# KIOSK-UX.md, EN 301 549 5.1.4: reading text at least 32 px at 1080p, and its capital letters
# subtend 0.7 degrees at 50 cm (6.1 mm, 25 px on the reference panel). Roboto's capitals are
# 1456 of its 2048 units per em high, so that takes a 35 px font there.
READING_CAP_MM = 500 * math.tan(math.radians(0.7))
CAP_HEIGHT_EM = 1456 / 2048
# KIOSK-UX.md: a line of reading text holds at most 70 characters. A line is set no wider than
# this many average characters of Roboto (about 0.45 of the font size, spaces included, in
# German and English text), so ordinary text stays within 70; tests/kiosk count the characters
# of every line Kivy lays out, and the desk's preview wraps a notice's text the same way.
MEASURE_CHARS = 70
AVERAGE_CHAR_EM = 0.45


@dataclass(frozen=True)
class Sizes:
    """Every size of the kiosk in pixels of its panel."""

    target: int  # minimum side of a touch target
    gap: int  # space between targets
    padding: int
    body: int  # body text
    heading: int
    title: int  # the largest heading (village name, emergency)
    button_height: int
    tile_height: int
    row_height: int  # one notice in the list: title and a line of details
    signage_title: int
    signage_body: int
    qr_module: int  # the side of a QR module, in whole pixels
    qr_column: int  # the detail screen's column for the code
    reading: int  # reading text: list rows, a notice's text, home's "today"
    measure: int  # the widest line of reading text (MEASURE_CHARS)

    @property
    def bar_height(self) -> int:
        return self.button_height + 2 * self.padding


def sizes(screen: Screen, large_text: bool = False) -> Sizes:
    factor = LARGE_TEXT_FACTOR if large_text else 1.0
    target = max(MIN_TARGET_PX, screen.px(TARGET_MM))
    body = round(max(MIN_BODY_PX, screen.px(BODY_MM)) * factor)
    gap = max(MIN_GAP_PX, round(target * 0.2))
    signage_title = screen.px(SIGNAGE_FONT_MM)
    capitals = math.ceil(READING_CAP_MM / screen.mm_per_px / CAP_HEIGHT_EM)
    reading = max(round(max(reading_px(screen), capitals) * factor), body)
    return Sizes(
        target=target,
        gap=gap,
        padding=gap,
        body=body,
        heading=round(body * 1.25),
        title=round(body * 1.8),
        button_height=max(target, round(body * 2.2)),
        tile_height=max(2 * target, round(body * 5)),
        row_height=max(target, round(body * 3.6)),
        signage_title=signage_title,
        signage_body=round(signage_title * SIGNAGE_BODY_FACTOR),
        qr_module=math.ceil(QR_MODULE_MM / screen.mm_per_px),
        qr_column=QR_MAX_SIDE_MODULES * math.ceil(QR_MODULE_MM / screen.mm_per_px),
        reading=reading,
        measure=round(MEASURE_CHARS * AVERAGE_CHAR_EM * reading),
    )


def reading_px(screen: Screen) -> int:
    """The smallest reading text on `screen` (KIOSK-UX.md), in its pixels."""
    return max(READING_MIN_PX, round(READING_MM / screen.mm_per_px))


def border_width(palette: Palette) -> int:
    return 3 if palette is HIGH_CONTRAST else 2


# ---- the words on those screens ---------------------------------------------------------------
# The kiosk reads its words from its catalogs (kiosk/locale); these are copies of the few the
# preview shows, by catalog key and language. tests/desk/test_preview_look.py keeps them equal.
DETAIL_PAGE_KEYS = ("page.up", "page.down")
KIOSK_WORDS: dict[str, dict[str, str]] = {
    "detail.when": {"de": "Wann: {when}", "en": "When: {when}", "de-LS": "Wann: {when}"},
    "detail.where": {"de": "Wo: {place}", "en": "Where: {place}", "de-LS": "Wo: {place}"},
    "detail.until": {
        "de": "{start} bis {end} Uhr",
        "en": "{start} to {end}",
        "de-LS": "{start} bis {end} Uhr",
    },
    "format.date_time": {
        "de": "{date}, {time} Uhr",
        "en": "{date}, {time}",
        "de-LS": "{date}, {time} Uhr",
    },
    "detail.qr_event": {
        "de": "Mit dem Handy scannen: Titel, Zeit und Ort kommen in Ihren Kalender.",
        "en": "Scan with your phone: the title, time and place go into your calendar.",
        "de-LS": (
            "Halten Sie Ihr Handy auf das Bild. Dann ist der Termin in Ihrem Handy: Titel, "
            "Zeit und Ort."
        ),
    },
    "detail.qr_text": {
        "de": "Mit dem Handy scannen: der ganze Aushang kommt auf Ihr Handy.",
        "en": "Scan with your phone to take the whole notice with you.",
        "de-LS": "Halten Sie Ihr Handy auf das Bild. Dann ist der ganze Aus·hang in Ihrem Handy.",
    },
    "detail.qr_event_no_place": {
        "de": (
            "Mit dem Handy scannen: Titel und Zeit kommen in Ihren Kalender. Der Ort ist zu "
            "lang für den Code."
        ),
        "en": (
            "Scan with your phone: the title and time go into your calendar. The place is too"
            " long for the code."
        ),
        "de-LS": (
            "Halten Sie Ihr Handy auf das Bild. Dann ist der Termin in Ihrem Handy: Titel und"
            " Zeit. Der Ort passt nicht in das Bild."
        ),
    },
    "detail.qr_title": {
        "de": (
            "Mit dem Handy scannen: nur der Titel kommt auf Ihr Handy. Der Text ist zu lang "
            "für den Code."
        ),
        "en": (
            "Scan with your phone: only the title goes onto your phone. The text is too long "
            "for the code."
        ),
        "de-LS": (
            "Halten Sie Ihr Handy auf das Bild. Dann ist der Titel in Ihrem Handy. Der Text "
            "passt nicht in das Bild."
        ),
    },
    "detail.qr_none": {
        "de": "Dieser Aushang ist zu lang für einen QR-Code.",
        "en": "This notice is too long for a QR code.",
        "de-LS": "Der Aus·hang ist zu lang für ein Bild für das Handy.",
    },
    "page.up": {"de": "Nach oben", "en": "Page up", "de-LS": "Nach oben"},
    "page.down": {"de": "Weiter unten", "en": "Page down", "de-LS": "Nach unten"},
    "signage.page": {
        "de": "Seite {page} von {pages}",
        "en": "Page {page} of {pages}",
        "de-LS": "Seite {page} von {pages}",
    },
    "signage.hint": {
        "de": "Berühren Sie den Bildschirm, um zu beginnen.",
        "en": "Touch the screen to begin.",
        "de-LS": "Berühren Sie den Bild·schirm. Dann geht es los.",
    },
    "priority.important": {"de": "Wichtig", "en": "Important", "de-LS": "Wichtig"},
    "priority.emergency": {"de": "NOTFALL", "en": "EMERGENCY", "de-LS": "ACHTUNG, GEFAHR"},
    "category.allgemein": {"de": "Allgemein", "en": "General", "de-LS": "Allgemein"},
    "category.veranstaltung": {"de": "Veranstaltung", "en": "Event", "de-LS": "Treffen und Feste"},
    "category.gesundheit": {"de": "Gesundheit", "en": "Health", "de-LS": "Gesundheit"},
    "category.mobilitaet": {"de": "Mobilität", "en": "Getting around", "de-LS": "Bus und Fahren"},
    "category.verwaltung": {"de": "Verwaltung", "en": "Administration", "de-LS": "Amt"},
    "category.warnung": {"de": "Warnung", "en": "Warning", "de-LS": "Achtung"},
    "category.digitales": {"de": "Digitales", "en": "Digital help", "de-LS": "Computer und Handy"},
    "category.verein": {"de": "Vereine", "en": "Clubs", "de-LS": "Vereine"},
    "bar.back": {"de": "Zurück", "en": "Back", "de-LS": "Zurück"},
    "bar.home": {"de": "Start", "en": "Home", "de-LS": "Start"},
    "bar.read": {"de": "Vorlesen", "en": "Read aloud", "de-LS": "Vor·lesen"},
    "bar.repeat": {"de": "Nochmal", "en": "Repeat", "de-LS": "Noch·mal"},
    "bar.headphones_off": {
        "de": "Kopfhörer: aus",
        "en": "Headphones: off",
        "de-LS": "Kopf·hörer: aus",
    },
    "bar.help": {"de": "Hilfe holen", "en": "Get help", "de-LS": "Hilfe holen"},
}
