"""Ops without their body (pruned as superseded) must not make nodes with equal digests show
different noticeboards (ARCHITECTURE.md section 2, rules 2 and 5)."""

from __future__ import annotations

from dataclasses import replace

from content import grants, notices
from content.identity import Identity
from content.notices import active_notices, get_notice
from tests.content.conftest import Network
from tests.content.helpers import all_ops, notice, snapshot, sync


def test_a_revoke_after_pruning_brings_back_the_earlier_version(network: Network) -> None:
    rogue = Identity.generate("Zweite Verwaltung")
    grants.grant(network.log, network.root, rogue.public, "admin", rogue.name)
    notice_id = notices.publish(network.log, network.admin, notice("Erste Fassung"))
    office = network.fresh_log("office")
    sync(network.log, office)
    # The town revokes the second admin before it ever saw one of its ops ...
    grants.revoke(network.log, network.root, rogue.key_id, "Schlüssel gestohlen")
    # ... which meanwhile overwrites the notice in its office.
    notices.update(office, rogue, notice_id, title={"de": "Gefälschte Fassung"})

    hub = network.fresh_log("hub")
    sync(office, hub)
    assert hub.prune_superseded(older_than_ms=0) == 1  # the first version lost, for now
    sync(network.log, hub)  # the revoke arrives and purges the rogue edit ...
    # ... which brings back the version whose body the hub pruned: the hub gives that op up,
    # and the next round fetches it again from the town, which kept it.
    sync(network.log, hub)
    sync(network.log, office)

    assert hub.digest() == office.digest()
    assert [n.id for n in active_notices(office.store.conn)] == [notice_id]
    shown = get_notice(hub.store.conn, notice_id)
    assert shown is not None
    assert shown.title["de"] == "Erste Fassung"
    assert snapshot(hub.store) == snapshot(office.store)


def test_a_body_stripped_copy_does_not_hide_a_notice_for_good(network: Network) -> None:
    notice_id = notices.publish(network.log, network.admin, notice("Wasser abkochen"))
    *earlier, put = all_ops(network.log)
    hub = network.fresh_log("hub")
    stripped = hub.ingest([*earlier, replace(put, body=None)])  # a relay stripped the body
    assert [op for op, _ in stripped.rejected] == [put.op_id]
    hub.ingest([put])  # the complete op arrives from another peer
    assert hub.digest() == network.log.digest()
    assert [n.id for n in active_notices(hub.store.conn)] == [notice_id]
