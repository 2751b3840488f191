"""What the guides' pages refuse, over plain HTTP from this machine (which is served): another
hub's request, an office hour outside the guide's groups, an admin or a practice on the
guides' pages and a guide on theirs, forms without their CSRF token. Nothing refused changes
the store, and no refused answer carries a resident's name.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from content.clock import wall_clock_ms
from content.identity import Identity
from content.local_time import local
from tests.desk.conftest import ANNA, Login
from tests.desk.guide_world import KERN, LANG, add_guides, ask_for_help, grant_hub, help_state
from tests.desk.practice_world import HUBER, DeskClient, add_practices
from tests.sync.conftest import PeerProcess, running, store_state

RINGELAI_PERSON = ("Walburga Kreuzeder", "08555 918273")
TITTLING_PERSON = ("Xaver Obermeier", "08504 112233")


@dataclass
class Town:
    server: PeerProcess
    home: Path
    ringelai: Identity  # in Ilzer Land: Frau Kern's
    tittling: Identity  # in Dreiburgenland: Herr Lang's
    ringelai_request: str
    tittling_request: str

    @property
    def db(self) -> Path:
        return self.home / "dorfhub.db"

    def client(self, login: Login) -> DeskClient:
        return DeskClient(self.server.url, login)


@pytest.fixture(scope="module")
def town(desk_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    home = tmp_path_factory.mktemp("guide-access") / "town"
    shutil.copytree(desk_home, home)
    ringelai = grant_hub(home, "Ringelai", ["Ilzer Land"])
    tittling = grant_hub(home, "Tittling", ["Dreiburgenland"])
    add_guides(home, [KERN, LANG])
    add_practices(home, [HUBER], days=1)
    first = ask_for_help(home / "dorfhub.db", ringelai, *RINGELAI_PERSON)
    second = ask_for_help(home / "dorfhub.db", tittling, *TITTLING_PERSON)
    with running(home) as server:
        yield Town(server, home, ringelai, tittling, first, second)


def test_a_guide_sees_the_requests_of_its_own_hubs_only(town: Town) -> None:
    kern = town.client(KERN.login)
    assert kern.home == "/desk/guide"
    page = kern.get("/guide")
    assert page.status_code == 200
    assert RINGELAI_PERSON[0] in page.text
    assert RINGELAI_PERSON[1] in page.text
    assert TITTLING_PERSON[0] not in page.text
    lang = town.client(LANG.login).get("/guide")
    assert TITTLING_PERSON[0] in lang.text
    assert RINGELAI_PERSON[0] not in lang.text


def test_another_hubs_request_is_not_found_and_stays_open(town: Town) -> None:
    kern = town.client(KERN.login)
    before = store_state(town.home)
    for step in ("done", "reopen"):
        answer = kern.post(f"/guide/requests/{town.tittling_request}/{step}", {})
        assert answer.status_code == 404
        assert TITTLING_PERSON[0] not in answer.text
    nobodys = town.ringelai_request[:-4] + "0000"
    assert kern.post(f"/guide/requests/{nobodys}/done", {}).status_code == 404
    assert store_state(town.home) == before
    assert help_state(town.db, town.tittling_request) == "open"


def test_a_guide_marks_its_request_done_and_open_again(town: Town) -> None:
    lang = town.client(LANG.login)
    answer = lang.post(f"/guide/requests/{town.tittling_request}/done", {})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/desk/guide?done=done#request-")
    assert help_state(town.db, town.tittling_request) == "done"
    page = lang.get("/guide")
    assert "erledigt am" in page.text
    assert "von Herr Lang" in page.text
    assert lang.post(f"/guide/requests/{town.tittling_request}/reopen", {}).status_code == 303
    assert help_state(town.db, town.tittling_request) == "open"


def test_forms_without_their_token_change_nothing(town: Town) -> None:
    kern = town.client(KERN.login)
    before = store_state(town.home)
    answer = kern.post(f"/guide/requests/{town.ringelai_request}/done", {}, csrf=False)
    assert answer.status_code == 403
    assert RINGELAI_PERSON[0] not in answer.text
    answer = kern.post("/guide/hours/new", _hour_form(["Ilzer Land"]), csrf=False)
    assert answer.status_code == 403
    # Another session's token is no better.
    other = town.client(LANG.login)
    forged = {"csrf": other.csrf()}
    answer = kern.http.post(
        f"{town.server.url}/desk/guide/requests/{town.ringelai_request}/done",
        data=forged,
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 403
    assert store_state(town.home) == before


def _hour_form(groups: list[str]) -> dict[str, str | list[str]]:
    tomorrow = local(wall_clock_ms()).date() + timedelta(days=1)
    return {
        "day": tomorrow.isoformat(),
        "start": "14:00",
        "end": "16:00",
        "place": "Dorfgemeinschaftshaus Ringelai",
        "title_de": "Sprechstunde der Digitallotsin",
        "groups": groups,
    }


def test_an_office_hour_for_another_guides_group_is_refused_beside_the_field(town: Town) -> None:
    kern = town.client(KERN.login)
    before = store_state(town.home)
    for groups in (["Dreiburgenland"], ["Ilzer Land", "Dreiburgenland"], []):
        answer = kern.post("/guide/hours/new", _hour_form(groups))
        assert answer.status_code == 400
        assert 'id="error-groups"' in answer.text
    assert store_state(town.home) == before
    # Within its own groups it is published, signed by the guide.
    answer = kern.post("/guide/hours/new", _hour_form(["Ilzer Land"]))
    assert answer.status_code == 303
    hours = kern.get("/guide/hours")
    assert "Sprechstunde der Digitallotsin" in hours.text
    assert "Ilzer Land" in hours.text
    # Herr Lang sees none of it, and cannot withdraw it: its id names Frau Kern.
    notice_id = _hour_id(hours.text)
    lang = town.client(LANG.login)
    assert "Sprechstunde der Digitallotsin" not in lang.get("/guide/hours").text
    assert lang.get(f"/guide/hours/{notice_id}/withdraw").status_code == 404
    assert lang.post(f"/guide/hours/{notice_id}/withdraw", {"reason": ""}).status_code == 404
    assert kern.post(f"/guide/hours/{notice_id}/withdraw", {"reason": "krank"}).status_code == 303
    assert "Sprechstunde der Digitallotsin" not in kern.get("/guide/hours").text


def _hour_id(html: str) -> str:
    start = html.index("/desk/guide/hours/n-") + len("/desk/guide/hours/")
    return html[start : html.index("/withdraw", start)]


GUIDE_PAGES = ("/guide", "/guide/hours", "/guide/hours/new", "/guide/bookings")


@pytest.mark.parametrize("login", [ANNA, HUBER.login], ids=["admin", "practice"])
def test_admins_and_practices_are_refused_on_the_guides_pages(town: Town, login: Login) -> None:
    other = town.client(login)
    before = store_state(town.home)
    for path in GUIDE_PAGES:
        answer = other.get(path)
        assert answer.status_code == 403, path
        assert RINGELAI_PERSON[0] not in answer.text
    answer = other.post(f"/guide/requests/{town.ringelai_request}/done", {})
    assert answer.status_code == 403
    answer = other.post("/guide/hours/new", _hour_form(["Ilzer Land"]))
    assert answer.status_code == 403
    assert store_state(town.home) == before


def test_a_guide_is_refused_on_the_admins_and_practices_pages(town: Town) -> None:
    kern = town.client(KERN.login)
    for path in ("/", "/notices", "/notices/new", "/hubs", "/practice", "/practice/slots"):
        assert kern.get(path).status_code == 403, path


def test_every_guide_page_is_kept_out_of_caches(town: Town) -> None:
    kern = town.client(KERN.login)
    for path in GUIDE_PAGES:
        answer = kern.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store"
