"""Submissions and moderation on real SQLite files: sealing, who may do what, the daily limit
on write and on apply at another node, the texts' limits, and erasure after the decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import msgspec
import pytest

from content import grants
from content.bodies import encode_body
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import AppendRefused, Log
from content.log_audit import verify_store
from content.notices import get_notice, publish
from content.pruning import erase_due
from content.retention import DAY_MS
from content.sealing import open_sealed, seal
from content.submission_rules import (
    MAX_SUBMISSION_BOX_BYTES,
    SUBMISSIONS_PER_DAY,
    notice_id_for,
    submission_prefix,
)
from content.submissions import (
    MAX_TEXT,
    MAX_TITLE,
    ModerationBody,
    SubmissionError,
    accept_submission,
    decision_of,
    moderation_queue,
    pending_count,
    reject_submission,
    submissions_of,
    submit_from_editor,
    submit_from_hub,
)
from tests.content.conftest import Network
from tests.content.helpers import GROUP, next_position, notice, sign_op, sync

NAME = "Xaver Zwieselberger"
PHONE = "08555 918273"
OTHER_GROUP = "Grafenauer Land"


@dataclass
class People:
    server: Identity
    club: Identity  # editor for GROUP
    other_hub: Identity  # a hub of OTHER_GROUP
    guide: Identity


@pytest.fixture
def people(network: Network) -> People:
    found = People(
        server=Identity.generate("Stadtserver"),
        club=Identity.generate("Schützenverein Ringelai"),
        other_hub=Identity.generate("Grafenau"),
        guide=Identity.generate("Frau Kern"),
    )
    log, admin = network.log, network.admin
    grants.grant(log, admin, found.server.public, "server", found.server.name)
    grants.grant(log, admin, found.club.public, "editor", found.club.name, groups=[GROUP])
    grants.grant(
        log, admin, found.other_hub.public, "hub", found.other_hub.name, groups=[OTHER_GROUP]
    )
    grants.grant(log, admin, found.guide.public, "guide", found.guide.name, groups=[GROUP])
    return found


def _box(log: Log, submission_id: str) -> bytes:
    row = log.store.conn.execute(
        "SELECT body FROM ops WHERE kind = 'submission.put' AND entity = ?", (submission_id,)
    ).fetchone()
    return bytes(row[0])


def _public_bytes(log: Log) -> bytes:
    rows = log.store.conn.execute(
        "SELECT header, coalesce(body, x'') FROM ops WHERE kind != 'submission.put'"
    )
    return b"".join(bytes(header) + bytes(body) for header, body in rows)


def test_a_resident_submission_is_sealed_and_reaches_no_board_before_acceptance(
    network: Network, people: People
) -> None:
    log, hub, admin = network.log, network.hub, network.admin
    submission = submit_from_hub(
        log, hub, "biete", "Mitfahrgelegenheit nach Grafenau", "Dienstags um 9 Uhr.", NAME, PHONE
    )
    assert submission.startswith(submission_prefix(hub.key_id))
    box = _box(log, submission)
    assert NAME.encode() not in box
    assert b"Grafenau" not in box
    opened = open_sealed(box, admin)
    assert NAME.encode() in opened
    assert PHONE.encode() in opened
    assert open_sealed(box, people.server)  # the town server is a recipient too
    for outsider in (hub, people.club, people.guide):  # the kiosk's own key opens nothing
        with pytest.raises(Exception, match="not a recipient"):
            open_sealed(box, outsider)
    assert get_notice(log.store.conn, notice_id_for(submission)) is None
    assert pending_count(log.store.conn) == 1
    [queued] = moderation_queue(log.store.conn, admin)
    assert queued.body is not None
    assert queued.body.contact_phone == PHONE
    assert queued.title == "Biete: Mitfahrgelegenheit nach Grafenau"

    notice_id = accept_submission(log, admin, submission)
    published = get_notice(log.store.conn, notice_id)
    assert published is not None
    assert published.author == admin.key_id
    assert published.target_hubs == [hub.key_id]
    assert not published.target_groups
    assert published.title["de"] == "Biete: Mitfahrgelegenheit nach Grafenau"
    assert pending_count(log.store.conn) == 0
    decision = decision_of(log.store.conn, submission)
    assert decision is not None
    assert decision.accepted
    public = _public_bytes(log)  # the notice and the decision hold nothing personal
    assert NAME.encode() not in public
    assert PHONE.encode() not in public
    with pytest.raises(SubmissionError, match="decided"):
        reject_submission(log, admin, submission, "zu spät")
    verified = verify_store(log.store)
    assert verified.ok, verified.problems


def test_bad_inputs_name_their_field_and_store_nothing(network: Network, people: People) -> None:
    log, hub = network.log, network.hub
    before = log.count()
    for args, field in (
        (("tausche", "Titel", "Text"), "kind"),
        (("biete", "", "Text"), "title"),
        (("biete", "x" * (MAX_TITLE + 1), "Text"), "title"),
        (("biete", "Zwei\nZeilen", "Text"), "title"),
        (("suche", "Titel", "y" * (MAX_TEXT + 1)), "text"),
        (("fund", "Titel", "Text", "a\x1bb"), "contact_name"),
        (("fund", "Titel", "Text", NAME, "0851-ABC"), "contact_phone"),
    ):
        with pytest.raises(SubmissionError) as raised:
            submit_from_hub(log, hub, *args)  # type: ignore[arg-type]
        assert raised.value.field == field, args
    assert log.count() == before


def test_an_editor_submits_only_for_its_grant_and_never_publishes(
    network: Network, people: People
) -> None:
    log, club, admin = network.log, people.club, network.admin
    own = notice("Schützenfest", groups=[GROUP])
    submission = submit_from_editor(log, club, own, "Kassier Huber", "08555 1")
    # The editor reads its own submission back; others' are not its own.
    [mine] = submissions_of(log.store.conn, club)
    assert mine.status == "pending"
    assert mine.title == "Schützenfest"
    assert mine.body is not None
    assert mine.body.contact_name == "Kassier Huber"
    for targets in ({"groups": [OTHER_GROUP]}, {"hubs": [people.other_hub.key_id]}, {}):
        with pytest.raises(SubmissionError) as raised:
            submit_from_editor(log, club, notice("Anderswo", **targets))
        assert raised.value.field == "targets"
    # Its own notice.put is refused on every node, whatever it targets.
    with pytest.raises(AppendRefused, match="needs another role"):
        publish(log, club, own)
    hand_made = sign_op(
        club,
        network.network_id,
        **next_position(log, club),
        kind="notice.put",
        entity="n-" + uuid.uuid4().hex[:20],
        body=encode_body(own),
        time_ms=wall_clock_ms(),
    )
    assert network.fresh_log("other").ingest([hand_made]).applied == []
    assert log.ingest([hand_made]).applied == []
    # A guide (or the club, or a hub) cannot accept: the decision is an admin's.
    decision = encode_body(ModerationBody(accepted=True, notice=notice_id_for(submission)))
    for forger in (people.guide, club, network.hub, people.server):
        with pytest.raises(AppendRefused, match="needs another role"):
            log.append(forger, "moderation.accept", submission, decision)
    reject_submission(log, admin, submission, "Bitte mit Datum einreichen.")
    [mine] = submissions_of(log.store.conn, club)
    assert mine.status == "rejected"
    assert mine.decision is not None
    assert mine.decision.reason == "Bitte mit Datum einreichen."
    assert get_notice(log.store.conn, notice_id_for(submission)) is None


def test_acceptance_checks_the_targets_against_the_grant_as_it_is_then(
    network: Network, people: People
) -> None:
    """A hostile editor's sealed targets cannot be seen by nodes: the admin's acceptance is
    where they are checked, against the author's grant at that moment."""
    log, club, admin = network.log, people.club, network.admin
    body = encode_body(
        {
            "kind": "verein",
            "notice": msgspec.to_builtins(notice("Überall", groups=[OTHER_GROUP])),
            "contact_name": "",
            "contact_phone": "",
            "created": wall_clock_ms(),
        }
    )
    recipients = sorted({admin.public.seal_key, people.server.public.seal_key})
    submission = submission_prefix(club.key_id) + uuid.uuid4().hex[:20]
    log.append(club, "submission.put", submission, seal(body, recipients), recipients)
    with pytest.raises(SubmissionError, match=OTHER_GROUP):
        accept_submission(log, admin, submission)
    assert decision_of(log.store.conn, submission) is None


