"""The words on printed notices (posters and the weekly sheet) in German, English and Leichte
Sprache, and their dates and times in Europe/Berlin local time.

Dates are spelt out ("Samstag, 12. Dezember 2026"): a reader at the board should not have to
work out a weekday. A moment at local midnight is a date alone (the desk's rule: a date means
the whole day), and an end at midnight ends the day before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from content.local_time import is_midnight, local
from content.notices import Notice

LANGUAGE_TAGS = {"de": "de-DE", "en": "en-GB", "de-LS": "de-DE"}

_WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_SHORT_WEEKDAYS = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

CATEGORY = {
    "allgemein": {"de": "Allgemein", "en": "General", "de-LS": "Allgemein"},
    "veranstaltung": {"de": "Veranstaltung", "en": "Event", "de-LS": "Treffen und Feste"},
    "gesundheit": {"de": "Gesundheit", "en": "Health", "de-LS": "Gesundheit"},
    "mobilitaet": {"de": "Mobilität", "en": "Getting around", "de-LS": "Bus und Fahren"},
    "verwaltung": {"de": "Verwaltung", "en": "Administration", "de-LS": "Amt"},
    "warnung": {"de": "Warnung", "en": "Warning", "de-LS": "Achtung"},
    "digitales": {"de": "Digitales", "en": "Digital help", "de-LS": "Computer und Handy"},
    "verein": {"de": "Vereine", "en": "Clubs", "de-LS": "Vereine"},
}
PRIORITY = {
    "emergency": {"de": "NOTFALL", "en": "EMERGENCY", "de-LS": "ACHTUNG, GEFAHR"},
    "important": {"de": "WICHTIG", "en": "IMPORTANT", "de-LS": "WICHTIG"},
}

LABELS: dict[str, dict[str, str]] = {
    "when": {"de": "Wann: {when}", "en": "When: {when}", "de-LS": "Wann: {when}"},
    "where": {"de": "Wo: {place}", "en": "Where: {place}", "de-LS": "Wo: {place}"},
    "window": {
        "de": "Aushang vom {start} bis {end}",
        "en": "On the board from {start} to {end}",
        "de-LS": "Der Aus·hang gilt vom {start} bis zum {end}.",
    },
    "window_until": {
        "de": "Aushang bis {end}",
        "en": "On the board until {end}",
        "de-LS": "Der Aus·hang gilt bis zum {end}.",
    },
    "window_open": {
        "de": "Aushang ab {start}",
        "en": "On the board from {start}",
        "de-LS": "Der Aus·hang gilt ab {start}.",
    },
    "publisher": {"de": "Herausgeber: {name}", "en": "Published by {name}", "de-LS": "Von: {name}"},
    "for": {"de": "Für: {names}", "en": "For: {names}", "de-LS": "Für: {names}"},
    "for_all": {"de": "Für alle Orte", "en": "For every village", "de-LS": "Für alle Orte"},
    "group": {"de": "Gruppe {name}", "en": "group {name}", "de-LS": "Gruppe {name}"},
    "page": {
        "de": "Seite {n} von {total}",
        "en": "Page {n} of {total}",
        "de-LS": "Seite {n} von {total}",
    },
    "continued": {
        "de": "{title} (Fortsetzung)",
        "en": "{title} (continued)",
        "de-LS": "{title} (weiter)",
    },
    "continues": {
        "de": "Weiter auf Seite {n}",
        "en": "Continued on page {n}",
        "de-LS": "Der Text geht auf Seite {n} weiter.",
    },
    "qr_event": {
        "de": "Mit dem Handy scannen: der Termin mit Zeit und Ort kommt in Ihren Kalender.",
        "en": "Scan with your phone to add the event, its time and place to your calendar.",
        "de-LS": "Halten Sie Ihr Handy auf das Bild. Dann ist der Termin in Ihrem Handy.",
    },
    "qr_whole": {
        "de": "Mit dem Handy scannen: der ganze Aushang kommt auf Ihr Handy.",
        "en": "Scan with your phone to take the whole notice with you.",
        "de-LS": "Halten Sie Ihr Handy auf das Bild. Dann ist der Aus·hang in Ihrem Handy.",
    },
    "qr_start": {
        "de": "Mit dem Handy scannen: der Titel und der Anfang des Textes kommen auf Ihr Handy.",
        "en": "Scan with your phone to take the title and the start of the text with you.",
        "de-LS": "Halten Sie Ihr Handy auf das Bild. Dann ist der Anfang vom Text in Ihrem Handy.",
    },
    # The weekly sheet.
    "sheet_title": {
        "de": "Aushang der Woche",
        "en": "Notices of the week",
        "de-LS": "Aus·hänge in dieser Woche",
    },
    "sheet_week": {
        "de": "KW {number}: {dates}",
        "en": "Week {number}: {dates}",
        "de-LS": "Kalender·woche {number}: {dates}",
    },
    "sheet_events": {
        "de": "Termine in dieser Woche",
        "en": "Events this week",
        "de-LS": "Termine in dieser Woche",
    },
    "sheet_notices": {"de": "Aushänge", "en": "Notices", "de-LS": "Aus·hänge"},
    "sheet_empty": {
        "de": "In dieser Woche gibt es keine Aushänge.",
        "en": "There are no notices this week.",
        "de-LS": "In dieser Woche gibt es keine Aus·hänge.",
    },
    "sheet_as_of": {"de": "Stand: {when}", "en": "As of {when}", "de-LS": "Stand: {when}"},
    "sheet_qr_whole": {
        "de": "Mit dem Handy scannen: diese Liste mit Tag, Zeit und Titel kommt auf Ihr Handy.",
        "en": "Scan with your phone to take this list (day, time and title) with you.",
        "de-LS": "Halten Sie Ihr Handy auf das Bild. Dann ist diese Liste in Ihrem Handy.",
    },
    "sheet_qr_part": {
        "de": "Mit dem Handy scannen: die ersten {count} von {total} Einträgen dieser Liste "
        "mit Tag, Zeit und Titel kommen auf Ihr Handy.",
        "en": "Scan with your phone to take the first {count} of the {total} entries of this "
        "list (day, time and title) with you.",
        "de-LS": "Halten Sie Ihr Handy auf das Bild. Dann sind {count} Termine und Aus·hänge "
        "aus dieser Liste in Ihrem Handy. Es gibt {total}.",
    },
    "sheet_more": {
        "de": "… und {count} weitere",
        "en": "… and {count} more",
        "de-LS": "… und {count} mehr",
    },
}


def label(key: str, language: str, **values: str | int) -> str:
    return LABELS[key][language].format(**values)


def _words(language: str) -> str:
    return "en" if language == "en" else "de"


def long_date(moment: datetime, language: str) -> str:
    """Samstag, 12. Dezember 2026 / Saturday, 12 December 2026."""
    words = _words(language)
    weekday = _WEEKDAYS[words][moment.weekday()]
    month = _MONTHS[words][moment.month - 1]
    dot = "" if words == "en" else "."
    return f"{weekday}, {moment.day}{dot} {month} {moment.year}"


def date_range(first: datetime, last: datetime, language: str) -> str:
    """7. bis 13. Dezember 2026; 28. September bis 4. Oktober 2026; across a new year, both
    years."""
    words = _words(language)
    dot = "" if words == "en" else "."
    end = long_date(last, language).split(", ", 1)[1]
    if (first.year, first.month) == (last.year, last.month):
        start = f"{first.day}{dot}"
    elif first.year == last.year:
        start = f"{first.day}{dot} {_MONTHS[words][first.month - 1]}"
    else:
        start = long_date(first, language).split(", ", 1)[1]
    return _span(start, end, language)


def short_weekday(moment: datetime, language: str) -> str:
    """Sa / Sat."""
    return _SHORT_WEEKDAYS[_words(language)][moment.weekday()]


def short_date(moment: datetime, language: str) -> str:
    """Sa 12.12. / Sat 12/12: for lines that must stay short (the sheet's QR list)."""
    words = _words(language)
    weekday = short_weekday(moment, language)
    if words == "en":
        return f"{weekday} {moment.day}/{moment.month}"
    return f"{weekday} {moment.day:02d}.{moment.month:02d}."


def clock(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _uhr(text: str, language: str) -> str:
    return text if language == "en" else f"{text} Uhr"


def date_time(ms: int, language: str) -> str:
    """A date, with the time unless it is local midnight (a date alone)."""
    moment = local(ms)
    if is_midnight(ms):
        return long_date(moment, language)
    return f"{long_date(moment, language)}, {_uhr(clock(moment), language)}"


def _last_day(end_ms: int) -> datetime:
    """The day an end at local midnight closes: the one before."""
    return local(end_ms) - timedelta(days=1)


def _span(start: str, end: str, language: str) -> str:
    joiner = " to " if language == "en" else " bis "
    return f"{start}{joiner}{end}"


def event_time(start_ms: int, end_ms: int | None, language: str) -> str:
    """Samstag, 12. Dezember 2026, 14:00–17:00 Uhr; one end, whole days or days apart."""
    start, end = local(start_ms), None if end_ms is None else local(end_ms)
    if is_midnight(start_ms) and (end_ms is None or is_midnight(end_ms)):
        return _whole_days(start, None if end_ms is None else _last_day(end_ms), language)
    day = long_date(start, language)
    if end is None:
        return f"{day}, {_uhr(clock(start), language)}"
    if end.date() == start.date():
        if language == "de-LS":
            return f"{day}, von {clock(start)} bis {clock(end)} Uhr"
        return f"{day}, {_uhr(f'{clock(start)}–{clock(end)}', language)}"
    first = f"{day}, {_uhr(clock(start), language)}"
    last = f"{long_date(end, language)}, {_uhr(clock(end), language)}"
    return _span(first, last, language)


def _whole_days(start: datetime, last: datetime | None, language: str) -> str:
    if last is None or last.date() <= start.date():
        return long_date(start, language)
    return _span(long_date(start, language), long_date(last, language), language)


def window(
    valid_from: int, valid_until: int | None, language: str, showing_at: int | None = None
) -> str:
    """When a notice without an event hangs on the board; only its end if it already hangs
    at `showing_at` (the weekly sheet: its beginning is no news)."""
    start = date_time(valid_from, language)
    if valid_until is None:
        return label("window_open", language, start=start)
    end = long_date(_last_day(valid_until), language) if is_midnight(valid_until) else None
    end = end or date_time(valid_until, language)
    if showing_at is not None and valid_from <= showing_at:
        return label("window_until", language, end=end)
    return label("window", language, start=start, end=end)


def time_line(notice: Notice, language: str, showing_at: int | None = None) -> str:
    """An event's time, or the notice's display window (see `window`)."""
    if notice.event_start is not None:
        when = event_time(notice.event_start, notice.event_end, language)
        return label("when", language, when=when)
    return window(notice.valid_from, notice.valid_until, language, showing_at)


def kind_line(notice: Notice, language: str) -> str:
    """Priority (when not normal) and category in words: WICHTIG · Gesundheit."""
    words = [CATEGORY[notice.category][language]]
    if notice.priority in PRIORITY:
        words.insert(0, PRIORITY[notice.priority][language])
    return " · ".join(words)


def audience(hubs: list[str], groups: list[str], language: str) -> str:
    """Whom a notice is for, from its targets' names."""
    names = [*hubs, *(label("group", language, name=group) for group in groups)]
    if not names:
        return label("for_all", language)
    return label("for", language, names=", ".join(names))


def pages_word(count: int) -> str:
    """1 Seite, 2 Seiten: for the command's one line."""
    return f"{count} Seite" if count == 1 else f"{count} Seiten"
