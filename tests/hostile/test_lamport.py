"""A granted hub sets its op's Lamport clock to 2^53, the header's ceiling (issue 13, finding 4).

Applied, that op would make every later local append on every node exceed the ceiling: no
notice, no revoke, the whole network unable to write. Pushed to a real `dorfhub serve` or carried
on a USB stick to `dorfhub bundle import`, it is held instead; the admin then publishes and
revokes the culprit through the real CLI, and `dorfhub log verify` passes."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

from content import grants
from content.identity import Identity
from content.log import Log
from content.ops import MAX_HEADER_INT, RawOp
from node.home import Home
from sync.bundle import MAGIC
from sync.protocol import encode_batch
from tests.content.helpers import sign_op, status_bytes
from tests.node.cli import run_dorfhub
from tests.sync.conftest import running
from tests.sync.helpers import PUSH, Member, now_ms, send, signed_headers


def grant_rogue(town: Path) -> tuple[Identity, str]:
    """A hub the admin granted, so it may write its own hub.status; returns it and the network."""
    rogue = Identity.generate("Schönberg")
    home = Home(town)
    with home.store() as store:
        log = Log(store)
        grants.grant(log, home.publisher(), rogue.public, "hub", rogue.name)
        return rogue, log.network_id


def status_at_the_ceiling(rogue: Identity, network_id: str) -> RawOp:
    return sign_op(
        rogue,
        network_id,
        seq=1,
        prev="",
        lamport=MAX_HEADER_INT,
        kind="hub.status",
        entity=rogue.key_id,
        body=status_bytes(rogue.name),
        time_ms=now_ms(),
    )


def highest_clock(town: Path) -> int:
    with sqlite3.connect(f"file:{town / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT max(lamport) FROM ops").fetchone()[0])


def admin_publishes_and_revokes(town: Path) -> None:
    """The admin's everyday writes, each a new op at the town's clock plus one."""
    run_dorfhub("notice", "publish", "--title", "Wasserrohrbruch", "--body", "…", home=town)
    run_dorfhub("key", "revoke", "Schönberg", "--reason", "Uhr manipuliert", home=town)
    keys = run_dorfhub("key", "list", home=town).stdout.splitlines()
    assert [line for line in keys if "Schönberg" in line and "REVOKED" in line]


def test_a_push_at_the_ceiling_is_held_and_the_admin_still_publishes_and_revokes(
    town: Path, tmp_path: Path
) -> None:
    rogue, network_id = grant_rogue(town)
    member = Identity.generate("Ringelai")
    with Home(town).store() as store:
        grants.grant(Log(store), Home(town).publisher(), member.public, "hub", member.name)
    hostile = status_at_the_ceiling(rogue, network_id)
    with running(town) as server:
        body = encode_batch([hostile])
        answer = send(server.url, PUSH, body, signed_headers(rogue, network_id, PUSH, body))
        assert answer.status_code == 200, answer.text
        assert answer.json()["applied"] == 0
        assert answer.json()["held"] == 1
        assert highest_clock(town) < 100

        admin_publishes_and_revokes(town)

        # A hub syncing afterwards gets the notice and the revoke, and writes on.
        hub = Member.open(tmp_path / "ringelai.db", member, network_id, server.url)
        try:
            assert not hub.sync().rejected
            assert hub.log.get(hostile.op_id) is None
            hub.append_status()
            assert hub.sync().pushed
        finally:
            hub.close()
    assert highest_clock(town) < 100
    run_dorfhub("log", "verify", home=town)


def write_bundle(path: Path, network_id: str, ops: list[RawOp]) -> None:
    """A USB bundle as `dorfhub bundle export` writes it: DHB1, its header, one batch."""
    meta = f'{{"net": "{network_id}", "count": {len(ops)}, "for": false}}'.encode()
    batch = encode_batch(ops)
    length = struct.Struct(">I")
    path.write_bytes(MAGIC + length.pack(len(meta)) + meta + length.pack(len(batch)) + batch)


def test_a_bundle_carrying_the_ceiling_does_not_poison_the_importer(
    town: Path, tmp_path: Path
) -> None:
    rogue, network_id = grant_rogue(town)
    stick = tmp_path / "stick.dhb"
    write_bundle(stick, network_id, [status_at_the_ceiling(rogue, network_id)])

    imported = run_dorfhub("bundle", "import", stick, home=town)
    assert imported.stdout.startswith("0 applied, 0 duplicate, 1 held, 0 rejected")
    assert highest_clock(town) < 100
    admin_publishes_and_revokes(town)
    run_dorfhub("log", "verify", home=town)
