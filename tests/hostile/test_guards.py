"""The peer API's in-memory guards under a flood of strangers' keys (issue 13, finding 9): the
nonce book and the rate buckets stay within their caps, count what they drop, and forgetting a
nonce early never lets its request be replayed."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.guards import NonceBook, RateLimiter, Replayed, ReplayGuard

START = 1_700_000_000_000


def accepted(book: NonceBook, node: str, signed_ms: int, now_ms: int) -> bool:
    """Whether the book takes a fresh nonce (a flood does not care about the rare false
    "replayed" a full Bloom filter gives)."""
    try:
        book.check(node, "n", signed_ms, now_ms)
    except Replayed:
        return False
    return True


def test_replay_is_refused() -> None:
    book = NonceBook(START)
    book.check("node", "n1", START + 10, START + 10)
    with pytest.raises(Replayed, match="replayed request"):
        book.check("node", "n1", START + 10, START + 20)
    book.check("other", "n1", START + 10, START + 20)  # nonces are per node


def test_request_signed_before_the_server_started_is_refused() -> None:
    with pytest.raises(Replayed, match="before this server started"):
        NonceBook(START).check("node", "n1", START - 1, START)


def test_flood_of_nonces_keeps_the_exact_book_within_its_cap_and_is_counted() -> None:
    book = NonceBook(START, capacity=1000)
    taken = 0
    for number in range(10_000):
        taken += accepted(book, f"key{number}", START + number, START + number)
        assert len(book.seen) <= 1000
    assert taken > 9_900
    assert book.dropped["nonces"] + len(book.seen) == taken
    assert sum(bloom.count for bloom in book.forgotten) == book.dropped["nonces"]


def test_forgotten_nonce_cannot_be_replayed() -> None:
    """The nonce left the exact book for a Bloom filter, which still knows it."""
    book = NonceBook(START, capacity=100)
    book.check("victim", "secret", START + 5, START + 5)
    for number in range(200):
        accepted(book, f"flood{number}", START + 10 + number, START + 10 + number)
    assert "victim:secret" not in book.seen
    with pytest.raises(Replayed, match="replayed request"):
        book.check("victim", "secret", START + 5, START + 300)


def test_a_flood_signed_ahead_refuses_no_honest_request() -> None:
    """The reviewer's attack: fresh keys sign as far ahead as the server allows, so that the
    nonces forgotten are all newer than an honest request signed now. Nothing an honest client
    signs now is refused for being old (there is no floor), only a rare false positive."""
    book = NonceBook(START, capacity=1000)
    ahead = START + 29_000
    # As many as the exact book and MAX_NONCE_FILTERS full filters hold (for members at the
    # real capacity: 900,000 requests in ten minutes, 30 hubs at their full rate).
    for number in range(8_000):
        accepted(book, f"spam{number}", ahead, START + number // 100)
    refused = sum(not accepted(book, f"hub{n}", START + 300, START + 300) for n in range(2000))
    assert refused < 2000 * 0.02  # full filters give under 1 %, overfilled a little more


def test_strangers_flood_their_own_book_only() -> None:
    guard = ReplayGuard(NonceBook(START, capacity=100), NonceBook(START, capacity=100))
    guard.check(True, "hub", "n1", START, START)
    for number in range(5000):
        with contextlib.suppress(Replayed):  # a full filter's false positive: no matter
            guard.check(False, f"stranger{number}", "n", START + 29_000, START)
    assert guard.members.seen == {"hub:n1"}
    assert guard.members.forgotten == []
    guard.check(True, "hub", "n2", START + 1, START + 1)


def test_a_nonce_seen_as_a_stranger_is_refused_once_the_key_holds_a_grant() -> None:
    guard = ReplayGuard(NonceBook(START), NonceBook(START))
    guard.check(False, "new-hub", "n1", START, START)
    with pytest.raises(Replayed):
        guard.check(True, "new-hub", "n1", START, START + 10)


def test_expired_nonces_are_dropped_before_any_live_one_moves() -> None:
    """Nonces older than the accepted clock window cost nothing to forget."""
    book = NonceBook(START, capacity=100)
    for number in range(100):
        book.check(f"old{number}", "n", START + number, START + number)
    later = START + 60 * 60 * 1000
    book.check("hub", "n", later, later)
    assert book.forgotten == []
    assert book.seen == {"hub:n"}


def test_filters_are_dropped_once_everything_in_them_is_too_old() -> None:
    book = NonceBook(START, capacity=100)
    for number in range(300):
        accepted(book, f"early{number}", START, START)
    assert book.forgotten
    later = START + 60 * 60 * 1000
    for number in range(200):
        accepted(book, f"late{number}", later, later)
    assert all(bloom.newest_ms == later for bloom in book.forgotten)


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
