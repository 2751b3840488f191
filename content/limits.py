"""Every limit a stranger meets, in one place (ARCHITECTURE.md section 7).

A public town server and a hub in a community centre both face peers that may be broken or
hostile. Each limit below bounds the work or the memory one request, one op or one stranger can
cost. `LIMITS` lists them with what they bound and what happens beyond, and docs/protocol.md's
table "Limits" is generated from it (`python -m content.limits`; a test keeps the two equal).

This module imports nothing from the project, so every part may use it.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB

# ---- ops -------------------------------------------------------------------------------------

MAX_HEADER_BYTES = 4 * KIB
MAX_BODY_BYTES = 1 * MIB
MAX_JSON_BODY_BYTES = 64 * KIB
MAX_ATTACHMENT_BYTES = 512 * KIB
# A display name (grants, enrollment requests, a node's own): one line of an admin's list.
MAX_NAME_CHARS = 80
# An op's Lamport clock may exceed the highest the receiver holds by at most this much. Honest
# clocks rise by one per op, so no honest op comes near it; a hostile author that sets 2^53 (the
# header's ceiling) would otherwise stop every node from writing (docs/protocol.md "Lamport").
MAX_LAMPORT_JUMP = 1_000_000
# Forked authors one hub.status op may list: the hub reports that many at most, so its status op
# stays valid however many it quarantined; a longer list is refused like any malformed body.
MAX_REPORTED_FORKS = 100
# A hub's kiosk screenshot (docs/kiosk.md): kept outside the op log, one per hub. A kiosk sends
# about 100 KiB at 960 px wide; the limits bound the disk one upload and the memory one decode
# cost, and are checked on the bytes and the PNG header before any decoding.
MAX_SCREENSHOT_BYTES = 1 * MIB
MAX_SCREENSHOT_SIDE_PX = 2048

# ---- sync batches and requests ---------------------------------------------------------------

MAX_BATCH_BYTES = 64 * KIB
# What one batch, one version vector or one bundle batch may expand to. A single op (1 MiB body
# and its header) fits several times over.
MAX_BATCH_RAW_BYTES = 4 * MIB
MAX_OPS_PER_BATCH = 4096
# A request body is one batch (a single oversize op at most) or a version vector.
MAX_REQUEST_BYTES = MAX_BODY_BYTES + MAX_HEADER_BYTES + 64 * KIB
MAX_VECTOR_BYTES = 256 * KIB
# Request bodies being read at once, over all connections: each is capped, but 800 connections
# each half-way through a megabyte would still be 800 MB.
MAX_INFLIGHT_BODY_BYTES = 64 * MIB
MAX_VECTOR_AUTHORS = 50_000
# Files a hub asks a peer for in one request (content/relay.py); it asks again for the rest.
MAX_WANTED_BODIES = 64
# zstd window a peer's frame may ask the decompressor to allocate (ours use 2 MiB at level 6).
MAX_ZSTD_WINDOW_BYTES = 8 * MIB
MAX_CLOCK_SKEW_MS = 5 * 60 * 1000
# A peer's whole answer (status, headers, body) must arrive within this, whatever pace it keeps
# (sync/deadline.py); the long-poll's answer comes within WAIT_SECONDS.
PEER_ANSWER_DEADLINE_S = 120.0
MAX_ENROLL_REQUEST_BYTES = 4 * KIB
# A request dated ahead of the server's clock by more than this is refused: clients sign with the
# server's clock learnt from hello, and a date far ahead would outlive the replay guard.
MAX_FUTURE_SKEW_MS = 30 * 1000
WAIT_SECONDS = 25.0

# ---- what strangers can grow -----------------------------------------------------------------

NONCE_TTL_MS = 11 * 60 * 1000
MAX_NONCES = 100_000
# Beyond MAX_NONCES, nonces move into Bloom filters of MAX_NONCES each (about 120 KB per 100,000)
# until they are too old to matter; at most this many filters, then the newest overfills.
MAX_NONCE_FILTERS = 8
MAX_RATE_BUCKETS = 10_000
# Keys without a grant (strangers) cost nothing to make: their requests are limited per client
# address, their nonces kept in a book of their own (so a flood of them cannot push members'
# nonces out), and only a few of them may hold a long-poll open.
STRANGER_REQUESTS_PER_SECOND = 5.0
STRANGER_REQUEST_BURST = 50.0
MAX_STRANGER_NONCES = 10_000
MAX_STRANGER_WAITS = 32
REQUESTS_PER_SECOND = 50.0
REQUEST_BURST = 200.0
MAX_HELD_OPS = 10_000
MAX_HELD_BYTES = 64 * MIB
MAX_PENDING_ENROLLMENTS = 100
# Enrollment requests from one client address (not a proxy on this machine): a waiting hub
# asks again every minute, so to keep 100 of them out a flood needs many addresses.
ENROLLMENT_BURST_PER_ADDRESS = 10
ENROLLMENTS_PER_HOUR_PER_ADDRESS = 30

# ---- connections -----------------------------------------------------------------------------

# File descriptors kept back for SQLite (database, WAL, SHM per connection), logs, zeroconf and
# outgoing sync connections; the rest may be client connections. A Raspberry Pi's default soft
# limit of 1,024 leaves 824.
FD_RESERVE = 200
MAX_CONNECTIONS = 4000
MAX_CONNECTIONS_PER_ADDRESS = 100
HEADER_TIMEOUT_S = 10.0
BODY_IDLE_TIMEOUT_S = 20.0
BODY_TIMEOUT_S = 300.0
KEEP_ALIVE_S = 5


def connection_limit() -> int:
    """Client connections this process may hold: MAX_CONNECTIONS, or fewer where the file
    descriptor limit is lower (a Raspberry Pi's 1,024)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - FD_RESERVE))


@dataclass(frozen=True)
class Limit:
    name: str
    value: int | float
    unit: str
    bounds: str
    beyond: str


LIMITS: tuple[Limit, ...] = (
    Limit("MAX_HEADER_BYTES", MAX_HEADER_BYTES, "bytes", "an op's header", "op rejected"),
    Limit("MAX_BODY_BYTES", MAX_BODY_BYTES, "bytes", "an op's body", "op rejected"),
    Limit("MAX_JSON_BODY_BYTES", MAX_JSON_BODY_BYTES, "bytes", "a JSON body", "op rejected"),
    Limit(
        "MAX_ATTACHMENT_BYTES", MAX_ATTACHMENT_BYTES, "bytes", "one attachment", "refused locally"
    ),
    Limit(
        "MAX_NAME_CHARS",
        MAX_NAME_CHARS,
        "characters",
        "a display name (also: printable, no surrounding whitespace, NFC)",
        "op rejected / 400 / refused locally",
    ),
    Limit(
        "MAX_LAMPORT_JUMP",
        MAX_LAMPORT_JUMP,
        "ticks",
        "an op's Lamport clock above the highest the receiver holds",
        "op held until the receiver's clock catches up",
    ),
    Limit(
        "MAX_REPORTED_FORKS",
        MAX_REPORTED_FORKS,
        "authors",
        "forked authors one hub.status op lists",
        "op rejected (a hub lists only the first)",
    ),
    Limit(
        "MAX_SCREENSHOT_BYTES",
        MAX_SCREENSHOT_BYTES,
        "bytes",
        "a kiosk screenshot a hub uploads",
        "413; the hub does not send it",
    ),
    Limit(
        "MAX_SCREENSHOT_SIDE_PX",
        MAX_SCREENSHOT_SIDE_PX,
        "px",
        "a kiosk screenshot's width and height (read from the PNG header before decoding)",
        "400",
    ),
    Limit("MAX_BATCH_BYTES", MAX_BATCH_BYTES, "bytes", "a compressed batch we send", "split"),
    Limit(
        "MAX_BATCH_RAW_BYTES",
        MAX_BATCH_RAW_BYTES,
        "bytes",
        "a batch, vector or bundle batch decompressed (declared size checked first)",
        "400 / import refused",
    ),
    Limit("MAX_OPS_PER_BATCH", MAX_OPS_PER_BATCH, "ops", "ops in one batch", "400"),
    Limit("MAX_REQUEST_BYTES", MAX_REQUEST_BYTES, "bytes", "a request body", "413"),
    Limit(
        "MAX_INFLIGHT_BODY_BYTES",
        MAX_INFLIGHT_BODY_BYTES,
        "bytes",
        "request bodies being read at once, all connections together",
        "503",
    ),
    Limit("MAX_VECTOR_BYTES", MAX_VECTOR_BYTES, "bytes", "a compressed version vector", "413"),
    Limit("MAX_VECTOR_AUTHORS", MAX_VECTOR_AUTHORS, "authors", "a version vector", "400"),
    Limit(
        "MAX_WANTED_BODIES",
        MAX_WANTED_BODIES,
        "files",
        "the file bodies one request asks a peer for",
        "400 (a hub asks again for the rest)",
    ),
    Limit(
        "MAX_ZSTD_WINDOW_BYTES",
        MAX_ZSTD_WINDOW_BYTES,
        "bytes",
        "the zstd window a frame may ask for",
        "400",
    ),
    Limit(
        "MAX_CLOCK_SKEW_MS",
        MAX_CLOCK_SKEW_MS,
        "ms",
        "a signed request's time against the server's clock",
        "401",
    ),
    Limit(
        "MAX_FUTURE_SKEW_MS",
        MAX_FUTURE_SKEW_MS,
        "ms",
        "a signed request's time ahead of the server's clock",
        "401",
    ),
    Limit(
        "PEER_ANSWER_DEADLINE_S",
        PEER_ANSWER_DEADLINE_S,
        "s",
        "a peer's whole answer to a hub (a trickle is cut)",
        "connection cut; round failed",
    ),
    Limit(
        "MAX_ENROLL_REQUEST_BYTES",
        MAX_ENROLL_REQUEST_BYTES,
        "bytes",
        "an enrollment request's body",
        "413",
    ),
    Limit("WAIT_SECONDS", WAIT_SECONDS, "s", "one long-poll", "answered unchanged"),
    Limit("NONCE_TTL_MS", NONCE_TTL_MS, "ms", "how long a nonce is remembered", "forgotten"),
    Limit(
        "MAX_NONCES",
        MAX_NONCES,
        "nonces",
        "nonces remembered exactly",
        "the earliest move into Bloom filters; counted",
    ),
    Limit(
        "MAX_NONCE_FILTERS",
        MAX_NONCE_FILTERS,
        "filters",
        "Bloom filters of nonces forgotten beyond MAX_NONCES",
        "the newest overfills: more false 'replayed', never a replay let through",
    ),
    Limit(
        "MAX_RATE_BUCKETS",
        MAX_RATE_BUCKETS,
        "keys",
        "request-rate buckets",
        "least recently used forgotten; counted",
    ),
    Limit(
        "STRANGER_REQUESTS_PER_SECOND",
        STRANGER_REQUESTS_PER_SECOND,
        "/s",
        "requests from keys without a grant, per client address",
        "429",
    ),
    Limit(
        "STRANGER_REQUEST_BURST",
        STRANGER_REQUEST_BURST,
        "requests",
        "a burst of strangers' requests per client address",
        "429",
    ),
    Limit(
        "MAX_STRANGER_NONCES",
        MAX_STRANGER_NONCES,
        "nonces",
        "strangers' nonces remembered exactly (apart from members')",
        "the earliest move into Bloom filters; counted",
    ),
    Limit(
        "MAX_STRANGER_WAITS",
        MAX_STRANGER_WAITS,
        "long-polls",
        "strangers' long-polls held open at once",
        "answered at once",
    ),
    Limit("REQUESTS_PER_SECOND", REQUESTS_PER_SECOND, "/s", "requests per key", "429"),
    Limit("REQUEST_BURST", REQUEST_BURST, "requests", "a burst per key", "429"),
    Limit(
        "MAX_HELD_OPS",
        MAX_HELD_OPS,
        "ops",
        "parked ops: held (unknown author, missing seq, Lamport jump) or kept for a later grant",
        "oldest dropped; counted",
    ),
    Limit(
        "MAX_HELD_BYTES",
        MAX_HELD_BYTES,
        "bytes",
        "parked ops' headers and bodies",
        "oldest dropped; counted",
    ),
    Limit(
        "MAX_PENDING_ENROLLMENTS",
        MAX_PENDING_ENROLLMENTS,
        "requests",
        "enrollment requests waiting for an admin",
        "oldest dropped; counted",
    ),
    Limit(
        "ENROLLMENT_BURST_PER_ADDRESS",
        ENROLLMENT_BURST_PER_ADDRESS,
        "requests",
        "enrollment requests from one client address at once",
        "429",
    ),
    Limit(
        "ENROLLMENTS_PER_HOUR_PER_ADDRESS",
        ENROLLMENTS_PER_HOUR_PER_ADDRESS,
        "/h",
        "enrollment requests from one client address after the burst",
        "429",
    ),
    Limit(
        "MAX_CONNECTIONS",
        MAX_CONNECTIONS,
        "connections",
        "open client connections (at most the fd limit minus FD_RESERVE)",
        "closed at once; counted",
    ),
    Limit("FD_RESERVE", FD_RESERVE, "fds", "descriptors kept back from clients", "-"),
    Limit(
        "MAX_CONNECTIONS_PER_ADDRESS",
        MAX_CONNECTIONS_PER_ADDRESS,
        "connections",
        "open connections from one client address",
        "closed at once; counted",
    ),
    Limit(
        "HEADER_TIMEOUT_S",
        HEADER_TIMEOUT_S,
        "s",
        "from connect (or the last answer) to a request's complete headers",
        "connection closed",
    ),
    Limit(
        "BODY_IDLE_TIMEOUT_S",
        BODY_IDLE_TIMEOUT_S,
        "s",
        "a request body's silence between two chunks",
        "connection closed",
    ),
    Limit("BODY_TIMEOUT_S", BODY_TIMEOUT_S, "s", "a request body in all", "connection closed"),
    Limit("KEEP_ALIVE_S", KEEP_ALIVE_S, "s", "an idle kept-alive connection", "closed"),
)


def _number(value: int | float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return f"{int(value):,}"


def markdown_table() -> str:
    """The table of docs/protocol.md's section "Limits"."""
    lines = ["| limit | value | bounds | beyond it |", "|---|---|---|---|"]
    for limit in LIMITS:
        value = f"{_number(limit.value)} {limit.unit}".rstrip()
        lines.append(f"| `{limit.name}` | {value} | {limit.bounds} | {limit.beyond} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
