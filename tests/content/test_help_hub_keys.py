"""The hub's key to each help request, on real SQLite files: read while open and young, then
erased so that no byte of it is left in the database, its WAL or its shared memory."""

from __future__ import annotations

import sqlite3

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import content.store
from content import grants
from content.help import help_requests_for_hub, mark_help_done, request_help
from content.help_hub_keys import HUB_READ_MS, Erasure, erase_spent_keys, keep_key, request_keys
from content.identity import Identity
from content.sealing import SealError, open_sealed
from content.store import Store
from tests.content.conftest import Network

NAME = "Walburga Oberpfalzinger"
PHONE = "08555 731904"


@pytest.fixture
def guide(network: Network) -> Identity:
    identity = Identity.generate("Frau Kern")
    grants.grant(network.log, network.admin, identity.public, "guide", identity.name)
    return identity


def _raw_key(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _files(store: Store) -> bytes:
    """Every byte of the database and the files SQLite keeps beside it."""
    return b"".join(path.read_bytes() for path in sorted(store.path.parent.glob("town.db*")))


def _made(network: Network) -> tuple[str, bytes, int]:
    """A request made at the hub: its id, its key's bytes, the time it was made."""
    request_id = request_help(network.log, network.hub, NAME, PHONE)
    key, created_ms = request_keys(network.store.conn)[request_id]
    return request_id, _raw_key(key), created_ms


def _bodies(store: Store) -> list[bytes]:
    rows = store.conn.execute("SELECT body FROM ops WHERE kind = 'help.request'")
    return [body for (body,) in rows]


def _table_rows(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute("SELECT * FROM hub_help_keys").fetchall()


def test_the_hub_reads_its_request_while_open_and_for_at_most_seven_days(
    network: Network, guide: Identity
) -> None:
    request_id, _, created_ms = _made(network)
    conn = network.store.conn
    [young] = help_requests_for_hub(conn, network.hub, created_ms + HUB_READ_MS - 1)
    assert (young.name, young.phone, young.readable) == (NAME, PHONE, True)
    [old] = help_requests_for_hub(conn, network.hub, created_ms + HUB_READ_MS)
    assert (old.id, old.name, old.phone, old.state, old.readable) == (
        request_id,
        "",
        "",
        "open",
        False,
    )
    mark_help_done(network.log, guide, request_id)
    [done] = help_requests_for_hub(conn, network.hub, created_ms + 1)
    assert (done.name, done.phone, done.state, done.readable) == ("", "", "done", False)


def test_a_done_requests_key_is_erased_from_the_database_and_its_wal(
    network: Network, guide: Identity
) -> None:
    request_id, key_bytes, created_ms = _made(network)
    other_id, other_key, _ = _made(network)
    # Part of it in the database file, part only in the WAL, as on a hub that has run a while.
    network.store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    mark_help_done(network.log, guide, request_id)
    assert key_bytes in _files(network.store)  # the control: the key was on disk
    assert erase_spent_keys(network.store, created_ms + 1) == Erasure(erased=1, wal_truncated=True)

    on_disk = _files(network.store)
    assert key_bytes not in on_disk
    assert key_bytes.hex().encode() not in on_disk
    assert [row[0] for row in _table_rows(network.store)] == [other_id]
    assert other_key in on_disk  # the open request is still the hub's to read
    [other, done] = help_requests_for_hub(network.store.conn, network.hub, created_ms + 1)
    assert (other.id, other.name, done.id, done.readable) == (other_id, NAME, request_id, False)
    for body in _bodies(network.store):
        with pytest.raises(SealError):
            open_sealed(body, network.hub)
        assert NAME.encode() in open_sealed(body, guide)  # nothing lost for the guides
    assert erase_spent_keys(network.store, created_ms + 1) is None  # nothing left to do


def test_keys_are_erased_after_seven_days_even_if_nobody_marks_the_request_done(
    network: Network, guide: Identity
) -> None:
    _, key_bytes, created_ms = _made(network)
    assert erase_spent_keys(network.store, created_ms + HUB_READ_MS - 1) is None
    assert erase_spent_keys(network.store, created_ms + HUB_READ_MS) == Erasure(1, True)
    assert key_bytes not in _files(network.store)
    assert _table_rows(network.store) == []
    [request] = help_requests_for_hub(network.store.conn, network.hub, created_ms + 1)
    assert (request.state, request.readable) == ("open", False)


def test_erasing_overwrites_keys_spread_over_many_pages(network: Network) -> None:
    """Once the table spans pages, cells that move would leave their old bytes behind where
    SQLite does not zero what it frees; the store always has it do so (secure_delete)."""
    made = [_made(network) for _ in range(60)]
    network.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert network.store.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    last_made = max(created_ms for _, _, created_ms in made)
    assert erase_spent_keys(network.store, last_made + HUB_READ_MS) == Erasure(60, True)
    on_disk = _files(network.store)
    assert [request_id for request_id, key, _ in made if key in on_disk] == []


def test_a_reader_that_keeps_the_wal_only_delays_the_erasure(
    network: Network, guide: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(content.store, "TRUNCATE_WAIT_MS", 0)
    request_id, key_bytes, created_ms = _made(network)
    mark_help_done(network.log, guide, request_id)
    kiosk = sqlite3.connect(network.store.path)
    kiosk.execute("BEGIN")
    kiosk.execute("SELECT count(*) FROM ops").fetchone()  # a read snapshot on the old WAL

    assert erase_spent_keys(network.store, created_ms) == Erasure(1, wal_truncated=False)
    # Erased in the table: no reader gets the key any more, and the row says the WAL is due.
    assert request_keys(network.store.conn) == {}
    assert _table_rows(network.store) == [(request_id, None, created_ms)]

    kiosk.execute("ROLLBACK")
    kiosk.close()
    assert erase_spent_keys(network.store, created_ms) == Erasure(0, wal_truncated=True)
    assert _table_rows(network.store) == []
    assert key_bytes not in _files(network.store)


def test_a_key_whose_request_left_the_log_is_erased(network: Network) -> None:
    """A revoke that purges the request leaves its key useless: it goes too."""
    with network.store.write() as conn:
        keep_key(conn, "h-gone", X25519PrivateKey.generate(), created_ms=1)
    assert erase_spent_keys(network.store, 2) == Erasure(1, True)
    assert _table_rows(network.store) == []


def test_a_node_that_never_took_a_request_has_nothing_to_erase(network: Network) -> None:
    elsewhere = network.fresh_log("elsewhere")
    assert erase_spent_keys(elsewhere.store, 1) is None
    assert request_keys(elsewhere.store.conn) == {}
    assert _table_rows(elsewhere.store) == []  # made by a migration, on every node
