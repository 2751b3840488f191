"""The kiosk's Arzttermin flow: the pure state machine, the slip, and the real app under Xvfb.

The app tests run the real kiosk in a fresh process (driver.py) on a hub home whose store holds
two practices and their slots, as after a sync. The town server's part runs as it would: a
separate process (`python -m tests.kiosk.test_booking_flow decide …`) that takes the hub's ops
into the town's own database, runs the allocator there with the server's key and brings the
decision back into the hub's database, as the hub daemon's sync would. The kiosk notices it by
its `PRAGMA data_version` poll only.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from content import booking, grants
from content.booking import LOCAL_TIME, BookingError, Person
from content.booking_allocation import allocate
from content.clock import wall_clock_ms
from content.identity import Identity, load_identity, save_identity
from content.log import Log
from content.store import Store
from kiosk.booking_flow import (
    NUMBERED_STEPS,
    OLDEST_AGE,
    BookingFlow,
    EntryErrors,
    FlowError,
    Step,
    birth_display,
    birth_iso,
    birth_problem,
    calendar_page,
    calendar_pages,
    day_face,
    entry_errors,
    months_shown,
    step_position,
)
from tests.booking.helpers import practice_with_slots
from tests.booking.privacy import needles
from tests.kiosk.driver import Context
from tests.kiosk.driver import Step as WaitStep
from tests.kiosk.hubhome import make_hub_home
from tests.kiosk.qrcheck import expected_modules, modules
from tests.kiosk.run import REPO, run_scenario

HUBER = "Hausarztpraxis Dr. Huber"
AYDIN = "Praxis Dr. Aydin"
HUBER_PHONE = "08551 9876"
AYDIN_PHONE = "08552 1234"
PIN = "4711"
# What the tests type at the kiosk: none of it may reach a file on the hub.
RESIDENT = Person("Walburga Kreuzeder", "1938-02-17", "0855591827", consent=True)
SECOND = Person("Xaver Pfeilschifter", "1941-11-05", "", consent=True)
ON_BEHALF = Person("Zenzi Obermaier", "1950-07-29", "0171445566", consent=True)
COMPETITOR = Person("Anton Zweitbucher", "1944-04-04", "", consent=True)
MODULE = "test_booking_flow"
SLOW_FAILING_PRINTER = [
    "sh",
    "-c",
    "sleep 1; echo 'lp: Drucker Kiosk nicht erreichbar' >&2; exit 1",
    "lp",
]


# ---- the pure flow ---------------------------------------------------------------------------


def test_birth_date_is_typed_as_digits_and_shown_with_dots() -> None:
    assert birth_display("") == ""
    assert birth_display("17") == "17."
    assert birth_display("1702") == "17.02."
    assert birth_display("170219") == "17.02.19"
    assert birth_display("17021938") == "17.02.1938"
    assert birth_iso("17021938") == "1938-02-17"
    for bad in ("3102193", "31021938", "00001938", "1702193a"):
        with pytest.raises(BookingError) as caught:
            birth_iso(bad)
        assert caught.value.field == "birth_date"


FORMAT, DAY, YEAR = (
    "booking.error.birth_date",
    "booking.error.birth_day",
    "booking.error.birth_year",
)


@pytest.mark.parametrize(
    ("digits", "problem"),
    [
        ("17021938", ""),
        ("", FORMAT),
        ("3102193", FORMAT),  # not all typed
        ("29021931", DAY),  # 1931 was no leap year
        ("29021932", ""),  # 1932 was
        ("29022000", ""),  # a century divisible by 400: a leap year
        ("29022100", YEAR),  # not: but the year is what is wrong
        ("31041950", DAY),
        ("00011950", DAY),
        ("01131950", DAY),  # month 13
        ("12031850", YEAR),
        ("29021850", YEAR),  # a day that exists in some year: the year is what is wrong
        ("01011906", ""),  # 120 years back: plausible
        ("31121905", YEAR),
        ("25112026", ""),  # born today (a guide books for a newborn)
        ("26112026", YEAR),  # tomorrow
        ("01012031", YEAR),  # "2031" for "1931"
    ],
)
def test_birth_date_problems(digits: str, problem: str) -> None:
    assert OLDEST_AGE == 120
    assert birth_problem(digits, date(2026, 11, 25)) == problem


def test_every_entry_error_at_once_in_field_order() -> None:
    today = date(2026, 11, 25)
    assert entry_errors("Anna Huber", "17021938", "0170 123", today) == []
    assert entry_errors(" ", "29021931", "abc", today) == [
        ("name", "booking.error.name"),
        ("birth_date", DAY),
        ("phone", "booking.error.phone"),
    ]
    assert entry_errors("Anna", "12031850", "", today) == [("birth_date", YEAR)]
    flow = BookingFlow()
    flow.choose_practice("p")
    flow.choose_slot("s-1")
    flow.birth_digits = "12031850"
    with pytest.raises(EntryErrors) as caught:
        flow.entries_done(today)
    assert caught.value.errors == [("name", "booking.error.name"), ("birth_date", YEAR)]
    assert caught.value.field == "name"


def test_the_calendar_names_the_months_shown_and_each_day_reads_on_its_own() -> None:
    weekdays = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    # Thursday 3 December: the page starts Monday 30 November, blank as a day before today, so
    # the heading says "Dezember 2026 – Januar 2027", not "November 2026 – Januar 2027".
    today = date(2026, 12, 3)
    weeks = calendar_page(today, 0)
    assert weeks[0][0] == date(2026, 11, 30)
    assert months_shown(today, weeks) == [(2026, 12), (2027, 1)]
    assert months_shown(today, calendar_page(today, 1)) == [(2027, 1), (2027, 2)]
    # Five weeks may touch three months: Monday 29 March 2027 to Sunday 2 May 2027.
    three = calendar_page(date(2027, 3, 29), 0)
    assert months_shown(date(2027, 3, 29), three) == [(2027, 3), (2027, 4), (2027, 5)]
    assert day_face(today, today, weekdays, "heute") == "heute\n3.12."
    assert day_face(date(2026, 12, 4), today, weekdays, "heute") == "Fr\n4.12."
    assert day_face(date(2027, 1, 4), today, weekdays, "heute") == "Mo\n4.1."


def test_five_numbered_steps_and_the_status_is_none() -> None:
    assert step_position("booking_practice") == {"number": 1, "total": 5}
    assert step_position("booking_when") == {"number": 2, "total": 5}
    assert step_position("booking_confirm") == {"number": 5, "total": 5}
    assert step_position("booking_status") == {}


def test_the_consent_names_the_practice_once_without_a_word_before_it() -> None:
    # The practice's name says what it is ("Hausarztpraxis Dr. Huber", "Praxis Aydin"):
    # "an die Praxis Hausarztpraxis Dr. Huber" doubled it, and no article fits every name.
    from content.languages import LANGUAGES
    from kiosk.i18n import load_catalog

    for language in LANGUAGES:
        text = load_catalog(language)["booking.consent_text"]
        before = text.split("{practice}")[0].rstrip().lower()
        assert not before.endswith(("praxis", "practice", "die", "the")), language


def test_flow_steps_and_what_is_forgotten() -> None:
    flow = BookingFlow()
    assert flow.start() is Step.PRACTICE
    with pytest.raises(FlowError):
        flow.choose_slot("s-1")
    assert flow.choose_practice("p" * 64) is Step.WHEN
    flow.choose_day(date(2026, 12, 2))
    assert flow.choose_slot("s-1") is Step.PERSON
    flow.name, flow.birth_digits, flow.phone = "Anna Huber", "17021938", "0170"
    today = date(2026, 11, 25)
    assert flow.entries_done(today) is Step.CONSENT
    flow.phone = "abc"
    with pytest.raises(BookingError) as caught:
        flow.entries_done(today)
    assert caught.value.field == "phone"
    flow.phone, flow.birth_digits = "", "17022030"
    with pytest.raises(BookingError) as caught:
        flow.entries_done(today)
    assert caught.value.field == "birth_date"
    flow.birth_digits = "17021938"
    flow.entries_done(today)
    assert flow.agree() is Step.CONFIRM
    assert flow.person() == Person("Anna Huber", "1938-02-17", "", consent=True)
    assert flow.requested("b.1") is Step.STATUS
    assert flow.announce("b.1:pending")
    assert not flow.announce("b.1:pending")
    # A rejection's alternative is booked with the entries still held ...
    assert flow.choose_alternative("s-2") is Step.CONFIRM
    # ... and asked for again once the slip is out.
    flow.forget_person()
    assert not flow.holds_person()
    assert flow.request_id == "b.1"
    assert flow.choose_alternative("s-3") is Step.PERSON
    flow.name = "Anna"
    flow.reset()
    assert flow == BookingFlow()
    assert BookingFlow().start(on_behalf=True) is Step.PRACTICE


def test_calendar_pages_start_on_monday_and_reach_every_bookable_day() -> None:
    today = date(2026, 11, 25)  # a Wednesday
    weeks = calendar_page(today, 0)
    assert weeks[0][0] == date(2026, 11, 23)
    assert len(weeks) == 5
    assert all(len(week) == 7 and week[0].weekday() == 0 for week in weeks)
    far = today + timedelta(days=60)
    count = calendar_pages(today, [today, far])
    assert any(far in week for week in calendar_page(today, count - 1))
    assert calendar_pages(today, []) == 1


# ---- the slip ---------------------------------------------------------------------------------


def _labels() -> dict[str, str]:
    from kiosk.i18n import Translator
    from kiosk.slip import LABEL_KEYS

    translator = Translator()
    return {key: translator.t("de", key) for key in LABEL_KEYS}


def _slip(code: str | None) -> booking.Slip:
    return booking.Slip(
        state="confirmed" if code else "pending",
        code=code,
        date="Di 02.12.2026",
        time="09:30",
        place="Dorfhub – Beratungsraum",
        practice=HUBER,
        practice_address="Stadtplatz 1, 94078 Freyung",
        practice_phone=HUBER_PHONE,
        service="Videosprechstunde",
        bring="Versichertenkarte.",
        how_to_cancel="Absagen: am Dorfhub mit dem Buchungscode.",
        video_url="",
    )


def pdf_facts(data: bytes) -> dict[str, Any]:
    """What a PDF says: its text, and the QR code images it holds, as module matrices."""
    import io

    from pypdf import PdfReader

    assert data[:5] == b"%PDF-"
    page = PdfReader(io.BytesIO(data)).pages[0]
    images = [image.image for image in page.images]
    return {"text": page.extract_text(), "qr": [modules(image) for image in images]}


def test_slip_pdf_has_the_facts_and_a_qr_code_of_the_booking_code() -> None:
    from kiosk.slip import render_pdf, text

    confirmed = pdf_facts(render_pdf(_slip("KM4T-7QXA"), _labels()))
    for fact in ("Di 02.12.2026", "09:30", "KM4T-7QXA", HUBER_PHONE, "Versichertenkarte"):
        assert fact in confirmed["text"], fact
    assert confirmed["qr"] == [expected_modules("KM4T-7QXA")]
    pending = pdf_facts(render_pdf(_slip(None), _labels()))
    assert "Anfrage gespeichert – Bestätigung folgt" in pending["text"]
    assert "folgt mit der Bestätigung" in pending["text"]
    assert pending["qr"] == []  # no code yet, nothing to scan
    spoken = text(_slip("KM4T-7QXA"), _labels())
    assert "KM4T-7QXA" in spoken
    assert HUBER_PHONE in spoken


def test_slip_goes_to_lp_through_a_temporary_file_or_is_saved(tmp_path: Path) -> None:
    from kiosk.slip import deliver, find_printer

    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[node]\nname = "x"\nrole = "hub"\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    spool = tmp_path / "spool"
    # A stand-in for CUPS' lp (no print server runs here): it keeps a copy of what it was given.
    fake_lp = bin_dir / "lp"
    fake_lp.write_text(
        f'#!/bin/sh\nfor last; do :; done\ncp "$last" {spool}\necho "$last" >>{spool}.args\n'
    )
    fake_lp.chmod(fake_lp.stat().st_mode | stat.S_IXUSR)
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}:{old_path}"
    try:
        printer = find_printer(home)
        assert printer == [str(fake_lp)]
        done = deliver(b"%PDF-1.4 test", home, "termin-x", printer)
    finally:
        os.environ["PATH"] = old_path
    assert done.printed
    assert done.path is None
    assert spool.read_bytes() == b"%PDF-1.4 test"
    assert not Path(spool.with_suffix(".args").read_text().strip()).exists()  # deleted
    assert not (home / "slips").exists()
    # A printer that fails: the slip is saved instead, and the reason kept.
    failing = deliver(b"%PDF-1.4 test", home, "termin-x", ["false"])
    assert not failing.printed
    assert failing.path == home / "slips" / "termin-x.pdf"
    assert failing.error
    # Switched off in the config: saved, never printed.
    (home / "config.toml").write_text("[printer]\nenabled = false\n")
    assert find_printer(home) is None
    again = deliver(b"%PDF-1.4 test", home, "termin-x", None)
    assert again.path == home / "slips" / "termin-x-2.pdf"


# ---- a hub with practices, and the town server in another process -----------------------------


@dataclass
class BookingHome:
    tmp: Path
    hub: Path

    @property
    def params(self) -> dict[str, Any]:
        return {"tmp": str(self.tmp)}


def make_booking_home(tmp: Path) -> BookingHome:
    """A hub home (tests/kiosk/hubhome.py) plus a town database with two practices and their
    slots for the next days, synced into the hub as the hub daemon would."""
    base = make_hub_home(tmp)
    save_identity(base.server, tmp / "server.key")
    admin = load_identity(base.admin_key)
    competitor = Identity.generate("Perlesreut")
    save_identity(competitor, tmp / "hub2.key")
    with Store(base.path / "dorfhub.db") as hub_store, Store(tmp / "town.db") as town_store:
        network_id = hub_store.network_id
        assert network_id is not None
        town_store.set_network(network_id)
        hub_log, town = Log(hub_store), Log(town_store)
        _sync(hub_log, town)
        grants.grant(town, admin, competitor.public, "hub", competitor.name)
        first = datetime.fromtimestamp(wall_clock_ms() / 1000, LOCAL_TIME).date()
        first += timedelta(days=1)
        for name, phone, town_name, days in (
            (HUBER, HUBER_PHONE, "94078 Freyung", 3),
            (AYDIN, AYDIN_PHONE, "94481 Grafenau", 2),
        ):
            address, last = f"Stadtplatz 1, {town_name}", first + timedelta(days=days - 1)
            times = ("09:00", "09:30", "10:00")
            practice = practice_with_slots(town, admin, name, address, phone, (first, last), times)
            # Only the practice publishes its slots (town_push publishes one more later).
            save_identity(practice, tmp / f"practice-{len(list(tmp.glob('practice-*')))}.key")
        _sync(town, hub_log)
    # A printer that takes a second and then fails (no print server runs here): the slip is
    # saved instead, and the kiosk must keep drawing while it waits.
    with (base.path / "config.toml").open("a") as config:
        config.write(f"\n[printer]\ncommand = {json.dumps(SLOW_FAILING_PRINTER)}\n")
    return BookingHome(tmp, base.path)


def _sync(source: Log, target: Log) -> None:
    target.ingest(list(source.ops_missing_from(target.version_vector())))


def town_decide(tmp: Path, compete: bool = False) -> tuple[float, float]:
    """The town server's part: the hub's ops into the town database, decisions there, and the
    decisions back into the hub's database. `compete`: another hub's request for the same slot
    reaches the town first (it was offline too). Returns the wall time before and after the
    decisions were written into the hub's database."""
    server = load_identity(tmp / "server.key")
    with Store(tmp / "hub" / "dorfhub.db") as hub_store, Store(tmp / "town.db") as town_store:
        hub_log, town = Log(hub_store), Log(town_store)
        if compete:
            rival = load_identity(tmp / "hub2.key")
            for (slot_id,) in hub_store.conn.execute(
                "SELECT slot_id FROM booking_requests r WHERE NOT EXISTS "
                "(SELECT 1 FROM booking_decisions d WHERE d.request_id = r.id)"
            ).fetchall():
                booking.request_booking(town, rival, slot_id, COMPETITOR)
        _sync(hub_log, town)
        allocate(town_store, server)
        before = time.time()
        _sync(town, hub_log)
        after = time.time()
    return before, after


