"""Attachments travel where they are shown (docs/protocol.md "Attachments travel where they are
shown"), and a USB stick for a hub that never synced (issue 18, "The network's edges").

A town with two hubs made by the real CLI (`node init --role hub`, `key grant` with a group
each): notices for every hub, for each hub, for each group, and 4 MB of files meant for
Perlesreut alone. Servers are real `dorfhub serve` / `dorfhub hub` processes on 127.0.0.1 on
ports they pick themselves; the hubs' rounds are the library's `sync_round`, so which peer a
file comes from is fixed by the test, not by timing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from content import relay
from content.identity import Identity
from content.limits import MAX_ATTACHMENT_BYTES, MAX_WANTED_BODIES
from content.log import Log
from content.notices import blob, get_notice
from content.ops import body_hash, decode_header
from node.home import Home
from sync.client import PeerClient, PeerError, RoundResult
from sync.protocol import encode_batch, make_batches
from tests.node.cli import grant_hub, notices_json, run_dorfhub
from tests.sync.conftest import running, store_state
from tests.sync.helpers import Member
from tests.sync.procs import wait_for

MIB = 1024 * 1024
# 8 files of 512 KiB (the most a notice and a file may carry), random so zstd cannot shrink them.
BIG_FILES = 8
FOR_ALL, FOR_RINGELAI, FOR_NORD = "Für alle Dörfer", "Nur Ringelai", "Gruppe Nord"
FOR_PERLESREUT, FOR_SUED = "Nur Perlesreut", "Gruppe Süd"
RINGELAI_TITLES = {FOR_ALL, FOR_RINGELAI, FOR_NORD}


@dataclass(frozen=True)
class Village:
    town: Path
    ringelai: Path
    perlesreut: Path
    notices: dict[str, str]  # title -> id
    small_file: str  # Ringelai's one attachment
    big_files: list[str]  # Perlesreut's 4 MB

    def copy_to(self, directory: Path) -> Village:
        homes = [directory / home.name for home in (self.town, self.ringelai, self.perlesreut)]
        for source, target in zip((self.town, self.ringelai, self.perlesreut), homes, strict=True):
            shutil.copytree(source, target)
        town, ringelai, perlesreut = homes
        return Village(town, ringelai, perlesreut, self.notices, self.small_file, self.big_files)


def pdf(path: Path, size: int) -> Path:
    head, tail = b"%PDF-1.4\n%", b"\n%%EOF\n"
    path.write_bytes(head + os.urandom(size - len(head) - len(tail)) + tail)
    return path


def publish(town: Path, title: str, *args: str | Path) -> str:
    out = run_dorfhub(
        "notice", "publish", "--title", title, "--body", "Näheres im Rathaus", *args, home=town
    ).stdout
    return out.split()[0]


def attachments_of(town: Path, notice_id: str) -> list[str]:
    with Home(town).store() as store:
        notice = get_notice(store.conn, notice_id)
        assert notice is not None
        return [item["blob"] for item in notice.attachments]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, town_dir: Path) -> Village:
    root = tmp_path_factory.mktemp("relay")
    town = root / "town"
    shutil.copytree(town_dir, town)
    ringelai, _ = grant_hub(town, root, "Ringelai", "Nord")
    perlesreut, _ = grant_hub(town, root, "Perlesreut", "Süd")
    big = [pdf(root / f"plan-{n}.pdf", MAX_ATTACHMENT_BYTES) for n in range(BIG_FILES)]
    small = pdf(root / "fahrplan.pdf", 20 * 1024)
    notices = {
        FOR_ALL: publish(town, FOR_ALL),
        FOR_RINGELAI: publish(town, FOR_RINGELAI, "--hub", "Ringelai", "--attach", small),
        FOR_NORD: publish(town, FOR_NORD, "--group", "Nord"),
        FOR_PERLESREUT: publish(
            town, FOR_PERLESREUT, "--hub", "Perlesreut", *[a for f in big for a in ("--attach", f)]
        ),
        FOR_SUED: publish(town, FOR_SUED, "--group", "Süd"),
    }
    big_files = attachments_of(town, notices[FOR_PERLESREUT])
    assert len(big_files) == BIG_FILES
    (small_file,) = attachments_of(town, notices[FOR_RINGELAI])
    return Village(town, ringelai, perlesreut, notices, small_file, big_files)


@pytest.fixture
def village(tmp_path: Path, pristine: Village) -> Village:
    return pristine.copy_to(tmp_path)


def member(home: Path, url: str) -> Member:
    node = Home(home)
    return Member.open(node.db_path, node.identity(), node.config.network_id, url)


def sync_once(home: Path, url: str) -> RoundResult:
    hub = member(home, url)
    try:
        return hub.sync()
    finally:
        hub.close()


def holds_all_of(home: Path, other: Path) -> bool:
    """Whether `home` holds every op `other` holds (it may hold more)."""
    with Home(home).store() as mine, Home(other).store() as theirs:
        held = Log(mine).version_vector()
        return all(held.get(a, 0) >= seq for a, seq in Log(theirs).version_vector().items())


def reported(hub: Path) -> bool:
    """Whether the hub holds a status op of its own."""
    key = Home(hub).identity().key_id
    with sqlite3.connect(f"file:{hub / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        return (
            conn.execute("SELECT 1 FROM node_status WHERE node = ?", (key,)).fetchone() is not None
        )


def held_bodies(home: Path, hashes: list[str]) -> int:
    with sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        return sum(blob(conn, digest) is not None for digest in hashes)


def wanted(home: Path) -> list[str]:
    node = Home(home)
    with node.store() as store:
        return relay.wanted_bodies(store.conn, node.identity().key_id, MAX_WANTED_BODIES)


def log_verify(home: Path) -> None:
    assert run_dorfhub("log", "verify", home=home).returncode == 0


# ---- a stick for a hub that never synced -----------------------------------------------------


def test_a_stick_for_a_hub_that_never_synced(village: Village, tmp_path: Path) -> None:
    everything = tmp_path / "alles.dhb"
    run_dorfhub("bundle", "export", everything, home=village.town)
    stick = tmp_path / "ringelai.dhb"
    ops = store_state(village.town).ops
    out = run_dorfhub("bundle", "export", stick, "--for", "Ringelai", home=village.town).stdout
    # Every header (each author's ops apply only in order), the bytes of Ringelai's file only.
    assert out.strip() == f"wrote {ops} ops for Ringelai to {stick}"
    assert everything.stat().st_size > BIG_FILES * MAX_ATTACHMENT_BYTES
    assert stick.stat().st_size < MAX_ATTACHMENT_BYTES
    print(
        f"\nbundle for a new hub: {everything.stat().st_size} bytes before, "
        f"{stick.stat().st_size} after"
    )

    out = run_dorfhub("bundle", "import", stick, home=village.ringelai).stdout
    assert out.strip() == f"{ops} applied, 0 duplicate, 0 held, 0 rejected, 0 purged"
    shown = [notice["title"] for notice in notices_json(village.ringelai)]
    assert sorted(shown) == sorted(RINGELAI_TITLES)
    assert held_bodies(village.ringelai, [village.small_file]) == 1
    assert held_bodies(village.ringelai, village.big_files) == 0
    assert wanted(village.ringelai) == []
    log_verify(village.ringelai)

    # Later the hub goes online: the town sends only what was written since, nothing twice.
    news = publish(village.town, "Neu für alle")
    with running(village.town) as server:
        hub = member(village.ringelai, server.url)
        try:
            first = hub.sync()
            assert (first.pulled, first.rejected) == (1, [])
            assert first.bytes_in < 16 * 1024
            hub.append_status()
            second = hub.sync()
            assert (second.pushed, second.rejected) == (1, [])
        finally:
            hub.close()
    assert store_state(village.ringelai).digest == store_state(village.town).digest
    listed = [notice["id"] for notice in notices_json(village.ringelai)]
    assert sorted(listed) == sorted({*listed})
    assert news in listed
    log_verify(village.ringelai)
    log_verify(village.town)


# ---- pulls ---------------------------------------------------------------------------------


def test_a_hub_pulls_only_the_files_it_shows(village: Village) -> None:
    with running(village.town) as server:
        ringelai, perlesreut = (
            member(village.ringelai, server.url),
            member(village.perlesreut, server.url),
        )
        try:
            mine, theirs = ringelai.sync(), perlesreut.sync()
        finally:
            ringelai.close()
            perlesreut.close()
    # Before this rule a pull carried every body: the same batches with every file whole.
    with Home(village.town).store() as store:
        before = sum(len(batch.data) for batch in make_batches(Log(store).ops_missing_from({})))
    print(
        f"\nRingelai pulls {mine.bytes_in} bytes (before the relay rule: {before}); "
        f"Perlesreut, who shows the 4 MB, {theirs.bytes_in}"
    )
    assert before > BIG_FILES * MAX_ATTACHMENT_BYTES
    assert mine.bytes_in < MAX_ATTACHMENT_BYTES
    assert theirs.bytes_in > BIG_FILES * MAX_ATTACHMENT_BYTES
    # Both logs are complete: every header, the same digest as the town's.
    for hub in (village.ringelai, village.perlesreut):
        assert store_state(hub).digest == store_state(village.town).digest
        assert wanted(hub) == []
        log_verify(hub)
    assert held_bodies(village.ringelai, village.big_files) == 0
    assert held_bodies(village.perlesreut, village.big_files) == BIG_FILES


def test_a_neighbour_without_the_file_does_not_lose_it(village: Village) -> None:
    """Perlesreut pulls from Ringelai, which holds the 4 MB by their headers only: the headers
    come from Ringelai, the bytes from the town server, equal digests notwithstanding."""
    with running(village.town) as server:
        sync_once(village.ringelai, server.url)
        with running(village.ringelai, "hub") as neighbour:
            # The daemon reports its status at start: wait for it, so that what Perlesreut
            # pulls from Ringelai does not depend on when it did.
            wait_for(lambda: reported(village.ringelai), 60, "Ringelai's status op")
            via_neighbour = sync_once(village.perlesreut, neighbour.url)
        assert via_neighbour.rejected == []
        assert holds_all_of(village.perlesreut, village.town)
        assert FOR_PERLESREUT in {n["title"] for n in notices_json(village.perlesreut)}
        assert held_bodies(village.perlesreut, village.big_files) == 0
        assert sorted(wanted(village.perlesreut)) == sorted(village.big_files)
        log_verify(village.perlesreut)

        # Ringelai's daemon wrote its status op; once the town has it, the logs are equal.
        sync_once(village.ringelai, server.url)
        from_town = sync_once(village.perlesreut, server.url)
    assert from_town.noop  # nothing new in the log: only the bytes it lacked
    assert from_town.bytes_in > BIG_FILES * MAX_ATTACHMENT_BYTES
    assert held_bodies(village.perlesreut, village.big_files) == BIG_FILES
    assert wanted(village.perlesreut) == []
    for home in (village.town, village.ringelai, village.perlesreut):
        log_verify(home)


def test_a_notice_retargeted_brings_its_files(village: Village, tmp_path: Path) -> None:
    """Ringelai holds Perlesreut's files by their headers; the notice is retargeted to both.
    Online, Ringelai asks for the bytes in the same round; by stick, the stick carries them."""
    by_stick = tmp_path / "stick"
    stick = tmp_path / "ringelai.dhb"
    with running(village.town) as server:
        sync_once(village.ringelai, server.url)
        shutil.copytree(village.ringelai, by_stick)
        notice = village.notices[FOR_PERLESREUT]
        retarget = ("--hub", "Perlesreut", "--hub", "Ringelai")
        run_dorfhub("notice", "update", notice, *retarget, home=village.town)
        # The town knows what Ringelai holds from its pull: the stick carries the one op
        # and, whole, the files its notice names.
        export = run_dorfhub("bundle", "export", stick, "--for", "Ringelai", home=village.town)
        assert export.stdout.strip() == f"wrote {1 + BIG_FILES} ops for Ringelai to {stick}"
        online = sync_once(village.ringelai, server.url)
    assert online.pulled == 1
    assert held_bodies(village.ringelai, village.big_files) == BIG_FILES
    log_verify(village.ringelai)

    out = run_dorfhub("bundle", "import", stick, home=by_stick).stdout
    # The notice applies; the files' copies fill in the bytes of headers held already.
    assert out.strip() == f"{1 + BIG_FILES} applied, 0 duplicate, 0 held, 0 rejected, 0 purged"
    assert held_bodies(by_stick, village.big_files) == BIG_FILES
    assert store_state(by_stick).digest == store_state(village.town).digest
    log_verify(by_stick)


# ---- what a peer may ask and send ------------------------------------------------------------


def test_any_member_may_ask_for_a_file_and_nobody_else(village: Village) -> None:
    """The rule spares links, it hides nothing: a notice's files are no secret among members
    (before the rule every hub pulled them all), so a hub that asks for a file meant for
    another hub gets it. Strangers get nothing; personal data never comes this way (the
    endpoint serves files only, and sealed bodies stay sealed in pulls as before)."""
    network_id = Home(village.town).config.network_id
    with running(village.town) as server:
        # A help request, sealed to the town server: its op id and entity are no file.
        town = Home(village.town)
        with town.store() as store:
            sealed_ids = [
                (op_id, entity)
                for op_id, entity in store.conn.execute(
                    "SELECT id, entity FROM ops WHERE kind IN ('help.request', 'key.grant')"
                )
            ]
        asker = PeerClient(server.url, Home(village.ringelai).identity(), network_id)
        stranger = PeerClient(server.url, Identity.generate("Fremd"), network_id)
        try:
            asker.hello("")
            ops, _ = asker.bodies(village.big_files[:1])
            assert [decode_header(op.header).entity for op in ops] == village.big_files[:1]
            assert body_hash(ops[0].body or b"") == village.big_files[0]
            others = [value for pair in sealed_ids for value in pair]
            assert asker.bodies(others[:MAX_WANTED_BODIES])[0] == []
            with pytest.raises(PeerError, match="400"):
                asker.bodies(village.big_files[:1] * (MAX_WANTED_BODIES + 1))
            with pytest.raises(PeerError, match="400"):
                asker.bodies(["../etc/passwd"])
            stranger.hello("")
            assert stranger.bodies(village.big_files[:1])[0] == []
        finally:
            asker.close()
            stranger.close()


def test_the_town_server_takes_no_file_without_its_bytes(village: Village, tmp_path: Path) -> None:
    """A hub that pushes a file by its header only to the town server is refused: the town
    shows every file, and the author's node still has it whole to send."""
    laptop = tmp_path / "laptop"
    shutil.copytree(village.town, laptop)
    home = Home(laptop)
    data = b"%PDF-1.4\n%" + os.urandom(1024) + b"\n%%EOF\n"
    with home.store() as store:
        log = Log(store)
        before = log.version_vector()
        log.append(home.publisher(), "blob.put", body_hash(data), data)
        (op,) = list(log.ops_missing_from(before))
    headerless = type(op)(op.header, op.signature, None)
    network_id = home.config.network_id
    with running(village.town) as server:
        hub = PeerClient(server.url, Home(village.ringelai).identity(), network_id)
        try:
            hub.hello("")
            answer = hub.push(encode_batch([headerless]))
        finally:
            hub.close()
    assert answer.applied == 0
    assert [item.reason for item in answer.rejected] == ["blob.put op arrived without its body"]
    log_verify(village.town)
