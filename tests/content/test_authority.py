"""Who may author what: roles, unknown and revoked authors, forks, grant rights and the network
id (ARCHITECTURE.md section 2, rule 4 and "Identities and roles")."""

from __future__ import annotations

import json

import pytest

from content import grants
from content.bodies import GrantBody, RevokeBody, encode_body
from content.identity import Identity, network_id_for
from content.log import AppendRefused, Log
from content.log_audit import verify_store
from content.ops import RawOp
from content.store import StoreError
from tests.content.conftest import Network
from tests.content.helpers import (
    DAY,
    all_ops,
    next_position,
    notice_bytes,
    sign_op,
    snapshot,
    status_bytes,
    sync,
)


def _parked(log: Log) -> int:
    return int(log.store.conn.execute("SELECT count(*) FROM parked_ops").fetchone()[0])


def _status(log: Log, hub: Identity, text: str) -> RawOp:
    op = log.get(log.append(hub, "hub.status", hub.key_id, status_bytes(hub.name, text=text)))
    assert op is not None
    return op


def _node_status(log: Log, node: str) -> str | None:
    row = log.store.conn.execute("SELECT body FROM node_status WHERE node = ?", (node,))
    found = row.fetchone()
    return None if found is None else json.loads(found[0])["text"]


# ---- roles -----------------------------------------------------------------------------------


def test_a_hub_authoring_a_notice_is_rejected_and_v_stays(network: Network) -> None:
    fresh = network.fresh_log("fresh")
    fresh.ingest(all_ops(network.log))
    vector = fresh.version_vector()
    forged = sign_op(
        network.hub,
        network.network_id,
        **next_position(network.log, network.hub),
        kind="notice.put",
        entity="n-vom-hub",
        body=notice_bytes(),
    )
    report = fresh.ingest([forged])
    assert report.applied == []
    assert [op_id for op_id, _ in report.rejected] == [forged.op_id]
    assert "notice.put needs another role than hub" in report.rejected[0][1]
    assert fresh.version_vector() == vector
    assert fresh.store.conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 0


def test_a_refused_local_append_stores_nothing(network: Network) -> None:
    count, vector = network.log.count(), network.log.version_vector()
    with pytest.raises(AppendRefused, match="needs another role"):
        network.log.append(network.hub, "notice.put", "n-vom-hub", notice_bytes())
    assert network.log.count() == count
    assert network.log.version_vector() == vector
    assert _parked(network.log) == 0


def test_the_root_key_only_grants_and_revokes(network: Network) -> None:
    with pytest.raises(AppendRefused, match=r"root does not author notice\.put"):
        network.log.append(network.root, "notice.put", "n-wurzel", notice_bytes())


def test_an_op_outside_the_grant_validity_is_rejected(network: Network) -> None:
    temp = Identity.generate("Aushilfe")
    now = network.store.conn.execute("SELECT max(time) FROM ops").fetchone()[0]
    grants.grant(network.log, network.admin, temp.public, "hub", temp.name, valid_until=now + DAY)
    network.log.append(temp, "hub.status", temp.key_id, status_bytes(temp.name), time_ms=now)
    with pytest.raises(AppendRefused, match="outside the validity"):
        network.log.append(
            temp, "hub.status", temp.key_id, status_bytes(temp.name), time_ms=now + 2 * DAY
        )


def test_a_hub_cannot_report_status_for_another_node(network: Network) -> None:
    other = Identity.generate("Perlesreut")
    grants.grant(network.log, network.admin, other.public, "hub", other.name)
    _status(network.log, other, "alles gut")
    with pytest.raises(AppendRefused):
        network.log.append(
            network.hub, "hub.status", other.key_id, status_bytes(other.name, text="gefälscht")
        )
    assert _node_status(network.log, other.key_id) == "alles gut"


# ---- unknown authors -------------------------------------------------------------------------


def test_an_unknown_author_is_held_until_its_grant_arrives(network: Network) -> None:
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    newcomer = Identity.generate("Perlesreut")
    grant_id = grants.grant(network.log, network.admin, newcomer.public, "hub", newcomer.name)
    status = _status(network.log, newcomer, "erster Start")
    vector = fresh.version_vector()

    early = fresh.ingest([status])
    assert early.applied == []
    assert [op_id for op_id, _ in early.held] == [status.op_id]
    assert "unknown author" in early.held[0][1]
    assert fresh.version_vector() == vector
    assert _node_status(fresh, newcomer.key_id) is None

    grant_op = network.log.get(grant_id)
    assert grant_op is not None
    late = fresh.ingest([grant_op])
    assert late.applied == [grant_id, status.op_id]
    assert fresh.version_vector()[newcomer.key_id] == 1
    assert _node_status(fresh, newcomer.key_id) == "erster Start"
    assert snapshot(fresh.store) == snapshot(network.store)


