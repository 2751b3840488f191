"""Superseded bodies can be pruned: headers still verify, views rebuild the same, and peers
are served a consistent prefix."""

from __future__ import annotations

from pathlib import Path

from content.bodies import GrantBody, encode_body
from content.clock import wall_clock_ms
from content.identity import Identity, network_id_for
from content.log import Log
from content.log_audit import verify_store
from content.notices import get_notice, notice_body, publish, update
from content.store import Store


def test_pruned_bodies_keep_the_log_verifiable(tmp_path: Path) -> None:
    root, admin = Identity.generate("root"), Identity.generate("admin")
    store = Store(tmp_path / "town.db")
    store.set_network(network_id_for(root.key_id))
    log = Log(store)
    grant = GrantBody(key=admin.key_id, seal=admin.public.seal_key, role="admin", name="A")
    log.append(root, "key.grant", admin.key_id, encode_body(grant))
    notice = publish(log, admin, notice_body("Erste Fassung", "Text", valid_from=wall_clock_ms()))
    update(log, admin, notice, title={"de": "Zweite Fassung"})
    update(log, admin, notice, title={"de": "Dritte Fassung"})
    published_at = get_notice(store.conn, notice).published_at  # type: ignore[union-attr]

    assert log.prune_superseded() == 0  # superseded only just now: kept for a while
    assert log.prune_superseded(older_than_ms=0) == 2
    assert log.prune_superseded(older_than_ms=0) == 0
    assert store.conn.execute("SELECT count(*) FROM ops WHERE body IS NULL").fetchone()[0] == 2
    report = verify_store(store)
    assert report.ok, report.problems
    shown = get_notice(store.conn, notice)
    assert shown is not None
    assert shown.title["de"] == "Dritte Fassung"
    assert shown.published_at == published_at

    # A pruning node serves the admin's ops only up to the first pruned one (here: none of
    # them): the peer gets a consistent prefix and the rest from a node that kept the bodies.
    peer = Store(tmp_path / "hub.db")
    peer.set_network(store.network_id or "")
    result = Log(peer).ingest(log.ops_missing_from({}))
    assert not result.rejected
    assert admin.key_id not in Log(peer).version_vector()
    assert Log(peer).version_vector()[root.key_id] == 1
    assert get_notice(peer.conn, notice) is None
    assert verify_store(peer).ok
