"""Signature checks for large batches in a worker process, ahead of the applier.

For a big batch (an initial sync, a USB bundle) one worker process verifies chunk after chunk
while this process applies the chunks already checked; small batches, the common case, are
verified inline.

The batch goes to the worker in one write (the ops' frames) and each chunk's verdicts come back
as one small message, with no helper thread in this process. A thread here (a pool's feeder or
result handler) needs the GIL to pass work on, and the applier holds it in its Python parts:
the worker then starved between chunks and ingest ran no faster than inline (bench/README.md).
A verifier thread instead of a process fares no better: Ed25519 itself releases the GIL, but the
Python around it and the applier's take turns with it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Generator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from content.ops import (
    Header,
    OpError,
    RawOp,
    decode_frames,
    decode_verified_header,
    encode_frame,
    verify,
)

# Below this a batch is verified inline: for a sync batch (about 200 notices) the worker gave no
# measurable gain and costs a process of about 90 MB (bench/README.md).
PARALLEL_MIN_OPS = 256
CHUNK_OPS = 32

Checked = tuple[RawOp, Header | OpError]


def check_one(op: RawOp) -> Header | OpError:
    try:
        return verify(op)
    except OpError as exc:
        return exc


def _serve(conn: Connection) -> None:
    """The worker: for each batch of frames, send what is wrong with each op (None if
    nothing), one list per chunk. Strings cross the pipe far more cheaply than headers, which
    the applier decodes again in microseconds."""
    while True:
        try:
            ops = list(decode_frames(conn.recv_bytes()))
        except (EOFError, OSError):
            return
        for start in range(0, len(ops), CHUNK_OPS):
            results = map(check_one, ops[start : start + CHUNK_OPS])
            conn.send([None if isinstance(r, Header) else str(r) for r in results])


class _Worker:
    def __init__(self) -> None:
        # forkserver: never fork a process that runs threads (uvicorn, the sync loop).
        context = multiprocessing.get_context("forkserver")
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child,), name="dorfhub-verify", daemon=True
        )
        self.process.start()
        child.close()
        self.busy = threading.Lock()

    def close(self) -> None:
        self.conn.close()
        self.process.terminate()
        self.process.join(5)


_worker: _Worker | None = None
_worker_lock = threading.Lock()


def _take_worker() -> _Worker | None:
    """The worker, reserved for one batch; None while another thread's batch has it."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.process.is_alive():
            _worker = _Worker()
        return _worker if _worker.busy.acquire(blocking=False) else None


def _discard(worker: _Worker) -> None:
    """A worker left mid-batch still owes verdicts: it is replaced, never reused."""
    global _worker
    with _worker_lock:
        if _worker is worker:
            _worker = None
    worker.close()


def checked(ops: Sequence[RawOp]) -> Generator[Checked, None, None]:
    """Each op with its verified header or the reason it failed, in order."""
    worker = None
    if len(ops) >= PARALLEL_MIN_OPS and (os.cpu_count() or 1) >= 2:
        worker = _take_worker()
    if worker is None:
        for op in ops:
            yield op, check_one(op)
        return
    finished = False
    try:
        worker.conn.send_bytes(b"".join(map(encode_frame, ops)))
        for start in range(0, len(ops), CHUNK_OPS):
            chunk = ops[start : start + CHUNK_OPS]
            try:
                problems: list[str | None] = worker.conn.recv()
            except (EOFError, OSError):  # the worker died: check the rest here
                problems = [
                    None if isinstance(r, Header) else str(r) for r in map(check_one, chunk)
                ]
            for op, problem in zip(chunk, problems, strict=True):
                yield op, OpError(problem) if problem else decode_verified_header(op.header)
        finished = True
    finally:
        worker.busy.release()
        if not finished:
            _discard(worker)
