"""Signature checks for large batches in worker processes, ahead of the applier.

Verifying Ed25519 holds the GIL, so threads do not help. For a big batch (an initial sync, a
USB bundle) worker processes verify chunks while this process applies the chunks already
checked; small batches, the common case, are verified inline.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from content.ops import Header, OpError, RawOp, decode_header, verify

# Below this a batch is verified inline: for a sync batch (about 200 notices) the worker gave no
# measurable gain and costs a process of about 90 MB (bench/README.md).
PARALLEL_MIN_OPS = 256
CHUNK_OPS = 32

Checked = tuple[RawOp, Header | OpError]

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def check_one(op: RawOp) -> Header | OpError:
    try:
        return verify(op)
    except OpError as exc:
        return exc


def _problems(ops: Sequence[RawOp]) -> list[str | None]:
    """In a worker: what is wrong with each op, or None. Strings cross the process boundary
    far more cheaply than headers, which the applier decodes again in microseconds."""
    return [None if isinstance(result, Header) else str(result) for result in map(check_one, ops)]


def _workers() -> int:
    return max(1, (os.cpu_count() or 1) - 1)


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # forkserver: never fork a process that runs threads (uvicorn, the sync loop).
            context = multiprocessing.get_context("forkserver")
            _pool = ProcessPoolExecutor(_workers(), mp_context=context)
        return _pool


def checked(ops: Sequence[RawOp]) -> Iterator[Checked]:
    """Each op with its verified header or the reason it failed, in order."""
    if len(ops) < PARALLEL_MIN_OPS or (os.cpu_count() or 1) < 2:
        for op in ops:
            yield op, check_one(op)
        return
    chunks = [ops[i : i + CHUNK_OPS] for i in range(0, len(ops), CHUNK_OPS)]
    for chunk, problems in zip(chunks, _get_pool().map(_problems, chunks), strict=True):
        for op, problem in zip(chunk, problems, strict=True):
            yield op, OpError(problem) if problem else decode_header(op.header)
