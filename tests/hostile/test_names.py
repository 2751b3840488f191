"""Display names and the terminal (issue 13, finding 6).

An enrollment request comes from anyone, and names, notices and peer records are written by other
keys. Names must be printable (no terminal controls, bidi overrides, line breaks), trimmed, NFC
and 1 to 80 characters wherever they enter: a request to a real server, `node init --name`,
`key grant --name`, and a key.grant op from any admin. Whatever the CLI prints from other nodes
shows control and bidi characters as visible escapes, each record on its one line.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from content import notices
from content.bodies import Event, GrantBody, encode_body
from content.clock import wall_clock_ms
from content.identity import Identity
from content.limits import MAX_NAME_CHARS
from content.log import Log
from content.names import DisplayNameError, check_name, name_problem
from node.home import Home
from sync.enrollment import pairing_code
from sync.protocol import encode_batch
from tests.content.helpers import next_position, sign_op
from tests.node.cli import run_dorfhub
from tests.sync.conftest import PeerProcess, make_town, running, store_state
from tests.sync.helpers import PUSH, send, signed_headers

# Each would act on a terminal, hide itself, or forge a line.
HOSTILE_NAMES = {
    "escape sequence": "Ringelai\x1b[2J\x1b]0;root\x07",
    "bidi override": "Ringelai\u202eiala",
    "bidi isolate": "Ring\u2067elai",
    "line break": "Ringelai\nFreigegeben: Perlesreut",
    "carriage return": "Ringelai\rPerlesreut",
    "line separator": "Ringelai\u2028Perlesreut",
    "zero-width space": "Ring\u200belai",
    "private use": "Ringelai\ue000",
    "unassigned": "Ringelai\u0378",
    "leading space": " Ringelai",
    "trailing space": "Ringelai\u00a0",
    "not NFC": "Mu\u0308nchen",
    "empty": "",
    "too long": "R" * (MAX_NAME_CHARS + 1),
}
GOOD_NAMES = [
    "Ringelai",
    "Stadtserver Freyung",
    "Hausarztpraxis Dr. Huber, Freyung",
    "Grüß Gott – Café „Zur Post“",
    "Ελληνικά und 東京",
    "R" * MAX_NAME_CHARS,
]
SHOWN = "Evil\x1b[2J\u202eNeu\nFreigegeben"
SHOWN_ESCAPED = "Evil\\x1b[2J\\u202eNeu\\x0aFreigegeben"


# ---- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_the_rule_refuses(name: str) -> None:
    problem = name_problem(name)
    assert problem is not None
    assert problem.isprintable()  # the reason never carries the character itself
    with pytest.raises(DisplayNameError):
        check_name(name)


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_the_rule_accepts(name: str) -> None:
    assert check_name(name) == name


# ---- where names enter ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def town_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("names") / "town"
    make_town(home)
    return home


@pytest.fixture(scope="module")
def server(town_home: Path) -> Iterator[PeerProcess]:
    with running(town_home) as peer:
        yield peer


def _network_id(home: Path) -> str:
    network_id = Home(home).config.network_id
    assert network_id
    return network_id


def _enrollments(home: Path) -> int:
    with sqlite3.connect(f"file:{home / 'dorfhub.db'}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM enrollments").fetchone()[0])


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_server_refuses_an_enrollment_with_a_hostile_name(
    server: PeerProcess, town_home: Path, name: str
) -> None:
    stranger = Identity.generate("Fremd")
    body = msgspec.json.encode({"public": stranger.public.token, "name": name})
    headers = signed_headers(stranger, _network_id(town_home), "/v1/enroll", body)
    before = store_state(town_home), _enrollments(town_home)
    response = send(server.url, "/v1/enroll", body, headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.startswith("enrollment name ")
    assert error.isprintable()
    assert (store_state(town_home), _enrollments(town_home)) == before


def test_server_still_enrolls_a_good_name(server: PeerProcess, town_home: Path) -> None:
    hub = Identity.generate("Grüß Gott – Perlesreut")
    body = msgspec.json.encode({"public": hub.public.token, "name": hub.name})
    headers = signed_headers(hub, _network_id(town_home), "/v1/enroll", body)
    response = send(server.url, "/v1/enroll", body, headers)
    assert response.status_code == 200, response.text
    assert response.json()["code"] == pairing_code(hub.public)


def test_a_hostile_admin_cannot_grant_a_hostile_name(server: PeerProcess, town_home: Path) -> None:
    """The op check itself refuses the name: an admin key that bypasses the CLI gets nowhere."""
    admin = Home(town_home).publisher()
    grantee = Identity.generate("Fremd")
    body = encode_body(
        GrantBody(key=grantee.key_id, seal=grantee.public.seal_key, role="hub", name=SHOWN)
    )
    network_id = _network_id(town_home)
    with Home(town_home).store() as store:
        position = next_position(Log(store), admin)
    grant = sign_op(
        admin, network_id, **position, kind="key.grant", entity=grantee.key_id, body=body
    )
    before = store_state(town_home)
    batch = encode_batch([grant])
    response = send(server.url, PUSH, batch, signed_headers(admin, network_id, PUSH, batch))
    assert response.status_code == 200, response.text
    (rejected,) = response.json()["rejected"]
    assert "grant name contains an invisible or control character" in rejected["reason"]
    assert store_state(town_home) == before


@pytest.fixture
def town_copy(tmp_path: Path, town_home: Path) -> Path:
    """A private copy of the town home, for tests that change its database."""
    home = tmp_path / "town"
    shutil.copytree(town_home, home)
    return home


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("dorfhub: error: "), result.stderr
    return result.stderr


def test_key_grant_refuses_a_hostile_name(town_copy: Path) -> None:
    hub = Identity.generate("Ringelai")
    before = store_state(town_copy)
    result = run_dorfhub(
        *("key", "grant", "--role", "hub", "--name", SHOWN, "--public-key", hub.public.token),
        home=town_copy,
        check=False,
    )
    assert "grant name contains an invisible or control character" in _one_line_error(result)
    assert store_state(town_copy) == before


def test_node_init_refuses_a_hostile_name(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    result = run_dorfhub(
        "node", "init", "--role", "hub", "--name", "Ringelai\u202e", home=home, check=False
    )
    assert "node name contains an invisible or control character" in _one_line_error(result)
    assert not home.exists()


# ---- what the terminal shows ------------------------------------------------------------------


def _shown_escaped(stdout: str, lines: int = 1) -> list[str]:
    """The printed lines that carry SHOWN, checked to be escaped and as many as expected (no
    line forged by a line break; splitlines() also splits at U+2028 and the other separators)."""
    printed = stdout.splitlines()
    assert all(line.isprintable() for line in printed), stdout
    carrying = [line for line in printed if "Evil" in line]
    assert len(carrying) == lines, stdout
    assert [line for line in printed if "Freigegeben" in line] == carrying, stdout
    return carrying


def test_enroll_list_escapes_a_name_an_old_version_stored(town_copy: Path) -> None:
    stranger = Identity.generate("Fremd")
    with sqlite3.connect(town_copy / "dorfhub.db") as conn:
        conn.execute(
            "INSERT INTO enrollments (code, key, seal, name, role, requested_at) "
            "VALUES (?, ?, ?, ?, 'hub', ?)",
            (
                pairing_code(stranger.public),
                stranger.key_id,
                stranger.public.seal_key,
                SHOWN,
                wall_clock_ms(),
            ),
        )
    result = run_dorfhub("enroll", "list", home=town_copy)
    (line,) = _shown_escaped(result.stdout)
    assert line.startswith(pairing_code(stranger.public))
    assert SHOWN_ESCAPED in line


def test_key_list_escapes_a_stored_name(town_copy: Path) -> None:
    admin = Home(town_copy).publisher()
    with sqlite3.connect(town_copy / "dorfhub.db") as conn:
        conn.execute("UPDATE keys SET name = ? WHERE key = ?", (SHOWN, admin.key_id))
    (line,) = _shown_escaped(run_dorfhub("key", "list", home=town_copy).stdout)
    assert line.startswith(admin.key_id[:12])
    assert SHOWN_ESCAPED in line


def test_notice_list_and_show_escape_title_body_and_place(town_copy: Path) -> None:
    home = Home(town_copy)
    now = wall_clock_ms()
    event = Event(start=now + 3_600_000, place=SHOWN)
    with home.store() as store:
        body = notices.notice_body(SHOWN, f"Text {SHOWN}", valid_from=now - 1000, event=event)
        notice_id = notices.publish(Log(store), home.publisher(), body)
    listed = run_dorfhub("notice", "list", home=town_copy).stdout
    shown = run_dorfhub("notice", "show", notice_id, home=town_copy).stdout
    for printed in (listed, shown):
        lines = printed.splitlines()
        assert all(line.isprintable() for line in lines), printed
        assert f"[Allgemein] {SHOWN_ESCAPED}" in lines, printed
        assert f"    Wo: {SHOWN_ESCAPED}" in lines, printed
        # A line break in the body is the text's own: kept, and indented like the rest of the
        # text, so it can never start a line that reads as another notice's heading.
        text = lines.index("    Text Evil\\x1b[2J\\u202eNeu")
        assert lines[text + 1] == "    Freigegeben", printed
        headings = [line for line in lines if line.startswith("[")]
        assert headings == [f"[Allgemein] {SHOWN_ESCAPED}"], printed


def test_status_escapes_a_forked_keys_name_and_reason(town_copy: Path) -> None:
    admin = Home(town_copy).publisher()
    with sqlite3.connect(town_copy / "dorfhub.db") as conn:
        conn.execute("UPDATE keys SET name = ? WHERE key = ?", (SHOWN, admin.key_id))
        kept = conn.execute("SELECT id FROM ops LIMIT 1").fetchone()[0]  # evidence unread
        conn.execute(
            "INSERT INTO quarantine VALUES (?, ?, x'', x'', ?)",
            (admin.key_id, kept, f"two ops for seq 1 ({SHOWN})"),
        )
    (line,) = _shown_escaped(run_dorfhub("status", home=town_copy).stdout)
    assert line.startswith(f"FORK: this node quarantined key {SHOWN_ESCAPED} ")
    assert f"two ops for seq 1 ({SHOWN_ESCAPED})" in line