# ---- revoked authors -------------------------------------------------------------------------


def test_a_revoke_voids_later_ops_in_either_arrival_order(network: Network) -> None:
    """The office revokes the hub after its first status; the hub, not knowing, writes two more.
    A node that gets the revoke first rejects them; one that got them first purges them."""
    first = _status(network.log, network.hub, "eins")
    office = network.fresh_log("office")
    sync(network.log, office)
    revoke_op = office.get(grants.revoke(office, network.admin, network.hub.key_id, "gestohlen"))
    assert revoke_op is not None
    late = [_status(network.log, network.hub, text) for text in ("zwei", "drei")]
    before_late = [op for op in all_ops(network.log) if op not in late]

    revoke_first = network.fresh_log("revoke-first")
    revoke_first.ingest([*before_late, revoke_op])
    rejected = revoke_first.ingest(late)
    assert rejected.applied == []
    assert rejected.rejected[0][0] == late[0].op_id
    assert "revoked after its op 1" in rejected.rejected[0][1]
    # The op after the rejected one waits behind it: neither ever advances V.
    assert [op_id for op_id, _ in rejected.held] == [late[1].op_id]

    revoke_last = network.fresh_log("revoke-last")
    assert revoke_last.ingest([*before_late, *late]).applied[-2:] == [op.op_id for op in late]
    version = revoke_last.store.log_version()
    purging = revoke_last.ingest([revoke_op])
    assert purging.applied == [revoke_op.op_id]
    assert purging.purged == [op.op_id for op in late]
    # Ops taken out move the log version too: the views they fed have changed.
    assert revoke_last.store.log_version() == version + 1 + len(late)

    for log in (revoke_first, revoke_last):
        assert log.version_vector()[network.hub.key_id] == 1
        assert _node_status(log, network.hub.key_id) == "eins"
        assert verify_store(log.store).ok
    assert revoke_first.digest() == revoke_last.digest()
    assert snapshot(revoke_first.store) == snapshot(revoke_last.store)
    assert first.op_id in snapshot(revoke_last.store)["ops"]
    with pytest.raises(AppendRefused, match="revoked"):
        revoke_last.append(network.hub, "hub.status", network.hub.key_id, status_bytes("vier"))


def test_of_two_revokes_the_earlier_cut_wins_in_either_order(network: Network) -> None:
    """Two admins revoke the same key after different ops: every node keeps the stricter one."""
    hub_ops = [_status(network.log, network.hub, text) for text in ("eins", "zwei", "drei")]
    base = all_ops(network.log)

    def revoke(by: Identity, after_seq: int) -> RawOp:
        body = RevokeBody(key=network.hub.key_id, after_seq=after_seq)
        return sign_op(
            by,
            network.network_id,
            **next_position(network.log, by),
            kind="key.revoke",
            entity=network.hub.key_id,
            body=encode_body(body),
        )

    strict, lenient = revoke(network.admin, 1), revoke(network.root, 2)
    states = []
    for name, order in (("strict-first", [strict, lenient]), ("lenient-first", [lenient, strict])):
        log = network.fresh_log(name)
        log.ingest(base)
        for op in order:
            log.ingest([op])
        assert log.version_vector()[network.hub.key_id] == 1
        assert _node_status(log, network.hub.key_id) == "eins"
        row = log.store.conn.execute(
            "SELECT revoked_after_seq, revoke_op FROM keys WHERE key = ?", (network.hub.key_id,)
        ).fetchone()
        assert row == (1, strict.op_id)
        states.append(snapshot(log.store))
    assert states[0] == states[1]
    assert hub_ops[0].op_id in states[0]["ops"]


# ---- forks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("conflict", ["same seq", "wrong prev"])
def test_a_forked_author_is_quarantined_and_its_later_ops_rejected(
    network: Network, conflict: str
) -> None:
    kept = _status(network.log, network.hub, "eins")
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    vector = fresh.version_vector()
    # Either a second op for seq 1, or a seq 2 that does not follow the op the hub signed.
    seq, prev = (1, "") if conflict == "same seq" else (2, "0" * 64)
    fork = sign_op(
        network.hub,
        network.network_id,
        seq=seq,
        prev=prev,
        lamport=next_position(fresh, network.hub)["lamport"],
        kind="hub.status",
        entity=network.hub.key_id,
        body=status_bytes(network.hub.name, text="andere Geschichte"),
    )

    report = fresh.ingest([fork])
    assert report.applied == []
    assert report.forks == [network.hub.key_id]
    assert [op_id for op_id, _ in report.rejected] == [fork.op_id]
    assert "forked author" in report.rejected[0][1]
    assert fresh.version_vector() == vector
    quarantined = fresh.store.conn.execute("SELECT author, kept_op FROM quarantine").fetchall()
    assert quarantined == [(network.hub.key_id, kept.op_id)]
    assert _node_status(fresh, network.hub.key_id) == "eins"

    honest_next = _status(network.log, network.hub, "zwei")
    later = fresh.ingest([honest_next])
    assert later.applied == []
    assert [op_id for op_id, _ in later.rejected] == [honest_next.op_id]
    assert "quarantined" in later.rejected[0][1]
    assert fresh.version_vector() == vector
    with pytest.raises(AppendRefused, match="quarantined"):
        fresh.append(network.hub, "hub.status", network.hub.key_id, status_bytes("drei"))


