"""The kiosk's honest answer after a help request (issue 17, Forms): pure, on fixed times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from content.local_time import LOCAL_TIME
from kiosk.help_answer import help_answer
from kiosk.i18n import load_catalog

HOUR = 3_600_000


def ms(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=LOCAL_TIME).timestamp() * 1000)


def answer(now: int, hours: list[tuple[int, int]], phone: bool = True, lang: str = "de") -> str:
    catalog = load_catalog(lang)

    def t(key: str, **values: Any) -> str:
        return catalog[key].format(**values)

    return help_answer(now, hours, phone, t)


# Tuesday 1 December 2026, 10:00; an office hour on Thursday 14-16.
NOW = ms(2026, 12, 1, 10)
THURSDAY = (ms(2026, 12, 3, 14), ms(2026, 12, 3, 16))


def test_nobody_today_names_the_next_office_hour() -> None:
    assert answer(NOW, [THURSDAY]) == (
        "Heute ist niemand da – die nächste Sprechstunde ist Do 14 Uhr. Eine Lotsin ruft Sie an."
    )


def test_a_guide_here_now_or_later_today() -> None:
    now_on = (ms(2026, 12, 1, 9), ms(2026, 12, 1, 11))
    assert answer(NOW, [now_on, THURSDAY]).startswith("Gerade ist Sprechstunde")
    later = (ms(2026, 12, 1, 14, 30), ms(2026, 12, 1, 16))
    assert answer(NOW, [later]) == (
        "Heute ab 14:30 Uhr ist eine Lotsin hier im Dorfhub. Eine Lotsin ruft Sie an."
    )


def test_no_office_hour_known_and_a_date_beyond_a_week() -> None:
    assert answer(NOW, []).startswith("Heute ist niemand da, und die nächste Sprechstunde steht")
    far = (ms(2026, 12, 10, 14), ms(2026, 12, 10, 16))
    assert "ist Do 10.12. 14 Uhr." in answer(NOW, [far])


def test_without_a_number_nobody_promises_a_call() -> None:
    text = answer(NOW, [THURSDAY], phone=False)
    assert "ruft Sie an" not in text
    assert "Ohne Telefonnummer" in text


@pytest.mark.parametrize("lang", ["en", "de-LS"])
def test_every_language_says_it(lang: str) -> None:
    for hours in ([THURSDAY], [], [(ms(2026, 12, 1, 14, 30), ms(2026, 12, 1, 16))]):
        for phone in (True, False):
            text = answer(NOW, hours, phone, lang)
            assert "{" not in text
            assert "help.answer" not in text
    assert "Thu 14:00" in answer(NOW, [THURSDAY], lang="en")
