"""The signage card in the live kiosk (see driver.py): a long notice laid out, page by page,
as Kivy draws it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import settled


def drawn_lines(label: Any) -> list[str]:
    """The lines Kivy drew, word by word (a word it split would show as two)."""
    label.texture_update()
    return ["".join(word.text for word in line.words) for line in label._label._cached_lines]


def _page(app: Any) -> dict[str, Any]:
    card = app.signage_overlay.ids
    lines = {name: drawn_lines(card[name]) for name in ("title", "meta", "body")}
    # The card's rows, top-down: nothing may run into the hint or off the window.
    body_bottom = card.body.to_window(card.body.x, card.body.y)[1]
    hint_top = card.hint.to_window(card.hint.x, card.hint.top)[1]
    return {
        "lines": lines,
        "sizes": [card.title.font_size, card.body.font_size],
        "village": card.village.text,
        "room_below": body_bottom - hint_top,
        "title_top": card.title.to_window(card.title.x, card.title.top)[1],
        "village_bottom": card.village.to_window(card.village.x, card.village.y)[1],
    }


def _on_page(app: Any, index: int) -> Step:
    return lambda: bool(app.signage_overlay.page_index == index)


def long_notice(app: Any, ctx: Context) -> Iterator[Step]:
    """The notice of `ctx.params["notice_id"]` on the card: every page, then the next notice."""
    out = ctx.results
    yield settled(app)
    ctx.clock.advance(app.idle.signage_s + 1)
    yield lambda: app.signage_overlay.parent is not None
    notice = app.data.notice(ctx.params["notice_id"])
    index = next(i for i, item in enumerate(app.signage_items) if item.title == notice.title["de"])
    app.signage_index = index - 1  # its turn next
    ctx.clock.advance(app.rotate_s)
    yield lambda: app.signage_overlay.title_text.replace("\n", " ") == notice.title["de"]
    pages = []
    while True:
        yield settled(app, 3)
        pages.append(_page(app))
        if len(pages) == len(app.signage_overlay.pages):
            break
        ctx.clock.advance(app.rotate_s)
        yield _on_page(app, len(pages))
    out["pages"] = pages
    out["expected"] = [notice.title["de"], *app.signage_items[index].meta, notice.body["de"]]
    ctx.clock.advance(app.rotate_s)
    yield lambda: app.signage_overlay.title_text.replace("\n", " ") != notice.title["de"]
    out["next"] = [app.signage_overlay.page_index, app.signage_overlay.title_text]
