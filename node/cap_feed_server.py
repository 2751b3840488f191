"""A CAP feed on 127.0.0.1 for the demo, the tests and bench/cap_warnings.py: serves the files of
one directory with a strong ETag (the SHA-256 of the bytes) and answers If-None-Match with 304,
as the DWD's and the county's servers do. Files are replaced by rename, so a poll never reads
half of one. Not for the open internet: it serves whatever the directory holds.

    python -m node.cap_feed_server DIRECTORY READY_FILE
"""

from __future__ import annotations

import hashlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from node.listen import write_ready_file

CONTENT_TYPES = {".xml": "application/cap+xml", ".atom": "application/atom+xml"}


def handler_for(directory: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.split("?")[0].lstrip("/")
            path = directory / name
            if "/" in name or not name or not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPES.get(path.suffix, "application/xml"))
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            print(f"{self.address_string()} {format % args}", flush=True)

    return Handler


def main(argv: list[str]) -> int:
    directory, ready_file = Path(argv[0]), Path(argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(directory))
    write_ready_file(ready_file, server.server_address[1])
    server.serve_forever(poll_interval=0.1)  # until SIGTERM (its default: the process ends)
    return 0


def publish_file(directory: Path, name: str, data: bytes) -> None:
    """Put a file into the feed atomically (written beside it, then renamed)."""
    temporary = directory / f".{name}.tmp"
    temporary.write_bytes(data)
    temporary.replace(directory / name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
