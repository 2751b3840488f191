"""The practices' pages against those who should not get through (docs/desk.md "Practices"):
another practice asking for a booking or slot by its id, a practice asking for the admins'
pages, an admin asking for the practices' pages, and forms without their CSRF token. Nothing
of the refused requests changes the log, and no page that opens personal data is cached or
leaves the person's data anywhere on the server's disk or in its log.

A real `dorfhub serve` with two practices and their desk logins made by the real CLI; plain
HTTP requests, since these are what a browser would not send by itself. Bookings are made on
the town's store with a hub's key, as a kiosk makes them on its hub's, and decided by the
served town.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from content.booking import Person
from tests.booking.privacy import assert_files_clean
from tests.desk.conftest import ANNA, Login
from tests.desk.practice_world import (
    AYDIN,
    HUBER,
    PRACTICES,
    DeskClient,
    add_practices,
    book,
    copy_home,
    grant_hub,
    key_file,
    practice_key,
    slots_of,
    status_of,
)
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, running, store_state
from tests.sync.procs import wait_for

RESIDENT_OF_HUBER = Person("Walburga Kreuzeder", "1938-02-17", "08555 918273", consent=True)
RESIDENT_OF_AYDIN = Person("Xaver Pfeilschifter", "1941-11-05", "0171 4455667", consent=True)
ADMIN_PAGES = ("/", "/today/figures", "/notices", "/notices/new", "/hubs")
DECIDED_S = 60.0


@dataclass
class Town:
    server: PeerProcess
    home: Path
    huber_request: str
    aydin_request: str
    aydin_slot: str

    @property
    def db(self) -> Path:
        return self.home / "dorfhub.db"


@pytest.fixture(scope="module")
def town(desk_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    home = copy_home(desk_home, tmp_path_factory.mktemp("practice-access") / "town")
    add_practices(home, PRACTICES, days=3)
    hub = grant_hub(home, "Ringelai")
    huber_slot = slots_of(home / "dorfhub.db", practice_key(home, HUBER))[0].id
    aydin_slot = slots_of(home / "dorfhub.db", practice_key(home, AYDIN))[0].id
    huber_request = book(home / "dorfhub.db", hub, huber_slot, RESIDENT_OF_HUBER)
    aydin_request = book(home / "dorfhub.db", hub, aydin_slot, RESIDENT_OF_AYDIN)
    with running(home) as server:
        for request in (huber_request, aydin_request):
            wait_for(partial(_confirmed, home / "dorfhub.db", request), DECIDED_S, "decision")
        yield Town(server, home, huber_request, aydin_request, aydin_slot)


def _confirmed(db: Path, request_id: str) -> bool:
    status = status_of(db, request_id)
    return status is not None and status.state == "confirmed"


def test_a_practice_sees_its_own_bookings_only(town: Town) -> None:
    huber = DeskClient(town.server.url, HUBER.login)
    assert huber.home == "/desk/practice"  # a practice starts at its bookings, not "Heute"
    page = huber.get("/practice")
    assert page.status_code == 200
    assert RESIDENT_OF_HUBER.name in page.text
    assert "17.02.1938" in page.text
    assert RESIDENT_OF_AYDIN.name not in page.text
    cancel_page = huber.get(f"/practice/bookings/{town.huber_request}/cancel")
    assert RESIDENT_OF_HUBER.name in cancel_page.text
    slots = huber.get("/practice/slots").text
    for slot in slots_of(town.db, practice_key(town.home, HUBER)):
        assert f"slot-{slot.id[-10:]}" in slots
    assert f"slot-{town.aydin_slot[-10:]}" not in slots


def test_another_practices_booking_or_slot_is_not_found_and_stays_as_it_was(town: Town) -> None:
    huber = DeskClient(town.server.url, HUBER.login)
    before = store_state(town.home)
    for path in (
        f"/practice/bookings/{town.aydin_request}/cancel",
        f"/practice/slots/{town.aydin_slot}/withdraw",
        "/practice/bookings/b.not-an-id/cancel",
    ):
        answer = huber.get(path)
        assert answer.status_code == 404, path
        assert RESIDENT_OF_AYDIN.name not in answer.text
    refused = huber.post(f"/practice/bookings/{town.aydin_request}/cancel", {"reason": "Urlaub"})
    assert refused.status_code == 404
    refused = huber.post(f"/practice/slots/{town.aydin_slot}/withdraw", {"reason": ""})
    assert refused.status_code == 404
    assert store_state(town.home) == before
    status = status_of(town.db, town.aydin_request)
    assert status is not None
    assert status.state == "confirmed"


def test_a_practice_never_reaches_the_admins_pages(town: Town) -> None:
    huber = DeskClient(town.server.url, HUBER.login)
    for path in ADMIN_PAGES:
        answer = huber.get(path)
        assert answer.status_code == 403, path
        assert "Kein Zugriff" in answer.text
    # The error page leads back to the practice's own start page.
    assert 'href="/desk/practice"' in huber.get("/").text


def test_an_admin_never_sees_a_practices_pages_or_its_personal_data(town: Town) -> None:
    anna = DeskClient(town.server.url, ANNA)
    assert anna.home == "/desk/"
    before = store_state(town.home)
    for path in (
        "/practice",
        "/practice/slots",
        "/practice/slots/new",
        "/practice/feed",
        f"/practice/bookings/{town.huber_request}/cancel",
        f"/practice/slots/{town.aydin_slot}/withdraw",
    ):
        answer = anna.get(path)
        assert answer.status_code == 403, path
        for person in (RESIDENT_OF_HUBER, RESIDENT_OF_AYDIN):
            assert person.name not in answer.text
    cancel = anna.post(f"/practice/bookings/{town.huber_request}/cancel", {"reason": "Test"})
    assert cancel.status_code == 403
    assert anna.post("/practice/feed", {}).status_code == 403
    assert store_state(town.home) == before


def test_a_form_without_its_csrf_token_changes_nothing(town: Town) -> None:
    huber = DeskClient(town.server.url, HUBER.login)
    anna = DeskClient(town.server.url, ANNA)
    before = store_state(town.home)
    forms: tuple[tuple[str, dict[str, str]], ...] = (
        (f"/practice/bookings/{town.huber_request}/cancel", {"reason": "Praxis geschlossen"}),
        (f"/practice/slots/{slots_of(town.db, practice_key(town.home, HUBER))[1].id}/withdraw", {}),
        ("/practice/slots/new", {"service": "video", "weekdays": "mo", "times": "11:00"}),
        ("/practice/feed", {}),
    )
    for path, data in forms:
        forged = huber.post(path, data, csrf=False)
        assert forged.status_code == 403, path
        assert "Formular abgelehnt" in forged.text
        # Another session's token (an admin's, say) is no better.
        borrowed = huber.post(path, {**data, "csrf": anna.csrf()}, csrf=False)
        assert borrowed.status_code == 403, path
    assert store_state(town.home) == before
    status = status_of(town.db, town.huber_request)
    assert status is not None
    assert status.state == "confirmed"


def test_practice_pages_are_never_cached_and_leave_no_personal_data_behind(town: Town) -> None:
    huber = DeskClient(town.server.url, HUBER.login)
    for path in (
        "/practice",
        f"/practice/bookings/{town.huber_request}/cancel",
        "/practice/slots",
        "/practice/feed",
    ):
        answer = huber.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
    # Opened in the server's memory for the pages only: nothing on its disk, nothing logged.
    assert_files_clean([town.home, town.server.log_path], [RESIDENT_OF_HUBER])


def test_a_practice_login_disabled_from_another_process_ends_at_its_next_click(
    town: Town,
) -> None:
    reception = Login("Praxis Huber Empfang", "Anmeldung-am-Tresen-12")
    run_dorfhub(
        *("desk", "user", "add", reception.name, "--role", "practice"),
        *("--practice-key", key_file(town.home, HUBER)),
        home=town.home,
        env={"DORFHUB_DESK_PASSPHRASE": reception.passphrase},
    )
    desk = DeskClient(town.server.url, reception)
    assert desk.get("/practice").status_code == 200
    run_dorfhub("desk", "user", "disable", reception.name, home=town.home)
    ended = desk.get("/practice")
    assert ended.status_code == 303
    assert "ended=revoked" in ended.headers["location"]
    # The practice itself goes on: its other login still works.
    assert DeskClient(town.server.url, HUBER.login).get("/practice").status_code == 200
