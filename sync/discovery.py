"""LAN discovery with zeroconf: `_dorfhub._tcp.local.` with TXT {net, node, role, proto, port,
digest}. TXT is only a hint: a peer is synced with through the signed exchange, and one whose
digest equals ours is skipped.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ifaddr
from zeroconf import (
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)

from sync.protocol import PROTOCOL_VERSION

SERVICE_TYPE = "_dorfhub._tcp.local."
DEFAULT_PORT = 8470
DIGEST_REFRESH_S = 1.0


@dataclass(frozen=True)
class SeenPeer:
    node: str
    role: str
    url: str
    digest: str


def txt_record(net: str, node: str, role: str, port: int, digest: str) -> dict[str, str]:
    return {
        "net": net,
        "node": node,
        "role": role,
        "proto": str(PROTOCOL_VERSION),
        "port": str(port),
        "digest": digest,
    }


def parse_peer(info: ServiceInfo, network_id: str) -> SeenPeer | None:
    """A peer of our network and protocol from a resolved record, or None."""
    txt = {
        key.decode(errors="replace"): (value or b"").decode(errors="replace")
        for key, value in info.properties.items()
    }
    addresses = info.parsed_addresses(IPVersion.V4Only)
    if txt.get("net") != network_id or txt.get("proto") != str(PROTOCOL_VERSION):
        return None
    if not addresses or not info.port or len(txt.get("node", "")) != 64:
        return None
    url = f"http://{addresses[0]}:{info.port}"
    return SeenPeer(txt["node"], txt.get("role", ""), url, txt.get("digest", ""))


def _interfaces(addresses: list[str]) -> InterfaceChoice | list[str]:
    return addresses or InterfaceChoice.All


def _own_addresses(addresses: list[str]) -> list[str]:
    if addresses:
        return addresses
    return [
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not ip.ip.startswith("127.")
    ]


class Discovery:
    """Announce this node and keep a table of same-network peers seen on the LAN."""

    def __init__(
        self,
        node: str,
        network_id: str,
        role: str,
        port: int,
        addresses: list[str],
        digest: Callable[[], str],
        wake: threading.Event | None = None,
    ) -> None:
        self.node = node
        self.network_id = network_id
        self.role = role
        self.digest = digest
        self.port = port
        self.addresses = addresses
        self.wake = wake
        self.peers: dict[str, SeenPeer] = {}
        self.stop = threading.Event()
        self.names: queue.Queue[str] = queue.Queue()
        self.zeroconf: Zeroconf | None = None
        self.info: ServiceInfo | None = None

    def start(self) -> None:
        self.zeroconf = Zeroconf(
            interfaces=_interfaces(self.addresses), ip_version=IPVersion.V4Only
        )
        self.info = self._service_info(self.digest())
        self.zeroconf.register_service(self.info)
        ServiceBrowser(self.zeroconf, SERVICE_TYPE, handlers=[self._on_change])
        threading.Thread(target=self._resolve, name="dorfhub-discovery", daemon=True).start()
        threading.Thread(target=self._refresh, name="dorfhub-announce", daemon=True).start()

    def candidates(self, own_digest: str) -> list[str]:
        """URLs worth a sync round: same network, and a digest different from ours."""
        return [peer.url for peer in self.peers.values() if peer.digest != own_digest]

    def close(self) -> None:
        self.stop.set()
        if self.zeroconf is not None:
            if self.info is not None:
                self.zeroconf.unregister_service(self.info)
            self.zeroconf.close()

    def _service_info(self, digest: str) -> ServiceInfo:
        return ServiceInfo(
            SERVICE_TYPE,
            f"dorfhub-{self.node[:16]}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(a) for a in _own_addresses(self.addresses)],
            port=self.port,
            properties=txt_record(self.network_id, self.node, self.role, self.port, digest),
            server=f"dorfhub-{self.node[:16]}.local.",
        )

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        # Resolving inside the callback would block zeroconf's own thread: hand it over.
        if state_change is ServiceStateChange.Removed:
            self.peers.pop(name, None)
        else:
            self.names.put(name)

    def _resolve(self) -> None:
        while not self.stop.is_set():
            try:
                name = self.names.get(timeout=0.5)
            except queue.Empty:
                continue
            if self.zeroconf is None:
                return
            info = self.zeroconf.get_service_info(SERVICE_TYPE, name, timeout=3000)
            peer = parse_peer(info, self.network_id) if info else None
            if peer is None or peer.node == self.node:
                continue
            self.peers[name] = peer
            if self.wake is not None:
                self.wake.set()

    def _refresh(self) -> None:
        """Keep our TXT digest current, at most once a second."""
        announced = self.info.properties.get(b"digest") if self.info else None
        while not self.stop.wait(DIGEST_REFRESH_S):
            digest = self.digest()
            if self.zeroconf is None or digest.encode() == announced:
                continue
            self.info = self._service_info(digest)
            self.zeroconf.update_service(self.info)
            announced = digest.encode()


def browse(network_id: str, seconds: float, addresses: Iterable[str] = ()) -> list[SeenPeer]:
    """Listen for `seconds` and return the same-network peers that answered."""
    zeroconf = Zeroconf(interfaces=_interfaces(list(addresses)), ip_version=IPVersion.V4Only)
    names: set[str] = set()

    def collect(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        names.add(name)

    try:
        ServiceBrowser(zeroconf, SERVICE_TYPE, handlers=[collect])
        time.sleep(seconds)
        found = []
        for name in sorted(names):
            info = zeroconf.get_service_info(SERVICE_TYPE, name, timeout=2000)
            peer = parse_peer(info, network_id) if info else None
            if peer is not None:
                found.append(peer)
        return found
    finally:
        zeroconf.close()
