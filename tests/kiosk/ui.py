"""Reading and touching the live widget tree: taps, ids, touch targets and colour pairs."""

from __future__ import annotations

import math
from typing import Any

from kivy.graphics import Color, Rectangle, RoundedRectangle
from kivy.tests.common import UnitTestTouch
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.widgets import KButton


def tap(widget: Any) -> None:
    """A real touch through Kivy's input pipeline at the widget's centre."""
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def tap_at(x: float, y: float) -> None:
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def widget(app: Any, widget_id: str) -> Any:
    """A widget by id: in the current screen, the bar, or any overlay that is showing."""
    places = [app.current, app.root.ids.bar, app.root.ids.banner, app.root]
    places += [
        o for o in (app.emergency_overlay, app.signage_overlay, app.idle_overlay) if o.parent
    ]
    for place in places:
        if widget_id in place.ids:
            return place.ids[widget_id]
    raise KeyError(f"no widget with id {widget_id!r} on {app.sm.current}")


def rows(app: Any) -> list[Any]:
    """The notice rows of the current list that are on screen, top first."""
    view = app.current.ids.rv
    clip = rect(view)
    shown = [row for row in view.children[0].children if _inside(rect(row), clip)]
    return sorted(shown, key=lambda row: -row.y)


def layers(app: Any) -> list[Any]:
    """The parts of the window a person can see and touch now (overlays hide what is under)."""
    if app.signage_overlay.parent is not None:
        return [app.signage_overlay]
    for overlay in (app.idle_overlay, app.emergency_overlay):
        if overlay.parent is not None:
            return [overlay, app.root.ids.bar]  # both leave the bar in reach
    return [app.root.ids.banner, app.current, app.root.ids.bar]


def _walk(node: Any, clip: tuple[float, float, float, float] | None) -> Any:
    if node.opacity == 0 or node.disabled:
        return
    if isinstance(node, ScrollView):
        x, y = node.to_window(*node.pos)
        clip = (x, y, x + node.width, y + node.height)
    yield node, clip
    for child in node.children:
        yield from _walk(child, clip)


def rect(node: Any) -> tuple[float, float, float, float]:
    x, y = node.to_window(*node.pos)
    return x, y, x + node.width, y + node.height


def _inside(box: tuple[float, float, float, float], clip: Any) -> bool:
    if clip is None:
        return True
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return clip[0] <= cx <= clip[2] and clip[1] <= cy <= clip[3]


def _visible_with_clip(app: Any) -> list[tuple[Any, Any]]:
    found = []
    for layer in layers(app):
        for node, clip in _walk(layer, None):
            if _inside(rect(node), clip):
                found.append((node, clip))
    return found


def visible(app: Any) -> list[Any]:
    return [node for node, _ in _visible_with_clip(app)]


def targets(app: Any) -> list[Any]:
    return [node for node in visible(app) if isinstance(node, KButton)]


def touchable_rect(node: Any, clip: Any) -> tuple[float, float, float, float]:
    """The part of a target a finger can reach: a list row half scrolled out is cut off."""
    x0, y0, x1, y1 = rect(node)
    if clip is None:
        return x0, y0, x1, y1
    return max(x0, clip[0]), max(y0, clip[1]), min(x1, clip[2]), min(y1, clip[3])


def fill(node: Any) -> tuple[float, ...] | None:
    """The colour a widget paints behind itself: the first opaque Color followed by a
    (rounded) rectangle in its canvas.before."""
    instructions = node.canvas.before.children if node.canvas.before else []
    colour = None
    for instruction in instructions:
        if isinstance(instruction, Color):
            colour = tuple(instruction.rgba)
        elif (
            isinstance(instruction, Rectangle | RoundedRectangle)
            and colour
            and colour[3] == 1
            and instruction.size[0] > 0
        ):
            return colour
    return None


def background(node: Any) -> tuple[float, ...]:
    """What is behind a widget: its own fill or the nearest ancestor's."""
    from kivy.core.window import Window

    current = node
    while current is not None and current is not Window:
        colour = fill(current)
        if colour is not None:
            return colour
        current = current.parent
    return tuple(Window.clearcolor)


def text_pairs(app: Any) -> list[tuple[str, Any, tuple[float, ...], tuple[float, ...]]]:
    """(text, widget, text colour, background colour) for every visible piece of text."""
    pairs = []
    for node in visible(app):
        if isinstance(node, Label) and node.text.strip():
            pairs.append((node.text, node, tuple(node.color), background(node)))
    return pairs


