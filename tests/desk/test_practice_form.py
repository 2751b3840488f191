"""The practices' pages without a server: the publish form's rules, the weekly series a list
of slots forms, which ids belong to a practice, and the feed link sealed to the practice."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from admin.desk.practice_data import owns_request, owns_slot, series_of
from admin.desk.practice_feed import feed_state, link_file, rotate
from admin.desk.practice_form import SeriesForm, check_series, reason_problem
from admin.feed import new_feed_token, practice_for_token
from content.booking import DEFAULT_SERVICES, Practice, Slot
from content.booking_ids import new_request_id, new_slot_id
from content.identity import Identity
from content.local_time import local_ms
from content.store import Store

TODAY = date(2026, 12, 3)  # a Thursday
HUBER = Identity.generate("Hausarztpraxis Dr. Huber, Freyung")
AYDIN = Identity.generate("Praxis Dr. Aydin, Grafenau")


def practice(identity: Identity = HUBER) -> Practice:
    return Practice(
        key=identity.key_id,
        name=identity.name,
        address="Stadtplatz 1",
        phone="08551 9876",
        specialty="",
        video_url="",
        services=list(DEFAULT_SERVICES),
        seal=identity.public.seal_key,
        authority="a" * 64,
        authority_seal="b" * 64,
    )


def form(**typed: object) -> SeriesForm:
    """Two weeks of Mondays and Wednesdays at three times, with what `typed` changes."""
    made = SeriesForm(
        service="video",
        weekdays=["mo", "mi"],
        first="2026-12-07",
        last="2026-12-20",
        times="09:00, 9.30 ,10 Uhr",
        capacity="1",
    )
    for name, value in typed.items():
        setattr(made, name, value)
    return made


def test_a_good_series_expands_in_berlin_time() -> None:
    slots = check_series(form(), practice(), TODAY)
    assert slots is not None
    assert len(slots) == 2 * 2 * 3  # two Mondays and two Wednesdays, three times each
    starts = sorted(body.start for _id, body in slots)
    assert starts[0] == local_ms(date(2026, 12, 7), time(9, 0))
    assert all(owns_slot(HUBER.key_id, slot_id) for slot_id, _body in slots)


@pytest.mark.parametrize(
    ("typed", "field", "key"),
    [
        ({"service": "massage"}, "service", "practice.publish.error.service"),
        ({"weekdays": []}, "weekdays", "practice.publish.error.weekdays"),
        ({"first": ""}, "first", "practice.publish.error.first_missing"),
        ({"first": "31.02.2026"}, "first", "practice.publish.error.day_unreadable"),
        ({"first": "02.12.2026"}, "first", "practice.publish.error.first_past"),
        ({"last": "06.12.2026"}, "last", "practice.publish.error.last_before_first"),
        ({"last": "2028-01-01"}, "last", "practice.publish.error.too_long"),
        ({"times": " , "}, "times", "practice.publish.error.times_missing"),
        ({"times": "9:00, 25:00"}, "times", "practice.publish.error.time_unreadable"),
        ({"times": "9:00, 9:20"}, "times", "practice.publish.error.too_close"),
        ({"duration": "0"}, "duration", "practice.publish.error.duration_range"),
        ({"capacity": ""}, "capacity", "practice.publish.error.capacity_missing"),
        ({"capacity": "51"}, "capacity", "practice.publish.error.capacity_range"),
        ({"place": ""}, "place", "practice.publish.error.place_missing"),
        ({"place": "x" * 201}, "place", "practice.publish.error.place_too_long"),
        ({"weekdays": ["sa"], "last": "2026-12-10"}, "weekdays", "practice.publish.error.no_slot"),
        (
            {"weekdays": ["mo", "di", "mi", "do", "fr", "sa", "so"], "last": "2027-12-06"},
            "last",
            "practice.publish.error.too_many",
        ),
    ],
)
def test_each_problem_stands_beside_its_field(
    typed: dict[str, object], field: str, key: str
) -> None:
    checked = form(**typed)
    if field == "last" and key.endswith("too_many"):
        checked.times = ",".join(f"{hour:02d}:00" for hour in range(7, 15))
    assert check_series(checked, practice(), TODAY) is None
    assert checked.errors[field] == key


def test_the_spacing_counts_the_duration_typed() -> None:
    # Video: 15 minutes and 5 before and after; typed 10 minutes, 20 apart is enough.
    assert check_series(form(times="9:00, 9:20", duration="10"), practice(), TODAY) is not None
    too_close = form(times="9:00, 9:20")
    assert check_series(too_close, practice(), TODAY) is None
    assert too_close.values["gap"] == 25


def test_a_reason_may_be_required_and_is_bounded() -> None:
    assert reason_problem("", required=True) == "practice.reason.missing"
    assert reason_problem("", required=False) is None
    assert reason_problem("x" * 301, required=False) == "practice.reason.too_long"
    assert reason_problem("Urlaub", required=True) is None


def _slot(start: date, hour: int, place: str = "Dorfhub", withdrawn: bool = False) -> Slot:
    moment = local_ms(start, time(hour, 30))
    return Slot(
        id=new_slot_id(HUBER.key_id),
        practice=HUBER.key_id,
        practice_name=HUBER.name,
        service=DEFAULT_SERVICES[0],
        start=moment,
        end=moment + 15 * 60_000,
        capacity=1,
        confirmed=0 if withdrawn else 1,
        place=place,
        withdrawn=withdrawn,
    )


def test_slots_form_weekly_series() -> None:
    monday = date(2026, 12, 7)
    slots = [
        _slot(monday, 9),
        _slot(monday + timedelta(days=7), 9, withdrawn=True),
        _slot(monday + timedelta(days=14), 9),
        _slot(monday + timedelta(days=2), 9),  # a Wednesday: a series of its own
        _slot(monday, 9, place="Telefon"),  # another place: another series
    ]
    found = series_of(slots)
    assert [(s.weekday, s.clock, s.place, s.count) for s in found] == [
        (0, "09:30", "Dorfhub", 3),
        (0, "09:30", "Telefon", 1),
        (2, "09:30", "Dorfhub", 1),
    ]
    first = found[0]
    assert (first.withdrawn, first.booked) == (1, 2)
    assert first.first == slots[0].start
    assert first.last == slots[2].start


def test_ids_tell_whose_they_are() -> None:
    slot = new_slot_id(AYDIN.key_id)
    request = new_request_id(slot, "c" * 64, False, "d" * 64)
    assert owns_slot(AYDIN.key_id, slot)
    assert not owns_slot(HUBER.key_id, slot)
    assert owns_request(AYDIN.key_id, request)
    assert not owns_request(HUBER.key_id, request)
    for nonsense in ("", "b.", "../../etc/passwd", slot):
        assert not owns_request(HUBER.key_id, nonsense)


def test_the_feed_link_is_shown_to_its_practice_only(tmp_path: Path) -> None:
    users = tmp_path / "desk-users"
    with Store(tmp_path / "dorfhub.db") as store:
        assert feed_state(store.conn, users, HUBER).created is None
        made_elsewhere = new_feed_token(store, HUBER.key_id)  # `dorfhub practice feed-token`
        state = feed_state(store.conn, users, HUBER)
        assert (state.created is not None, state.token) == (True, None)

        token = rotate(store, users, HUBER)
        assert practice_for_token(store.conn, token) == HUBER.key_id
        assert practice_for_token(store.conn, made_elsewhere) is None
        assert feed_state(store.conn, users, HUBER).token == token
        # Another practice's key opens nothing, even given this file in its place.
        link_file(users, AYDIN.key_id).write_bytes(link_file(users, HUBER.key_id).read_bytes())
        with store.write() as conn:
            conn.execute("INSERT INTO feed_tokens VALUES (?, 'x', 0)", (AYDIN.key_id,))
        assert feed_state(store.conn, users, AYDIN).token is None
        # A token renewed outside the desk no longer matches the sealed copy.
        new_feed_token(store, HUBER.key_id)
        assert feed_state(store.conn, users, HUBER).token is None