def town_push(tmp: Path) -> None:
    """The hub's request reaches the town, and a new slot comes back to the hub (a commit in
    the hub's database), but nothing is decided yet."""
    with Store(tmp / "hub" / "dorfhub.db") as hub_store, Store(tmp / "town.db") as town_store:
        hub_log, town = Log(hub_store), Log(town_store)
        _sync(hub_log, town)
        practice = booking.list_practices(town_store.conn)[-1]
        practice_key = next(
            key
            for key in (load_identity(path) for path in sorted(tmp.glob("practice-*.key")))
            if key.key_id == practice.key
        )
        start = datetime.combine(
            datetime.fromtimestamp(wall_clock_ms() / 1000, LOCAL_TIME).date() + timedelta(days=1),
            datetime.min.time().replace(hour=15),
            LOCAL_TIME,
        )
        series = booking.expand_series(
            practice,
            "video",
            ["mo", "di", "mi", "do", "fr", "sa", "so"],
            start.date(),
            start.date(),
            ["15:00"],
            1,
            "Dorfhub",
        )
        booking.publish_slots(town_store, practice_key, series)
        _sync(town, hub_log)


def town_command(tmp: Path, command: str, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", f"tests.kiosk.{MODULE}", command, str(tmp), *flags],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


# ---- scenarios inside the live kiosk (driver.py) ------------------------------------------------


def _settled(app: Any, frames: int = 2) -> WaitStep:
    from tests.kiosk.scenarios import settled

    return settled(app, frames)


def _tap(app: Any, target: Any) -> Iterator[WaitStep]:
    from tests.kiosk.scenarios import still
    from tests.kiosk.ui import tap, widget

    found = widget(app, target) if isinstance(target, str) else target
    yield still(found)
    tap(found)
    yield _settled(app)


def _type(app: Any, text: str) -> Iterator[WaitStep]:
    from tests.kiosk.scenarios import held_keyboard
    from tests.kiosk.ui import tap

    # Touches go through Kivy's input pipeline at once: no frame is needed between keys.
    for char in text:
        tap(held_keyboard(app).keys["space" if char == " " else char.lower()])
    yield _settled(app, 1)


def _clear(app: Any, count: int) -> Iterator[WaitStep]:
    from tests.kiosk.scenarios import held_keyboard
    from tests.kiosk.ui import tap

    for _ in range(count):
        tap(held_keyboard(app).keys["delete"])
    yield _settled(app, 1)


def _enter_person(app: Any, person: Person, guide: str = "") -> Iterator[WaitStep]:
    screen = app.current
    yield from _type(app, person.name)
    yield from _tap(app, screen.ids.birth_date_field)
    born = date.fromisoformat(person.birth_date)
    yield from _type(app, born.strftime("%d%m%Y"))  # the phone field follows by itself
    yield from _type(app, person.phone)
    if guide:
        yield from _tap(app, screen.ids.guide_field)
        yield from _type(app, guide)


def _choose_first_time(
    app: Any, practice: str, ctx_out: dict[str, Any] | None = None
) -> Iterator[WaitStep]:
    yield from _tap(app, next(t for t in app.current.tiles.values() if practice in t.text))
    when = app.current
    days = sorted(when.day_buttons)
    if ctx_out is not None:
        ctx_out["days"] = days
        ctx_out["month"] = when.month_text
        # Each day's face as its button shows it, and today's cell (a button or plain text).
        ctx_out["faces"] = {day: when.day_buttons[day].text for day in days}
        today = when._today(app.data.now_ms())
        cells = list(reversed(when.ids.calendar.children))[7:]
        ctx_out["today_cell"] = [
            [cell.button.text, cell.label.text]
            for cell in cells
            if cell.button.day == today.isoformat()
        ]
        ctx_out["today"] = today.isoformat()
    yield from _tap(app, when.day_buttons[days[0]])
    yield from _tap(app, next(iter(when.time_buttons.values())))


def _run_town(app: Any, ctx: Context, command: str, *flags: str) -> Iterator[WaitStep]:
    process = town_command(Path(ctx.params["tmp"]), command, *flags)
    yield lambda: process.poll() is not None
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise AssertionError(f"town {command} failed:\n{output}")
    ctx.results.setdefault("town_said", []).append(output.strip().splitlines()[-1:] or [""])


def resident(app: Any, ctx: Context) -> Iterator[WaitStep]:
    """A resident books end to end; the decision comes from another process."""
    from kivy.clock import Clock

    out = ctx.results
    yield _settled(app)
    yield from _tap(app, "tile_doctor")
    out["practice_screen"] = app.sm.current
    out["tiles"] = sorted(tile.text for tile in app.current.tiles.values())
    yield from _choose_first_time(app, HUBER, out)
    out["person_screen"] = app.sm.current
    person = app.current
    out["step_labels"] = [app.screen(step.value).ids.step_label.text for step in NUMBERED_STEPS]
    # No name and a day that is none (1931 was no leap year): both errors at once, each beside
    # its field, spoken in the fields' order; the keys then type into the first.
    yield from _tap(app, person.ids.birth_date_field)
    yield from _type(app, "29021931")
    yield from _tap(app, "person_next")
    out["all_errors"] = [
        person.error_field,
        person.focus,
        person.ids.name_error.text,
        person.ids.birth_phone_error.text,
        ctx.speaker.said[-1][0],
    ]
    yield from _type(app, RESIDENT.name)
    out["name_typed"] = [person.ids.name_error.text, person.ids.birth_phone_error.text]
    # A year nobody living was born in.
    yield from _tap(app, person.ids.birth_date_field)
    yield from _clear(app, 8)
    yield from _type(app, "12031850")
    yield from _tap(app, "person_next")
    out["birth_error"] = [
        app.sm.current,
        person.error_field,
        person.ids.birth_phone_error.text,
        ctx.speaker.said[-1][0],
    ]
    yield from _clear(app, 8)
    yield from _type(app, "17021938")
    out["focus_after_date"] = person.focus
    yield from _type(app, RESIDENT.phone)
    out["fields"] = [
        person.ids.name_field.value,
        person.ids.birth_date_field.value,
        person.ids.phone_field.value,
    ]
    yield from _tap(app, "person_next")
    out["consent"] = [app.sm.current, app.current.consent_text]
    yield from _tap(app, "consent_yes")
    out["confirm"] = [app.sm.current, app.current.summary_text]
    yield from _tap(app, "confirm_send")
    flow = app.booking_flow
    status = app.current
    out["request_id"] = flow.request_id
    out["pending"] = [app.sm.current, status.heading_text, status.code_text, status.can_print]
    out["pending_spoken"] = ctx.speaker.said[-1]
    out["back_leads"] = list(app.history)
    # The request reaches the town and other data comes back: still pending after the reload.
    version = app.data.store.data_version()
    yield from _run_town(app, ctx, "push")
    yield lambda: app.data.store.data_version() != version
    yield 1.0
    out["after_push"] = [status.heading_text, status.state]
    # Every frame from now on: what the heading said, and when.
    frames: list[tuple[float, str]] = []

    def watch(_dt: float) -> None:
        frames.append((time.time(), status.heading_text))

    Clock.schedule_interval(watch, 0)
    process = town_command(Path(ctx.params["tmp"]), "decide")
    yield lambda: status.state == "confirmed"
    out["confirmed_seen"] = time.time()
    yield lambda: process.poll() is not None
    Clock.unschedule(watch)
    out["decided"] = json.loads((process.stdout.read() if process.stdout else "").splitlines()[-1])
    out["frames"] = frames
    out["confirmed"] = [status.heading_text, status.code_text, status.status.code]
    out["confirmed_spoken"] = ctx.speaker.said[-1]
    # Read aloud: the slip's text; with the name only as personal (headphones) speech.
    yield from _tap(app, "bar_read")
    out["read"] = ctx.speaker.said[-1]
    from kiosk.screens.base import tr

    drawn: list[str] = []

    def record(_dt: float) -> None:
        drawn.append(status.slip_text)

    Clock.schedule_interval(record, 0)
    yield from _tap(app, "slip_print")
    yield lambda: not status.printing
    Clock.unschedule(record)
    out["while_printing"] = [text for text in drawn if text == tr("booking.slip_printing")]
    out["slip"] = [status.slip_path, status.slip_text, flow.holds_person()]
    out["person_fields_after_slip"] = [
        app.screen("booking_person").ids.name_field.value,
        app.screen("booking_person").ids.phone_field.value,
        app.screen("booking_confirm").summary_text,
    ]

    # A second resident loses the race for the place; an alternative is booked with one tap.
    yield from _tap(app, "status_done")
    out["after_done"] = [app.sm.current, flow.request_id, flow.holds_person()]
    yield from _tap(app, "tile_doctor")
    yield from _choose_first_time(app, HUBER)
    yield from _enter_person(app, SECOND)
    yield from _tap(app, "person_next")
    yield from _tap(app, "consent_yes")
    yield from _tap(app, "confirm_send")
    rejected_request = flow.request_id
    yield from _run_town(app, ctx, "decide", "--compete")
    yield lambda: status.state == "rejected"
    out["rejected"] = [
        status.heading_text,
        status.note_text,
        sorted(status.alternative_buttons),
        sorted(status.status.alternatives),
        status.can_print,
    ]
    out["rejected_spoken"] = ctx.speaker.said[-1][0]
    first_alternative = sorted(status.alternative_buttons)[0]
    yield from _tap(app, status.alternative_buttons[first_alternative])
    out["alternative"] = [app.sm.current, flow.request_id != rejected_request, status.state]
    out["alternative_slot"] = [first_alternative, flow.request_id]
    yield from _run_town(app, ctx, "decide")
    yield lambda: status.state == "confirmed"
    out["alternative_confirmed"] = status.heading_text
    yield from _tap(app, "slip_print")
    out["second_slip"] = status.slip_path

    # A guide books on a resident's behalf from guide mode.
    yield from _tap(app, "bar_home")
    yield from _tap(app, "guide_login")
    yield from _type(app, PIN)
    yield from _tap(app, "pin_ok")
    yield from _tap(app, "book_for_someone")
    out["behalf_start"] = [app.sm.current, app.current.ids.heading.text]
    yield from _choose_first_time(app, AYDIN)
    yield from _enter_person(app, ON_BEHALF, guide="Frau Kern")
    yield from _tap(app, "person_next")
    yield from _tap(app, "consent_yes")
    out["behalf_summary"] = app.current.summary_text
    yield from _tap(app, "confirm_send")
    out["behalf"] = [flow.request_id, status.heading_text, status.status.on_behalf]

    # The privacy timeout in the middle of typing wipes every field and the flow.
    yield from _tap(app, "bar_home")
    yield from _tap(app, "tile_doctor")
    yield from _choose_first_time(app, HUBER)
    yield from _type(app, "Kreszenz")
    typed = app.current.ids.name_field.value
    app_clock = ctx.clock
    app_clock.advance(app.idle.idle_limit + 1)
    yield lambda: app.idle_overlay.parent is not None
    app_clock.advance(app.idle.warn_limit + 1)
    yield lambda: app.sm.current == "home"
    person = app.screen("booking_person")
    out["idle"] = [
        typed,
        person.ids.name_field.value,
        person.ids.birth_date_field.value,
        flow.holds_person(),
        flow.slot_id,
        flow.request_id,
    ]


def deadline(app: Any, ctx: Context) -> Iterator[WaitStep]:
    """The times of a day on screen while the first one's minimum notice begins: it goes
    without a commit or a touch, and the others stay."""
    from content.clock import wall_clock_ms

    out = ctx.results
    yield _settled(app)
    yield from _tap(app, "tile_doctor")
    yield from _tap(app, next(t for t in app.current.tiles.values() if HUBER in t.text))
    when = app.current
    yield from _tap(app, when.day_buttons[min(when.day_buttons)])
    before = [slot.id for slot in when.slots]
    first = when.slots[0]
    out["before"] = [len(before), app.sm.current]
    # Just past the first time's booking deadline (two hours' notice for a video consultation).
    closes = first.start - first.service.min_notice_min * 60_000 + 1
    ctx.wall_shift_ms = closes - wall_clock_ms()
    yield lambda: first.id not in [slot.id for slot in when.slots]
    out["after"] = [[slot.id for slot in when.slots] == before[1:], app.sm.current]


def layout(app: Any, ctx: Context) -> Iterator[WaitStep]:
    """Every step of the flow in every theme: sizes, gaps and contrast (tests/kiosk/ui.py)."""
    from tests.kiosk.ui import check_layout

    out = ctx.results
    tmp = Path(ctx.params["tmp"])
    yield _settled(app)
    # One request in each state, made and decided beside the app.
    hub = app.data.hub
    slots = booking.list_slots(app.data.conn, bookable_at=app.data.now_ms())
    ids = {}
    for state, slot in zip(("confirmed", "rejected", "pending"), slots, strict=False):
        ids[state] = booking.request_booking(app.data.log, hub, slot.id, RESIDENT)
        if state == "confirmed":
            town_decide(tmp)
        elif state == "rejected":
            town_decide(tmp, compete=True)
    flow = None
    for palette, large, language in ctx.params["themes"]:
        app.set_theme(palette, large)
        app.set_language(language)
        theme = f"{palette}{'-large' if large else ''}-{language}"
        found: dict[str, Any] = {}

        def measure(
            state: str, found: dict[str, Any] = found, theme: str = theme
        ) -> Iterator[WaitStep]:
            yield _settled(app, 3)
            found[state] = check_layout(app)
            found[state]["problems"] += lost_lines(app)
            shots = ctx.params.get("shots")
            if shots:
                Path(shots, theme).mkdir(parents=True, exist_ok=True)
                app.root.export_to_png(str(Path(shots, theme, f"{state}.png")))

        app.home()
        yield _settled(app)
        app.open_booking()
        flow = app.booking_flow
        yield from measure("practice")
        yield from _choose_first_time(app, HUBER)
        # Back to the calendar with a day chosen: both halves full.
        app.back()
        yield from measure("when")
        app.go("booking_person")
        yield from _type(app, "Anna")
        yield from measure("person_name")
        app.current.choose("birth_date")
        app.current.show_error(BookingError("", "birth_date"))
        yield from measure("person_birth_error")
        flow.birth_digits = "17021938"
        flow.name = "Anna Beispiel"
        flow.phone = "0170123"
        app.go("booking_consent")
        yield from measure("consent")
        app.current.agree()
        app.current.slot_gone = True
        app.current.error_text = app.t("booking.error.slot", app.lang)
        yield from measure("confirm_error")
        app.current.slot_gone = False
        app.current.error_text = ""
        yield from measure("confirm")
        for state, request_id in ids.items():
            flow.request_id = request_id
            app.dirty.add("booking_status")
            app.go("booking_status")
            app.current.refresh()
            yield from measure(f"status_{state}")
        app.open_booking(True)
        yield _settled(app)
        app.go("booking_person")
        yield from measure("person_on_behalf")
        app.home()
        app.go("pin")
        app.open_guide()
        yield from measure("guide")
        out[theme] = found


def lost_lines(app: Any) -> list[str]:
    """Tiles whose wrapped text lost a line to the box (their text is never shortened)."""
    from kivy.core.text import Label as CoreLabel

    from kiosk.screens.booking import BookingTile
    from tests.kiosk.ui import visible

    problems = []
    for tile in (node for node in visible(app) if isinstance(node, BookingTile)):
        label = CoreLabel(
            text=tile.text,
            font_size=tile.font_size,
            halign="center",
            text_size=(tile.text_size[0], None),
        )
        label.refresh()
        wanted, shown = len(label._cached_lines), len(tile._label._cached_lines)
        if shown < wanted:
            problems.append(f"{tile.text[:20]!r}: {shown} of {wanted} lines shown")
    return problems


THEMES = [
    ("default", False, "de"),
    ("high-contrast", False, "de"),
    ("default", True, "de"),
    ("high-contrast", True, "en"),
    ("default", True, "de-LS"),
]


# ---- the tests that start the app -------------------------------------------------------------


@pytest.fixture
def booking_home(tmp_path: Path) -> BookingHome:
    return make_booking_home(tmp_path)


@pytest.mark.usefixtures("display")
def test_resident_books_sees_pending_then_confirmed_and_leaves_no_trace(
    booking_home: BookingHome, tmp_path: Path
) -> None:
    from kiosk.pin import set_pin

    set_pin(booking_home.hub, PIN)
    out = run_scenario(f"{MODULE}:resident", booking_home.hub, tmp_path, booking_home.params)
    out = out["results"]
    assert out["practice_screen"] == "booking_practice"
    huber, aydin = sorted(out["tiles"], key=lambda text: HUBER not in text)
    assert huber.split("\n") == [HUBER, "Allgemeinmedizin · Freyung", f"Telefon {HUBER_PHONE}"]
    assert "Grafenau" in aydin
    assert len(out["days"]) == 3  # the three days with slots, as large calendar buttons
    # Each day button reads on its own (weekday over date); today's cell says "heute"; the
    # heading names the month of today (the page's days before today are blank).
    weekdays = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    today = date.fromisoformat(out["today"])
    for day, face in out["faces"].items():
        assert face == day_face(date.fromisoformat(day), today, weekdays, "heute")
    assert len(out["today_cell"]) == 1
    assert all(text.startswith("heute\n") for text in out["today_cell"][0] if text)
    assert out["month"].startswith(
        (
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
        )[today.month - 1]
    )
    assert out["person_screen"] == "booking_person"
    assert out["step_labels"] == [f"Schritt {number} von 5" for number in range(1, 6)]
    field, focus, name_error, birth_error, spoken = out["all_errors"]
    assert (field, focus) == ("name", "name")
    assert name_error == "Bitte geben Sie Ihren Namen ein (höchstens 80 Zeichen)."
    assert birth_error == "Diesen Tag gibt es nicht. Bitte prüfen Sie Tag und Monat."
    assert spoken == f"{name_error} {birth_error}"
    # Typing the name takes its error away; the date's stays until the date is typed again.
    assert out["name_typed"] == ["", birth_error]
    screen, field, shown, spoken = out["birth_error"]
    assert (screen, field) == ("booking_person", "birth_date")
    assert shown == "Bitte prüfen Sie das Jahr."
    assert spoken == shown
    assert out["focus_after_date"] == "phone"
    assert out["fields"] == [RESIDENT.name, "17.02.1938", RESIDENT.phone]
    screen, consent = out["consent"]
    assert screen == "booking_consent"
    assert f"an zwei Stellen: {HUBER} und den Terminserver" in consent  # not "Praxis Hausarzt…"
    assert HUBER_PHONE in consent
    assert "verschlüsselt" in consent
    screen, summary = out["confirm"]
    assert screen == "booking_confirm"
    assert RESIDENT.name in summary
    assert "17.02.1938" in summary

    request_id = out["request_id"]
    assert ".r." in request_id  # booked by the resident, not on someone's behalf
    assert out["pending"] == [
        "booking_status",
        "Anfrage gespeichert – Bestätigung folgt",
        "",
        True,
    ]
    text, _, personal = out["pending_spoken"]
    assert text.startswith("Anfrage gespeichert – Bestätigung folgt")
    assert not personal
    assert not any(name.startswith("booking_") for name in out["back_leads"])
    assert out["after_push"] == ["Anfrage gespeichert – Bestätigung folgt", "pending"]

    before, after = out["decided"]
    frames = out["frames"]
    assert frames
    assert frames[0][1] == "Anfrage gespeichert – Bestätigung folgt"
    early = [heading for moment, heading in frames if moment < before]
    assert early
    assert set(early) == {"Anfrage gespeichert – Bestätigung folgt"}
    first_confirmed = next(moment for moment, heading in frames if heading == "Termin bestätigt")
    assert first_confirmed >= before
    assert first_confirmed - after < 2.0
    heading, code_text, code = out["confirmed"]
    assert heading == "Termin bestätigt"
    assert code
    assert code in code_text
    assert out["confirmed_spoken"][0].startswith("Termin bestätigt")

    read_text, _, read_personal = out["read"]
    assert code in read_text
    assert HUBER_PHONE in read_text
    assert read_personal
    # The slow printer held the slip thread for a second; the screen went on drawing frames
    # with "Einen Moment bitte" meanwhile (on the UI thread there would be none).
    assert len(out["while_printing"]) >= 5
    assert out["while_printing"][0].startswith("Einen Moment bitte")
    path, slip_text, holds = out["slip"]
    assert Path(path).parent == booking_home.hub / "slips"
    # No printer worked: a guide prints it; the resident is never shown a file path.
    assert slip_text.startswith("Bitte fragen Sie eine Lotsin nach Ihrem Zettel")
    assert path not in slip_text
    assert "/" not in slip_text
    assert not holds
    assert out["person_fields_after_slip"] == ["", "", ""]
    facts = pdf_facts(Path(path).read_bytes())
    slip = _slip_of(booking_home, request_id)
    for fact in (slip.date, slip.time, code, HUBER_PHONE, "Versichertenkarte"):
        assert fact in facts["text"], fact
    assert facts["qr"] == [expected_modules(code)]
    assert out["after_done"] == ["home", "", False]

    heading, note, offered, alternatives, can_print = out["rejected"]
    assert heading == "Dieser Termin hat nicht geklappt"
    assert "schneller" in note
    assert 1 <= len(offered) <= 3
    assert set(offered) <= set(alternatives)
    assert not can_print
    assert out["rejected_spoken"].startswith("Dieser Termin hat nicht geklappt")
    assert out["alternative"] == ["booking_status", True, "pending"]
    alternative_slot, alternative_request = out["alternative_slot"]
    assert alternative_request.startswith(f"b.{alternative_slot}.r.")
    assert out["alternative_confirmed"] == "Termin bestätigt"
    assert Path(out["second_slip"]).exists()

    screen, heading = out["behalf_start"]
    assert screen == "booking_practice"
    assert heading.startswith("Termin für jemanden buchen")
    assert "Frau Kern" in out["behalf_summary"]
    behalf_request, behalf_heading, on_behalf = out["behalf"]
    assert ".g." in behalf_request
    assert on_behalf
    assert behalf_heading == "Anfrage gespeichert – Bestätigung folgt"
    with Store(booking_home.hub / "dorfhub.db") as store:
        status = booking.booking_status(store.conn, behalf_request)
        assert status is not None
        assert status.on_behalf
        assert status.state == "pending"
        assert booking.booking_status(store.conn, request_id).state == "confirmed"  # type: ignore[union-attr]
    # The practice opens the sealed request: the entries arrived as typed, marked on-behalf.
    with Store(booking_home.tmp / "town.db") as town:
        server = load_identity(booking_home.tmp / "server.key")
        opened = booking.open_request(town.conn, request_id, server)
        assert (opened.name, opened.birth_date, opened.phone) == (
            RESIDENT.name,
            RESIDENT.birth_date,
            RESIDENT.phone,
        )

    typed, *wiped = out["idle"]
    assert typed == "Kreszenz"
    assert wiped == ["", "", False, "", ""]

    # Nothing typed at the kiosk is on the hub's disk: database, WAL, shared memory, slips.
    people = [RESIDENT, SECOND, ON_BEHALF, Person("Kreszenz", "1900-01-01")]
    wanted = needles(people)
    files = sorted(booking_home.hub.glob("dorfhub.db*")) + sorted(
        (booking_home.hub / "slips").iterdir()
    )
    assert len(files) >= 3
    for file in files:
        data = file.read_bytes()
        for needle in wanted:
            assert needle not in data, f"{needle!r} in {file.name}"


def _slip_of(home: BookingHome, request_id: str) -> booking.Slip:
    with Store(home.hub / "dorfhub.db") as store:
        return booking.slip(store.conn, request_id, "de")


@pytest.mark.usefixtures("display")
def test_a_time_whose_booking_closes_leaves_the_screen_by_itself(
    booking_home: BookingHome, tmp_path: Path
) -> None:
    out = run_scenario(f"{MODULE}:deadline", booking_home.hub, tmp_path, booking_home.params)
    assert out["results"]["before"] == [3, "booking_when"]
    assert out["results"]["after"] == [True, "booking_when"]


def test_every_booking_screen_keeps_the_size_gap_and_contrast_rules(
    booking_home: BookingHome, tmp_path: Path
) -> None:
    params = {**booking_home.params, "themes": THEMES}
    shots = os.environ.get("DORFHUB_KIOSK_SHOTS")
    if shots:
        params["shots"] = str(Path(shots) / "booking")
    out = run_scenario(f"{MODULE}:layout", booking_home.hub, tmp_path, params)["results"]
    assert len(out) == len(THEMES)
    states = {
        "practice",
        "when",
        "person_name",
        "person_birth_error",
        "consent",
        "confirm_error",
        "confirm",
        "status_confirmed",
        "status_rejected",
        "status_pending",
        "person_on_behalf",
        "guide",
    }
    problems = {}
    for theme, found in out.items():
        assert set(found) == states, theme
        problems.update(
            {f"{theme}/{state}": f["problems"] for state, f in found.items() if f["problems"]}
        )
        assert all(f["targets"] >= 7 and f["texts"] > 2 for f in found.values()), theme
        assert found["person_name"]["targets"] > 40  # the QWERTZ keys
    assert problems == {}


def main() -> int:
    command, tmp = sys.argv[1], Path(sys.argv[2])
    if command == "decide":
        before, after = town_decide(tmp, compete="--compete" in sys.argv[3:])
        print(json.dumps([before, after]), flush=True)
    elif command == "push":
        town_push(tmp)
        print("pushed", flush=True)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
