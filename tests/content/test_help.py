"""Help requests on real SQLite files: sealing, validation, who may mark what, arrival order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from content import grants
from content.bodies import Event, encode_body
from content.help import (
    HelpError,
    HelpRequest,
    HelpRequestBody,
    guide_office_hours,
    help_requests_for_hub,
    mark_help_done,
    request_help,
)
from content.help_hub_keys import public_hex, request_keys
from content.identity import Identity
from content.log import AppendRefused, Log
from content.log_audit import verify_store
from content.notices import publish
from content.ops import RawOp, decode_header
from content.sealing import SealError, open_sealed, open_with_key, seal
from tests.content.conftest import Network
from tests.content.helpers import all_ops, next_position, notice, sign_op, sync

NAME = "Erika Mustermann"
PHONE = "+49 (8555) 12-34/5"


@dataclass
class People:
    server: Identity
    guide: Identity
    second_guide: Identity
    hub_b: Identity
    practice: Identity
    revoked_guide: Identity


@pytest.fixture
def people(network: Network) -> People:
    log, admin = network.log, network.admin
    found = People(
        server=Identity.generate("Stadtserver"),
        guide=Identity.generate("Frau Kern"),
        second_guide=Identity.generate("Herr Lang"),
        hub_b=Identity.generate("Eppenschlag"),
        practice=Identity.generate("Praxis Dr. Huber"),
        revoked_guide=Identity.generate("Frau Alt"),
    )
    for identity, role in (
        (found.server, "server"),
        (found.guide, "guide"),
        (found.second_guide, "guide"),
        (found.hub_b, "hub"),
        (found.practice, "practice"),
        (found.revoked_guide, "guide"),
    ):
        grants.grant(log, admin, identity.public, role, identity.name)
    grants.revoke(log, admin, found.revoked_guide.key_id, "left the network")
    return found


def _request_op(log: Log, request_id: str) -> RawOp:
    row = log.store.conn.execute(
        "SELECT id FROM ops WHERE kind = 'help.request' AND entity = ?", (request_id,)
    ).fetchone()
    raw = log.get(row[0])
    assert raw is not None
    return raw


def _database_bytes(path: Path) -> bytes:
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def _verified(log: Log) -> None:
    report = verify_store(log.store)
    assert report.problems == []


def _state(log: Log, hub: Identity, request_id: str) -> str:
    return next(r.state for r in help_requests_for_hub(log.store.conn, hub) if r.id == request_id)


# ---- sealing and privacy -------------------------------------------------------------------


def test_a_help_request_is_sealed_to_the_servers_the_guides_and_its_own_key_not_the_hubs(
    network: Network, people: People
) -> None:
    request_id = request_help(network.log, network.hub, NAME, PHONE)
    raw = _request_op(network.log, request_id)
    assert raw.body is not None
    readers = [people.server, people.guide, people.second_guide]
    [(request_key, _)] = request_keys(network.store.conn).values()
    assert decode_header(raw.header).sealed_to == sorted(
        [*(r.public.seal_key for r in readers), public_hex(request_key)]
    )
    for reader in readers:
        body = msgspec.json.decode(open_sealed(raw.body, reader), type=HelpRequestBody)
        assert (body.name, body.phone, body.hub, body.on_behalf) == (NAME, PHONE, "Ringelai", False)
    assert NAME.encode() in open_with_key(raw.body, request_key)
    # The hub's node key, which sits on the kiosk's disk for years, opens nothing.
    outsiders = [network.hub, people.hub_b, network.admin, network.root, people.practice]
    for outsider in [*outsiders, people.revoked_guide]:
        with pytest.raises(SealError):
            open_sealed(raw.body, outsider)
    _verified(network.log)


def test_name_and_phone_never_reach_the_database_files(network: Network, people: People) -> None:
    request_help(network.log, network.hub, NAME, "08555 987654")
    elsewhere = network.fresh_log("elsewhere")
    sync(network.log, elsewhere)
    for log in (network.log, elsewhere):
        on_disk = _database_bytes(log.store.path)
        assert b"Ringelai" in on_disk  # the control: the hub's public name is stored
        for secret in (NAME, "Mustermann", "08555 987654", "987654"):
            assert secret.encode() not in on_disk
            assert secret.encode("utf-16-le") not in on_disk
    # The request's key stays at the hub: elsewhere only the guides and servers open it.
    [listed] = help_requests_for_hub(elsewhere.store.conn, network.hub)
    assert (listed.name, listed.phone, listed.readable) == ("", "", False)
    assert request_keys(elsewhere.store.conn) == {}
    box = elsewhere.store.conn.execute("SELECT body FROM ops WHERE kind = 'help.request'")
    assert b"987654" in open_sealed(box.fetchone()[0], people.guide)


@pytest.mark.parametrize(
    ("name", "phone", "field"),
    [
        (NAME, "0855 5x34", "phone"),
        (NAME, "1" * 31, "phone"),
        (NAME, "08555; DROP", "phone"),
        ("E" * 81, PHONE, "name"),
        ("Erika\nMustermann", PHONE, "name"),
    ],
)
def test_a_bad_phone_or_name_is_refused_and_nothing_is_stored(
    network: Network, people: People, name: str, phone: str, field: str
) -> None:
    before = network.log.count()
    with pytest.raises(HelpError, match=field) as refused:
        request_help(network.log, network.hub, name, phone)
    assert refused.value.field == field
    assert network.log.count() == before
    assert help_requests_for_hub(network.store.conn, network.hub) == []
    assert request_keys(network.store.conn) == {}


def test_the_kind_of_help_travels_sealed_and_a_strange_kind_is_refused(
    network: Network, people: People
) -> None:
    request_id = request_help(network.log, network.hub, "", "", kind="device")
    raw = _request_op(network.log, request_id)
    assert raw.body is not None
    assert b"device" not in raw.body  # sealed with the name and phone
    body = msgspec.json.decode(open_sealed(raw.body, people.guide), type=HelpRequestBody)
    assert body.kind == "device"
    [listed] = help_requests_for_hub(network.store.conn, network.hub)
    assert listed.kind == "device"
    # A body from before the kind (or one that does not say) reads as "".
    old = {"name": "", "phone": "", "hub": "Ringelai", "on_behalf": False, "created": 1}
    assert msgspec.json.decode(msgspec.json.encode(old), type=HelpRequestBody).kind == ""
    before = network.log.count()
    with pytest.raises(HelpError) as refused:
        request_help(network.log, network.hub, "", "", kind="money")
    assert refused.value.field == "kind"
    assert network.log.count() == before


def test_a_refused_append_stores_no_key_either(network: Network, people: People) -> None:
    with pytest.raises(AppendRefused, match="needs another role"):
        request_help(network.log, people.guide, NAME, PHONE)
    assert request_keys(network.store.conn) == {}


def test_name_and_phone_may_stay_empty_and_requests_list_newest_first(
    network: Network, people: People
) -> None:
    first = request_help(network.log, network.hub, "", "")
    second = request_help(network.log, network.hub, f"  {NAME} ", "", on_behalf=True)
    listed = help_requests_for_hub(network.store.conn, network.hub)
    assert [r.id for r in listed] == [second, first]
    assert listed[0] == HelpRequest(second, listed[0].time_ms, NAME, "", True, "open")
    assert (listed[1].name, listed[1].phone, listed[1].on_behalf) == ("", "", False)
    # Another hub's list holds none of them.
    assert help_requests_for_hub(network.store.conn, people.hub_b) == []


# ---- updates -------------------------------------------------------------------------------


def test_a_guide_marks_a_request_done_and_other_nodes_see_it(
    network: Network, people: People
) -> None:
    request_id = request_help(network.log, network.hub, NAME, PHONE)
    desk = network.fresh_log("guide-desk")
    sync(network.log, desk)
    mark_help_done(desk, people.guide, request_id)
    kiosk = network.fresh_log("kiosk")
    sync(desk, kiosk)
    sync(kiosk, network.log)
    for log in (desk, kiosk, network.log):
        assert _state(log, network.hub, request_id) == "done"
        _verified(log)
    update = network.store.conn.execute(
        "SELECT o.body FROM ops o WHERE o.kind = 'help.update'"
    ).fetchone()[0]
    assert msgspec.json.decode(update) == {"state": "done"}


def test_a_hub_marks_its_own_request_done(network: Network, people: People) -> None:
    request_id = request_help(network.log, network.hub, NAME, PHONE)
    other = request_help(network.log, network.hub, "", "")
    mark_help_done(network.log, network.hub, request_id)
    assert _state(network.log, network.hub, request_id) == "done"
    assert _state(network.log, network.hub, other) == "open"
    _verified(network.log)


def test_hub_a_cannot_mark_hub_b_request_done_at_append_or_ingest(
    network: Network, people: People
) -> None:
    town, hub_a, hub_b = network.log, network.hub, people.hub_b
    a_request = request_help(town, hub_a, NAME, PHONE)
    b_request = request_help(town, hub_b, "Max Muster", "")
    with pytest.raises(AppendRefused, match="only the help requests it made itself"):
        mark_help_done(town, hub_b, a_request)

    # A modified hub B signs the update itself, right after a legitimate one of its own, in
    # one batch (so a verdict remembered for the first cannot wave the second through).
    done = encode_body({"state": "done"})
    position = next_position(town, hub_b)
    own = sign_op(
        hub_b, network.network_id, kind="help.update", entity=b_request, body=done, **position
    )
    attack = sign_op(
        hub_b,
        network.network_id,
        seq=position["seq"] + 1,
        prev=own.op_id,
        lamport=position["lamport"] + 1,
        kind="help.update",
        entity=a_request,
        body=done,
    )
    other_node = network.fresh_log("other-node")
    sync(town, other_node)
    for log in (town, other_node):
        report = log.ingest([own, attack])
        assert own.op_id in report.applied
        assert [op for op, _ in report.rejected] == [attack.op_id]
        assert "only the help requests it made itself" in report.rejected[0][1]
        assert _state(log, hub_a, a_request) == "open"
        assert _state(log, hub_b, b_request) == "done"
        _verified(log)


def test_a_hub_cannot_take_another_hubs_request_id(network: Network, people: People) -> None:
    a_request = request_help(network.log, network.hub, NAME, PHONE)
    box = seal(b"{}", [people.hub_b.public.seal_key])
    with pytest.raises(AppendRefused, match="names another author"):
        network.log.append(
            people.hub_b, "help.request", a_request, box, sealed_to=[people.hub_b.public.seal_key]
        )


def test_nodes_without_the_role_are_refused(network: Network, people: People) -> None:
    request_id = request_help(network.log, network.hub, NAME, PHONE)
    for author in (network.admin, people.practice, people.server):
        with pytest.raises(AppendRefused, match="needs another role"):
            mark_help_done(network.log, author, request_id)
    with pytest.raises(AppendRefused, match="revoked"):
        mark_help_done(network.log, people.revoked_guide, request_id)
    with pytest.raises(AppendRefused, match="unknown author"):
        mark_help_done(network.log, Identity.generate("Fremd"), request_id)
    with pytest.raises(AppendRefused, match="needs another role"):
        request_help(network.log, people.guide, NAME, PHONE)
    with pytest.raises(HelpError, match="not a help request id"):
        mark_help_done(network.log, people.guide, "no spaces allowed")
    assert _state(network.log, network.hub, request_id) == "open"
    _verified(network.log)


def test_request_and_update_give_the_same_state_in_either_order(
    network: Network, people: People
) -> None:
    request_id = request_help(network.log, network.hub, NAME, PHONE)
    mark_help_done(network.log, people.guide, request_id)
    ops = all_ops(network.log)
    authors = {decode_header(op.header).author: op for op in ops}
    assert people.guide.key_id in authors
    keys = [op for op in ops if decode_header(op.header).kind.startswith("key.")]
    by_guide = [op for op in ops if decode_header(op.header).author == people.guide.key_id]
    by_hub = [op for op in ops if decode_header(op.header).author == network.hub.key_id]

    update_first = network.fresh_log("update-first")
    update_first.ingest(keys)
    assert update_first.ingest(by_guide).applied
    # The update is known before its request: the state waits for the request, not lost.
    assert help_requests_for_hub(update_first.store.conn, network.hub) == []
    assert update_first.ingest(by_hub).applied

    request_first = network.fresh_log("request-first")
    request_first.ingest(keys + by_hub)
    assert _state(request_first, network.hub, request_id) == "open"
    request_first.ingest(by_guide)

    reversed_batch = network.fresh_log("reversed")
    reversed_batch.ingest(list(reversed(ops)))

    expected = help_requests_for_hub(network.store.conn, network.hub)
    assert [r.state for r in expected] == ["done"]
    for log in (update_first, request_first, reversed_batch):
        assert help_requests_for_hub(log.store.conn, network.hub) == expected
        rows = log.store.conn.execute("SELECT * FROM help_states").fetchall()
        assert rows == network.store.conn.execute("SELECT * FROM help_states").fetchall()
        _verified(log)


def test_the_latest_update_wins(network: Network, people: People) -> None:
    request_id = request_help(network.log, network.hub, NAME, PHONE)
    mark_help_done(network.log, people.guide, request_id)
    network.log.append(
        people.second_guide, "help.update", request_id, encode_body({"state": "open"})
    )
    assert _state(network.log, network.hub, request_id) == "open"
    with pytest.raises(AppendRefused, match=r"invalid help\.update body"):
        network.log.append(people.guide, "help.update", request_id, b'{"state": "lost"}')
    _verified(network.log)


# ---- office hours --------------------------------------------------------------------------


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).astimezone(UTC).timestamp() * 1000)


def test_guide_office_hours_lists_this_hubs_coming_digital_events(
    network: Network, people: People
) -> None:
    now = _ms("2026-11-24T10:00:00+01:00")
    shown_from = now - 86_400_000

    def digital(title: str, start: str | None, end: str | None = None, **fields: object) -> None:
        event = None
        if start is not None:
            event = Event(
                start=_ms(start),
                end=_ms(end) if end else None,
                place=fields.pop("place", "Dorfgemeinschaftshaus Ringelai"),
            )
        fields.setdefault("category", "digitales")
        publish(
            network.log, network.admin, notice(title, valid_from=shown_from, event=event, **fields)
        )

    digital("Sprechstunde der Digitallotsin", "2026-11-26T14:00:00+01:00")
    digital(
        "Tablet-Kurs",
        "2026-11-25T09:30:00+01:00",
        "2026-11-25T11:00:00+01:00",
        hubs=[network.hub.key_id],
        place="",
    )
    digital("Sprechstunde in Eppenschlag", "2026-11-25T10:00:00+01:00", hubs=[people.hub_b.key_id])
    digital("Vorbei", "2026-11-20T14:00:00+01:00", "2026-11-20T16:00:00+01:00")
    digital("Ohne Termin", None)
    digital("Seniorentanz", "2026-11-27T15:00:00+01:00", category="veranstaltung")

    assert guide_office_hours(network.store.conn, "Ringelai", now) == [
        "Mi 25.11., 09:30–11:00 Uhr: Tablet-Kurs",
        "Do 26.11., 14:00 Uhr, Dorfgemeinschaftshaus Ringelai: Sprechstunde der Digitallotsin",
    ]
    assert guide_office_hours(network.store.conn, "Eppenschlag", now) == [
        "Mi 25.11., 10:00 Uhr, Dorfgemeinschaftshaus Ringelai: Sprechstunde in Eppenschlag",
        "Do 26.11., 14:00 Uhr, Dorfgemeinschaftshaus Ringelai: Sprechstunde der Digitallotsin",
    ]
    # A hub this node does not know by name sees only what is meant for every hub.
    assert guide_office_hours(network.store.conn, "Unbekannt", now) == [
        "Do 26.11., 14:00 Uhr, Dorfgemeinschaftshaus Ringelai: Sprechstunde der Digitallotsin",
    ]
    # Once the last office hour is over, nothing is left to say.
    assert (
        guide_office_hours(network.store.conn, "Ringelai", _ms("2026-11-27T12:00:00+01:00")) == []
    )
