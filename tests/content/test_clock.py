"""Trusted time: a hub's "now" is never earlier than the newest time signed by an admin, the
root or the town server (ARCHITECTURE.md section 5)."""

from __future__ import annotations

import pytest

from content import grants
from content.bodies import encode_body
from content.clock import newest_signed_time, trusted_now, wall_clock_ms
from content.identity import Identity
from content.log import Log
from content.notices import active_notices, notice_body
from tests.content.conftest import Network
from tests.content.helpers import DAY, HOUR, status_bytes, sync


def _publish_at(
    network: Network,
    notice_id: str,
    signed_ms: int,
    valid_from: int,
    valid_until: int | None = None,
) -> None:
    """An admin whose clock says `signed_ms` publishes a notice with this display window."""
    body = notice_body(
        f"Aushang {notice_id}", "Text", valid_from=valid_from, valid_until=valid_until
    )
    network.log.append(network.admin, "notice.put", notice_id, encode_body(body), time_ms=signed_ms)


def _shown(log: Log, hub: str | None = None, at_ms: int | None = None) -> list[str]:
    return sorted(n.id for n in active_notices(log.store.conn, hub=hub, at_ms=at_ms))


def _any_notice() -> bytes:
    return encode_body(notice_body("Aushang", "Text", valid_from=0))


def test_a_hub_whose_clock_is_days_behind_still_hides_expired_notices(network: Network) -> None:
    """The hub's own (real) clock is 10 days behind what the admin signed after a power cut."""
    real_now = wall_clock_ms()
    signed = real_now + 10 * DAY
    _publish_at(network, "n-expired", signed, real_now - DAY, real_now + 5 * DAY)
    _publish_at(network, "n-current", signed, real_now - DAY, real_now + 20 * DAY)
    _publish_at(network, "n-upcoming", signed, real_now + 7 * DAY)
    hub = network.fresh_log("hub")
    sync(network.log, hub)

    # By its own clock the hub would show the expired notice and hide the upcoming one ...
    assert _shown(hub, at_ms=real_now) == ["n-current", "n-expired"]
    # ... but it goes by signed time.
    assert _shown(hub) == ["n-current", "n-upcoming"]
    assert _shown(hub, hub=network.hub.key_id) == ["n-current", "n-upcoming"]

    trusted = trusted_now(hub.store.conn, real_now)
    assert trusted.signed_ms == signed
    assert trusted.now_ms == signed
    assert trusted.skew_ms == 10 * DAY
    assert trusted.clock_suspect


def test_only_admins_root_and_server_set_the_signed_time(network: Network) -> None:
    signed = newest_signed_time(network.store.conn)
    assert signed is not None
    far_future = signed + 100 * DAY
    network.log.append(
        network.hub, "hub.status", network.hub.key_id, status_bytes("Ringelai"), time_ms=far_future
    )
    assert newest_signed_time(network.store.conn) == signed
    network.log.append(network.admin, "notice.put", "n-1", _any_notice(), time_ms=signed + HOUR)
    assert newest_signed_time(network.store.conn) == signed + HOUR
    server = Identity.generate("Stadtserver")
    grants.grant(network.log, network.root, server.public, "server", server.name)
    server_status = status_bytes(server.name)
    network.log.append(
        server, "server.status", server.key_id, server_status, time_ms=signed + 2 * HOUR
    )
    assert newest_signed_time(network.store.conn) == signed + 2 * HOUR


def test_without_signed_time_the_wall_clock_rules(network: Network) -> None:
    empty = network.fresh_log("empty")
    trusted = trusted_now(empty.store.conn, 1_000)
    assert trusted.signed_ms is None
    assert trusted.now_ms == 1_000
    assert not trusted.clock_suspect


@pytest.mark.parametrize(
    ("behind_ms", "suspect"),
    [(0, False), (30 * 60_000, False), (HOUR + 1, True), (2 * HOUR, True), (10 * DAY, True)],
)
def test_a_clock_more_than_an_hour_behind_signed_time_is_suspect(
    network: Network, behind_ms: int, suspect: bool
) -> None:
    signed = newest_signed_time(network.store.conn)
    assert signed is not None
    trusted = trusted_now(network.store.conn, signed - behind_ms)
    assert trusted.clock_suspect is suspect
    assert trusted.now_ms == signed


def test_a_correct_clock_is_not_suspect_because_the_last_admin_op_is_old(
    network: Network,
) -> None:
    signed = newest_signed_time(network.store.conn)
    assert signed is not None
    two_days_later = signed + 2 * DAY  # nobody published anything for two days
    trusted = trusted_now(network.store.conn, two_days_later)
    assert trusted.now_ms == two_days_later
    assert not trusted.clock_suspect
