"""A real town server and hub daemon on 127.0.0.1: the hub sends its kiosk's screenshot, the town
keeps only the latest, refuses what is not a hub's kiosk screenshot, and `dorfhub fleet` shows
the hub as the town knows it. Times are read from what the processes recorded; the one hour
offline is an explicit `--at`, never the hour the test runs."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import requests

from content import grants
from content.clock import to_iso, wall_clock_ms
from content.fleet import HubRow, fleet
from content.identity import Identity
from content.limits import MAX_SCREENSHOT_BYTES
from content.log import Log
from content.screenshots import KIOSK_FILE, Screenshot, latest, server_dir, write_atomically
from node import __version__
from node.home import Home
from node.setup import init_node
from sync.protocol import NET_HEADER, PROTO_HEADER, PROTOCOL_VERSION, sign_request
from tests.fleet.pngs import declared_png, kiosk_png
from tests.node.cli import run_dorfhub
from tests.sync.conftest import running, store_state
from tests.sync.procs import wait_for

HOUR = 3_600_000


def _hub(tmp_path: Path, town: Path, name: str, server_url: str = "") -> tuple[Home, Identity]:
    """A hub home that the town has granted the hub role, as `enroll approve` would."""
    town_home = Home(town)
    hub, identity = init_node(tmp_path / name.lower(), "hub", name, town_home.config.network_id)
    with town_home.store() as store:
        grants.grant(Log(store), town_home.publisher(), identity.public, "hub", name)
    config = hub.config
    config.server_url = server_url
    hub.save_config(config)
    return hub, identity


def _kept(town: Path, key: str, taken_at: int) -> Screenshot | None:
    shot = latest(server_dir(town), key)
    return shot if shot is not None and shot.taken_at_ms == taken_at else None


def _current_row(town: Path, name: str) -> HubRow | None:
    """The hub's row once its status (with the disk) is in and it holds what the town holds."""
    with Home(town).store() as store:
        rows = [row for row in fleet(store.conn, wall_clock_ms()) if row.name == name]
    ready = rows and rows[0].disk_free_bytes is not None and rows[0].ops_text == "aktuell"
    return rows[0] if ready else None


def test_a_hub_sends_its_screenshot_and_the_town_keeps_the_latest(
    tmp_path: Path, town: Path
) -> None:
    taken = wall_clock_ms()
    first, second = kiosk_png(taken), kiosk_png(taken + 1, "signage", shade=30)
    with running(town) as server:
        hub, identity = _hub(tmp_path, town, "Ringelai", server.url)
        _hub(tmp_path, town, "Grainet")  # granted, never started
        write_atomically(hub.path / KIOSK_FILE, first)
        with running(hub.path, "hub"):
            kept = wait_for(lambda: _kept(town, identity.key_id, taken), 60, "the first one")
        # As the kiosk wrote it, with the time the town received it added before its end.
        assert kept.png[: len(first) - 12] == first[:-12]
        assert kept.received_at_ms is not None
        write_atomically(hub.path / KIOSK_FILE, second)
        with running(hub.path, "hub"):
            kept = wait_for(lambda: _kept(town, identity.key_id, taken + 1), 60, "the second one")
            wait_for(lambda: _current_row(town, "Ringelai"), 60, "the hub's status", every=0.5)
    path = server_dir(town) / f"{identity.key_id}.png"
    assert sorted(server_dir(town).iterdir()) == [path]  # the first is gone
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert kept.screen == "signage"
    sent = (hub.path / "screenshot.sent").read_text()
    assert sent == hashlib.sha256(second).hexdigest()
    _fleet_command_shows(town)


def _fleet_command_shows(town: Path) -> None:
    rows = {
        row["name"]: row for row in json.loads(run_dorfhub("fleet", "--json", home=town).stdout)
    }
    ringelai, grainet = rows["Ringelai"], rows["Grainet"]
    assert ringelai["state"] == "online"
    assert ringelai["version"] == __version__
    assert ringelai["disk_free_bytes"] > 0
    assert ringelai["disk_text"].endswith("%)")
    assert (ringelai["ops_behind"], ringelai["ops_text"]) == (0, "aktuell")
    assert ringelai["clock_text"] == "Uhr stimmt"
    assert grainet["seen_text"] == "nie gesehen"
    # An hour after the last contact the town recorded: offline, said so in words.
    an_hour_on = to_iso(ringelai["last_seen_ms"] + HOUR + 60_000) or ""
    lines = run_dorfhub("fleet", "--at", an_hour_on, home=town).stdout.splitlines()
    assert lines[0].split()[:3] == ["Hub", "Zustand", "Zuletzt"]
    line = next(line for line in lines if line.startswith("Ringelai"))
    assert "offline" in line
    assert "seit 1 Std. nicht gesehen" in line
    assert __version__ in line
    assert "GB frei" in line
    detail = run_dorfhub("fleet", "--hub", "Ringelai", home=town).stdout
    assert "Bildschirm   Signage, aufgenommen vor" in detail
    assert "(960 x 540 px)" in detail


def _send(url: str, identity: Identity, network_id: str, body: bytes) -> int:
    """POST /v1/screenshot signed with `identity`, as a hub daemon does (sync.client)."""
    path = "/v1/screenshot"
    headers = {NET_HEADER: network_id, PROTO_HEADER: str(PROTOCOL_VERSION)}
    headers |= sign_request(identity, "POST", path, network_id, body, wall_clock_ms())
    return requests.post(url + path, data=body, headers=headers, timeout=30).status_code


def test_the_town_refuses_what_is_not_a_hubs_kiosk_screenshot(tmp_path: Path, town: Path) -> None:
    town_home = Home(town)
    network_id = town_home.config.network_id
    hub = _hub(tmp_path, town, "Ringelai")[1]
    revoked = _hub(tmp_path, town, "Perlesreut")[1]
    guide, stranger = Identity.generate("Frau Kern"), Identity.generate("Fremd")
    with town_home.store() as store:
        log = Log(store)
        grants.grant(log, town_home.publisher(), guide.public, "guide", guide.name)
        grants.revoke(log, town_home.publisher(), revoked.key_id)
    png = kiosk_png(wall_clock_ms())
    flipped = bytearray(png)
    flipped[len(png) // 2] ^= 0x10
    before = store_state(town)
    with running(town) as server:
        statuses = {
            "stranger": _send(server.url, stranger, network_id, png),
            "guide": _send(server.url, guide, network_id, png),
            "revoked hub": _send(server.url, revoked, network_id, png),
            "oversize": _send(server.url, hub, network_id, png + b"\0" * MAX_SCREENSHOT_BYTES),
            "not a PNG": _send(server.url, hub, network_id, b"GIF89a" + png[6:]),
            "100000 x 100000": _send(server.url, hub, network_id, declared_png(100_000, 100_000)),
            "a flipped bit": _send(server.url, hub, network_id, bytes(flipped)),
            "unsigned": requests.post(
                f"{server.url}/v1/screenshot", data=png, timeout=30
            ).status_code,
        }
        nothing_kept = not server_dir(town).exists() or not any(server_dir(town).iterdir())
        accepted = _send(server.url, hub, network_id, png)
    assert statuses == {
        "stranger": 403,
        "guide": 403,
        "revoked hub": 403,
        "oversize": 413,
        "not a PNG": 400,
        "100000 x 100000": 400,
        "a flipped bit": 400,
        "unsigned": 401,
    }
    assert nothing_kept
    assert accepted == 200
    assert [path.name for path in server_dir(town).iterdir()] == [f"{hub.key_id}.png"]
    assert store_state(town) == before  # outside the op log
