"""The pure parts of printing: line breaking without cutting words, pagination, module sizes, and
dates and times in German, English and Leichte Sprache (explicit moments, Europe/Berlin)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from content.local_time import local
from content.print_layout import module_mm, paginate, split_word, wrap
from content.print_text import date_range, event_time, window
from tests.print.conftest import ms


def width_of(text: str) -> float:
    return float(len(text))  # one unit per character: a monospaced measure


def test_lines_break_between_words_and_keep_paragraphs() -> None:
    text = "Der Bürgerbus fährt jeden Dienstag nach Grafenau.\n\nRückfahrt um 12:30 Uhr."
    lines = wrap(text, 20, width_of)
    assert lines == [
        "Der Bürgerbus fährt",
        "jeden Dienstag nach",
        "Grafenau.",
        "",
        "Rückfahrt um 12:30",
        "Uhr.",
    ]


@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß", min_size=1, max_size=14),
        min_size=1,
        max_size=60,
    ),
    st.integers(min_value=14, max_value=40),
)
def test_no_word_is_cut_or_lost(words: list[str], width: int) -> None:
    lines = wrap(" ".join(words), width, width_of)
    assert all(width_of(line) <= width for line in lines)
    assert " ".join(lines).split() == words


def test_only_a_word_wider_than_the_line_is_split_after_its_middle_dot() -> None:
    assert split_word("Bürger·bus·halte·stelle", 12, width_of) == [
        "Bürger·bus·",
        "halte·stelle",
    ]
    assert split_word("Gemeinde-Versammlung", 12, width_of) == ["Gemeinde-", "Versammlung"]
    pieces = split_word("Donaudampfschifffahrt", 8, width_of)
    assert all(width_of(piece) <= 8 for piece in pieces)
    assert "".join(pieces).replace("-", "") == "Donaudampfschifffahrt"


def test_a_no_break_space_holds_its_neighbours_together() -> None:
    assert wrap("eins zwei drei\u00a0…", 12, width_of) == ["eins zwei", "drei\u00a0…"]


@dataclass(frozen=True)
class Block:
    height: float

    def draw(self, page: object, y: float) -> None:
        return None


def test_pagination_moves_what_does_not_fit_and_never_drops_an_item() -> None:
    items = [Block(40), Block(40), Block(40), Block(500), Block(10)]
    pages = paginate(items, lambda index: 100 if index == 0 else 90)
    assert [[item.height for item in page] for page in pages] == [[40, 40], [40], [500], [10]]


def test_qr_modules_are_at_least_2_mm_unless_the_paper_is_too_small() -> None:
    assert module_mm(21) == 3.0  # version 1: larger modules, easier for old cameras
    assert module_mm(45) == 2.0  # version 7
    assert module_mm(57) == 2.0  # version 10
    assert all(module_mm(side) >= 2.0 for side in range(21, 90))
    assert (97 + 8) * module_mm(97) <= 200.0  # version 20 still fits the paper


def test_event_times_in_german() -> None:
    start, end = ms("2026-12-12T14:00+01:00"), ms("2026-12-12T17:00+01:00")
    assert event_time(start, end, "de") == "Samstag, 12. Dezember 2026, 14:00–17:00 Uhr"
    assert event_time(start, None, "de") == "Samstag, 12. Dezember 2026, 14:00 Uhr"
    assert event_time(start, end, "de-LS") == "Samstag, 12. Dezember 2026, von 14:00 bis 17:00 Uhr"
    assert event_time(start, end, "en") == "Saturday, 12 December 2026, 14:00–17:00"
    two_days = event_time(start, ms("2026-12-13T12:00+01:00"), "de")
    assert (
        two_days
        == "Samstag, 12. Dezember 2026, 14:00 Uhr bis Sonntag, 13. Dezember 2026, 12:00 Uhr"
    )


def test_summer_time_and_whole_days() -> None:
    summer = ms("2026-07-04T12:00Z")  # 14:00 in Berlin (CEST)
    assert event_time(summer, None, "de") == "Samstag, 4. Juli 2026, 14:00 Uhr"
    day = ms("2026-07-04T00:00+02:00")
    assert event_time(day, None, "de") == "Samstag, 4. Juli 2026"
    assert event_time(day, ms("2026-07-05T00:00+02:00"), "de") == "Samstag, 4. Juli 2026"
    weekend = event_time(day, ms("2026-07-06T00:00+02:00"), "de")
    assert weekend == "Samstag, 4. Juli 2026 bis Sonntag, 5. Juli 2026"


def test_display_windows() -> None:
    start, until = ms("2026-12-01T00:00+01:00"), ms("2027-01-01T00:00+01:00")
    assert window(start, until, "de") == (
        "Aushang vom Dienstag, 1. Dezember 2026 bis Donnerstag, 31. Dezember 2026"
    )
    assert window(start, None, "en") == "On the board from Tuesday, 1 December 2026"
    assert (
        window(start, until, "de", showing_at=start) == "Aushang bis Donnerstag, 31. Dezember 2026"
    )
    noon = ms("2026-12-24T12:00+01:00")
    assert window(start, noon, "de-LS", showing_at=start) == (
        "Der Aus·hang gilt bis zum Donnerstag, 24. Dezember 2026, 12:00 Uhr."
    )


def test_date_ranges_of_a_week() -> None:
    def week(first: str, last: str, language: str = "de") -> str:
        return date_range(local(ms(first)), local(ms(last)), language)

    assert week("2026-12-07T00:00+01:00", "2026-12-13T00:00+01:00") == "7. bis 13. Dezember 2026"
    assert week("2026-09-28T00:00+02:00", "2026-10-04T00:00+02:00") == (
        "28. September bis 4. Oktober 2026"
    )
    assert week("2026-12-28T00:00+01:00", "2027-01-03T00:00+01:00", "en") == (
        "28 December 2026 to 3 January 2027"
    )
