"""`dorfhub desk user add NAME --role guide --group … [--email …]` through the real command: a
new key of the guide's own, granted the guide role with the groups of hubs it serves (checked
against the network), held only encrypted; `desk user email` sets and clears where it hears of
new requests; `desk user disable` revokes that key alone. Plus the guide form's rules and the
guides' words in both catalogs, without a server."""

from __future__ import annotations

import re
import subprocess
import tomllib
from datetime import date, time
from pathlib import Path

import pytest

from admin.desk import guide, guide_data, guide_form, guide_hours, guide_mail
from admin.desk.accounts import USERS_DIR, find_user
from admin.desk.guide_form import HoursForm, check_hours, read_hours_form
from admin.desk.i18n import LANGUAGES, load_catalog
from content.clock import wall_clock_ms
from content.grants import key_info
from content.guides import guide_groups
from content.local_time import local_ms, whole_day
from content.office_hours import office_hours_problem
from content.store import Store
from node.home import Home
from tests.desk.test_i18n import DESK
from tests.node.cli import run_dorfhub
from tests.sync.conftest import store_state

PASSPHRASE = "Digitallotsin-aus-Ringelai-1"


def desk_user(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {"DORFHUB_DESK_PASSPHRASE": PASSPHRASE}
    return run_dorfhub("desk", "user", *args, home=home, check=False, env=env)


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """A town with one hub in the group "Ilzer Land"."""
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    hub = tmp_path / "hub"
    network = Home(home).config.network_id
    out = run_dorfhub(
        "node", "init", "--role", "hub", "--name", "Ringelai", "--network", network, home=hub
    ).stdout
    token = out.split("public key: ")[1].split()[0]
    run_dorfhub(
        *("key", "grant", "--role", "hub", "--name", "Ringelai", "--public-key", token),
        *("--group", "Ilzer Land"),
        home=home,
    )
    return home


def mail_table(home: Path) -> dict[str, object]:
    with (home / "config.toml").open("rb") as handle:
        return dict(tomllib.load(handle).get("mail", {}))


def test_a_guide_gets_a_key_of_its_own_with_its_groups(town: Path) -> None:
    done = desk_user(
        town, "add", "Frau Kern", "--role", "guide", "--group", "ilzer land",
        "--email", "kern@example.org",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "desk user Frau Kern (guide) added" in done.stdout
    assert "groups Ilzer Land" in done.stdout  # as the network spells it
    file = find_user(town / USERS_DIR, "Frau Kern")
    assert file is not None
    assert file.role == "guide"
    with Store(town / "dorfhub.db") as store:
        info = key_info(store.conn, file.key)
        assert info is not None
        assert info.roles == ["guide"]
        assert guide_groups(store.conn, file.key, wall_clock_ms()) == ["Ilzer Land"]
    assert mail_table(town)["guides"] == {"Frau Kern": "kern@example.org"}

    assert desk_user(town, "email", "frau kern", "kern@landkreis.example").returncode == 0
    assert mail_table(town)["guides"] == {"Frau Kern": "kern@landkreis.example"}
    cleared = desk_user(town, "email", "Frau Kern")
    assert "no mail" in cleared.stdout
    assert mail_table(town)["guides"] == {}

    # Disabling revokes the guide's key (it is the person's own, not shared).
    assert desk_user(town, "disable", "Frau Kern").returncode == 0
    with Store(town / "dorfhub.db") as store:
        revoked = key_info(store.conn, file.key)
        assert revoked is not None
        assert revoked.revoked


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--role", "guide"], "a guide needs --group"),
        (["--role", "guide", "--group", "Dreiburgenland"], "no group Dreiburgenland"),
        (["--role", "guide", "--group", "Ilzer Land", "--email", "kern"], "not a mail address"),
        (["--role", "admin", "--group", "Ilzer Land"], "go with --role guide"),
        (["--role", "admin", "--email", "kern@example.org"], "go with --role guide"),
    ],
)
def test_wrong_guide_options_change_nothing(town: Path, args: list[str], said: str) -> None:
    before = store_state(town)
    done = desk_user(town, "add", "Frau Kern", *args)
    assert done.returncode != 0
    assert said in done.stderr
    assert store_state(town) == before
    assert find_user(town / USERS_DIR, "Frau Kern") is None
    assert "guides" not in mail_table(town)


def test_email_is_for_guides_only(town: Path) -> None:
    assert desk_user(town, "add", "Maria Hofbauer", "--role", "admin").returncode == 0
    done = desk_user(town, "email", "Maria Hofbauer", "maria@example.org")
    assert done.returncode != 0
    assert "no guide" in done.stderr


# ---- the office-hour form, without a server ---------------------------------------------------

