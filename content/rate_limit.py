"""Token buckets per key: the peer API limits requests per node key (sync/server.py), the desk
limits failed logins per client address (admin/desk). Pure: the caller passes the clock.

Keys are free to make (a node key, a client address), so the table of buckets is capped and
forgets the least recently seen first; what it forgets is counted in `dropped`.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from content.limits import MAX_RATE_BUCKETS, REQUEST_BURST, REQUESTS_PER_SECOND


@dataclass
class TokenBucket:
    """`rate` requests a second, bursts up to `burst`."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def take(self, now: float) -> bool:
        self.refill(now)
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class RateLimiter:
    """A token bucket per key; beyond `capacity` keys the least recently seen are forgotten
    (a forgotten key starts again with a full burst, which any new key gets anyway)."""

    rate: float = REQUESTS_PER_SECOND
    burst: float = REQUEST_BURST
    capacity: int = MAX_RATE_BUCKETS
    dropped: Counter[str] = field(default_factory=Counter)
    buckets: OrderedDict[str, TokenBucket] = field(default_factory=OrderedDict)

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        now = time.monotonic() if now is None else now
        return self._bucket(key, now).take(now)

    def ready(self, key: str, now: float | None = None) -> bool:
        """Whether `key` has a token, without taking it: for work that costs a token only
        when it fails (a desk login that succeeds is free)."""
        now = time.monotonic() if now is None else now
        bucket = self._bucket(key, now)
        bucket.refill(now)
        return bucket.tokens >= 1

    def _bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(self.rate, self.burst, self.burst, now)
            if len(self.buckets) > self.capacity:
                self.buckets.popitem(last=False)
                self.dropped["rate_buckets"] += 1
        else:
            self.buckets.move_to_end(key)
        return bucket
