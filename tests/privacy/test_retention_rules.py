"""The retention rules (content/retention.py): when each body falls due, and the county's
signed settings, which may shorten a period and never lengthen it."""

from __future__ import annotations

import pytest

from content import grants
from content.bodies import encode_body
from content.identity import Identity, network_id_for
from content.log import AppendRefused
from content.retention import (
    DAY_MS,
    DEFAULT_DAYS,
    RETENTIONS,
    SETTINGS_KIND,
    NetworkSettingsBody,
    booking_due,
    effective_days,
    help_due,
    markdown_table,
    may_be_erased,
    network_days,
)
from node.retention_loop import SlipName, parse_slip_name, slip_due
from tests.content.conftest import Network, Stores
from tests.content.helpers import GROUP

T0 = 1_800_000_000_000
DAYS = dict(DEFAULT_DAYS)


def test_a_booking_is_kept_30_days_after_the_appointment_or_7_after_it_ended() -> None:
    appointment = T0 + 20 * DAY_MS
    assert booking_due(T0, appointment, None, DAYS) == appointment + 30 * DAY_MS
    cancelled = T0 + DAY_MS
    assert booking_due(T0, appointment, cancelled, DAYS) == cancelled + 7 * DAY_MS
    # Cancelled after the appointment: the earlier end counts.
    late = appointment + 29 * DAY_MS
    assert booking_due(T0, appointment, late, DAYS) == appointment + 30 * DAY_MS
    # A slot this node does not know: counted from the request, never kept for ever.
    assert booking_due(T0, None, None, DAYS) == T0 + 30 * DAY_MS


def test_a_help_request_is_kept_14_days_after_done_and_30_at_most() -> None:
    assert help_due(T0, None, DAYS) == T0 + 30 * DAY_MS
    assert help_due(T0, T0 + DAY_MS, DAYS) == T0 + 15 * DAY_MS
    assert help_due(T0, T0 + 25 * DAY_MS, DAYS) == T0 + 30 * DAY_MS


def test_a_missing_body_is_accepted_only_once_it_may_have_been_erased() -> None:
    shortest = {"booking.request": 7, "help.request": 14}
    for kind, days in shortest.items():
        assert not may_be_erased(kind, T0, T0 + days * DAY_MS - 1, DAYS)
        assert may_be_erased(kind, T0, T0 + days * DAY_MS, DAYS)
    assert not may_be_erased("notice.put", T0, T0 + 1000 * DAY_MS, DAYS)
    shorter = effective_days({"booking_after_cancel": 2})
    assert may_be_erased("booking.request", T0, T0 + 2 * DAY_MS, shorter)


def test_settings_never_lengthen_a_period() -> None:
    assert effective_days({}) == DEFAULT_DAYS
    assert effective_days({"help_after_done": 3})["help_after_done"] == 3
    # Read from a log whose settings escaped the ingest check: still the default at most.
    assert effective_days({"help_after_done": 365, "booking_after_cancel": 0}) == {
        **DEFAULT_DAYS,
        "booking_after_cancel": 1,
    }


def test_the_registry_gives_each_period_its_row() -> None:
    table = markdown_table()
    for retention in RETENTIONS:
        assert f"`{retention.name}`" in table
        assert f"{retention.days} days" in table
    assert len({r.name for r in RETENTIONS}) == len(RETENTIONS)


@pytest.fixture
def network(stores: Stores) -> Network:
    """Root, an admin allowed to grant, and a hub (as tests/content/conftest.py makes them)."""
    root, admin = Identity.generate("Landkreis"), Identity.generate("Verwaltung")
    hub = Identity.generate("Ringelai")
    network_id = network_id_for(root.key_id)
    log = stores.log("town", network_id)
    grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
    grants.grant(log, admin, hub.public, "hub", hub.name, groups=[GROUP])
    return Network(root, admin, hub, network_id, log, stores)


def _settings(network: Network, author: Identity, **days: int) -> str:
    body = encode_body(NetworkSettingsBody(retention_days=days))
    return network.log.append(author, SETTINGS_KIND, network.network_id, body)


def test_the_root_shortens_periods_in_a_signed_op(network: Network) -> None:
    assert network_days(network.store.conn) == DEFAULT_DAYS
    _settings(network, network.root, booking_after_cancel=3, help_after_done=5)
    assert network_days(network.store.conn) == {
        **DEFAULT_DAYS,
        "booking_after_cancel": 3,
        "help_after_done": 5,
    }
    # Last writer wins: the whole record is replaced.
    _settings(network, network.root, help_after_request=10)
    assert network_days(network.store.conn) == {**DEFAULT_DAYS, "help_after_request": 10}
    # Another node applies the same op the same way.
    other = network.fresh_log("hub")
    report = other.ingest(list(network.log.ops_missing_from({})))
    assert not report.rejected
    assert network_days(other.store.conn) == network_days(network.store.conn)


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        ({"booking_after_appointment": 31}, "shortened only"),
        ({"help_after_done": 0}, "Expected `int` >= 1"),
        ({"keep_for_ever": 5}, "unknown retention period"),
    ],
)
def test_longer_or_unknown_periods_are_refused(
    network: Network, days: dict[str, int], reason: str
) -> None:
    before = network.log.digest()
    with pytest.raises(AppendRefused, match=reason):
        _settings(network, network.root, **days)
    assert network.log.digest() == before
    assert network_days(network.store.conn) == DEFAULT_DAYS


def test_only_the_root_sets_them(network: Network) -> None:
    # The admin may grant, the hub is a member: neither decides for the county.
    for author in (network.admin, network.hub):
        with pytest.raises(AppendRefused, match="another role"):
            _settings(network, author, booking_after_cancel=3)
    body = encode_body(NetworkSettingsBody(retention_days={"help_after_done": 3}))
    with pytest.raises(AppendRefused, match="entity is the network id"):
        network.log.append(network.root, SETTINGS_KIND, "somewhere-else", body)
    assert network_days(network.store.conn) == DEFAULT_DAYS


def test_slip_names_give_their_appointment() -> None:
    name = parse_slip_name("termin-20261202-0930-KM4T-7QXA.pdf")
    assert name is not None
    assert name.reference == "KM4T-7QXA"
    assert parse_slip_name("termin-20261202-0930-ab3defgh-2.pdf") is not None
    for other in ("notes.pdf", "termin-20261302-0930-KM4T-7QXA.pdf", "termin-x.pdf"):
        assert parse_slip_name(other) is None
    slip = SlipName(T0, "KM4T-7QXA")
    assert slip_due(slip, True, T0, 30)
    assert not slip_due(slip, False, T0 + 100 * DAY_MS, 30)
    # A booking unknown here: 30 days after the appointment.
    assert not slip_due(slip, None, T0 + 30 * DAY_MS - 1, 30)
    assert slip_due(slip, None, T0 + 30 * DAY_MS, 30)
