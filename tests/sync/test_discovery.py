"""Two hubs find each other with zeroconf and sync, each in its own network namespace joined by
a veth pair (multicast never touches the machine's real interfaces)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from content import notices
from content.clock import wall_clock_ms
from content.grants import grant
from content.log import Log
from content.store import Store
from node.home import Home
from node.listen import wait_for_ready_file
from node.setup import init_network, init_node
from tests.node.cli import REPO

PORT = 8470
DEADLINE_S = 30.0


@dataclass(frozen=True)
class Host:
    namespace: str
    address: str


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30)


@pytest.fixture
def lan() -> Iterator[tuple[Host, Host]]:
    """Two network namespaces joined by a veth pair: a LAN of our own."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to make network namespaces")
    tag = uuid.uuid4().hex[:6]
    hosts = (Host(f"dh-a-{tag}", "10.231.7.1"), Host(f"dh-b-{tag}", "10.231.7.2"))
    links = (f"dha{tag}", f"dhb{tag}")
    try:
        for host in hosts:
            _run("ip", "netns", "add", host.namespace)
        _run("ip", "link", "add", links[0], "type", "veth", "peer", "name", links[1])
        for host, link in zip(hosts, links, strict=True):
            _run("ip", "link", "set", link, "netns", host.namespace)
            _run("ip", "-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", link)
            _run("ip", "-n", host.namespace, "link", "set", link, "up", "multicast", "on")
            _run("ip", "-n", host.namespace, "link", "set", "lo", "up")
            _run("ip", "-n", host.namespace, "route", "add", "224.0.0.0/4", "dev", link)
    except subprocess.CalledProcessError as exc:
        _remove(hosts)
        pytest.skip(f"cannot make network namespaces here: {exc.stderr!r}")
    try:
        yield hosts
    finally:
        _remove(hosts)


def _remove(hosts: tuple[Host, Host]) -> None:
    for host in hosts:
        subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True, timeout=30)


def _network(tmp_path: Path) -> tuple[Home, Home, Home, str]:
    """A town with a notice, hub A holding everything, hub B holding only the grants."""
    town = init_network(tmp_path / "town", "Ilzer Land")
    network_id = town.config.network_id
    hub_a, key_a = init_node(tmp_path / "a", "hub", "Ringelai", network_id)
    hub_b, key_b = init_node(tmp_path / "b", "hub", "Perlesreut", network_id)
    with town.store() as store:
        log, admin = Log(store), town.identity("admin.key")
        grant(log, admin, key_a.public, "hub", "Ringelai")
        grant(log, admin, key_b.public, "hub", "Perlesreut")
        grants_only = list(log.ops_missing_from({}))
        body = notices.notice_body("Bürgerbus", "Dienstag 8:15 Uhr", valid_from=wall_clock_ms())
        notice_id = notices.publish(log, admin, body)
        everything = list(log.ops_missing_from({}))
    for home, ops in ((hub_a, everything), (hub_b, grants_only)):
        with home.store() as store:
            assert not Log(store).ingest(ops).rejected
    return town, hub_a, hub_b, notice_id


def _start_hub(home: Home, host: Host) -> subprocess.Popen[bytes]:
    command = [
        *("ip", "netns", "exec", host.namespace, sys.executable, "-m", "node.cli", "hub"),
        *("--home", str(home.path), "--host", host.address, "--port", str(PORT)),
        *("--discover", "--interface", host.address),
    ]
    log_file = (home.path / "hub.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)


def _holds(home: Home, notice_id: str) -> bool:
    with Store(home.db_path) as store:
        return notices.get_notice(store.conn, notice_id) is not None


def test_two_hubs_find_each_other_and_sync(lan: tuple[Host, Host], tmp_path: Path) -> None:
    _, hub_a, hub_b, notice_id = _network(tmp_path)
    processes = [_start_hub(hub_a, lan[0]), _start_hub(hub_b, lan[1])]
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not _holds(hub_b, notice_id) and time.monotonic() < deadline:
            assert all(p.poll() is None for p in processes), (hub_b.path / "hub.log").read_text()
            time.sleep(0.2)
        assert _holds(hub_b, notice_id), (hub_b.path / "hub.log").read_text()
        listed = subprocess.run(
            [
                *("ip", "netns", "exec", lan[1].namespace, sys.executable, "-m", "node.cli"),
                *("peers", "--home", str(hub_b.path), "--interface", lan[1].address),
                *("--seconds", "3", "--json"),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        assert f"http://{lan[0].address}:{PORT}" in listed.stdout
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


def test_a_hub_on_port_0_announces_the_port_it_got(lan: tuple[Host, Host], tmp_path: Path) -> None:
    _, hub_a, hub_b, _ = _network(tmp_path)
    ready_file = tmp_path / "a.ready"
    command = [
        *("ip", "netns", "exec", lan[0].namespace, sys.executable, "-m", "node.cli", "hub"),
        *("--home", str(hub_a.path), "--host", lan[0].address, "--port", "0"),
        *("--ready-file", str(ready_file), "--discover", "--interface", lan[0].address),
    ]
    with (hub_a.path / "hub.log").open("wb") as log_file:
        process = subprocess.Popen(command, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        port = wait_for_ready_file(ready_file, process, DEADLINE_S).port
        listed = subprocess.run(
            [
                *("ip", "netns", "exec", lan[1].namespace, sys.executable, "-m", "node.cli"),
                *("peers", "--home", str(hub_b.path), "--interface", lan[1].address),
                *("--seconds", "3", "--json"),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        urls = [peer["url"] for peer in json.loads(listed.stdout)]
        assert urls == [f"http://{lan[0].address}:{port}"], (hub_a.path / "hub.log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=15)
