"""Sealed bodies: personal data only its recipients can read, and which never reaches the
database file in plain text (ARCHITECTURE.md section 2, "Sealed bodies")."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import notices
from content.identity import Identity
from content.log import AppendRefused
from content.sealing import MAGIC, SealError, open_sealed, recipients_of, seal
from tests.content.conftest import Network
from tests.content.helpers import all_ops, next_position, notice, sign_op, sync

SECRET = "Erika Mustermann"
MESSAGE = f"Bitte Rückruf: {SECRET}, Tel. 08555 1234".encode()
ENTRY = 32 + 48  # recipient key and its wrapped content key
ENTRIES_START = len(MAGIC) + 32 + 1  # magic, ephemeral key, count


@pytest.fixture
def recipients() -> list[Identity]:
    return [Identity.generate(name) for name in ("Stadtserver", "Lotsin", "Praxis")]


def _seal_keys(identities: list[Identity]) -> list[str]:
    return [identity.public.seal_key for identity in identities]


def _with_count(box: bytes, entries: bytes, count: int) -> bytes:
    """Rebuild a box around a changed recipient table, keeping nonce and ciphertext."""
    old_count = box[ENTRIES_START - 1]
    rest = box[ENTRIES_START + old_count * ENTRY :]
    return box[: ENTRIES_START - 1] + bytes([count]) + entries + rest


def _entries(box: bytes) -> list[bytes]:
    count = box[ENTRIES_START - 1]
    start = ENTRIES_START
    return [box[start + i * ENTRY : start + (i + 1) * ENTRY] for i in range(count)]


def test_every_recipient_opens_and_nobody_else(recipients: list[Identity]) -> None:
    box = seal(MESSAGE, _seal_keys(recipients))
    assert recipients_of(box) == sorted(_seal_keys(recipients))
    for recipient in recipients:
        assert open_sealed(box, recipient) == MESSAGE
    with pytest.raises(SealError, match="not a recipient"):
        open_sealed(box, Identity.generate("Neugier"))
    assert MESSAGE not in box
    assert SECRET.encode() not in box


def test_every_flipped_byte_of_a_box_fails_for_every_recipient(
    recipients: list[Identity],
) -> None:
    box = seal(MESSAGE, _seal_keys(recipients))
    for index in range(len(box)):
        tampered = box[:index] + bytes([box[index] ^ 0x01]) + box[index + 1 :]
        for recipient in recipients:
            with pytest.raises(SealError):
                open_sealed(tampered, recipient)


def test_a_truncated_or_extended_box_fails(recipients: list[Identity]) -> None:
    box = seal(MESSAGE, _seal_keys(recipients))
    for length in range(len(box)):
        with pytest.raises(SealError):
            open_sealed(box[:length], recipients[0])
    with pytest.raises(SealError):
        open_sealed(box + b"\x00", recipients[0])


def test_a_recipient_cannot_be_stripped(recipients: list[Identity]) -> None:
    box = seal(MESSAGE, _seal_keys(recipients))
    entries = _entries(box)
    for dropped in range(len(entries)):
        kept = entries[:dropped] + entries[dropped + 1 :]
        stripped = _with_count(box, b"".join(kept), len(kept))
        assert len(recipients_of(stripped)) == len(recipients) - 1
        for recipient in recipients:
            with pytest.raises(SealError):
                open_sealed(stripped, recipient)


def test_a_recipient_cannot_be_added_or_swapped(recipients: list[Identity]) -> None:
    intruder = Identity.generate("Neugier")
    box = seal(MESSAGE, _seal_keys(recipients[:2]))
    entries = _entries(box)
    # The intruder copies a wrapped key under its own name, appended or in place of another.
    stolen = bytes.fromhex(intruder.public.seal_key) + entries[0][32:]
    added = _with_count(box, b"".join([*entries, stolen]), 3)
    swapped = _with_count(box, b"".join([stolen, entries[1]]), 2)
    for changed in (added, swapped):
        assert intruder.public.seal_key in recipients_of(changed)
        for identity in (*recipients[:2], intruder):
            with pytest.raises(SealError):
                open_sealed(changed, identity)


def _database_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as someone who takes the SD card sees them."""
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def test_a_sealed_help_request_never_reaches_the_database_file_in_plain_text(
    network: Network,
) -> None:
    town_server, guide = Identity.generate("Stadtserver"), Identity.generate("Lotsin")
    sealed_to = _seal_keys([town_server, guide])
    # A public notice is the control: its text is found in the same bytes.
    notices.publish(network.log, network.admin, notice("Öffentlicher Bürgerbus-Aushang"))
    op_id = network.log.append(
        network.hub, "help.request", "h-1", seal(MESSAGE, sealed_to), sealed_to=sealed_to
    )
    raw = network.log.get(op_id)
    assert raw is not None
    assert raw.body is not None
    assert open_sealed(raw.body, guide) == MESSAGE
    listed = network.store.conn.execute("SELECT kind, author FROM sealed_items").fetchall()
    assert listed == [("help.request", network.hub.key_id)]

    on_disk = _database_bytes(network.store.path)
    assert "Öffentlicher Bürgerbus-Aushang".encode() in on_disk
    for text in (SECRET, "Mustermann", "08555 1234"):
        assert text.encode() not in on_disk
        assert text.encode("utf-16-le") not in on_disk

    # The box travels to other nodes as it is, and stays closed there too.
    fresh = network.fresh_log("fresh")
    sync(network.log, fresh)
    assert SECRET.encode() not in _database_bytes(fresh.store.path)


def test_a_help_request_sealed_to_others_than_its_header_says_is_rejected(
    network: Network, recipients: list[Identity]
) -> None:
    declared = sorted(_seal_keys(recipients[:2]))
    box = seal(MESSAGE, _seal_keys(recipients[1:]))
    with pytest.raises(AppendRefused, match="recipients differ"):
        network.log.append(network.hub, "help.request", "h-1", box, sealed_to=declared)

    fresh = network.fresh_log("fresh")
    fresh.ingest(all_ops(network.log))
    forged = sign_op(
        network.hub,
        network.network_id,
        **next_position(fresh, network.hub),
        kind="help.request",
        entity="h-1",
        body=box,
        sealed_to=declared,
    )
    report = fresh.ingest([forged])
    assert [op_id for op_id, _ in report.rejected] == [forged.op_id]
    assert fresh.store.conn.execute("SELECT count(*) FROM sealed_items").fetchone()[0] == 0


def test_personal_data_must_be_sealed_and_public_kinds_must_not_be(
    network: Network, recipients: list[Identity]
) -> None:
    count = network.log.count()
    with pytest.raises(AppendRefused, match="must be sealed"):
        network.log.append(network.hub, "help.request", "h-1", MESSAGE)
    with pytest.raises(AppendRefused, match="invalid sealed body"):
        network.log.append(
            network.hub, "help.request", "h-1", MESSAGE, sealed_to=_seal_keys(recipients)
        )
    body = seal(b'{"name":"Aushang"}', _seal_keys(recipients))
    with pytest.raises(AppendRefused, match="must not be sealed"):
        network.log.append(
            network.admin, "notice.put", "n-1", body, sealed_to=_seal_keys(recipients)
        )
    assert network.log.count() == count
