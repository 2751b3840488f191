"""TLS for the town server (issue 14, finding 8): `dorfhub serve --tls-cert --tls-key`, hubs
that pin its certificate at enrollment or check it against a county's CA, with real processes
on 127.0.0.1 and certificates made here with `cryptography`."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import Request

from admin.transport import from_loopback, over_tls, private_data_allowed
from content.bodies import encode_body
from content.log import Log
from content.private_files import write_private
from node.daemon import TRUSTED_PROXIES, _uvicorn_config
from node.home import Home
from node.setup import peer_client
from sync.client import PeerError
from sync.server import create_app
from sync.tls import ServerTls, fingerprint, load_server_tls
from tests.fresh_loop import run_in_fresh_loop
from tests.node.cli import run_dorfhub
from tests.sync.procs import (
    HOST,
    Cluster,
    Daemon,
    Node,
    admin,
    live_notices,
    make_town,
    publish,
    wait_for,
)

DEADLINE_S = 30.0


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    sha256: str


def make_certificate(directory: Path, name: str, ip: str | None = HOST) -> Certificate:
    """A self-signed certificate for `name` (and `ip` as an IP SAN) with a new key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    names: list[x509.GeneralName] = [x509.DNSName(name)]
    if ip:
        names.append(x509.IPAddress(ipaddress.ip_address(ip)))
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(key_path, key_pem)
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Certificate(cert_path, key_path, fingerprint(der))


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[Certificate, Certificate]:
    """The town's certificate, and another server's for the same address with its own key."""
    directory = tmp_path / "certs"
    directory.mkdir()
    return make_certificate(directory, "stadtserver"), make_certificate(directory, "anderer")


def https_url(node: Node) -> str:
    return f"https://{HOST}:{node.port}"


def serve_tls(cluster: Cluster, town: Node, certificate: Certificate) -> Daemon:
    """`dorfhub serve --tls-cert --tls-key` on the town's socket (kept across restarts)."""
    args = ["serve", "--home", str(town.home)]
    args += ["--tls-cert", str(certificate.cert), "--tls-key", str(certificate.key)]
    daemon = Daemon(town.name, args, town.listener, cluster.logs / f"town-{certificate.sha256[:2]}")
    cluster.daemons.append(daemon)
    daemon.start()
    daemon.wait_ready()
    return daemon


def enroll_hub(town: Node, hub: Node, *trust: str) -> str:
    """`node init --server https://… TRUST…` and the admin's approval; returns what init said."""
    done = run_dorfhub(
        *("node", "init", "--role", "hub", "--name", hub.name, "--server", https_url(town)),
        *trust,
        home=hub.home,
    )
    out = done.stdout
    assert f"asked {https_url(town)} to enroll this node" in out, done.stderr
    code = re.search(r"^pairing code: (\S+)$", out, re.MULTILINE)
    assert code, out
    run_dorfhub("enroll", "approve", code[1], home=town.home)
    return out


def has_notice(hub: Node, title: str) -> bool:
    return any(notice.title.get("de") == title for notice in live_notices(hub))


def assert_syncs(cluster: Cluster, town: Node, hub: Node) -> None:
    """The hub daemon gets its grant over https, then a notice published afterwards arrives
    through its long-poll (nothing else wakes it within the deadline)."""
    cluster.hub(hub).wait_ready()
    wait_for(partial(_in_sync, hub, https_url(town)), DEADLINE_S, "the hub's first rounds")
    publish(town, admin(town), "Bürgerbus über TLS")
    wait_for(partial(has_notice, hub, "Bürgerbus über TLS"), DEADLINE_S, "the notice at the hub")


def _in_sync(hub: Node, url: str) -> bool:
    status = json.loads(run_dorfhub("status", "--json", home=hub.home).stdout)
    return any(peer["url"] == url and peer["in_sync"] for peer in status["peers"])


def report_status(hub: Node) -> str:
    """A hub.status op written at the hub beside its daemon, as the kiosk writes; its id."""
    home = Home(hub.home)
    identity = home.identity()
    with hub.store() as store:
        body = encode_body({"name": hub.name})
        return Log(store).append(identity, "hub.status", identity.key_id, body)


def holds_op(node: Node, op_id: str) -> bool:
    with node.store() as store:
        return store.conn.execute("SELECT 1 FROM ops WHERE id = ?", (op_id,)).fetchone() is not None


def refused_by(hub: Node, url: str) -> str:
    """What the hub's own client (its configured trust) says to the server now."""
    home = Home(hub.home)
    client = peer_client(home, url, home.identity(), home.config.network_id)
    try:
        with pytest.raises(PeerError) as refused:
            client.hello("")
    finally:
        client.close()
    return str(refused.value)


