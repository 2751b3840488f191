"""What the kiosk honestly says after a help request: whether a guide is here now, later today,
or when the next office hour is, and whether someone will call (only with a number to call).

Pure: the office hours come in as (start, end) in ms (content.help.guide_office_hour_times, from
the guides' office-hour notices), the words from the catalog through `t`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from content.local_time import local

Translate = Callable[..., str]
WEEK = timedelta(days=6)  # within this, a weekday alone says which day


def clock(moment: datetime, t: Translate) -> str:
    """ "14 Uhr", "14:30 Uhr" (German); "2 pm" style is not used: the catalogs say how."""
    if moment.minute == 0:
        return t("help.answer.hour", hour=moment.hour)
    return t("help.answer.hour_minute", hour=moment.hour, minute=f"{moment.minute:02d}")


def when(moment: datetime, now: datetime, t: Translate) -> str:
    """ "Do 14 Uhr"; with the date from a week ahead on ("Do 17.12. 14 Uhr")."""
    weekday = t("booking.weekdays").split()[moment.weekday()]
    if moment.date() - now.date() > WEEK:
        weekday += f" {moment.day}.{moment.month}."
    return f"{weekday} {clock(moment, t)}"


def help_answer(
    now_ms: int, hours: Sequence[tuple[int, int]], phone_given: bool, t: Translate
) -> str:
    """The answer after a request: who is here when, then who gets in touch."""
    now = local(now_ms)
    current = [(start, end) for start, end in hours if start <= now_ms < end]
    later = sorted(start for start, _ in hours if start > now_ms)
    if current:
        first = t("help.answer.now")
    elif later and local(later[0]).date() == now.date():
        first = t("help.answer.today", time=clock(local(later[0]), t))
    elif later:
        first = t("help.answer.later", when=when(local(later[0]), now, t))
    else:
        first = t("help.answer.none")
    last = t("help.answer.call" if phone_given else "help.answer.come")
    return f"{first} {last}"