# ---- grant rights ----------------------------------------------------------------------------


def test_an_admin_without_may_grant_cannot_grant_or_revoke(network: Network) -> None:
    clerk = Identity.generate("Sachbearbeitung")
    grants.grant(network.log, network.root, clerk.public, "admin", clerk.name)
    newcomer = Identity.generate("Perlesreut")
    count = network.log.count()
    with pytest.raises(AppendRefused, match="not allowed to grant"):
        grants.grant(network.log, clerk, newcomer.public, "hub", newcomer.name)
    with pytest.raises(AppendRefused, match="not allowed to grant"):
        grants.revoke(network.log, clerk, network.hub.key_id)
    assert network.log.count() == count

    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    body = GrantBody(key=newcomer.key_id, seal=newcomer.public.seal_key, role="hub", name="P")
    forged = sign_op(
        clerk,
        network.network_id,
        **next_position(fresh, clerk),
        kind="key.grant",
        entity=newcomer.key_id,
        body=encode_body(body),
    )
    report = fresh.ingest([forged])
    assert [op_id for op_id, _ in report.rejected] == [forged.op_id]
    assert newcomer.key_id not in fresh.version_vector()
    assert (
        fresh.store.conn.execute("SELECT 1 FROM keys WHERE key = ?", (newcomer.key_id,)).fetchone()
        is None
    )


def test_only_the_root_can_let_an_admin_grant(network: Network) -> None:
    """The granting admin passes on the admin role, but not the right to grant."""
    deputy = Identity.generate("Stellvertretung")
    grants.grant(network.log, network.admin, deputy.public, "admin", deputy.name, may_grant=True)
    network.log.append(deputy, "notice.put", "n-deputy", notice_bytes())  # the role works
    with pytest.raises(AppendRefused, match="not allowed to grant"):
        grants.grant(network.log, deputy, Identity.generate("X").public, "hub", "X")


@pytest.mark.parametrize(
    ("role", "may_grant", "reason"),
    [
        ("root", False, "unknown role 'root'"),
        ("mayor", False, "unknown role 'mayor'"),
        ("hub", True, "only admins can be allowed to grant"),
    ],
)
def test_a_grant_of_a_role_that_cannot_exist_is_refused(
    network: Network, role: str, may_grant: bool, reason: str
) -> None:
    grantee = Identity.generate("Jemand")
    with pytest.raises(AppendRefused, match=reason):
        grants.grant(network.log, network.root, grantee.public, role, "J", may_grant=may_grant)


def test_a_grant_must_name_the_granted_key_as_its_entity(network: Network) -> None:
    grantee = Identity.generate("Jemand")
    body = GrantBody(key=grantee.key_id, seal=grantee.public.seal_key, role="hub", name="J")
    with pytest.raises(AppendRefused, match="entity id must be the granted key"):
        network.log.append(network.admin, "key.grant", network.hub.key_id, encode_body(body))


# ---- networks --------------------------------------------------------------------------------


def test_an_op_of_another_network_is_rejected(network: Network) -> None:
    other_network = network_id_for(Identity.generate("andere Wurzel").key_id)
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    vector = fresh.version_vector()
    foreign = sign_op(
        network.admin,
        other_network,
        **next_position(fresh, network.admin),
        kind="notice.put",
        entity="n-fremd",
        body=notice_bytes(),
    )
    report = fresh.ingest([foreign])
    assert [op_id for op_id, _ in report.rejected] == [foreign.op_id]
    assert f"network {other_network}" in report.rejected[0][1]
    assert fresh.version_vector() == vector


def test_a_store_never_changes_its_network(network: Network) -> None:
    other_network = network_id_for(Identity.generate("andere Wurzel").key_id)
    with pytest.raises(StoreError, match="belongs to network"):
        network.store.set_network(other_network)
    assert network.store.network_id == network.network_id
