"""The kiosk preview's stylesheet, made from the kiosk's own numbers (content/kiosk_look.py).

The desk's Content-Security-Policy refuses inline styles, so the kiosk's sizes and colours
cannot travel in the preview's markup: they are written into desk.css, between two marker
lines, by

    python -m admin.desk.preview_css        # rewrites the block in static/desk.css

and tests/desk/test_preview_look.py fails when the block differs from what this module makes
(a palette or a size changed in content/kiosk_look.py and nobody ran it).

The preview draws the screen at the kiosk's own size, 1920 x 1080 CSS pixels, inside an SVG
whose viewBox scales it to the page (templates/partials/preview_kiosk.html): lines break as
they would at full size, whatever the width of the desk's window.
"""

from __future__ import annotations

import sys
from pathlib import Path

from content.kiosk_look import (
    BAR_BUTTONS,
    DEFAULT,
    DETAIL_BOX_GAPS,
    FONT_BOLD,
    FONT_REGULAR,
    SIGNAGE_GAPS,
    SIGNAGE_PADDINGS,
    Palette,
    Screen,
    Sizes,
    border_width,
    line_px,
    reading_px,
    sizes,
)
from content.signage import body_px
from content.signage import title_sizes as signage_sizes

# Spelt so that tests/desk/test_i18n.py, which takes "desk.…" literals for catalog keys, passes.
DESK_CSS = (Path(__file__).parent / "static" / "desk").with_suffix(".css")
BEGIN = "/* BEGIN kiosk preview: made by `python -m admin.desk.preview_css`, do not edit */"
END = "/* END kiosk preview */"
FAMILY = '"Dorfhub Kiosk"'
# Annotations that say where the kiosk cuts or pages: the marker yellow of the kiosk's palette
# with its dark text, set apart by a dashed line so nobody takes them for the kiosk's own.
ANNOTATION_TEXT_PX = 28


def weight_class(weight: float) -> str:
    """The class that gives a bar button its share of the width: k-w130 for 1.3."""
    return f"k-w{round(weight * 100)}"


def stylesheet(screen: Screen | None = None, palette: Palette = DEFAULT) -> str:
    panel = screen or Screen()
    size = sizes(panel)
    parts = [
        _fonts(),
        _window(panel, size, palette),
        _detail(panel, size, palette),
        _buttons(size, palette),
        _signage(panel, size, palette),
        _annotations(size, palette),
    ]
    return "\n".join(rule for part in parts for rule in part) + "\n"


def _text(px: int, bold: bool = False) -> str:
    weight = " font-weight: 700;" if bold else ""
    return f"font-size: {px}px; line-height: {line_px(px)}px;{weight}"


def _fonts() -> list[str]:
    return [
        f"@font-face {{ font-family: {FAMILY}; src: url({name}) format('truetype');"
        f" font-weight: {weight}; font-display: block; }}"
        for name, weight in ((FONT_REGULAR, 400), (FONT_BOLD, 700))
    ]


def _window(panel: Screen, size: Sizes, palette: Palette) -> list[str]:
    return [
        ".kiosk-frame { margin: 0 0 1.5rem; }",
        f".kiosk-scale {{ display: block; width: 100%; height: auto;"
        f" aspect-ratio: {panel.width_px} / {panel.height_px}; border: 2px solid var(--line); }}",
        f".k-window {{ position: relative; display: flex; flex-direction: column;"
        f" width: {panel.width_px}px; height: {panel.height_px}px; overflow: hidden;"
        f" font-family: {FAMILY}, sans-serif; {_text(size.body)} text-align: left;"
        f" background: {palette.background}; color: {palette.text}; }}",
        ".k-window p { margin: 0; }",
        # Kivy keeps every space and newline and splits only a word no line can hold.
        ".k-wrap { white-space: pre-wrap; overflow-wrap: break-word; }",
    ]


def _detail(panel: Screen, size: Sizes, palette: Palette) -> list[str]:
    column = size.qr_column
    return [
        # The code's column runs the full height beside the labels, text and buttons.
        f".k-screen {{ flex: none; display: flex; height: {panel.height_px - size.bar_height}px;"
        f" padding: {size.padding}px; gap: {DETAIL_BOX_GAPS * size.gap}px; }}",
        f".k-main {{ flex: 1 1 0; min-width: 0; display: flex; flex-direction: column;"
        f" gap: {size.gap}px; }}",
        f".k-title {{ {_text(size.title, bold=True)} }}",
        f".k-meta {{ {_text(size.body)} }}",
        f".k-when, .k-where {{ {_text(size.heading)} }}",
        # Reading text, its lines no wider than the measure: Kivy pads the rest of the label.
        f".k-text {{ {_text(size.reading)}"
        f" padding-right: max(0px, calc(100% - {size.measure}px)); }}",
        f".k-surface {{ position: relative; flex: 1 1 0; min-height: 0; overflow: hidden;"
        f" padding: {size.padding}px; background: {palette.surface};"
        f" color: {palette.surface_text}; }}",
        f".k-buttons {{ flex: none; display: flex; gap: {size.gap}px; }}",
        ".k-buttons > .k-button { flex: 1 1 0; min-width: 0; }",
        ".k-unseen { visibility: hidden; }",
        f".k-side {{ flex: none; display: flex; flex-direction: column; width: {column}px;"
        f" min-height: 0; gap: {size.gap}px; }}",
        # Its size comes with the picture: whole pixels per module, as on the kiosk.
        ".k-qr { display: block; flex: none; image-rendering: pixelated; }",
        ".k-caption { text-align: center; }",
    ]


