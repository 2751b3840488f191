"""Whether a request to the town server came over TLS, and whether it came from this machine.

The desk and the practices' feeds carry personal data: they are served over TLS, or in plain
HTTP to loopback only (docs/town-server.md). uvicorn sets the ASGI scope's scheme to "https"
when it serves TLS itself (`dorfhub serve --tls-cert`). Behind a reverse proxy on the same
machine it takes the scheme and the client's address from the proxy's X-Forwarded-Proto and
X-Forwarded-For, but only from loopback (node/daemon.py TRUSTED_PROXIES): a client elsewhere
cannot claim TLS it did not use. So the scope alone answers both questions.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any


def over_tls(scope: Mapping[str, Any]) -> bool:
    return scope.get("scheme") in ("https", "wss")


def from_loopback(scope: Mapping[str, Any]) -> bool:
    """Whether the client (after a trusted proxy: the proxy's client) is this machine."""
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(str(client[0])).is_loopback
    except ValueError:
        return False  # a Unix socket's peer or a name: nothing to vouch for it


def private_data_allowed(scope: Mapping[str, Any]) -> bool:
    """Personal data may go out: over TLS, or in plain HTTP to this machine."""
    return over_tls(scope) or from_loopback(scope)