def test_the_daily_limit_holds_on_write_and_on_apply_at_every_node(
    network: Network, people: People
) -> None:
    log, hub = network.log, network.hub
    for number in range(SUBMISSIONS_PER_DAY):
        submit_from_hub(log, hub, "suche", f"Suche Nr. {number}", "")
    before = log.count()
    with pytest.raises(SubmissionError, match="a day"):
        submit_from_hub(log, hub, "suche", "Eine zu viel", "")
    assert log.count() == before
    # A hostile hub signs one more by hand, dated a day back: refused where it is applied.
    other = network.fresh_log("other")
    sync(log, other)
    recipients = [network.admin.public.seal_key]
    box = seal(b"{}", recipients)
    extra = sign_op(
        hub,
        network.network_id,
        **next_position(log, hub),
        kind="submission.put",
        entity=submission_prefix(hub.key_id) + uuid.uuid4().hex[:20],
        body=box,
        time_ms=wall_clock_ms() - DAY_MS + 60_000,
        sealed_to=recipients,
    )
    for node in (log, other):
        report = node.ingest([extra])
        assert report.applied == []
        assert any("a day" in why for _, why in report.rejected)
    # A day later (by the op's own time) the hub may submit again; dated ahead, it waits for
    # the admins until its time has come.
    ahead = submission_prefix(hub.key_id) + uuid.uuid4().hex[:20]
    later = sign_op(
        hub,
        network.network_id,
        **next_position(log, hub),
        kind="submission.put",
        entity=ahead,
        body=box,
        time_ms=wall_clock_ms() + DAY_MS + 60_000,
        sealed_to=recipients,
    )
    assert other.ingest([later]).applied == [later.op_id]
    conn = other.store.conn
    queued = [submission.id for submission in moderation_queue(conn, network.admin)]
    assert len(queued) == SUBMISSIONS_PER_DAY
    assert ahead not in queued
    assert pending_count(conn) == SUBMISSIONS_PER_DAY
    assert pending_count(conn, wall_clock_ms() + DAY_MS + 60_000) == SUBMISSIONS_PER_DAY + 1


