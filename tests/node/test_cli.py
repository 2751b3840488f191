"""The `dorfhub` command end to end, as real processes on real SQLite files."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from tests.node.cli import carry, grant_hub, notices_json, run_dorfhub


def publish(home: Path, *args: str) -> str:
    # The line a write prints starts with the notice's id.
    return run_dorfhub("notice", "publish", *args, home=home).stdout.split()[0]


def ops_count(home: Path) -> int:
    with sqlite3.connect(home / "dorfhub.db") as conn:
        return int(conn.execute("SELECT count(*) FROM ops").fetchone()[0])


def test_publish_list_show_update_retract(town: Path) -> None:
    bus = publish(
        town,
        "--title",
        "Bürgerbus nach Grafenau",
        "--body",
        "Jeden Dienstag 8:15 Uhr",
        "--category",
        "mobilitaet",
    )
    heat = publish(
        town,
        "--title",
        "Hitze",
        "--body",
        "Viel trinken",
        "--priority",
        "important",
        "--until",
        "2099-01-01",
    )
    listed = notices_json(town)
    assert [n["id"] for n in listed] == [heat, bus]  # important before normal
    for field in (
        "id",
        "title",
        "body",
        "category",
        "priority",
        "valid_from",
        "valid_until",
        "author",
    ):
        assert field in listed[0]
    assert listed[1]["category"] == "mobilitaet"
    assert listed[0]["valid_until"].startswith("2099-01-01")

    run_dorfhub(
        "notice",
        "update",
        bus,
        "--lang",
        "en",
        "--title",
        "Community bus",
        "--body",
        "Every Tuesday",
        home=town,
    )
    shown = json.loads(run_dorfhub("notice", "show", bus, "--json", home=town).stdout)
    assert shown["title"] == "Bürgerbus nach Grafenau"
    assert shown["translations"]["title"]["en"] == "Community bus"
    assert "Community bus" in run_dorfhub("notice", "show", bus, "--lang", "en", home=town).stdout

    assert [n["id"] for n in notices_json(town, "--search", "tuesday")] == [bus]
    assert [n["id"] for n in notices_json(town, "--search", "burgerbus")] == [bus]
    assert [n["id"] for n in notices_json(town, "--category", "mobilitaet")] == [bus]

    run_dorfhub("notice", "retract", bus, home=town)
    assert [n["id"] for n in notices_json(town)] == [heat]
    again = run_dorfhub("notice", "update", bus, "--title", "Zurück?", home=town, check=False)
    assert again.returncode == 1
    assert "retracted" in again.stderr
    assert run_dorfhub("log", "verify", home=town).stdout.startswith("ok:")


def test_display_window_and_at(town: Path) -> None:
    notice = publish(
        town,
        "--title",
        "Christkindlmarkt",
        "--body",
        "Glühwein",
        "--from",
        "2030-12-01",
        "--until",
        "2030-12-24",
    )
    assert notice not in [n["id"] for n in notices_json(town)]
    assert [n["id"] for n in notices_json(town, "--at", "2030-12-10T12:00")] == [notice]
    # --until 2030-12-24 is the whole 24th, in Berlin time.
    assert [n["id"] for n in notices_json(town, "--at", "2030-12-24T23:59")] == [notice]
    assert notices_json(town, "--at", "2030-12-25T00:00") == []


def test_targeting_by_hub(town: Path, hub: tuple[Path, str], tmp_path: Path) -> None:
    hub_home, _ = hub
    grant_hub(town, tmp_path, "Perlesreut", "Grafenau")
    everyone = publish(town, "--title", "Für alle", "--body", "Text")
    only_hub = publish(town, "--title", "Nur Ringelai", "--body", "Text", "--hub", "Ringelai")
    by_group = publish(town, "--title", "Ilzer Land", "--body", "Text", "--group", "Ilzer Land")
    elsewhere = publish(town, "--title", "Anderswo", "--body", "Text", "--group", "Grafenau")
    carry(town, hub_home)
    on_hub = {n["id"] for n in notices_json(hub_home)}
    assert on_hub == {everyone, only_hub, by_group}
    assert elsewhere in {n["id"] for n in notices_json(town)}
    assert "Nur Ringelai" in run_dorfhub("notice", "list", home=hub_home).stdout


def test_hub_cannot_publish_and_nothing_is_stored(town: Path, hub: tuple[Path, str]) -> None:
    hub_home, _ = hub
    carry(town, hub_home)
    before = ops_count(hub_home)
    result = run_dorfhub(
        "notice", "publish", "--title", "Fake", "--body", "x", home=hub_home, check=False
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "notice.put" in result.stderr
    assert ops_count(hub_home) == before


def test_grant_and_revoke(town: Path, tmp_path: Path) -> None:
    network = json.loads(run_dorfhub("status", "--json", home=town).stdout)["network"]
    editor = tmp_path / "editor"
    token = (
        run_dorfhub(
            "node",
            "init",
            "--role",
            "admin",
            "--name",
            "Redaktion",
            "--network",
            network,
            home=editor,
        )
        .stdout.split("public key: ")[1]
        .split()[0]
    )
    run_dorfhub(
        "key", "grant", "--role", "admin", "--name", "Redaktion", "--public-key", token, home=town
    )
    carry(town, editor)
    first = publish(editor, "--title", "Von der Redaktion", "--body", "Text")
    carry(editor, town)
    assert first in {n["id"] for n in notices_json(town)}

    run_dorfhub("key", "revoke", "Redaktion", home=town)
    keys = json.loads(run_dorfhub("key", "list", "--json", home=town).stdout)
    assert next(k for k in keys if k["name"] == "Redaktion")["revoked"] is True
    # The editor has not heard of the revocation yet and publishes again; the town refuses it
    # while keeping what came before.
    publish(editor, "--title", "Nach dem Widerruf", "--body", "Text")
    carry(town, editor)  # the editor learns of the revoke: its own later op is purged
    titles = {n["title"] for n in notices_json(editor)}
    assert titles >= {"Von der Redaktion"}
    assert "Nach dem Widerruf" not in titles
    assert run_dorfhub("log", "verify", home=editor).returncode == 0


def test_user_errors_are_one_line(town: Path, tmp_path: Path) -> None:
    cases = [
        ("notice", "publish", "--title", "x", "--body", "y", "--priority", "urgent"),
        ("notice", "publish", "--title", "x"),
        ("notice", "list", "--at", "yesterday"),
        ("notice", "show", "n-doesnotexist"),
        ("notice", "frobnicate"),
        ("key", "revoke", "nobody"),
        ("key", "grant", "--role", "hub", "--name", "x", "--public-key", "garbage"),
    ]
    before = ops_count(town)
    for args in cases:
        result = run_dorfhub(*args, home=town, check=False)
        assert result.returncode != 0, args
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
    missing = run_dorfhub("status", home=tmp_path / "nowhere", check=False)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1
    assert ops_count(town) == before


def test_refuses_world_readable_key(town: Path) -> None:
    os.chmod(town / "admin.key", 0o644)
    result = run_dorfhub("notice", "list", home=town, check=False)
    assert result.returncode == 1
    assert "readable by others" in result.stderr
    assert result.stderr.count("\n") == 1
    os.chmod(town / "admin.key", 0o600)
    assert run_dorfhub("notice", "list", home=town).returncode == 0


def test_key_files_are_private(town: Path, hub: tuple[Path, str]) -> None:
    for path in [town / "root.key", town / "admin.key", town / "node.key", hub[0] / "node.key"]:
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_log_verify_names_a_flipped_byte(town: Path) -> None:
    publish(town, "--title", "Bürgerbus", "--body", "Dienstag")
    with sqlite3.connect(town / "dorfhub.db") as conn:
        op_id, body = conn.execute("SELECT id, body FROM ops WHERE kind = 'notice.put'").fetchone()
        flipped = bytes([body[10] ^ 0x01]).join([body[:10], body[11:]])
        conn.execute("UPDATE ops SET body = ? WHERE id = ?", (flipped, op_id))
    result = run_dorfhub("log", "verify", home=town, check=False)
    assert result.returncode == 1
    assert op_id[:16] in result.stderr
    assert "body" in result.stderr


def test_log_verify_names_an_edited_view_row(town: Path) -> None:
    notice = publish(town, "--title", "Bürgerbus", "--body", "Dienstag")
    with sqlite3.connect(town / "dorfhub.db") as conn:
        conn.execute("UPDATE notices SET priority = 'emergency' WHERE id = ?", (notice,))
    result = run_dorfhub("log", "verify", home=town, check=False)
    assert result.returncode == 1
    assert f"notices row {notice}" in result.stderr
    assert "priority" in result.stderr


def test_status(town: Path) -> None:
    status = json.loads(run_dorfhub("status", "--json", home=town).stdout)
    assert status["role"] == "server"
    assert status["granted_roles"] == ["server"]
    assert status["ops"] == 3
    assert status["held_ops"] == 0
    assert status["quarantined"] == []
    assert status["clock_suspect"] is False
    assert "digest" in run_dorfhub("status", home=town).stdout
