"""Running a coroutine to the end from a synchronous test, whatever else the worker runs."""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own. Playwright's sync API (tests/desk) keeps an event
    loop running in the main thread of an xdist worker for the rest of the session, and
    asyncio.run refuses to start beside it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
