"""`dorfhub practice`, `slots` and `bookings` through the real command."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from content import booking, grants
from content.booking_allocation import allocate
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log
from content.store import Store
from node.home import Home
from tests.booking.helpers import RESIDENTS
from tests.content.helpers import sync
from tests.node.cli import DORFHUB, REPO, run_dorfhub

PRACTICE = "Praxis Dr. Aydin, Grafenau"


def _day(offset: int) -> date:
    return datetime.fromtimestamp(wall_clock_ms() / 1000, booking.LOCAL_TIME).date() + timedelta(
        days=offset
    )


@pytest.fixture
def town(tmp_path: Path) -> Path:
    home = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=home)
    run_dorfhub(
        *("practice", "add", PRACTICE, "--phone", "08552 4455", "--address", "Spitalstraße 3"),
        *("--key-out", tmp_path / "praxis.key"),
        home=home,
    )
    run_dorfhub(
        *("slots", "publish", "--practice", PRACTICE, "--weekdays", "mo,di,mi,do,fr,sa,so"),
        *("--from", _day(1).isoformat(), "--until", _day(2).isoformat()),
        *("--times", "09:00,09:30,10:00", "--place", "Dorfhub – Beratungsraum"),
        *("--key", tmp_path / "praxis.key"),  # the practice's own key signs its slots
        home=home,
    )
    return home


def _book_from_a_hub(town: Path, tmp_path: Path) -> str:
    """A hub books in this process and the town decides, as `dorfhub serve` would."""
    home = Home(town)
    hub = Identity.generate("Ringelai")
    with home.store() as store, Store(tmp_path / "hub.db") as hub_store:
        town_log = Log(store)
        grants.grant(town_log, home.publisher(), hub.public, "hub", hub.name)
        hub_store.set_network(town_log.network_id)
        hub_log = Log(hub_store)
        sync(town_log, hub_log)
        slot = booking.list_slots(hub_store.conn)[0]
        request = booking.request_booking(hub_log, hub, slot.id, RESIDENTS[0])
        sync(hub_log, town_log)
        allocate(store, home.identity())
    return request


def test_practices_slots_and_bookings(town: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "praxis.key"
    assert key_file.stat().st_mode & 0o077 == 0
    listed = json.loads(run_dorfhub("practice", "list", "--json", home=town).stdout)
    assert [(p["name"], p["phone"]) for p in listed] == [(PRACTICE, "08552 4455")]
    slots = json.loads(run_dorfhub("slots", "list", "--json", home=town).stdout)
    assert len(slots) == 6
    assert {s["free"] for s in slots} == {1}
    assert slots[0]["start"].startswith(f"{_day(1).isoformat()}T09:00")

    request = _book_from_a_hub(town, tmp_path)
    free = json.loads(run_dorfhub("slots", "list", "--free", "--json", home=town).stdout)
    assert len(free) == 5
    text = run_dorfhub("slots", "list", "--practice", PRACTICE, home=town).stdout
    assert "0/1 free" in text

    listed = json.loads(
        run_dorfhub("bookings", "list", "--practice-key", key_file, "--json", home=town).stdout
    )
    assert [(b["request"], b["state"], b["name"], b["birth_date"]) for b in listed] == [
        (request, "confirmed", RESIDENTS[0].name, RESIDENTS[0].birth_date)
    ]
    code = listed[0]["code"]
    out = run_dorfhub("bookings", "cancel", code.lower(), "--reason", "krank", home=town).stdout
    assert code in out
    with Home(town).store() as store:
        allocate(store, Home(town).identity())
    listed = json.loads(
        run_dorfhub("bookings", "list", "--practice-key", key_file, "--json", home=town).stdout
    )
    assert [b["state"] for b in listed] == ["cancelled"]
    assert len(json.loads(run_dorfhub("slots", "list", "--free", "--json", home=town).stdout)) == 6
    token = run_dorfhub("practice", "feed-token", PRACTICE, home=town).stdout
    assert token.startswith("calendar feed: /feeds/")


# KEY_OUT: a fresh file outside the town's home (a bad command must not write it).
KEY_OUT = "KEY_OUT"
BAD = [
    (
        "practice",
        "add",
        "Praxis B",
        "--phone",
        "ruf an",
        "--address",
        "Weg 1",
        "--key-out",
        KEY_OUT,
    ),
    ("practice", "add", PRACTICE, "--phone", "0800", "--address", "Weg 1", "--key-out", KEY_OUT),
    ("practice", "add", "Praxis C", "--address", "Weg 1", "--key-out", KEY_OUT),
    ("practice", "add", " ", "--phone", "0800", "--address", "Weg 1", "--key-out", KEY_OUT),
    ("practice", "add", "Praxis D", "--phone", "0800", "--address", "Weg 1"),
    ("practice", "feed-token", "Niemand"),
    ("slots", "publish", "--weekdays", "mo,xx"),
    ("slots", "publish", "--times", "9.00"),
    ("slots", "publish", "--times", "09:00,09:10"),
    ("slots", "publish", "--from", "2026-13-01"),
    ("slots", "publish", "--until", "2020-01-01"),
    ("slots", "publish", "--capacity", "0"),
    ("slots", "publish", "--capacity", "viele"),
    ("slots", "publish", "--practice", "Niemand"),
    ("slots", "publish", "--service", "massage"),
    ("slots", "publish", "--duration", "0"),
    ("slots", "publish", "--place", ""),
    ("slots", "withdraw", "s-gibtsnicht"),
    ("bookings", "cancel", "ZZZZ-ZZZZ"),
    ("bookings", "list", "--practice-key", "/nonexistent/praxis.key"),
    ("bookings", "list"),
]


def _publish_args(overrides: tuple[str, ...]) -> list[str]:
    """A good `slots publish` with some options replaced."""
    options = {
        "--practice": PRACTICE,
        "--weekdays": "mo,di,mi,do,fr,sa,so",
        "--from": _day(3).isoformat(),
        "--until": _day(4).isoformat(),
        "--times": "09:00",
        "--place": "Dorfhub",
    }
    for name, value in zip(overrides[::2], overrides[1::2], strict=True):
        options[name] = value
    return ["slots", "publish", *(part for item in options.items() for part in item)]


def _state(town: Path) -> tuple[object, ...]:
    with sqlite3.connect(f"file:{town / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        ops = conn.execute("SELECT count(*) FROM ops").fetchone()
        tokens = conn.execute("SELECT * FROM feed_tokens ORDER BY 1").fetchall()
        slots = conn.execute("SELECT * FROM slots ORDER BY 1").fetchall()
    return ops, tokens, slots, sorted(str(p.relative_to(town)) for p in town.rglob("*.key"))


def test_bad_arguments_print_one_line_and_store_nothing(town: Path, tmp_path: Path) -> None:
    before = _state(town)
    key_dir = tmp_path / "out"
    commands = [
        _publish_args(args[2:]) if args[:2] == ("slots", "publish") else list(args) for args in BAD
    ]
    commands = [
        [str(key_dir / f"{n}.key") if arg == KEY_OUT else arg for arg in command]
        for n, command in enumerate(commands)
    ]
    procs = [
        subprocess.Popen(
            [*DORFHUB, *command, "--home", str(town)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    for command, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode != 0, (command, out)
        assert len(err.strip().splitlines()) == 1, (command, err)
        assert err.startswith("dorfhub"), (command, err)
        assert "Traceback" not in err
    assert _state(town) == before
    assert not key_dir.exists() or not any(key_dir.iterdir())
