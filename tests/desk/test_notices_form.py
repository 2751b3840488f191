"""The notice editor's rules, without a browser: how typed dates and times become moments
(Europe/Berlin; a date alone is the whole day; German forms), the three explicit ends, events
without an end, targets checked against the network, and the warnings to confirm."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.datastructures import FormData, UploadFile

from admin.desk.i18n import Translator, Words
from admin.desk.notices_form import (
    NoticeForm,
    check,
    form_of,
    read_form,
    say,
    warn,
)
from admin.desk.notices_words import until_words, window_words
from content.bodies import Attachment
from content.local_time import event_leaves, parse_clock, parse_day, whole_day
from content.notice_targets import Hub, Network
from content.notices import Notice

BERLIN = ZoneInfo("Europe/Berlin")
RINGELAI = Hub("a" * 64, "Ringelai", ("Ilzer Land",))
PERLESREUT = Hub("b" * 64, "Perlesreut", ("Ilzer Land",))
SCHOENBERG = Hub("c" * 64, "Schönberg", ("Sonnenwald",))
NETWORK = Network((RINGELAI, PERLESREUT, SCHOENBERG))
GERMAN = Words(Translator(), "de")
ENGLISH = Words(Translator(), "en")


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=BERLIN).timestamp() * 1000)


def form(**fields: str | list[str]) -> NoticeForm:
    """The form as a browser sends it: German texts and a window unless given otherwise."""
    sent: dict[str, str | list[str]] = {
        "title_de": "Bürgerbus nach Grafenau",
        "body_de": "Jeden Dienstag um 8:15 Uhr am Dorfplatz.",
        "category": "mobilitaet",
        "priority": "normal",
        "from_date": "2026-12-01",
        "until_mode": "date",
        "until_date": "2026-12-31",
        "target_mode": "all",
        **fields,
    }
    pairs: list[tuple[str, str | UploadFile]] = [
        (name, item)
        for name, value in sent.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    return read_form(FormData(pairs))


def test_a_date_alone_means_the_whole_day() -> None:
    typed = form(from_date="2026-12-01", until_date="31.12.2026")
    body = check(typed, NETWORK, [])
    assert body is not None
    assert body.valid_from == ms(2026, 12, 1)  # from local midnight
    assert body.valid_until == whole_day(date(2026, 12, 31))[1] == ms(2027, 1, 1)
    assert until_words(GERMAN, body.valid_until) == "bis Do 31.12.2026, 24:00 Uhr"
    assert until_words(ENGLISH, body.valid_until) == "until Thu 31 Dec 2026, end of day"


def test_times_are_berlin_time_in_summer_and_winter() -> None:
    summer = check(
        form(from_date="2026-07-01", from_time="09:30", until_date="2026-07-02"), NETWORK, []
    )
    winter = check(form(from_date="1.12.2026", from_time="9.30", until_date="2.12.26"), NETWORK, [])
    assert summer is not None
    assert winter is not None
    assert summer.valid_from == ms(2026, 7, 1, 9, 30)  # 07:30 UTC
    assert winter.valid_from == ms(2026, 12, 1, 9, 30)  # 08:30 UTC
    assert winter.valid_until == ms(2026, 12, 3)
    assert window_words(GERMAN, winter.valid_from, ms(2026, 12, 12, 18)) == (
        "ab Di 01.12.2026, 09:30 Uhr · bis Sa 12.12.2026, 18:00 Uhr"
    )


def test_the_day_the_clocks_go_back_lasts_25_hours() -> None:
    body = check(form(from_date="2026-10-25", until_date="2026-10-25"), NETWORK, [])
    assert body is not None
    assert body.valid_until is not None
    assert body.valid_until - body.valid_from == 25 * 3600 * 1000


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("31.12.2026", date(2026, 12, 31)),
        ("1.2.27", date(2027, 2, 1)),
    ],
)
def test_dates_in_both_forms(typed: str, day: date) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize("typed", ["31.02.2026", "2026-13-01", "morgen", "12/31/2026", ""])
def test_what_is_no_date(typed: str) -> None:
    assert parse_day(typed) is None


@pytest.mark.parametrize("typed", ["24:00", "18:60", "halb acht", "7 pm"])
def test_what_is_no_time(typed: str) -> None:
    assert parse_clock(typed) is None


def test_until_retracted_is_a_choice_and_an_empty_date_is_not() -> None:
    chosen = check(form(until_mode="retracted", until_date=""), NETWORK, [])
    assert chosen is not None
    assert chosen.valid_until is None
    forgotten = form(until_date="")
    assert check(forgotten, NETWORK, []) is None
    assert forgotten.errors["until"].key == "notices.error.date_missing"


def test_an_end_before_the_start_is_refused_beside_the_end() -> None:
    typed = form(from_date="2026-12-10", until_date="2026-12-09")
    assert check(typed, NETWORK, []) is None
    assert set(typed.errors) == {"until"}
    assert say(GERMAN, typed.errors["until"]) == "Das Ende muss nach dem Beginn liegen."
    assert say(ENGLISH, typed.errors["until"]) == "The end must come after the start."


def test_a_missing_title_and_a_bad_time_are_said_field_by_field() -> None:
    typed = form(title_de="", from_time="25 Uhr", title_en="Community bus")
    assert check(typed, NETWORK, []) is None
    assert typed.errors["title_de"].key == "notices.error.title_missing"
    assert typed.errors["body_en"].key == "notices.error.body_missing"  # a title needs its text
    assert say(GERMAN, typed.errors["from"]) == "„25 Uhr“ ist keine Uhrzeit. Bitte so: 18:00."
    assert typed.title("en") == "Community bus"  # kept as typed


def test_limits_are_said_in_the_error() -> None:
    typed = form(title_de="x" * 201, body_de="x" * 20_001)
    assert check(typed, NETWORK, []) is None
    assert say(GERMAN, typed.errors["title_de"]) == "Zu lang: höchstens 200 Zeichen, jetzt 201."
    assert say(GERMAN, typed.errors["body_de"]) == (
        "Zu lang: höchstens 20.000 Zeichen, jetzt 20.001."
    )
    assert say(ENGLISH, typed.errors["body_de"]) == (
        "Too long: at most 20,000 characters, now 20,001."
    )


def test_an_event_without_an_end_leaves_at_the_end_of_its_day() -> None:
    body = check(
        form(
            event_start_date="2026-12-12",
            event_start_time="15:00",
            place="Pfarrheim Perlesreut",
            until_mode="event",
            until_date="",
        ),
        NETWORK,
        [],
    )
    assert body is not None
    assert body.event is not None
    assert body.event.start == ms(2026, 12, 12, 15)
    assert body.event.end is None  # the kiosk shows the start only, as it is given
    assert body.valid_until == ms(2026, 12, 13) == event_leaves(body.event.start, None)


def test_an_event_end_time_alone_is_on_the_day_it_starts() -> None:
    body = check(
        form(
            event_start_date="12.12.2026",
            event_start_time="14:00",
            event_end_time="17:00",
            until_mode="event",
        ),
        NETWORK,
        [],
    )
    assert body is not None
    assert body.event is not None
    assert body.event.end == ms(2026, 12, 12, 17) == body.valid_until


def test_until_the_event_needs_an_event() -> None:
    typed = form(until_mode="event")
    assert check(typed, NETWORK, []) is None
    assert typed.errors["until"].key == "notices.error.until_event_missing"


def test_targets_by_key_or_by_name_in_any_case() -> None:
    body = check(
        form(target_mode="some", hubs=[RINGELAI.key, "schönberg"], groups=["ilzer land"]),
        NETWORK,
        [],
    )
    assert body is not None
    assert body.targets.hubs == sorted([RINGELAI.key, SCHOENBERG.key])
    assert body.targets.groups == ["Ilzer Land"]  # the network's own spelling


def test_an_unknown_hub_is_refused_and_the_known_ones_named() -> None:
    typed = form(target_mode="some", hubs=["Schönbrunn"])
    assert check(typed, NETWORK, []) is None
    assert say(GERMAN, typed.errors["targets"]) == (
        "Unbekannter Hub: Schönbrunn. Im Netz sind: Perlesreut, Ringelai, Schönberg."
    )


def test_some_targets_but_none_chosen_is_refused() -> None:
    typed = form(target_mode="some")
    assert check(typed, NETWORK, []) is None
    assert typed.errors["targets"].key == "notices.error.no_targets"


def test_warnings_name_what_a_person_should_confirm() -> None:
    typed = form(until_date="2026-12-02", priority="emergency")
    body = check(typed, Network(()), [])
    assert body is not None
    warn(typed, body, Network(()), now_ms=ms(2026, 12, 5))
    said = [say(GERMAN, warning) for warning in typed.warnings]
    assert said == [
        "Kein Hub wird diesen Aushang zeigen: Die gewählten Ziele haben keinen Hub.",
        "Der Aushang ist schon abgelaufen (bis Mi 02.12.2026, 24:00 Uhr); kein Kiosk wird ihn"
        " zeigen.",
        "Es fehlt: Englisch, Leichte Sprache. Der Kiosk zeigt dort den deutschen Text.",
        "Notfall: Der Aushang übernimmt den Bildschirm jedes Ziel-Kiosks und wird vorgelesen.",
    ]
    digest = typed.warnings_digest()
    typed.warnings.pop()
    assert typed.warnings_digest() != digest  # a confirmation counts only for what was seen


def test_too_many_attachments() -> None:
    attachment = Attachment(blob="d" * 64, name="plan.pdf", mime="application/pdf", size=10)
    typed = form()
    assert check(typed, NETWORK, [attachment] * 9) is None
    assert say(GERMAN, typed.errors["files"]) == "Höchstens 8 Anhänge je Aushang."


def test_an_edit_form_shows_the_notice_as_it_was_typed() -> None:
    body = check(form(until_date="31.12.2026", from_time="08:00"), NETWORK, [])
    assert body is not None
    notice = Notice(
        id="n-1",
        title={str(k): v for k, v in body.title.items()},
        body={str(k): v for k, v in body.body.items()},
        category=body.category,
        priority=body.priority,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        event_start=None,
        event_end=None,
        place=None,
        target_hubs=[],
        target_groups=[],
        attachments=[],
        author="e" * 64,
        author_name="Anna Berger",
        published_at=0,
        updated_at=0,
        retracted=False,
    )
    again = form_of(notice)
    assert (again.from_date, again.from_time) == ("2026-12-01", "08:00")
    assert (again.until_mode, again.until_date, again.until_time) == ("date", "2026-12-31", "")
    assert again.target_mode == "all"
