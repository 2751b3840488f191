"""The on-screen keyboard's capitals, without Kivy's window: "Groß" for one letter, a second tap
for all, and a capital at the start of a name and of each of its words (issue 17, Forms)."""

from __future__ import annotations

from kiosk.keyboard import Shift, after_letter, at_word, capital, tap_shift, word_start


def typed(taps: list[str], start: str = "") -> str:
    """What a screen's name field holds after `taps` (letters, "shift", " "), as the kiosk types:
    the keyboard uses the state, the screen then says where the next word starts."""
    text = start
    state = at_word(Shift.OFF, text)
    for tap in taps:
        if tap == "shift":
            state = tap_shift(state)
            continue
        if tap.isalpha():
            text += tap.upper() if capital(state) else tap
            state = after_letter(state)
        else:
            text += tap
        state = at_word(state, text)
    return text


def test_a_name_starts_with_a_capital_without_a_tap() -> None:
    assert typed(list("anna")) == "Anna"
    assert typed(list("anna maier")) == "Anna Maier"
    assert typed(list("anna maier-lüdenscheidt")) == "Anna Maier-Lüdenscheidt"


def test_gross_then_a_gives_anna_not_anna_in_small_letters() -> None:
    # The issue: the field started in capitals and "Groß" turned them off ("anna").
    assert typed(["shift", *"anna"]) == "Anna"
    assert typed([*"anna ", "shift", *"maier"]) == "Anna Maier"


def test_gross_gives_one_capital_inside_a_word() -> None:
    assert typed([*"mc", "shift", *"donald"]) == "McDonald"


def test_a_second_tap_locks_capitals_and_a_third_ends_them() -> None:
    assert typed(["shift", "shift", *"abc"]) == "ABC"
    assert typed(["shift", "shift", *"ab", "shift", *"cd"]) == "ABcd"
    assert typed(["shift", "shift", *"ab cd"]) == "AB CD"  # the lock outlasts a word


def test_the_states() -> None:
    assert [tap_shift(s) for s in Shift] == [Shift.ONCE, Shift.ONCE, Shift.LOCK, Shift.OFF]
    assert [after_letter(s) for s in Shift] == [Shift.OFF, Shift.OFF, Shift.OFF, Shift.LOCK]
    assert at_word(Shift.OFF, "") is Shift.AUTO
    assert at_word(Shift.AUTO, "A") is Shift.OFF
    assert at_word(Shift.ONCE, "A") is Shift.ONCE  # a tap waits for its letter
    assert at_word(Shift.LOCK, "A") is Shift.LOCK
    assert [capital(s) for s in Shift] == [False, True, True, True]
    assert all(word_start(text) for text in ("", "Anna ", "Maier-"))
    assert not word_start("Anna")
