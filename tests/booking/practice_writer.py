"""`dorfhub practice add` in a process that stops at a given step until it is killed (kill -9
tests of tests/booking/test_practice_crash.py).

It runs the real command (node.cli.main) with one function wrapped so that, on reaching the step,
it prints "at <step>" and sleeps: `record` just before the practice's record is appended (its
grant is written already), `token` just before the feed token is made (the grant and the record
are committed)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

import content.log
from node.cli import main


def _stop(step: str) -> None:
    print(f"at {step}", flush=True)
    while True:
        time.sleep(60)


def _stopping_at_record(original: Callable[..., str]) -> Callable[..., str]:
    def append_in(*args: Any, **kwargs: Any) -> str:
        if args[3] == "practice.meta":
            _stop("record")
        return original(*args, **kwargs)

    return append_in


def _stopping_at_token(*_: Any) -> str:
    _stop("token")
    raise AssertionError("unreachable")


def run(step: str, argv: list[str]) -> int:
    # The library's own names, replaced where its callers look them up.
    patch = pytest.MonkeyPatch()
    if step == "record":
        for module in ("content.log", "content.booking.practices"):
            patch.setattr(f"{module}.append_in", _stopping_at_record(content.log.append_in))
    else:
        patch.setattr("admin.feed.new_feed_token", _stopping_at_token)
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:]))
