"""The peer API's in-memory guards under a flood of strangers' keys (issue 13, finding 9): the
nonce book and the rate buckets stay within their caps, count what they drop, and forgetting a
nonce early never lets its request be replayed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.guards import NonceBook, RateLimiter, Replayed

START = 1_700_000_000_000


def test_replay_is_refused() -> None:
    book = NonceBook(START)
    book.check("node", "n1", START + 10, START + 10)
    with pytest.raises(Replayed, match="replayed request"):
        book.check("node", "n1", START + 10, START + 20)
    book.check("other", "n1", START + 10, START + 20)  # nonces are per node


def test_request_signed_before_the_server_started_is_refused() -> None:
    with pytest.raises(Replayed, match="before this server started"):
        NonceBook(START).check("node", "n1", START - 1, START)


def test_flood_of_nonces_stays_within_the_cap_and_is_counted() -> None:
    book = NonceBook(START, capacity=1000)
    for number in range(10_000):
        book.check(f"key{number}", "n", START + number, START + number)
        assert len(book.seen) <= 1000
    assert book.dropped["nonces"] >= 9000
    assert book.dropped["nonces"] + len(book.seen) == 10_000


def test_forgotten_nonce_cannot_be_replayed() -> None:
    """The nonce is gone from the book, but its request is older than the floor."""
    book = NonceBook(START, capacity=100)
    book.check("victim", "secret", START + 5, START + 5)
    for number in range(200):
        book.check(f"flood{number}", "n", START + 10 + number, START + 10 + number)
    assert "victim:secret" not in book.seen
    with pytest.raises(Replayed, match="too old for the replay guard"):
        book.check("victim", "secret", START + 5, START + 300)


def test_honest_request_after_a_flood_is_accepted() -> None:
    book = NonceBook(START, capacity=100)
    for number in range(500):
        book.check(f"flood{number}", "n", START + number, START + number)
    book.check("hub", "fresh", START + 1000, START + 1000)


def test_expired_nonces_leave_before_any_live_one_is_forgotten() -> None:
    """Nonces older than the accepted clock window cost nothing to forget: no floor rises."""
    book = NonceBook(START, capacity=100)
    for number in range(100):
        book.check(f"old{number}", "n", START + number, START + number)
    later = START + 60 * 60 * 1000
    book.check("hub", "n", later, later)
    assert book.floor_ms == 0
    assert list(book.seen) == ["hub:n"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5_000)), max_size=400))
def test_no_nonce_is_ever_accepted_twice(requests: list[tuple[int, int]]) -> None:
    """Whatever the order and the evictions, a (node, nonce) pair passes at most once."""
    book = NonceBook(START, capacity=20)
    accepted: set[tuple[int, int]] = set()
    now = START
    for node, signed_offset in requests:
        now += 1
        pair = (node, signed_offset)
        try:
            book.check(str(node), str(signed_offset), START + signed_offset, now)
        except Replayed:
            continue
        assert pair not in accepted
        accepted.add(pair)


def test_rate_limiter_refuses_beyond_the_burst_and_refills() -> None:
    limiter = RateLimiter(rate=10, burst=5)
    assert [limiter.allow("key", now=0.0) for _ in range(6)] == [True] * 5 + [False]
    assert limiter.allow("key", now=0.1)  # one token back after a tenth of a second


def test_rate_buckets_are_capped_least_recently_seen_first() -> None:
    limiter = RateLimiter(rate=10, burst=5, capacity=100)
    limiter.allow("hub", now=0.0)
    for number in range(1000):
        limiter.allow(f"stranger{number}", now=0.0)
        limiter.allow("hub", now=0.0)  # an active key stays
        assert len(limiter.buckets) <= 100
    assert "hub" in limiter.buckets
    assert limiter.dropped["rate_buckets"] == 1000 + 1 - 100
