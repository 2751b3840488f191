"""A guide's narrow right at the op level (content/office_hours.py): office hours of category
`digitales`, events only, for the groups its own grants name, under ids that name the guide.

Every attack here is a signed op from a real guide key, appended through the library (the
guide's own node refuses it) and, built by hand, ingested by another node (which refuses it
too): what a hostile guide key could do outside the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from content import grants
from content.bodies import Attachment, NoticeBody, RetractBody, encode_body
from content.clock import wall_clock_ms
from content.guides import guide_groups
from content.help import guide_office_hours, mark_help_done, reopen_help, request_help
from content.identity import Identity
from content.log import AppendRefused, Log
from content.notices import get_notice, publish, retract
from content.office_hours import new_office_hour_id, office_hour, office_hours_problem
from tests.content.conftest import Network
from tests.content.helpers import DAY, GROUP, HOUR, all_ops, next_position, notice, sign_op, sync

OTHER_GROUP = "Dreiburgenland"


@dataclass
class Guides:
    guide: Identity  # granted for GROUP
    other_hub: Identity  # a hub in OTHER_GROUP only


@pytest.fixture
def guides(network: Network) -> Guides:
    guide = Identity.generate("Frau Kern")
    other_hub = Identity.generate("Tittling")
    grants.grant(network.log, network.admin, guide.public, "guide", guide.name, groups=[GROUP])
    grants.grant(
        network.log, network.admin, other_hub.public, "hub", other_hub.name, groups=[OTHER_GROUP]
    )
    return Guides(guide, other_hub)


def grant_other_group(network: Network, guides: Guides) -> None:
    """A second guide grant for the guide, naming OTHER_GROUP."""
    guide = guides.guide
    grants.grant(
        network.log, network.admin, guide.public, "guide", guide.name, groups=[OTHER_GROUP]
    )


def hour_body(**changes: Any) -> NoticeBody:
    """Thursday's office hour, from 14:00 to 16:00 tomorrow, for GROUP."""
    start = wall_clock_ms() + DAY
    body = office_hour(
        {"de": "Sprechstunde der Digitallotsin"},
        {"de": "Hilfe mit Smartphone und Online-Formularen."},
        start=start,
        end=start + 2 * HOUR,
        place="Dorfgemeinschaftshaus Ringelai",
        groups=[GROUP],
        shown_from=wall_clock_ms() - HOUR,
        leaves=start + 2 * HOUR,
    )
    merged = {**msgspec.structs.asdict(body), **changes}
    return msgspec.convert(merged, NoticeBody, from_attributes=True)


def test_a_guide_publishes_office_hours_that_the_groups_kiosks_show(
    network: Network, guides: Guides
) -> None:
    notice_id = publish(
        network.log, guides.guide, hour_body(), notice_id=new_office_hour_id(guides.guide.key_id)
    )
    conn = network.store.conn
    assert get_notice(conn, notice_id) is not None
    lines = guide_office_hours(conn, network.hub.name, wall_clock_ms())
    assert len(lines) == 1
    assert lines[0].endswith("Dorfgemeinschaftshaus Ringelai: Sprechstunde der Digitallotsin")
    assert guide_office_hours(conn, guides.other_hub.name, wall_clock_ms()) == []
    # Another node takes the guide's op as the town did.
    other = network.fresh_log("other")
    report = sync(network.log, other)
    assert not report.rejected
    assert not report.held
    assert get_notice(other.store.conn, notice_id) is not None


def test_the_guides_groups_come_from_its_grants(network: Network, guides: Guides) -> None:
    conn = network.store.conn
    assert guide_groups(conn, guides.guide.key_id, wall_clock_ms()) == [GROUP]
    # A second grant adds a group; the first grant's stays (grants accumulate).
    grant_other_group(network, guides)
    assert guide_groups(conn, guides.guide.key_id, wall_clock_ms()) == [OTHER_GROUP, GROUP]
    grants.revoke(network.log, network.admin, guides.guide.key_id)
    assert guide_groups(conn, guides.guide.key_id, wall_clock_ms()) == []


def crafted_and_refused(
    network: Network, guide: Identity, kind: str, entity: str, body: bytes
) -> Log:
    """A node holding the town's log, given the guide's op built and signed by hand (not
    through Log.append and its checks): the op must be refused there."""
    other = network.fresh_log("other")
    sync(network.log, other)
    raw = sign_op(
        guide,
        network.network_id,
        **next_position(other, guide),
        kind=kind,
        entity=entity,
        body=body,
        time_ms=wall_clock_ms(),
    )
    assert [op for op, _ in other.ingest([raw]).rejected] == [raw.op_id]
    return other


OUTSIDE_THE_RIGHT = {
    "another category": {"category": "warnung"},
    "an emergency": {"priority": "emergency"},
    "an important notice": {"priority": "important"},
    "no event": {"event": None},
    "shown for ever": {"valid_until": None},
    "shown for a week after": {"valid_until": wall_clock_ms() + 8 * DAY},
    "an event of three days": {
        "event": {"start": wall_clock_ms() + DAY, "end": wall_clock_ms() + 4 * DAY},
        "valid_until": wall_clock_ms() + DAY + HOUR,
    },
    "every hub": {"targets": {"hubs": [], "groups": []}},
    "another group": {"targets": {"hubs": [], "groups": [OTHER_GROUP]}},
    "its group and another": {"targets": {"hubs": [], "groups": [GROUP, OTHER_GROUP]}},
    "a hub by its key": {"targets": {"hubs": ["ab" * 32], "groups": []}},
    "an attachment": {
        "attachments": [Attachment(blob="cd" * 32, name="plan.pdf", mime="application/pdf", size=9)]
    },
}


