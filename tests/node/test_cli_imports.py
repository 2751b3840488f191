"""What `dorfhub` loads before it runs a command: every command's parser is built on each start,
so the parser must not pull in the sync client, zeroconf, pyserial, the PDF library or the
daemons. `dorfhub kiosk` pays for every module here before its first frame (issue 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.node.cli import run_dorfhub

REPO = Path(__file__).resolve().parents[2]
# Packages a command loads only when it runs (the first line of each is what they cost).
HEAVY = (
    "requests",  # sync.client: `node init --server`, the hub daemon
    "urllib3",
    "zeroconf",  # sync.discovery: `hub --discover`, `peers`
    "zstandard",  # sync.protocol: batches on the wire and in bundles
    "serial",  # pyserial: `sensors`, the hub daemon's readers
    "fpdf",  # the kiosk's appointment slip
    "fontTools",
    "segno",  # QR codes, drawn when a notice is opened
    "fastapi",  # `serve` and `hub`
    "uvicorn",
    "pydantic",
    "admin",  # the town server's web pages and feeds
    "hardware",
)


def loaded_after(code: str) -> list[str]:
    """The HEAVY top-level packages in sys.modules after `code` ran in a fresh interpreter, and
    the sync modules other than sync.errors."""
    probe = (
        f"import json, sys\n{code}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy"
        " or (m.startswith('sync.') and m != 'sync.errors'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_building_the_parser_loads_no_command_libraries() -> None:
    assert loaded_after("from node.cli import build_parser\nbuild_parser()") == []


def test_the_kiosk_command_parses_without_them() -> None:
    code = (
        "from node.cli import build_parser\n"
        "argv = ['kiosk', '--home', '/nonexistent', '--size', '800x480']\n"
        "args = build_parser().parse_args(argv)\n"
        "assert args.handler.__name__ == 'cmd_kiosk', args.handler"
    )
    assert loaded_after(code) == []


def test_the_probe_sees_a_heavy_import() -> None:
    # The guard above is only worth something if the probe notices these libraries.
    found = loaded_after("import sync.client\nimport hardware.transport")
    assert {"requests", "sync.client", "serial", "hardware.transport"} <= set(found)


def test_the_port_help_names_the_default_port() -> None:
    from node.cli import build_parser
    from sync.discovery import DEFAULT_PORT

    help_text = run_dorfhub("serve", "--help").stdout
    assert f"default: {DEFAULT_PORT}" in help_text
    from node.cli_sync import _port

    args = build_parser().parse_args(["serve"])
    assert args.port is None  # resolved by the handler
    assert _port(args) == DEFAULT_PORT
    assert _port(build_parser().parse_args(["hub", "--port", "9001"])) == 9001