def check_layout(app: Any) -> dict[str, Any]:
    """Measure what is on screen now against KIOSK-UX.md: target sizes and gaps, text contrast
    and the contrast of each target's outline or fill against what is behind it."""
    from kiosk.theme import MIN_GAP_PX, MIN_TARGET_PX, TARGET_MM, contrast_ratio

    screen = app.reference
    problems: list[str] = []
    shown = [(node, clip) for node, clip in _visible_with_clip(app) if isinstance(node, KButton)]
    found = [node for node, _ in shown]
    for node in found:
        x0, y0, x1, y1 = rect(node)
        width, height = x1 - x0, y1 - y0
        name = _name(node)
        if min(width, height) < MIN_TARGET_PX:
            problems.append(f"{name}: {width:.0f}x{height:.0f} px is below 44 px")
        if min(screen.mm(width), screen.mm(height)) < TARGET_MM - 0.01:
            problems.append(
                f"{name}: {screen.mm(width):.1f}x{screen.mm(height):.1f} mm is below 16 mm"
            )
        behind = background(node.parent)
        outline = app.th.colour("border")
        non_text = max(
            contrast_ratio(fill(node) or behind, behind), contrast_ratio(outline, behind)
        )
        if non_text < 3:
            problems.append(f"{name}: target contrast {non_text:.2f} against its background")
    boxes = [(node, touchable_rect(node, clip)) for node, clip in shown]
    for index, (first, a) in enumerate(boxes):
        for second, b in boxes[index + 1 :]:
            gap = max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])
            if gap < MIN_GAP_PX - 0.01:
                problems.append(f"{_name(first)} and {_name(second)}: gap {gap:.0f} px")
    for node in found:
        # Kivy already cuts a line that nearly fills the box; a little air is wanted anyway.
        if node.shorten and _natural_width(node) > node.text_size[0] - 2:
            problems.append(f"{_name(node)}: text cut off ({_natural_width(node):.0f} px)")
    problems += _reading_problems(app, found)
    pairs = text_pairs(app)
    for text, node, colour, behind in pairs:
        ratio = contrast_ratio(colour, behind)
        if ratio < 7:
            problems.append(f"text {text[:30]!r}: contrast {ratio:.2f}")
        if node.font_size < 24:
            problems.append(f"text {text[:30]!r}: {node.font_size} px is below 24 px")
    return {"targets": len(found), "texts": len(pairs), "problems": problems}


MAX_LINE_CHARS = 70  # KIOSK-UX.md: lines of reading text


def _reading_problems(app: Any, targets: list[Any]) -> list[str]:
    """KIOSK-UX.md's reading comfort: reading text at least 32 px at 1080p (scaled with the
    large text) with capitals of 0.7 degrees at 50 cm, measured on a rendered H; lines of
    reading text at most 70 characters, as Kivy laid them out; no target's text taller than the
    target (a list row grows with its title); outlines drawn inside their target, so the gap
    between two is the gap the layout keeps."""
    from kivy.graphics import Line

    from content.kiosk_look import LARGE_TEXT_FACTOR, reading_px

    problems = []
    factor = LARGE_TEXT_FACTOR if app.th.large_text else 1
    reading = [
        node
        for node in visible(app)
        if isinstance(node, Label) and getattr(node, "size_role", "") == "reading" and node.text
    ]
    for node in reading:
        if node.font_size < reading_px(app.reference) * factor:
            problems.append(f"reading text {node.text[:30]!r}: {node.font_size} px")
        lines = getattr(node._label, "_cached_lines", None) or []
        for line in lines:
            chars = sum(len(word.text) for word in line.words)
            if chars > MAX_LINE_CHARS:
                problems.append(f"reading text {node.text[:30]!r}: a line of {chars} characters")
    if reading:
        capital = _capital_px(reading[0].font_size)
        if app.reference.mm(capital) < 500 * math.tan(math.radians(0.7)) - 0.01:
            problems.append(f"reading text: a capital H of {capital} px is below 0.7 degrees")
    for node in targets:
        if node.texture_size[1] > node.height + 1:
            problems.append(f"{_name(node)}: text {node.texture_size[1]} px high in {node.height}")
        for line in [i for i in node.canvas.before.children if isinstance(i, Line)]:
            xs, ys = line.points[0::2], line.points[1::2]
            x0, y0, x1, y1 = rect(node)
            ox, oy = x0 - node.x, y0 - node.y  # the canvas draws in the parent's coordinates
            if (
                min(xs) + ox - line.width < x0 - 0.5
                or max(xs) + ox + line.width > x1 + 0.5
                or min(ys) + oy - line.width < y0 - 0.5
                or max(ys) + oy + line.width > y1 + 0.5
            ):
                problems.append(f"{_name(node)}: outline drawn outside the target")
    return problems


def _capital_px(font_size: float) -> int:
    """The inked height of a capital H as Kivy renders it."""
    from kivy.core.text import Label as CoreLabel

    label = CoreLabel(text="H", font_size=font_size)
    label.refresh()
    width, height = label.texture.size
    pixels = label.texture.pixels
    inked = [
        row
        for row in range(height)
        if any(pixels[(row * width + column) * 4 + 3] > 127 for column in range(width))
    ]
    return len(inked)


def _natural_width(node: Any) -> float:
    """How wide a button's longest line is when nothing cuts it."""
    from kivy.core.text import Label as CoreLabel

    widths = []
    for line in node.text.split("\n"):
        label = CoreLabel(text=line, font_size=node.font_size, bold=node.bold)
        label.refresh()
        widths.append(label.texture.size[0])
    return max(widths)


def _name(node: Any) -> str:
    return f"{type(node).__name__}({node.text[:20]!r})"