@pytest.mark.parametrize("case", sorted(OUTSIDE_THE_RIGHT))
def test_a_guide_cannot_publish_outside_office_hours(
    network: Network, guides: Guides, case: str
) -> None:
    body = hour_body(**OUTSIDE_THE_RIGHT[case])
    assert office_hours_problem(body, [GROUP]) is not None
    notice_id = new_office_hour_id(guides.guide.key_id)
    # The guide's own node refuses it.
    with pytest.raises(AppendRefused):
        publish(network.log, guides.guide, body, notice_id=notice_id)
    # Built and signed by hand, any other node refuses it as well.
    other = crafted_and_refused(network, guides.guide, "notice.put", notice_id, encode_body(body))
    assert get_notice(other.store.conn, notice_id) is None


def test_a_guide_cannot_overwrite_or_retract_anybody_elses_notice(
    network: Network, guides: Guides
) -> None:
    admins = publish(network.log, network.admin, notice("Gemeinderatssitzung"))
    # Even a perfect office hour, under the admin's notice id (last writer wins), is refused.
    with pytest.raises(AppendRefused, match="names the guide"):
        publish(network.log, guides.guide, hour_body(), notice_id=admins)
    with pytest.raises(AppendRefused, match="names the guide"):
        retract(network.log, guides.guide, admins, "weg damit")
    # Nor under an id of its own making that names another guide.
    other_guide = Identity.generate("Herr Lang")
    with pytest.raises(AppendRefused, match="names the guide"):
        publish(
            network.log, guides.guide, hour_body(), notice_id=new_office_hour_id(other_guide.key_id)
        )
    # A crafted retraction reaches no other node either.
    retraction = encode_body(RetractBody(reason="weg damit"))
    other = crafted_and_refused(network, guides.guide, "notice.retract", admins, retraction)
    shown = get_notice(other.store.conn, admins)
    assert shown is not None
    assert not shown.retracted


def test_a_guide_retracts_its_own_office_hours(network: Network, guides: Guides) -> None:
    notice_id = publish(
        network.log, guides.guide, hour_body(), notice_id=new_office_hour_id(guides.guide.key_id)
    )
    retract(network.log, guides.guide, notice_id, "fällt aus")
    shown = get_notice(network.store.conn, notice_id)
    assert shown is not None
    assert shown.retracted


def test_an_office_hour_that_arrives_before_the_grant_naming_its_group_waits_for_it(
    network: Network, guides: Guides
) -> None:
    """The verdict depends on the guide's grants only, so the order ops arrive in changes
    nothing: held until the grant that names the group arrives, then applied."""
    grant_other_group(network, guides)
    notice_id = publish(
        network.log,
        guides.guide,
        hour_body(targets={"hubs": [], "groups": [OTHER_GROUP]}),
        notice_id=new_office_hour_id(guides.guide.key_id),
    )
    ops = all_ops(network.log)
    second_grant = next(
        op for op in ops if b'"key.grant"' in op.header and b"Dreiburgenland" in (op.body or b"")
    )
    other = network.fresh_log("other")
    other.ingest([op for op in ops if op.op_id != second_grant.op_id])
    assert get_notice(other.store.conn, notice_id) is None
    other.ingest([second_grant])
    assert get_notice(other.store.conn, notice_id) is not None


def test_revoking_the_guide_takes_its_later_office_hours_back(
    network: Network, guides: Guides
) -> None:
    grants.revoke(network.log, network.admin, guides.guide.key_id, "hat aufgehört")
    with pytest.raises(AppendRefused):
        publish(
            network.log,
            guides.guide,
            hour_body(),
            notice_id=new_office_hour_id(guides.guide.key_id),
        )


def test_a_guide_reopens_a_request_and_a_hub_only_its_own(network: Network, guides: Guides) -> None:
    request_id = request_help(network.log, network.hub, "Erika Mustermann", "08555 1234")
    conn = network.store.conn

    def state() -> str:
        row = conn.execute(
            "SELECT state FROM help_states WHERE request_id = ?", (request_id,)
        ).fetchone()
        return "open" if row is None else str(row[0])

    mark_help_done(network.log, guides.guide, request_id)
    assert state() == "done"
    reopen_help(network.log, guides.guide, request_id)
    assert state() == "open"
    mark_help_done(network.log, network.hub, request_id)
    reopen_help(network.log, network.hub, request_id)
    assert state() == "open"
    with pytest.raises(AppendRefused, match="only the help requests it made"):
        reopen_help(network.log, guides.other_hub, request_id)
    other = network.fresh_log("other")
    assert not sync(network.log, other).rejected
    assert other.store.conn.execute("SELECT state FROM help_states").fetchall() == [("open",)]


def test_office_hours_from_a_log_with_other_writers_converge(
    network: Network, guides: Guides
) -> None:
    """Two nodes that get the same ops in opposite orders hold the same notices."""
    publish(
        network.log, guides.guide, hour_body(), notice_id=new_office_hour_id(guides.guide.key_id)
    )
    ops = all_ops(network.log)
    forward, backward = network.fresh_log("forward"), network.fresh_log("backward")
    for op in ops:
        forward.ingest([op])
    for _ in ops:
        backward.ingest(list(reversed(ops)))
    rows: list[Log] = [forward, backward]
    notices = [
        log.store.conn.execute("SELECT id, op_id FROM notices ORDER BY id").fetchall()
        for log in rows
    ]
    assert notices[0] == notices[1] != []