def test_ids_and_sizes_are_checked_on_apply(network: Network, people: People) -> None:
    log, hub = network.log, network.hub
    recipients = [network.admin.public.seal_key]
    for entity, body, reason in (
        (submission_prefix(people.other_hub.key_id) + "0" * 20, b"{}", "name its author"),
        ("s-frei-erfunden", b"{}", "name its author"),
        (
            submission_prefix(hub.key_id) + "0" * 20,
            b"x" * MAX_SUBMISSION_BOX_BYTES,
            "bytes sealed",
        ),
    ):
        raw = sign_op(
            hub,
            network.network_id,
            **next_position(log, hub),
            kind="submission.put",
            entity=entity,
            body=seal(body, recipients),
            time_ms=wall_clock_ms(),
            sealed_to=recipients,
        )
        report = network.fresh_log(f"n{uuid.uuid4().hex[:6]}").ingest([raw])
        assert any(reason in why for _, why in report.rejected), report


def test_submission_bodies_are_erased_after_the_decision(network: Network, people: People) -> None:
    log, hub, admin = network.log, network.hub, network.admin
    decided = submit_from_hub(log, hub, "fund", "Schlüssel gefunden", "Am Brunnen.", NAME, PHONE)
    waiting = submit_from_hub(log, hub, "biete", "Rasenmäher", "Zum Ausleihen.", NAME, PHONE)
    reject_submission(log, admin, decided, "Bitte beim Fundamt abgeben.")
    now = wall_clock_ms()
    assert erase_due(log.store, now + 6 * DAY_MS).submissions == 0
    assert erase_due(log.store, now + 8 * DAY_MS).submissions == 1  # 7 days after the decision
    conn = log.store.conn
    assert conn.execute(
        "SELECT body IS NULL FROM ops WHERE kind = 'submission.put' AND entity = ?", (decided,)
    ).fetchone() == (1,)
    # The decision's reason stays for the submitter; the undecided one goes after 30 days.
    decision = decision_of(conn, decided)
    assert decision is not None
    assert decision.reason == "Bitte beim Fundamt abgeben."
    assert erase_due(log.store, now + 29 * DAY_MS).submissions == 0
    assert erase_due(log.store, now + 31 * DAY_MS).submissions == 1
    # The log still verifies: headers kept, views rebuilt equal (the decisions' view too).
    verified = verify_store(log.store)
    assert verified.ok, verified.problems
    assert pending_count(conn) == 0
    assert waiting
