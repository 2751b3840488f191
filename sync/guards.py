"""In-memory guards of the peer API: the replay guard (nonces) and per-key request rates
(content/rate_limit.py, shared with the desk's login limit).

Both hold state that a stranger can grow (keys are free to make), so both are capped
(content/limits.py) and count what they drop in `dropped`, which the server writes to the
store's tally from time to time. Pure: the caller passes the clock.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from content.limits import MAX_CLOCK_SKEW_MS, MAX_NONCES, NONCE_TTL_MS
from content.rate_limit import RateLimiter as RateLimiter
from content.rate_limit import TokenBucket as TokenBucket


class Replayed(Exception):
    """A request whose nonce was seen, or that the replay guard can no longer vouch for."""


@dataclass
class NonceBook:
    """Remembers each (node, nonce) until its signed time is too old to be accepted anyway.

    Requests are accepted only within MAX_CLOCK_SKEW_MS of the server's clock, so a nonce needs
    remembering for about that long (NONCE_TTL_MS, with room to spare). Beyond `capacity`, the
    oldest nonces are forgotten early, and the guard then refuses every request signed at or
    before the newest forgotten one (`floor_ms`): forgetting never opens a replay window.
    """

    started_ms: int
    capacity: int = MAX_NONCES
    dropped: Counter[str] = field(default_factory=Counter)
    floor_ms: int = 0
    seen: OrderedDict[str, int] = field(default_factory=OrderedDict)

    def check(self, node: str, nonce: str, signed_ms: int, now_ms: int) -> None:
        """Record the nonce, or raise Replayed."""
        # Nonces live in memory: a request signed before this process started could be
        # replayed after a restart, so such requests are refused (clients sign afresh).
        if signed_ms < self.started_ms:
            raise Replayed("request signed before this server started; sign it again")
        if signed_ms <= self.floor_ms:
            raise Replayed("request too old for the replay guard under load; sign it again")
        key = f"{node}:{nonce}"
        if key in self.seen:
            raise Replayed("replayed request")
        self.seen[key] = signed_ms
        if len(self.seen) > self.capacity:
            self._shrink(now_ms)

    def _shrink(self, now_ms: int) -> None:
        horizon = now_ms - max(NONCE_TTL_MS, 2 * MAX_CLOCK_SKEW_MS)
        self.seen = OrderedDict((k, t) for k, t in self.seen.items() if t > horizon)
        # Keep a tenth free, so that a flood does not make every request rebuild the table.
        target = self.capacity * 9 // 10
        evicted = 0
        while len(self.seen) > target:
            _key, signed_ms = self.seen.popitem(last=False)
            self.floor_ms = max(self.floor_ms, signed_ms)
            evicted += 1
        if evicted:
            self.dropped["nonces"] += evicted
