"""Key custody through the real command and real processes (issue 14, findings 2 and 3).

The town server holds no practice's private key: `practice add` either takes the public key
the practice made on its own machine, or writes a new key once to a file outside the server's
home. The practice signs its record itself, naming the town server that decides its bookings;
a server key an admin grants later cannot open them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from content import booking, grants
from content.booking_allocation import allocate
from content.clock import wall_clock_ms
from content.identity import Identity, load_identity
from content.log import Log
from content.sealing import SealError
from content.store import Store
from node.home import Home
from tests.booking.helpers import RESIDENTS
from tests.booking.keyscan import files_holding
from tests.content.helpers import sync
from tests.node.cli import DORFHUB, REPO, run_dorfhub
from tests.sync.procs import Cluster, Network, Node, url, wait_for

PRACTICE = "Praxis Dr. Aydin, Grafenau"
RECORD = ("--phone", "08552 4455", "--address", "Spitalstraße 3, 94481 Grafenau")
DEADLINE_S = 60.0


def _day(offset: int) -> date:
    today = datetime.fromtimestamp(wall_clock_ms() / 1000, booking.LOCAL_TIME).date()
    return today + timedelta(days=offset)


def _slot_args(practice: str) -> list[str]:
    return [
        *("slots", "publish", "--practice", practice, "--weekdays", "mo,di,mi,do,fr,sa,so"),
        *("--from", _day(1).isoformat(), "--until", _day(1).isoformat()),
        *("--times", "09:00,09:30", "--place", "Dorfhub – Beratungsraum"),
    ]


def _state(town: Path) -> tuple[object, ...]:
    with closing(sqlite3.connect(f"file:{town / 'dorfhub.db'}?mode=ro", uri=True)) as conn:
        ops = conn.execute("SELECT count(*) FROM ops").fetchone()
        tokens = conn.execute("SELECT * FROM feed_tokens ORDER BY 1").fetchall()
    return ops, tokens, sorted(str(p.relative_to(town)) for p in town.rglob("*.key"))


def _refused(town: Path, *args: str | Path) -> str:
    result = run_dorfhub(*args, home=town, check=False)
    assert result.returncode == 1, result
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("dorfhub: error: ")
    return result.stderr


def test_key_out_writes_the_key_once_outside_the_home(tmp_path: Path) -> None:
    town = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=town)
    (tmp_path / "into-home").symlink_to(town, target_is_directory=True)
    (tmp_path / "taken.key").write_text("schon da")
    before = _state(town)
    add = ("practice", "add", PRACTICE, *RECORD)
    for inside in (
        town / "praxis.key",
        town / "practices" / "praxis.key",
        tmp_path / "elsewhere" / ".." / "town" / "praxis.key",
        tmp_path / "into-home" / "praxis.key",
    ):
        assert "inside the server's home" in _refused(town, *add, "--key-out", inside)
        assert not inside.exists()
    assert "exists already" in _refused(town, *add, "--key-out", tmp_path / "taken.key")
    assert (tmp_path / "taken.key").read_text() == "schon da"
    assert _state(town) == before

    key_file = tmp_path / "usb" / "praxis.key"
    out = run_dorfhub(*add, "--key-out", key_file, home=town).stdout
    assert f"private key written to {key_file}" in out
    assert key_file.stat().st_mode & 0o777 == 0o600
    practice = load_identity(key_file)
    # The scan finds the key where it is (so it can fail), and nowhere in the server's home.
    assert files_holding(key_file.parent, practice)
    assert files_holding(town, practice) == []
    server = Home(town).identity()
    shown = json.loads(run_dorfhub("practice", "show", PRACTICE, "--json", home=town).stdout)
    assert (shown["key"], shown["seal"]) == (practice.key_id, practice.public.seal_key)
    assert (shown["authority"], shown["authority_seal"]) == (
        server.key_id,
        server.public.seal_key,
    )
    assert [h["author"] for h in shown["history"]] == [practice.key_id]

    # The practice publishes its slots and opens its bookings with its own key.
    run_dorfhub(*_slot_args(PRACTICE), "--key", key_file, home=town)
    request = _book_from_a_hub(town, tmp_path)
    listed = run_dorfhub(*("bookings", "list", "--practice-key", key_file, "--json"), home=town)
    assert [(b["request"], b["name"]) for b in json.loads(listed.stdout)] == [
        (request, RESIDENTS[0].name)
    ]
    assert "Stadtserver" in listed.stderr  # who else can open them
    with Home(town).store() as store:
        authors = store.conn.execute("SELECT DISTINCT author FROM slots").fetchall()
    assert authors == [(practice.key_id,)]

    # Moving to another town server is the practice's own signed act, and it is told so.
    second = Identity.generate("Stadtserver Grafenau")
    run_dorfhub(
        *("key", "grant", "--role", "server", "--name", second.name),
        *("--public-key", second.public.token),
        home=town,
    )
    moved = run_dorfhub(
        *("practice", "publish", "--authority", second.public.token, "--key", key_file),
        home=town,
    ).stdout
    assert f"booking authority changed: {server.key_id[:12]} -> {second.key_id[:12]}" in moved
    assert "booking authority Stadtserver Grafenau" in moved
    shown = json.loads(run_dorfhub("practice", "show", PRACTICE, "--json", home=town).stdout)
    assert [h["authority"] for h in shown["history"]] == [server.key_id, second.key_id]
    assert {h["author"] for h in shown["history"]} == {practice.key_id}
    assert (shown["name"], shown["phone"]) == (PRACTICE, RECORD[1])  # the rest is kept
    assert files_holding(town, practice) == []


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
        assert allocate(store, home.identity()).confirmed == [request]
    return request


def test_a_practice_record_is_the_practices_to_sign(tmp_path: Path) -> None:
    town = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=town)
    token = _node_init(tmp_path / "praxis", "practice", PRACTICE, "")
    before = _state(town)
    # With a public key the server cannot sign the record: it refuses to pretend.
    _refused(town, "practice", "add", PRACTICE, "--public-key", token, *RECORD)
    _refused(town, "practice", "add", PRACTICE, "--public-key", "dh1.kaputt")
    assert _state(town) == before
    run_dorfhub("practice", "add", PRACTICE, "--public-key", token, home=town)
    # Neither the admin's key nor the server's may sign a practice's record.
    for signer in ("admin.key", "node.key"):
        stderr = _refused(
            town,
            *("practice", "publish", "--name", PRACTICE, *RECORD),
            *("--authority", Home(town).identity().public.token, "--key", town / signer),
        )
        assert "needs another role" in stderr
    assert run_dorfhub("practice", "list", home=town).stdout.strip() == "no practices"


def _node_init(home: Path, role: str, name: str, network: str) -> str:
    """`dorfhub node init`; the public key token it prints."""
    out = run_dorfhub(
        *("node", "init", "--role", role, "--name", name, "--network", network), home=home
    ).stdout
    return out.split("public key: ")[1].split()[0]


def _grant_seen(node: Node, key: str) -> bool:
    with node.store() as store:
        return grants.key_info(store.conn, key) is not None


def _slot_ids(node: Node) -> list[str]:
    with node.store() as store:
        return [slot.id for slot in booking.list_slots(store.conn)]


def _decided(node: Node, request_id: str) -> booking.BookingStatus | None:
    with node.store() as store:
        status = booking.booking_status(store.conn, request_id)
    return status if status is not None and status.state != "pending" else None


@pytest.fixture
def network(tmp_path: Path) -> Network:
    return Network.create(tmp_path, ["Ringelai"])


def test_a_practice_with_its_own_node_and_a_server_granted_later(
    network: Network, tmp_path: Path
) -> None:
    town, hub = network.town, network.hubs[0]
    practice = Node("Praxis", tmp_path / "praxis")
    token = _node_init(practice.home, "practice", PRACTICE, network.network_id)
    # An admin grants a second server key, which hubs learn of before anyone books.
    rogue_home = tmp_path / "zweitserver"
    rogue_token = _node_init(rogue_home, "server", "Zweitserver", network.network_id)
    run_dorfhub(
        *("key", "grant", "--role", "server", "--name", "Zweitserver"),
        *("--public-key", rogue_token),
        home=town.home,
    )
    added = run_dorfhub("practice", "add", PRACTICE, "--public-key", token, home=town.home)
    authority = added.stdout.split("booking authority: ")[1].split()[0]
    assert authority == Home(town.home).identity().public.token
    practice_key = Home(practice.home).identity()
    assert files_holding(practice.home, practice_key)
    assert files_holding(town.home, practice_key) == []

    for node in (hub, practice):
        node.set_server_url(url(town.port))
    with Cluster(tmp_path) as cluster:
        cluster.serve(town)
        cluster.hub(hub)
        cluster.hub(practice)  # the practice's node syncs like a hub
        cluster.wait_ready()
        wait_for(partial(_grant_seen, practice, practice_key.key_id), DEADLINE_S, "the grant")
        published = run_dorfhub(
            *("practice", "publish", *RECORD, "--authority", authority), home=practice.home
        ).stdout
        assert "booking authority Stadtserver" in published
        run_dorfhub(*_slot_args(PRACTICE), home=practice.home)
        slot = wait_for(partial(_slot_ids, hub), DEADLINE_S, "slots at the hub")[0]
        with hub.store() as store:
            request = booking.request_booking(
                Log(store), Home(hub.home).identity(), slot, RESIDENTS[0]
            )
            (header,) = store.conn.execute(
                "SELECT header FROM ops WHERE entity = ? AND kind = 'booking.request'",
                (request,),
            ).fetchone()
        server = Home(town.home).identity()
        assert json.loads(header)["sealed_to"] == sorted(
            [practice_key.public.seal_key, server.public.seal_key]
        )
        decided = wait_for(partial(_decided, hub, request), DEADLINE_S, "the decision")
        assert decided.state == "confirmed"
        wait_for(partial(_decided, practice, request), DEADLINE_S, "the decision at the practice")
        listed = run_dorfhub("bookings", "list", "--json", home=practice.home)
    assert [(b["name"], b["state"]) for b in json.loads(listed.stdout)] == [
        (RESIDENTS[0].name, "confirmed")
    ]
    rogue = Home(rogue_home).identity()
    with town.store() as store:
        with pytest.raises(SealError):
            booking.open_request(store.conn, request, rogue)
        assert booking.open_request(store.conn, request, server).name == RESIDENTS[0].name
    shown = run_dorfhub("practice", "show", PRACTICE, home=hub.home).stdout
    assert f"authority: {server.key_id}" in shown
    listed_at_hub = run_dorfhub("practice", "list", home=hub.home).stdout
    assert "decided by Stadtserver" in listed_at_hub
    assert files_holding(town.home, practice_key) == []


def test_practice_add_needs_one_of_the_two_forms(tmp_path: Path) -> None:
    town = tmp_path / "town"
    run_dorfhub("network", "init", "--name", "Ilzer Land", home=town)
    result = subprocess.run(
        [*DORFHUB, "practice", "add", PRACTICE, *RECORD, "--home", str(town)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--public-key" in result.stderr
