"""A hostile peer for a hub to sync with: `python -m tests.hostile.evil_peer NETWORK MODE`.

It binds 127.0.0.1 port 0 itself, prints the port on its first line of stdout, and answers
hello like a peer of NETWORK that always has news. What it answers to a pull depends on MODE:

    bomb      a 32 KB batch that declares and expands to 1 GiB
    flood     a body that claims 2 GiB and streams zeros until the client gives up
    garbage   hello itself answers JSON of the wrong shape
    trickle   hello's status line and headers come one byte every half second, for ever
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.hostile.bombs import GIB, one_gib_in_32_kib

CHUNK = bytes(1 << 20)


class EvilPeer(BaseHTTPRequestHandler):
    network = ""
    mode = ""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the hub's log, not this one."""

    def do_GET(self) -> None:
        if not self.path.startswith("/v1/hello"):
            self._answer(404, b"{}")
        elif self.mode == "trickle":
            self._trickle()
        elif self.mode == "garbage":
            self._answer(200, b"[1, 2, 3]")
        else:
            self._answer(200, json.dumps(self._hello()).encode())

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path != "/v1/pull":
            self._answer(404, b"{}")
        elif self.mode == "bomb":
            self._answer(200, one_gib_in_32_kib(), {"x-dorfhub-more": "0"})
        else:
            self._flood()

    def _hello(self) -> dict[str, object]:
        return {
            "proto": 1,
            "net": self.network,
            "node": secrets.token_hex(32),
            "role": "hub",
            "digest": secrets.token_hex(16),
            "equal": False,
            "time": int(time.time() * 1000),
        }

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self) -> None:
        header = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100_000
        try:
            for byte in header:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            return  # the client gave up, as it should

    def _flood(self) -> None:
        self.send_response(200)
        self.send_header("content-length", str(2 * GIB))
        self.end_headers()
        try:
            for _ in range(2 * GIB // len(CHUNK)):
                self.wfile.write(CHUNK)
        except OSError:
            return  # the client gave up, as it should


def main() -> None:
    EvilPeer.network, EvilPeer.mode = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), EvilPeer)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
