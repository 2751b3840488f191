"""What the admin reads (issue 18, output): a grant says what it granted in one line, and
`status` reads as sentences, each peer with how long ago it was reached in German words, while
`status --json` keeps its fields for scripts."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from node.status import peer_line
from tests.node.cli import run_dorfhub

NOW = 1_796_313_600_000
MINUTE = 60_000


def _hub_token(tmp_path: Path, network: str) -> str:
    out = run_dorfhub(
        *("node", "init", "--role", "hub", "--name", "Perlesreut", "--network", network),
        home=tmp_path / "perlesreut",
    ).stdout
    return out.split("public key: ")[1].split()[0]


def test_a_grant_says_key_role_name_and_groups(town: Path, tmp_path: Path) -> None:
    network = json.loads(run_dorfhub("status", "--json", home=town).stdout)["network"]
    token = _hub_token(tmp_path, network)
    granted = run_dorfhub(
        *("key", "grant", "--role", "hub", "--name", "Perlesreut", "--public-key", token),
        *("--group", "Ilzer Land", "--group", "Grafenau", "--group", "Ilzer Land"),
        home=town,
    )
    [line] = granted.stdout.splitlines()
    listed = {
        key["name"]: key
        for key in json.loads(run_dorfhub("key", "list", "--json", home=town).stdout)
    }
    key = listed["Perlesreut"]["key"]
    assert line == f"granted hub to Perlesreut (key {key[:12]}) in groups Grafenau, Ilzer Land"


def test_a_grant_with_a_window_says_it(town: Path, tmp_path: Path) -> None:
    network = json.loads(run_dorfhub("status", "--json", home=town).stdout)["network"]
    token = _hub_token(tmp_path, network)
    granted = run_dorfhub(
        *("key", "grant", "--role", "guide", "--name", "Frau Kern", "--public-key", token),
        *("--from", "2026-12-01T08:00:00+01:00", "--until", "2027-01-31T18:00:00+01:00"),
        home=town,
    )
    assert granted.stdout.endswith(
        "in no group, from 01.12.2026 08:00, until 31.01.2027 18:00\n"
    ), granted.stdout


def test_status_reads_as_sentences_and_json_keeps_its_fields(town: Path) -> None:
    text = run_dorfhub("status", home=town).stdout
    lines = text.splitlines()
    assert re.fullmatch(
        r"Stadtserver, a server \(key [0-9a-f]{12}\), in network [0-9a-f]{32}; "
        r"granted roles: server\.",
        lines[0],
    ), text
    assert re.fullmatch(
        r"Log: 3 ops by 1 author, digest [0-9a-f]{32}; 0 notices showing now\.", lines[1]
    ), text
    assert "Peers: none reached or known yet." in lines
    assert not re.search(r"\d{13}", text)  # no raw millisecond timestamps
    assert not re.search(r"[{}\[\]]", text)  # no dicts or lists
    status = json.loads(run_dorfhub("status", "--json", home=town).stdout)
    assert {"name", "role", "key", "network", "ops", "digest", "peers", "trusted_now"} <= set(
        status
    )


def _peer(**fields: Any) -> dict[str, Any]:
    peer: dict[str, Any] = {
        "url": "http://stadtserver:8470",
        "node": "ab" * 32,
        "name": "Stadtserver Freyung",
        "last_success": NOW - 2 * MINUTE,
        "last_failure": None,
        "failures": 0,
        "last_error": None,
        "in_sync": True,
        "pending_out": 0,
        "pending_in": 0,
    }
    return peer | fields


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({}, "Stadtserver Freyung (http://stadtserver:8470): in sync, last contact vor 2 Min."),
        (
            {"pending_in": 3, "in_sync": False, "last_success": NOW - 5 * 60 * MINUTE},
            "Stadtserver Freyung (http://stadtserver:8470): 3 ops behind, last contact vor 5 Std.",
        ),
        (
            {"pending_in": 1, "pending_out": 2, "in_sync": False, "last_success": NOW - 9_000},
            "Stadtserver Freyung (http://stadtserver:8470): 1 op behind, it lacks 2 ops of "
            "ours, last contact gerade eben",
        ),
        (
            {"failures": 2, "last_error": "connection refused", "in_sync": False},
            "Stadtserver Freyung (http://stadtserver:8470): was in sync, last contact vor 2 Min.; "
            "2 failures since, last: connection refused",
        ),
        (
            {"last_success": None, "failures": 1, "last_error": "connection refused"},
            "Stadtserver Freyung (http://stadtserver:8470): never reached; connection refused",
        ),
        (
            {
                "url": "inbound:" + "cd" * 32,
                "name": "Ringelai",
                "last_success": NOW - 3 * 86_400_000,
            },
            "Ringelai (it connects here): in sync, last contact vor 3 Tagen",
        ),
    ],
)
def test_a_peer_line_says_how_far_apart_and_how_long_ago(fields: dict[str, Any], said: str) -> None:
    assert peer_line(_peer(**fields), NOW) == said


@pytest.mark.parametrize("daemon", ["serve", "hub"])
def test_a_daemon_on_a_port_in_use_says_one_line(town: Path, daemon: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_dorfhub(daemon, "--port", str(port), home=town, check=False)
    assert result.returncode == 1
    assert result.stderr == f"dorfhub: error: port {port} on 127.0.0.1 is in use\n"
    assert result.stdout == ""


def test_a_daemon_on_an_address_that_does_not_resolve_says_one_line(town: Path) -> None:
    result = run_dorfhub(
        "serve", "--host", "no-such-host.invalid", "--port", "0", home=town, check=False
    )
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("dorfhub: error: cannot listen on no-such-host.invalid: "), line
    assert "while attempting" not in line  # the address is said once
