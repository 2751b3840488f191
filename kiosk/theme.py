"""Colours and sizes of the kiosk, computed for the physical panel (KIOSK-UX.md rules).

Sizes are pixels on the reference screen: a panel of `diagonal_in` inches showing `width_px` x
`height_px`. Physical rules (16 mm targets, text height) are turned into pixels from that, so the
same code gives about 65 px targets on a 21.5" 1080p panel and more on a small dense one.
Pure logic: no Kivy here, so the rules can be checked without a window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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

RGBA = tuple[float, float, float, float]


def hex_rgba(text: str) -> RGBA:
    value = text.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (red, green, blue, 1.0)


def relative_luminance(colour: RGBA) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour (alpha ignored)."""

    def linear(channel: float) -> float:
        if channel <= 0.04045:
            return channel / 12.92
        return float(((channel + 0.055) / 1.055) ** 2.4)

    red, green, blue = (linear(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: RGBA, second: RGBA) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


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


@dataclass(frozen=True)
class Theme:
    """Everything the .kv files read: colours as Kivy RGBA tuples and sizes in pixels."""

    palette: Palette
    large_text: bool
    target: int  # minimum side of a touch target
    gap: int  # space between targets
    padding: int
    body: int  # body text
    heading: int
    title: int  # the largest heading (village name, emergency)
    button_height: int
    tile_height: int
    row_height: int  # one notice in the list: title and a line of details
    border_width: int
    signage_title: int
    signage_body: int

    def colour(self, name: str) -> RGBA:
        return hex_rgba(getattr(self.palette, name))

    def __getattr__(self, name: str) -> RGBA:
        # `app.th.c_text` in .kv reads the palette colour `text` as RGBA.
        if name.startswith("c_"):
            return hex_rgba(getattr(self.palette, name[2:]))
        raise AttributeError(name)


def make_theme(screen: Screen, palette: Palette = DEFAULT, large_text: bool = False) -> Theme:
    factor = LARGE_TEXT_FACTOR if large_text else 1.0
    target = max(MIN_TARGET_PX, screen.px(TARGET_MM))
    body = round(max(MIN_BODY_PX, screen.px(BODY_MM)) * factor)
    gap = max(MIN_GAP_PX, round(target * 0.2))
    button_height = max(target, round(body * 2.2))
    signage_title = screen.px(SIGNAGE_FONT_MM)
    return Theme(
        palette=palette,
        large_text=large_text,
        target=target,
        gap=gap,
        padding=gap,
        body=body,
        heading=round(body * 1.25),
        title=round(body * 1.8),
        button_height=button_height,
        tile_height=max(2 * target, round(body * 5)),
        row_height=max(target, round(body * 3.6)),
        border_width=3 if palette is HIGH_CONTRAST else 2,
        signage_title=signage_title,
        signage_body=round(signage_title * 0.75),
    )
