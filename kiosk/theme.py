"""Colours and sizes of the kiosk, computed for the physical panel (KIOSK-UX.md rules).

Sizes are pixels on the reference screen: a panel of `diagonal_in` inches showing `width_px` x
`height_px`. Physical rules (16 mm targets, text height) are turned into pixels from that, so the
same code gives about 65 px targets on a 21.5" 1080p panel and more on a small dense one.
Pure logic: no Kivy here, so the rules can be checked without a window.
"""

from __future__ import annotations

from dataclasses import dataclass

# The numbers live in content/kiosk_look.py, which the desk's live preview reads as well (the
# desk may not import the kiosk): one definition of how the kiosk looks.
from content.kiosk_look import DEFAULT as DEFAULT
from content.kiosk_look import HIGH_CONTRAST as HIGH_CONTRAST
from content.kiosk_look import MIN_GAP_PX as MIN_GAP_PX
from content.kiosk_look import MIN_TARGET_PX as MIN_TARGET_PX
from content.kiosk_look import PALETTES as PALETTES
from content.kiosk_look import TARGET_MM as TARGET_MM
from content.kiosk_look import Palette as Palette
from content.kiosk_look import Screen as Screen
from content.kiosk_look import border_width, sizes

RGBA = tuple[float, float, float, float]
# The pictograms of the tiles (the Fork Awesome font in kiosk/assets, SIL OFL 1.1), this many
# times the heading's size.
ICON_FACTOR = 2.2
# Colours the kiosk uses beyond content.kiosk_look's palettes (which the desk's preview shares):
# an important notice's fill and text, and the stripe that marks it, per palette.
EXTRA_COLOURS: dict[str, dict[str, str]] = {
    "default": {"important": "#FFF1C2", "important_text": "#1A1A1A", "important_mark": "#7C2D12"},
    "high-contrast": {
        "important": "#000000",
        "important_text": "#FFFFFF",
        "important_mark": "#00FFFF",
    },
}


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
    qr_module: int
    qr_column: int
    reading: int  # reading text: list rows, a notice's text, home's "today" (>= 32 px at 1080p)
    measure: int  # the widest line of reading text (MEASURE_CHARS)
    icon: int  # a tile's pictogram

    def colour(self, name: str) -> RGBA:
        extra = EXTRA_COLOURS[self.palette.name].get(name)
        return hex_rgba(extra if extra else getattr(self.palette, name))

    def __getattr__(self, name: str) -> RGBA:
        # `app.th.c_text` in .kv reads the palette colour `text` as RGBA.
        if name.startswith("c_"):
            return self.colour(name[2:])
        raise AttributeError(name)


def make_theme(screen: Screen, palette: Palette = DEFAULT, large_text: bool = False) -> Theme:
    size = sizes(screen, large_text)
    return Theme(
        palette=palette,
        large_text=large_text,
        target=size.target,
        gap=size.gap,
        padding=size.padding,
        body=size.body,
        heading=size.heading,
        title=size.title,
        button_height=size.button_height,
        tile_height=size.tile_height,
        row_height=size.row_height,
        border_width=border_width(palette),
        signage_title=size.signage_title,
        signage_body=size.signage_body,
        qr_module=size.qr_module,
        qr_column=size.qr_column,
        reading=size.reading,
        measure=size.measure,
        # Pictograms keep their size in large text: the words beside them grow.
        icon=round(sizes(screen).heading * ICON_FACTOR),
    )