def _buttons(size: Sizes, palette: Palette) -> list[str]:
    border = border_width(palette)
    weights = sorted({weight for _, weight in BAR_BUTTONS})
    return [
        # The outline is a shadow, as Kivy draws it over the button: a CSS border or padding
        # would count in the bar's share-out, where Kivy's do not.
        f".k-button {{ display: block; flex: none; height: {size.button_height}px;"
        f" border-radius: {size.gap}px; box-shadow: inset 0 0 0 {border}px {palette.border};"
        f" background: {palette.button}; color: {palette.button_text}; text-align: center;"
        f" line-height: {size.button_height}px; white-space: nowrap; overflow: hidden;"
        " text-overflow: ellipsis; }",
        f".k-buttons .k-button {{ padding: 0 {size.padding}px; }}",
        f".k-help {{ background: {palette.help}; color: {palette.help_text}; font-weight: 700; }}",
        # The bar shares its width out by weight, as Kivy's BoxLayout does by size_hint_x.
        f".k-bar {{ flex: none; display: flex; height: {size.bar_height}px;"
        f" padding: {size.padding}px; gap: {size.gap}px; background: {palette.bar}; }}",
        ".k-bar > * { flex-basis: 0; flex-shrink: 1; min-width: 0; }",
        *(f".{weight_class(weight)} {{ flex-grow: {weight:g}; }}" for weight in weights),
    ]


def _signage(panel: Screen, size: Sizes, palette: Palette) -> list[str]:
    # The kiosk fits the type to each notice (content/signage.py), and inline styles are
    # refused: a class per size it may choose, k-fs32 to k-fs212 on the reference panel.
    title_sizes = signage_sizes(size.signage_title, reading_px(panel))
    every = sorted({*title_sizes, *(body_px(px) for px in title_sizes)})
    return [
        f".k-signage {{ padding: {SIGNAGE_PADDINGS * size.padding}px;"
        f" gap: {SIGNAGE_GAPS * size.gap}px; background: {palette.tile};"
        f" color: {palette.tile_text}; }}",
        f".k-village {{ {_text(size.heading)} white-space: pre; }}",
        # The server broke the lines as the kiosk does; they only need keeping.
        ".k-signage-title, .k-signage-meta { font-weight: 700; }",
        ".k-fill { flex: 1 1 0; }",
        f".k-hint {{ {_text(size.heading)} text-align: center; }}",
        *(f".k-fs{px} {{ {_text(px)} }}" for px in every),
    ]


def _annotations(size: Sizes, palette: Palette) -> list[str]:
    return [
        f".k-cut {{ position: absolute; left: 0; right: 0; bottom: 0; padding: {size.gap}px;"
        f" border-top: 6px dashed {palette.text}; background: {palette.marker};"
        f" color: {palette.text}; font-family: system-ui, sans-serif;"
        f" {_text(ANNOTATION_TEXT_PX, bold=True)} }}",
        f".k-marked {{ outline: 6px dashed {palette.marker}; outline-offset: 4px; }}",
    ]


# ---- the block in desk.css --------------------------------------------------------------------


def block() -> str:
    return f"{BEGIN}\n{stylesheet()}{END}\n"


def block_in(css: str) -> str | None:
    """The generated block as it stands in a stylesheet, or None if it has none."""
    start = css.find(BEGIN)
    end = css.find(END, start)
    if start == -1 or end == -1:
        return None
    return css[start : end + len(END)] + "\n"


def with_block(css: str) -> str:
    """The stylesheet with its block replaced, or appended if it had none."""
    current = block_in(css)
    if current is None:
        return css.rstrip("\n") + "\n\n" + block()
    return css.replace(current, block())


def main() -> int:
    css = DESK_CSS.read_text()
    updated = with_block(css)
    if updated != css:
        DESK_CSS.write_text(updated)
        print(f"{DESK_CSS}: kiosk preview block rewritten")
    else:
        print(f"{DESK_CSS}: kiosk preview block up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