def test_a_pinned_hub_syncs_and_refuses_any_other_certificate(
    tmp_path: Path, certificates: tuple[Certificate, Certificate]
) -> None:
    ours, theirs = certificates
    town, _network = make_town(tmp_path)
    hub = Node("Ringelai", tmp_path / "ringelai")
    with Cluster(tmp_path) as cluster:
        server = serve_tls(cluster, town, ours)
        assert ours.sha256 in server.log_path.read_text()  # for the admin to compare
        out = enroll_hub(town, hub, "--pin")
        assert f"server certificate SHA-256: {ours.sha256}\n" in out
        assert Home(hub.home).config.server_pin == ours.sha256
        assert_syncs(cluster, town, hub)

        # Another certificate for the same address, valid in every other respect.
        server.stop()
        serve_tls(cluster, town, theirs)
        assert "TLS failed: Fingerprints did not match" in refused_by(hub, https_url(town))
        # The daemon too: what the kiosk writes next does not go out to that server.
        op = report_status(hub)
        hub_log = cluster.daemons[1].log_path
        wait_for(lambda: "TLS failed" in hub_log.read_text(), DEADLINE_S, "the hub's refusal")
        assert "Fingerprints did not match" in hub_log.read_text()
        assert not holds_op(town, op)


def test_a_hub_checks_against_the_county_ca(
    tmp_path: Path, certificates: tuple[Certificate, Certificate]
) -> None:
    ours, theirs = certificates
    town, _network = make_town(tmp_path)
    hub = Node("Perlesreut", tmp_path / "perlesreut")
    with Cluster(tmp_path) as cluster:
        server = serve_tls(cluster, town, ours)
        enroll_hub(town, hub, "--ca", str(ours.cert))
        assert (hub.home / "server-ca.pem").read_bytes() == ours.cert.read_bytes()
        assert_syncs(cluster, town, hub)
        server.stop()
        serve_tls(cluster, town, theirs)
        assert "certificate verify failed" in refused_by(hub, https_url(town))


def test_plain_http_to_the_tls_port_fails_cleanly(
    tmp_path: Path, certificates: tuple[Certificate, Certificate]
) -> None:
    ours, _theirs = certificates
    town, _network = make_town(tmp_path)
    with Cluster(tmp_path) as cluster:
        serve_tls(cluster, town, ours)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{HOST}:{town.port}/v1/hello", timeout=10)
        # Without --ca or --pin a self-signed certificate is not trusted (system CAs only).
        out = run_dorfhub(
            *("node", "init", "--role", "hub", "--name", "Eppenschlag"),
            *("--server", https_url(town)),
            home=tmp_path / "eppenschlag",
        )
        assert "certificate verify failed" in out.stderr
        # The server still answers those who trust it.
        answer = requests.get(f"{https_url(town)}/v1/hello", verify=str(ours.cert), timeout=10)
        assert answer.json()["role"] == "server"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--tls-cert", "{cert}"], "--tls-cert and --tls-key go together"),
        (["--tls-key", "{key}"], "--tls-cert and --tls-key go together"),
        (
            ["--tls-cert", "{cert}", "--tls-key", "{missing}"],
            "--tls-key {missing}: No such file or directory",
        ),
        (
            ["--tls-cert", "{cert}", "--tls-key", "{other_key}"],
            "--tls-cert {cert} and --tls-key {other_key} are not a certificate and its key",
        ),
        (
            ["--tls-cert", "{key}", "--tls-key", "{key}"],
            "--tls-cert {key} and --tls-key {key} are not a certificate and its key",
        ),
    ],
)
def test_serve_with_unusable_tls_files_is_one_line(
    tmp_path: Path,
    certificates: tuple[Certificate, Certificate],
    options: list[str],
    error: str,
) -> None:
    ours, theirs = certificates
    town, _network = make_town(tmp_path)
    files = {
        "cert": ours.cert,
        "key": ours.key,
        "other_key": theirs.key,
        "missing": tmp_path / "nowhere.key",
    }
    before = sorted(path.name for path in town.home.iterdir())
    args = [option.format(**files) for option in options]
    done = run_dorfhub("serve", "--port", "0", *args, home=town.home, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith(f"dorfhub: error: {error.format(**files)}")
    assert done.stderr.count("\n") == 1
    assert sorted(path.name for path in town.home.iterdir()) == before  # not even the lock


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--server", "http://{address}", "--pin"], "--ca and --pin need an https://"),
        (["--pin"], "--ca and --pin need an https://"),
        (["--server", "https://{address}", "--pin"], "https://{address}: no certificate to pin"),
        (["--server", "https://{address}", "--ca", "{missing}"], "--ca {missing}: No such"),
        (["--server", "https://{address}", "--ca", "{key}"], "--ca {key} holds no usable"),
    ],
)
def test_node_init_with_unusable_trust_is_one_line_and_creates_nothing(
    tmp_path: Path,
    certificates: tuple[Certificate, Certificate],
    options: list[str],
    error: str,
) -> None:
    ours, _theirs = certificates
    # Bound but not listening: a connection to it is refused at once.
    with socket.socket() as closed_port:
        closed_port.bind((HOST, 0))
        address = f"{HOST}:{closed_port.getsockname()[1]}"
        files = {"key": ours.key, "missing": tmp_path / "nowhere.pem", "address": address}
        args = [option.format(**files) for option in options]
        home = tmp_path / "hub"
        done = run_dorfhub(
            "node", "init", "--role", "hub", "--name", "Ringelai", *args, home=home, check=False
        )
    assert done.returncode == 1, done
    assert done.stderr.startswith(f"dorfhub: error: {error.format(**files)}")
    assert done.stderr.count("\n") == 1
    assert not home.exists()


