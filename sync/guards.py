"""In-memory guards of the peer API: the replay guard (nonces) and per-key request rates
(content/rate_limit.py, shared with the desk's login limit).

Both hold state that a stranger can grow (keys are free to make), so both are capped
(content/limits.py) and count what they drop in `dropped`, which the server writes to the
store's tally from time to time. Pure: the caller passes the clock.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from dataclasses import dataclass, field

from content.limits import MAX_CLOCK_SKEW_MS, MAX_NONCE_FILTERS, MAX_NONCES, NONCE_TTL_MS
from content.rate_limit import RateLimiter as RateLimiter
from content.rate_limit import TokenBucket as TokenBucket


class Replayed(Exception):
    """A request whose nonce was seen, or that the replay guard can no longer vouch for."""


@dataclass
class BloomFilter:
    """A set that answers "maybe" or "no" in fixed memory: `bits` bits, `hashes` probes. At
    the `capacity` it is sized for, about 1 in 1,000 absent keys is a false "maybe", so even
    MAX_NONCE_FILTERS full filters together refuse fewer than 1 in 100 honest requests."""

    capacity: int
    bits: int = 0
    hashes: int = 10
    count: int = 0
    newest_ms: int = 0
    table: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        # 14.4 bits per key and 10 probes give a 0.1 % false-positive rate at capacity.
        self.bits = self.bits or max(64, int(self.capacity * 14.4))
        self.table = self.table or bytearray((self.bits + 7) // 8)

    def _positions(self, key: str) -> list[int]:
        # Two 64-bit hashes make all the probes (Kirsch and Mitzenmacher's double hashing).
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        first, second = int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:], "big")
        return [(first + i * second) % self.bits for i in range(self.hashes)]

    def add(self, key: str, signed_ms: int) -> None:
        for position in self._positions(key):
            self.table[position >> 3] |= 1 << (position & 7)
        self.count += 1
        self.newest_ms = max(self.newest_ms, signed_ms)

    def might_hold(self, key: str) -> bool:
        return all(self.table[p >> 3] & (1 << (p & 7)) for p in self._positions(key))


@dataclass
class NonceBook:
    """Remembers each (node, nonce) until its signed time is too old to be accepted anyway.

    Requests are accepted only within MAX_CLOCK_SKEW_MS of the server's clock, so a nonce needs
    remembering for about that long (NONCE_TTL_MS, with room to spare). Up to `capacity`
    nonces are kept exactly; beyond, the ones signed earliest move into Bloom filters of fixed
    size (`forgotten`), so a flood costs bounded memory, a replay is still caught, and no
    honest request is refused for being old: at worst a rare false "seen" makes the client
    sign again with a new nonce. A filter is dropped once everything in it is too old.
    """

    started_ms: int
    capacity: int = MAX_NONCES
    dropped: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)
    by_time: list[tuple[int, str]] = field(default_factory=list)  # a heap: earliest first
    forgotten: list[BloomFilter] = field(default_factory=list)

    def knows(self, node: str, nonce: str) -> bool:
        key = f"{node}:{nonce}"
        return key in self.seen or any(bloom.might_hold(key) for bloom in self.forgotten)

    def knows_exactly(self, node: str, nonce: str) -> bool:
        """Held in the exact book (no filter's "maybe")."""
        return f"{node}:{nonce}" in self.seen

    def check(self, node: str, nonce: str, signed_ms: int, now_ms: int) -> None:
        """Record the nonce, or raise Replayed."""
        # Nonces live in memory: a request signed before this process started could be
        # replayed after a restart, so such requests are refused (clients sign afresh).
        if signed_ms < self.started_ms:
            raise Replayed("request signed before this server started; sign it again")
        if self.knows(node, nonce):
            raise Replayed("replayed request")
        key = f"{node}:{nonce}"
        self.seen.add(key)
        heapq.heappush(self.by_time, (signed_ms, key))
        if len(self.seen) > self.capacity:
            self._shrink(now_ms)

    def _shrink(self, now_ms: int) -> None:
        horizon = now_ms - max(NONCE_TTL_MS, 2 * MAX_CLOCK_SKEW_MS)
        while self.by_time and self.by_time[0][0] <= horizon:
            self.seen.discard(heapq.heappop(self.by_time)[1])  # too old to be accepted anyway
        self.forgotten = [bloom for bloom in self.forgotten if bloom.newest_ms > horizon]
        # Keep a tenth free, so that a flood does not make every request shrink the book.
        target = self.capacity * 9 // 10
        moved = 0
        while len(self.seen) > target:
            signed_ms, key = heapq.heappop(self.by_time)
            self.seen.discard(key)
            self._filter().add(key, signed_ms)
            moved += 1
        if moved:
            self.dropped["nonces"] += moved

    def _filter(self) -> BloomFilter:
        """The filter taking forgotten nonces now: a new one once the last is full, up to
        MAX_NONCE_FILTERS; past that the newest is overfilled (more false "seen", never a
        replay let through)."""
        last = self.forgotten[-1] if self.forgotten else None
        if last is None or (
            last.count >= last.capacity and len(self.forgotten) < MAX_NONCE_FILTERS
        ):
            last = BloomFilter(self.capacity)
            self.forgotten.append(last)
        return last


@dataclass
class ReplayGuard:
    """Members' and strangers' nonces in books of their own: keys without a grant are free to
    make, so however they flood their book and its filters, members' nonces are untouched. A
    nonce held exactly in the other book is a replay too (a request signed while a key was a
    stranger must not pass again once it holds a grant); the other book's filters are not
    asked, or a flood of strangers would fill them and refuse members at random."""

    members: NonceBook
    strangers: NonceBook

    def check(self, member: bool, node: str, nonce: str, signed_ms: int, now_ms: int) -> None:
        book, other = (self.members, self.strangers) if member else (self.strangers, self.members)
        if other.knows_exactly(node, nonce):
            raise Replayed("replayed request")
        book.check(node, nonce, signed_ms, now_ms)

    @property
    def dropped(self) -> Counter[str]:
        return self.members.dropped + self.strangers.dropped

    def clear_dropped(self) -> None:
        self.members.dropped.clear()
        self.strangers.dropped.clear()
