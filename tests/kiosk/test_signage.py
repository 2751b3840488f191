"""The signage card: fitted type, wrapped and never cut, paged (content/signage.py), and the
same in the running kiosk under Xvfb, word by word as Kivy draws it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from content import notices
from content.bodies import Event
from content.clock import wall_clock_ms
from content.identity import load_identity
from content.kiosk_look import Screen, line_px, reading_px, sizes
from content.log import Log
from content.signage import (
    Area,
    Measure,
    SignagePage,
    body_px,
    signage_area,
    signage_pages,
    title_sizes,
    wrap,
)
from content.store import Store
from tests.kiosk.hubhome import HubHome
from tests.kiosk.run import run_scenario

PANEL = Screen()
SIZE = sizes(PANEL)
AREA = signage_area(PANEL.width_px, PANEL.height_px, SIZE.padding, SIZE.gap, SIZE.heading)
SIZES = title_sizes(SIZE.signage_title, reading_px(PANEL))
TITLE = "Bekanntmachung der Gemeinde Ringelai zur Straßensperrung in der Ortsmitte"
WHEN = "Wann: Samstag, 12. Dezember 2026, 14:00 Uhr bis 17:00 Uhr"
WHERE = "Wo: Pfarrheim Perlesreut"
SENTENCE = "Die Ortsdurchfahrt bleibt wegen Kanalarbeiten für den Verkehr gesperrt. "


def fonts(px: int, bold: bool) -> Measure:
    """A font whose letters are all 0.55 (bold 0.6) of its size wide."""
    share = 0.6 if bold else 0.55
    return lambda text: round(len(text) * px * share)


def _height(page: SignagePage) -> int:
    rows = [(page.title, page.title_px), (page.meta, page.body_px), (page.body, page.body_px)]
    return sum(len(text.split("\n")) * line_px(px) for text, px in rows if text)


def _check_fits(pages: list[SignagePage], area: Area) -> None:
    for page in pages:
        assert _height(page) <= area.height
        for text, px, bold in (
            (page.title, page.title_px, True),
            (page.meta, page.body_px, True),
            (page.body, page.body_px, False),
        ):
            assert all(fonts(px, bold)(line) <= area.width for line in text.split("\n"))


def test_the_reference_card_and_its_sizes() -> None:
    # 1920 x 1080 less 52 px paddings, the village line and the hint (36 px) and five gaps.
    assert Area(1816, 1080 - 104 - 72 - 5 * 39) == AREA
    assert SIZES[0] == round(1.5 * 141)
    assert body_px(SIZES[-1]) == reading_px(PANEL) == 32


def test_a_short_notice_fills_the_card_at_the_largest_size() -> None:
    pages = signage_pages("Kirchweih", ("Wo: Dorfplatz",), "Mit Musik.", AREA, SIZES, fonts)
    assert [(p.title, p.title_px, p.count) for p in pages] == [("Kirchweih", SIZES[0], 1)]
    _check_fits(pages, AREA)


def test_the_type_shrinks_to_the_largest_size_that_fits_and_no_word_is_cut() -> None:
    body = SENTENCE * 4
    (page,) = signage_pages(TITLE, (WHEN, WHERE), body, AREA, SIZES, fonts)
    assert SIZES[-1] < page.title_px < SIZES[0]
    _check_fits([page], AREA)
    assert page.words == [*TITLE.split(), *WHEN.split(), *WHERE.split(), *body.split()]
    # One size larger no longer fits on one page.
    larger = SIZES[SIZES.index(page.title_px) - 1]
    assert len(signage_pages(TITLE, (WHEN, WHERE), body, AREA, [larger], fonts)) > 1


def test_a_long_text_pages_at_reading_size_and_loses_nothing() -> None:
    body = "\n".join(SENTENCE * 2 for _ in range(30))
    pages = signage_pages(TITLE, (WHEN, WHERE), body, AREA, SIZES, fonts)
    assert len(pages) > 2
    assert {(p.title_px, p.body_px) for p in pages} == {(SIZES[-1], 32)}
    assert [(p.number, p.count) for p in pages] == [(n + 1, len(pages)) for n in range(len(pages))]
    _check_fits(pages, AREA)
    # Each page names the notice and its time and place; the text goes on from page to page.
    assert all(p.title.replace("\n", " ") == TITLE for p in pages)
    assert "\n".join(p.body for p in pages) == "\n".join(
        wrap(body, AREA.width - 4, fonts(32, False))
    )


def test_a_word_no_line_holds_at_the_largest_size_shrinks_the_type() -> None:
    word = "Donaudampfschifffahrtsgesellschaftskapitänswitwe"
    (page,) = signage_pages(word, (), "", AREA, SIZES, fonts)
    assert page.title == word  # whole, on one line
    assert fonts(page.title_px, True)(word) <= AREA.width


# ---- in the running kiosk ---------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display: run under xvfb-run")
def test_the_kiosk_shows_every_word_whole_and_pages_a_long_notice(
    hub_home: HubHome, tmp_path: Path
) -> None:
    body = "\n\n".join(SENTENCE * 3 for _ in range(8))
    now = wall_clock_ms()
    with Store(hub_home.path / "dorfhub.db") as store:
        notice_id = notices.publish(
            Log(store),
            load_identity(hub_home.admin_key),
            notices.notice_body(
                TITLE,
                body,
                category="verwaltung",
                valid_from=now - 60_000,
                event=Event(start=now + 86_400_000, end=now + 90_000_000, place="Rathaus"),
            ),
        )
    params = {"notice_id": notice_id}
    out = run_scenario("signage_scenarios:long_notice", hub_home.path, tmp_path, params)["results"]
    pages = out["pages"]
    assert len(pages) >= 2
    shown: list[str] = []
    for number, page in enumerate(pages, start=1):
        title, meta, text = page["lines"]["title"], page["lines"]["meta"], page["lines"]["body"]
        assert " ".join(title) == TITLE  # every page names the notice
        assert meta == out["expected"][1:3]
        shown += " ".join(text).split()
        assert page["sizes"] == [page["sizes"][0], 32]  # reading size, never smaller
        assert page["room_below"] >= 0  # nothing runs into the hint
        assert page["title_top"] <= page["village_bottom"]
        assert page["village"].endswith(f"Seite {number} von {len(pages)}")
    # Every word of the text once, whole and in order: no "Bekanntmac...".
    assert shown == body.split()
    assert "..." not in " ".join(" ".join(p["lines"]["title"]) for p in pages)
    assert out["next"][0] == 0