# ---- what a request says about its transport ----------------------------------------------


TRANSPORT = "/test/transport"
PROXY_SAYS_TLS = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}


def _reflecting_app(home: Path) -> Any:
    """The town's real peer app, with one route more that says what a desk would see."""
    app = create_app(home / "dorfhub.db", "ab" * 32, "server")

    @app.get(TRANSPORT)
    async def transport(request: Request) -> dict[str, bool]:
        scope = request.scope
        return {
            "tls": over_tls(scope),
            "loopback": from_loopback(scope),
            "allowed": private_data_allowed(scope),
        }

    return app


@contextmanager
def _served(app: Any, tls: ServerTls | None) -> Iterator[str]:
    """uvicorn in a thread, configured as the daemons configure it; yields the base URL."""
    listener = socket.create_server((HOST, 0))
    server = uvicorn.Server(_uvicorn_config(app, tls))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, DEADLINE_S, "uvicorn")
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://{HOST}:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=DEADLINE_S)
        listener.close()


def _seen(url: str, **options: Any) -> dict[str, bool]:
    answer: dict[str, bool] = requests.get(url + TRANSPORT, timeout=10, **options).json()
    return answer


def test_a_request_says_whether_it_came_over_tls(
    tmp_path: Path, certificates: tuple[Certificate, Certificate], monkeypatch: pytest.MonkeyPatch
) -> None:
    # uvicorn would trust whatever this names; the daemons do not ask it.
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    ours, _theirs = certificates
    town, _network = make_town(tmp_path)
    tls = load_server_tls(ours.cert, ours.key)
    with _served(_reflecting_app(town.home), tls) as url:
        seen = _seen(url, verify=str(ours.cert))
        assert seen == {"tls": True, "loopback": True, "allowed": True}
    with _served(_reflecting_app(town.home), None) as url:
        assert _seen(url) == {"tls": False, "loopback": True, "allowed": True}
        # A reverse proxy on this machine vouches for TLS and names the real client.
        assert _seen(url, headers=PROXY_SAYS_TLS) == {
            "tls": True,
            "loopback": False,
            "allowed": True,
        }
        plain = PROXY_SAYS_TLS | {"x-forwarded-proto": "http"}
        assert _seen(url, headers=plain) == {"tls": False, "loopback": False, "allowed": False}


def test_a_remote_client_cannot_claim_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """X-Forwarded-Proto from anywhere but loopback is ignored, whatever the environment
    says. (No second address to connect from here: the request is handed to the app uvicorn
    would run, with the scope uvicorn would build for a client at 203.0.113.9.)"""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    town, _network = make_town(tmp_path)
    config = _uvicorn_config(_reflecting_app(town.home))
    assert config.forwarded_allow_ips == TRUSTED_PROXIES
    config.load()
    seen = run_in_fresh_loop(_call(config.loaded_app, ("203.0.113.9", 40000), PROXY_SAYS_TLS))
    assert seen == {"tls": False, "loopback": False, "allowed": False}


async def _call(app: Any, client: tuple[str, int], headers: dict[str, str]) -> dict[str, bool]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": TRANSPORT,
        "raw_path": TRANSPORT.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": client,
        "server": (HOST, 8470),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    answer: dict[str, bool] = json.loads(body)
    return answer
