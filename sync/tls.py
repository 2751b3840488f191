"""TLS between the town server and its hubs (docs/town-server.md).

The server: `dorfhub serve --tls-cert FILE --tls-key FILE` serves the peer API over uvicorn's own
TLS; the files are checked here before the daemon starts, so a wrong path is one line.

A hub checks the server's certificate in one of three ways, set at `node init`:
- against the system's certificate authorities (the default for an https URL);
- against a county's own authority (`--ca FILE`): chain and host name as usual;
- against the one certificate it saw at enrollment (`--pin`: trust on first use). The pin is the
  SHA-256 of that certificate; any other is refused, whoever signed it. The names in a pinned
  certificate are not checked: the fingerprint already names the one certificate accepted, and
  a county's self-signed certificate often names the server differently than hubs reach it.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from sync.deadline import DeadlineAdapter, SocketRegistry
from sync.errors import PeerError

HTTPS_PORT = 443
FINGERPRINT_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class TlsError(ValueError):
    """TLS files or options that cannot work (a user error: one line, exit 1)."""


def fingerprint(der: bytes) -> str:
    """A certificate's SHA-256 as `openssl x509 -fingerprint -sha256` shows it (AB:CD:…)."""
    return _with_colons(hashlib.sha256(der).hexdigest())


def normalized_pin(text: str) -> str:
    """A fingerprint in the form `fingerprint` writes, from any case, with or without colons."""
    plain = text.replace(":", "").strip().lower()
    if not FINGERPRINT_PATTERN.match(plain):
        raise TlsError(f"not a SHA-256 fingerprint: {text!r}")
    return _with_colons(plain)


def _with_colons(hex_digest: str) -> str:
    upper = hex_digest.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


# ---- the server --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerTls:
    """The certificate and key `dorfhub serve` presents, checked to belong together."""

    cert: Path
    key: Path
    fingerprint: str  # of the certificate (the first in the file), for admins to compare


def load_server_tls(cert: Path | None, key: Path | None) -> ServerTls | None:
    """The server's TLS files, or None for plain HTTP; TlsError if they cannot be used."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise TlsError("--tls-cert and --tls-key go together")
    cert_pem, _key_pem = _read(cert, "--tls-cert"), _read(key, "--tls-key")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise TlsError(
            f"--tls-cert {cert} and --tls-key {key} are not a certificate and its key "
            f"({exc.reason or exc})"
        ) from None
    first = x509.load_pem_x509_certificates(cert_pem)[0]
    return ServerTls(cert, key, fingerprint(first.public_bytes(Encoding.DER)))


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TlsError(f"{option} {path}: {exc.strerror}") from None


# ---- the hubs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerTrust:
    """How a client checks the certificate of an https peer; the default: the system's CAs."""

    ca_file: Path | None = None
    pin: str = ""

    def apply(self, session: requests.Session, sockets: SocketRegistry) -> None:
        """Mount the transport adapters: every connection's socket is known to `sockets` (the
        client's deadline, sync.deadline), and a pinned https peer is checked by its pin."""
        session.mount("http://", DeadlineAdapter(sockets))
        https = PinnedAdapter(self.pin, sockets) if self.pin else DeadlineAdapter(sockets)
        session.mount("https://", https)

    @property
    def verify(self) -> bool | str:
        """requests' `verify` for each request. Given per request, since a session's own is
        overridden by REQUESTS_CA_BUNDLE from the environment."""
        return str(self.ca_file) if self.ca_file is not None else True


class PinnedAdapter(DeadlineAdapter):
    """Accepts exactly the certificate whose SHA-256 is `pin` (urllib3 compares it once the
    handshake is done, before a byte of the request is sent); no authority is consulted."""

    def __init__(self, pin: str, sockets: SocketRegistry) -> None:
        self.pin = normalized_pin(pin).replace(":", "").lower()
        super().__init__(sockets)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host, pool = super().build_connection_pool_key_attributes(request, False, cert)
        pool["assert_fingerprint"] = self.pin
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, False, cert)


def check_ca_file(path: Path) -> None:
    """TlsError unless `path` holds certificates an https client can verify against."""
    _read(path, "--ca")
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as exc:
        raise TlsError(f"--ca {path} holds no usable certificate ({exc.reason or exc})") from None


def presented_fingerprint(url: str, timeout: float) -> str:
    """The fingerprint of the certificate the https server at `url` presents, unverified:
    what `node init --pin` shows and keeps (trust on first use)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise TlsError(f"--pin needs an https:// server URL, not {url!r}")
    address = (parts.hostname, parts.port or HTTPS_PORT)
    try:
        pem = ssl.get_server_certificate(address, timeout=timeout)
    except (OSError, ValueError) as exc:
        raise PeerError(f"{url}: no certificate to pin ({_reason(exc)})") from None
    return fingerprint(ssl.PEM_cert_to_DER_cert(pem))


def tls_failure(url: str, exc: requests.exceptions.SSLError) -> PeerError:
    """What went wrong in a handshake, in one line: an untrusted or unpinned certificate, a
    server that does not speak TLS, …"""
    return PeerError(f"{url}: TLS failed: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error (they nest three deep), shortened."""
    cause: BaseException = exc
    while True:
        inner = getattr(cause, "reason", None)
        if isinstance(inner, BaseException) and inner is not cause:
            cause = inner
        elif cause.args and isinstance(cause.args[0], BaseException):
            cause = cause.args[0]
        else:
            break
    if isinstance(cause, ssl.SSLCertVerificationError) and cause.verify_message:
        return f"certificate verify failed: {cause.verify_message}"[:200]
    if isinstance(cause, ssl.SSLError) and cause.reason:
        return str(cause.reason)[:200]
    return (str(cause) or type(cause).__name__)[:200]
