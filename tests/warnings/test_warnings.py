"""content/warnings.py and the `warnings` role: CAP alerts become notices, updates and
cancellations of the same notice, never twice; areas reach only the hubs they cover; the role
may author nothing but warnings, on every node."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest

from content import grants
from content.bodies import NoticeBody, encode_body
from content.cap import read_cap
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import AppendRefused
from content.notices import active_notices, get_notice, notice_body, retract
from content.warnings import (
    AreaRule,
    HubPlace,
    Outcome,
    WarningsConfig,
    apply_alert,
    geocode_matches,
    hub_places,
    official_of,
    priority_of,
    targets_of,
)
from tests.content.conftest import Network
from tests.content.helpers import GROUP, all_ops, next_position, sign_op, sync

DATA = Path(__file__).parent / "data"
RINGELAI_ARS = ("ARS", "092725129129")


def alert(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def warnings_key(network: Network) -> Identity:
    key = Identity.generate("Amtliche Warnungen")
    grants.grant(network.log, network.admin, key.public, "warnings", key.name)
    return key


def _apply(
    network: Network,
    key: Identity,
    name: str,
    config: WarningsConfig,
    places: Sequence[HubPlace] = (),
) -> Outcome:
    return apply_alert(
        network.log, key, read_cap(alert(name)), config, list(places), wall_clock_ms()
    )


COUNTY = WarningsConfig(areas=(AreaRule("ARS:092720000000", groups=(GROUP,)),))


def test_the_priority_table() -> None:
    assert priority_of("Extreme", "Immediate") == "emergency"
    assert priority_of("Severe", "Immediate") == "emergency"
    assert priority_of("Severe", "Expected") == "important"
    assert priority_of("Extreme", "Future") == "important"
    for severity in ("Moderate", "Minor", "Unknown"):
        assert priority_of(severity, "Immediate") == "normal"


def test_geocode_prefix_rules() -> None:
    county = ("ARS", "092720000000")
    # A Gemeinde warn cell (8 + AGS) and a Kreis cell (1 + AGS) inside the county, and out of it.
    assert geocode_matches(("WARNCELLID", "809272129"), county)
    assert geocode_matches(("WARNCELLID", "109272000"), ("ARS", "092725129129"))
    assert not geocode_matches(("WARNCELLID", "809275129"), county)
    # A Gemeinde ARS against its Kreis, both ways; a neighbouring Kreis never.
    assert geocode_matches(RINGELAI_ARS, county)
    assert geocode_matches(county, RINGELAI_ARS)
    assert not geocode_matches(("ARS", "092730000000"), county)
    assert geocode_matches(("AGS", "09272129"), ("ARS", "092725129129"))
    # Lakes, sea and coast cells match only themselves; all of Germany matches everything.
    assert not geocode_matches(("WARNCELLID", "209272000"), county)
    assert geocode_matches(("WARNCELLID", "209272000"), ("WARNCELLID", "209272000"))
    assert geocode_matches(("ARS", "000000000000"), county)


def test_alert_update_cancel_are_one_notice(network: Network, warnings_key: Identity) -> None:
    first = _apply(network, warnings_key, "dwd_alert.xml", COUNTY)
    assert (first.action, first.priority) == ("published", "emergency")
    notice = get_notice(network.store.conn, first.notice_id)
    assert notice is not None
    assert notice.category == "warnung"
    assert notice.title["en"].startswith("Official SEVERE WEATHER")
    assert "Fenster" in notice.body["de"]
    assert notice.target_groups == [GROUP]
    official = official_of(network.store.conn, first.notice_id)
    assert official is not None
    assert official.source == "DWD"
    assert official.onset is not None
    assert official.sent < official.onset

    again = _apply(network, warnings_key, "dwd_alert.xml", COUNTY)
    assert again.action == "duplicate"
    update = _apply(network, warnings_key, "dwd_update.xml", COUNTY)
    assert (update.action, update.notice_id) == ("updated", first.notice_id)
    assert "140 km/h" in active_notices(network.store.conn)[0].body["de"]
    assert _apply(network, warnings_key, "dwd_update.xml", COUNTY).action == "duplicate"

    cancel = _apply(network, warnings_key, "dwd_cancel.xml", COUNTY)
    assert (cancel.action, cancel.notice_id) == ("retracted", first.notice_id)
    assert active_notices(network.store.conn) == []
    # Seen again in the next poll, or after a restart: nothing comes back, nothing is added.
    ops = len(all_ops(network.log))
    for name in ("dwd_alert.xml", "dwd_update.xml", "dwd_cancel.xml"):
        assert _apply(network, warnings_key, name, COUNTY).action == "duplicate"
    assert len(all_ops(network.log)) == ops
    assert active_notices(network.store.conn) == []


def test_what_never_reaches_a_board(network: Network, warnings_key: Identity) -> None:
    ops = len(all_ops(network.log))
    assert _apply(network, warnings_key, "expired.xml", COUNTY).action == "expired"
    assert _apply(network, warnings_key, "exercise.xml", COUNTY).action == "ignored"
    assert _apply(network, warnings_key, "dwd_cancel.xml", COUNTY).action == "ignored"
    # An area no hub covers: counted as unmatched, never published to all.
    elsewhere = WarningsConfig(areas=(AreaRule("ARS:091620000000", groups=(GROUP,)),))
    assert _apply(network, warnings_key, "dwd_alert.xml", elsewhere).action == "unmatched"
    assert _apply(network, warnings_key, "dwd_alert.xml", WarningsConfig()).action == "unmatched"
    assert len(all_ops(network.log)) == ops


def test_a_network_for_drills_shows_exercises_marked(
    network: Network, warnings_key: Identity
) -> None:
    drills = WarningsConfig(areas=COUNTY.areas, drills=True)
    outcome = _apply(network, warnings_key, "exercise.xml", drills)
    assert outcome.action == "published"
    official = official_of(network.store.conn, outcome.notice_id)
    assert official is not None
    assert official.drill


def test_polygons_and_circles_reach_the_hubs_inside(
    network: Network, warnings_key: Identity
) -> None:
    inside = HubPlace(network.hub.key_id, "Ringelai", (GROUP,), (48.78, 13.43))
    in_circle = HubPlace("b" * 64, "Thurmansbang", (), (48.61, 13.71))
    outside = HubPlace("c" * 64, "Passau", (), (48.57, 13.46))
    outcome = _apply(network, warnings_key, "polygon_alert.xml", WarningsConfig(), [inside])
    assert (outcome.action, outcome.priority) == ("published", "normal")
    notice = get_notice(network.store.conn, outcome.notice_id)
    assert notice is not None
    assert notice.target_hubs == [network.hub.key_id]
    assert notice.target_groups == []
    again = _apply(network, warnings_key, "polygon_alert.xml", WarningsConfig(), [inside])
    assert again.action == "duplicate"
    areas = read_cap(alert("polygon_alert.xml")).infos[0].areas
    assert targets_of(areas, (), [in_circle, outside]) == (["b" * 64], [])


def test_hub_positions_come_from_their_status(network: Network) -> None:
    status = msgspec.json.encode({"name": "Ringelai", "position": [48.78, 13.43]})
    network.log.append(network.hub, "hub.status", network.hub.key_id, status)
    assert hub_places(network.store.conn) == [
        HubPlace(network.hub.key_id, "Ringelai", (GROUP,), (48.78, 13.43))
    ]


def test_mowas_for_the_county_is_important_for_its_group(
    network: Network, warnings_key: Identity
) -> None:
    outcome = _apply(network, warnings_key, "mowas_alert.xml", COUNTY)
    assert (outcome.action, outcome.priority) == ("published", "important")
    official = official_of(network.store.conn, outcome.notice_id)
    assert official is not None
    assert official.source == "MoWaS"
    shown = active_notices(network.store.conn, hub=network.hub.key_id)
    assert [n.id for n in shown] == [outcome.notice_id]


# ---- the role, attacked ------------------------------------------------------------------------


def _warning(**fields: object) -> NoticeBody:
    body = notice_body(
        "Warnung",
        "Text",
        category="warnung",
        priority="emergency",
        valid_from=wall_clock_ms(),
        groups=[GROUP],
    )
    official = {"source": "DWD", "sent": wall_clock_ms(), "identifiers": ["x"]}
    merged = msgspec.structs.asdict(body) | {"official": official} | fields
    return msgspec.convert(merged, NoticeBody, from_attributes=True)


@pytest.mark.parametrize(
    ("entity", "changes", "reason"),
    [
        ("n-warn-1", {"category": "allgemein"}, "only category warnung"),
        ("n-warn-1", {"official": None}, "official source"),
        ("n-warn-1", {"targets": {"hubs": [], "groups": []}}, "never all"),
        ("n-1234", {}, "begins n-warn-"),
    ],
)
def test_a_warnings_key_authors_nothing_but_warnings(
    network: Network, warnings_key: Identity, entity: str, changes: dict[str, object], reason: str
) -> None:
    body = encode_body(_warning(**changes))
    with pytest.raises(AppendRefused, match=reason):
        network.log.append(warnings_key, "notice.put", entity, body)
    for kind in ("key.grant", "blob.put", "hub.status", "help.update"):
        with pytest.raises(AppendRefused):
            network.log.append(warnings_key, kind, warnings_key.key_id, b"{}")


def test_a_warnings_key_cannot_touch_other_notices_and_admins_retract_warnings(
    network: Network, warnings_key: Identity
) -> None:
    from content.notices import publish

    admin_notice = publish(
        network.log, network.admin, notice_body("Markt", "Samstag", valid_from=wall_clock_ms())
    )
    with pytest.raises(AppendRefused, match="begins n-warn-"):
        retract(network.log, warnings_key, admin_notice)
    outcome = _apply(network, warnings_key, "dwd_alert.xml", COUNTY)
    retract(network.log, network.admin, outcome.notice_id, "Fehlalarm")
    assert [n.id for n in active_notices(network.store.conn)] == [admin_notice]
    # Another node refuses a hand-signed op past the CLI the same way: the rule is every node's.
    other = network.fresh_log("hub")
    assert not sync(network.log, other).rejected
    forged = sign_op(
        warnings_key,
        network.network_id,
        **next_position(other, warnings_key),
        kind="notice.put",
        entity=admin_notice,
        body=encode_body(_warning()),
        time_ms=wall_clock_ms(),
    )
    report = other.ingest([forged])
    assert report.rejected
    assert "n-warn-" in report.rejected[0][1]
    assert [n.id for n in active_notices(other.store.conn)] == [admin_notice]


def test_an_admins_official_claim_is_not_marked(network: Network) -> None:
    body = encode_body(_warning())
    network.log.append(network.admin, "notice.put", "n-warn-forged", body)
    assert get_notice(network.store.conn, "n-warn-forged") is not None
    assert official_of(network.store.conn, "n-warn-forged") is None


def test_ordinary_notices_keep_their_bytes() -> None:
    body = notice_body("Markt", "Samstag", valid_from=1)
    assert b"official" not in encode_body(body)
    assert encode_body(body) == msgspec.json.encode(msgspec.structs.asdict(body) | {}).replace(
        b',"official":null', b""
    )
