"""So funktioniert's in the live kiosk (see driver.py): the library from the home tile, an
article stepped through and read aloud step by step, nothing moving, large print, and the
layout rules on both screens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import _tap, settled, still
from tests.kiosk.ui import check_layout, rect, tap, targets

ARTICLE = "a-demo-erezept"


def _buttons(app: Any) -> dict[str, tuple[float, ...]]:
    """Where every touch target on screen is (the bar's too), by id where it has one."""
    ids = {id(node): name for name, node in app.current.ids.items()}
    return {
        ids.get(id(node), f"{type(node).__name__}:{node.text}"): rect(node) for node in targets(app)
    }


def howto(app: Any, ctx: Context) -> Iterator[Step]:
    out = ctx.results
    yield settled(app)
    yield from _tap(app, "tile_howto")
    library = app.current
    out["library"] = [app.sm.current, library.count]
    rows = list(reversed(library.ids.rows.children))
    out["rows"] = [row.text for row in rows]
    out["library_layout"] = check_layout(app)
    out["library_speech"] = library.speech()
    row = next(row for row in rows if row.article_id == ARTICLE)
    yield still(row)
    tap(row)
    yield settled(app, 3)
    screen = app.current
    out["opened"] = [app.sm.current, screen.title_text, screen.position_text]
    out["picture"] = screen.ids.picture.texture.size if screen.ids.picture.texture else None
    out["article_layout"] = check_layout(app)
    # Nothing is read until the resident asks; the speaker button reads the first step.
    said_before = len(ctx.speaker.said)
    yield from _tap(app, "bar_read")
    out["first_spoken"] = [said[0] for said in ctx.speaker.said[said_before:]]
    places = _buttons(app)
    steps = []
    moved = []
    while screen.step < screen.steps - 1:
        said_before = len(ctx.speaker.said)
        yield from _tap(app, "step_next")
        steps.append(
            [
                screen.position_text,
                screen.step_text,
                [said[0] for said in ctx.speaker.said[said_before:]],
                screen.ids.picture.texture is not None,
                screen.picture_note,
            ]
        )
        now = _buttons(app)
        moved += [name for name, where in now.items() if places.get(name, where) != where]
    out["steps"] = steps
    out["last_button"] = screen.ids.step_next.text
    yield from _tap(app, "step_back")
    out["back_one"] = screen.position_text
    moved += [name for name, where in _buttons(app).items() if places.get(name, where) != where]
    out["moved"] = moved
    # Large print, where a printer exists.
    button = screen.ids.print_article
    out["print_button"] = [screen.can_print, button.opacity, button.text]
    if screen.can_print:
        yield still(button)
        tap(button)
        out["while_printing"] = [screen.print_text, button.disabled]
        done = {app.t("howto.printed", "de"), app.t("howto.print_failed", "de")}
        yield lambda: screen.print_text in done
        out["printed"] = [screen.print_text, ctx.speaker.said[-1][0]]
        moved += [name for name, where in _buttons(app).items() if places.get(name, where) != where]
    # In English, high contrast and large text: the same rules, the article in English.
    app.set_language("en")
    app.set_theme("high-contrast", True)
    yield settled(app, 3)
    out["english"] = [screen.title_text, screen.position_text]
    out["article_layout_large"] = check_layout(app)
    yield from _tap(app, "step_next")
    yield from _tap(app, "step_next")
    out["finished"] = app.sm.current
    out["library_layout_large"] = check_layout(app)