TODAY = date(2026, 12, 3)
NOW = local_ms(TODAY, time(9, 0))


def filled(**changes: str | list[str]) -> HoursForm:
    data: dict[str, object] = {
        "day": "17.12.2026",
        "start": "14 Uhr",
        "end": "16.00",
        "place": "Dorfgemeinschaftshaus Ringelai",
        "title_de": "Sprechstunde der Digitallotsin",
        "text_de": "Hilfe mit dem Smartphone",
        **changes,
    }
    groups = data.pop("groups", ["Ilzer Land"])
    assert isinstance(groups, list)
    return read_hours_form(data, groups)


def test_a_filled_form_is_an_office_hour_within_the_right() -> None:
    body = check_hours(filled(), ["Ilzer Land"], TODAY, NOW)
    assert body is not None
    assert office_hours_problem(body, ["Ilzer Land"]) is None
    assert body.event is not None
    assert body.event.start == local_ms(date(2026, 12, 17), time(14))
    assert body.valid_until == body.event.end
    assert body.valid_from == NOW
    assert body.targets.groups == ["Ilzer Land"]
    assert body.title == {"de": "Sprechstunde der Digitallotsin"}


@pytest.mark.parametrize(
    ("changes", "field", "key"),
    [
        ({"day": ""}, "day", "day_missing"),
        ({"day": "31.02.2026"}, "day", "day_unreadable"),
        ({"day": "02.12.2026"}, "day", "day_past"),
        ({"start": "vierzehn"}, "start", "time_unreadable"),
        ({"end": ""}, "end", "end_missing"),
        ({"end": "13:00"}, "end", "end_before_start"),
        ({"day": "03.12.2026", "start": "7:00", "end": "8:00"}, "end", "over"),
        ({"place": ""}, "place", "place_missing"),
        ({"place": "x" * 201}, "place", "place_too_long"),
        ({"groups": []}, "groups", "groups_missing"),
        ({"groups": ["Ilzer Land", "Dreiburgenland"]}, "groups", "groups_unknown"),
        ({"title_de": ""}, "title_de", "title_missing"),
        ({"title_en": "x" * 201}, "title_en", "title_too_long"),
    ],
)
def test_a_refused_form_says_why_beside_the_field(
    changes: dict[str, str | list[str]], field: str, key: str
) -> None:
    form = filled(**changes)
    assert check_hours(form, ["Ilzer Land"], TODAY, NOW) is None
    assert form.errors[field] == f"guide.hours.error.{key}"


def test_an_office_hour_on_the_day_the_clocks_go_back_leaves_with_its_end() -> None:
    form = filled(day="25.10.2026", start="1:30", end="3:30")
    body = check_hours(form, ["Ilzer Land"], date(2026, 10, 1), whole_day(date(2026, 10, 1))[0])
    assert body is not None
    assert body.event is not None
    assert body.event.end is not None
    assert body.event.end - body.event.start == 3 * 3600 * 1000  # 2:00-3:00 comes twice


# ---- words ------------------------------------------------------------------------------------

GUIDE_KEY = r"(?:guide|nav\.guide)(?:\.[a-z_]+)+"


def test_every_guide_word_is_in_both_catalogs() -> None:
    used: set[str] = set()
    for template in (DESK / "templates").rglob("guide*.html"):
        used |= set(re.findall(rf"""t\(\s*["']({GUIDE_KEY})["']""", template.read_text()))
    for module in (guide, guide_data, guide_form, guide_hours, guide_mail):
        used |= set(re.findall(rf"""["']({GUIDE_KEY})["']""", Path(module.__file__).read_text()))
    # Keys made from a state or a step in the templates and pages.
    used |= {f"guide.queue.{step}" for step in ("done", "reopen", "done_for", "reopen_for")}
    used |= {f"guide.queue.changed.{state}" for state in ("open", "done")}
    used |= {f"guide.queue.said.{said}" for said in guide.DONE}
    used |= {f"guide.hours.done.{said}" for said in guide_hours.DONE}
    used |= {
        f"guide.bookings.state.{state}"
        for state in ("pending", "confirmed", "rejected", "cancelled")
    }
    used |= {
        f"guide.mail.{part}.{kind}" for part in ("subject", "text") for kind in ("hub", "callback")
    }
    used |= {
        f"guide.hours.hint.{name}"
        for name in vars(HoursForm())
        if name not in ("groups", "errors", "values")
    }
    assert len(used) > 60
    for language in LANGUAGES:
        catalog = load_catalog(language)
        assert sorted(key for key in used if not catalog.get(key)) == [], language
    keys = [{k for k in load_catalog(lang) if k.startswith("guide.")} for lang in LANGUAGES]
    assert keys[0] == keys[1]
