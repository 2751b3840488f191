"""Big batches are verified by a worker process ahead of the applier: the verdicts are the same
as inline, a tampered op is named, and a worker that dies or a batch left half-read never
mixes verdicts into the next batch."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import pytest

from content import log as log_module
from content import notices, signature_checks
from content.identity import Identity
from content.log_audit import verify_store
from content.ops import Header, OpError, RawOp
from tests.content.conftest import Network
from tests.content.helpers import next_position, notice, sign_op, snapshot

BIG = signature_checks.PARALLEL_MIN_OPS + 40


def _ops(network: Network, count: int) -> list[RawOp]:
    for number in range(count):
        notices.publish(network.log, network.admin, notice(f"Aushang {number}"))
    return list(network.log.ops_missing_from({}))


def _verdicts(ops: list[RawOp]) -> list[str]:
    return ["ok" if isinstance(h, Header) else str(h) for _, h in signature_checks.checked(ops)]


def _tampered(op: RawOp) -> RawOp:
    header = bytearray(op.header)
    header[-3] ^= 0x01
    return RawOp(bytes(header), op.signature, op.body)


def test_a_big_batch_gets_the_verdicts_inline_checking_gives(network: Network) -> None:
    ops = _ops(network, BIG)
    ops[100] = _tampered(ops[100])
    inline = [
        "ok" if isinstance(h, Header) else str(h) for h in map(signature_checks.check_one, ops)
    ]
    assert _verdicts(ops) == inline
    assert inline[100] != "ok"
    assert inline.count("ok") == len(ops) - 1


def test_headers_from_the_worker_path_equal_the_checked_ones(network: Network) -> None:
    """The applier decodes worker-checked headers without repeating the checks: the result
    must be the same Header, sealed_to included."""
    ops = _ops(network, BIG)
    hub = Identity.generate("Hub Ringelai")
    ops.append(
        sign_op(
            network.admin,
            network.network_id,
            **next_position(network.log, network.admin),
            kind="help.request",
            entity="h-1",
            body=b"sealed",
            sealed_to=sorted([hub.key_id, network.admin.key_id]),
        )
    )
    from_worker = [header for _, header in signature_checks.checked(ops)]
    assert from_worker == [signature_checks.check_one(op) for op in ops]
    sealed = from_worker[-1]
    assert isinstance(sealed, Header)
    assert sealed.sealed_to == sorted([hub.key_id, network.admin.key_id])


def test_a_worker_killed_mid_batch_leaves_the_rest_checked_here(network: Network) -> None:
    ops = _ops(network, BIG)
    ops[-1] = _tampered(ops[-1])
    stream = signature_checks.checked(ops)
    first = [next(stream)]
    worker = signature_checks._worker
    assert worker is not None
    worker.process.kill()
    worker.process.join(5)
    rest = list(stream)
    results = [h for _, h in first + rest]
    assert len(results) == len(ops)
    assert all(isinstance(h, Header) for h in results[:-1])
    assert isinstance(results[-1], OpError)
    assert _verdicts(ops)[:-1] == ["ok"] * (len(ops) - 1)  # a new worker for the next batch


def test_a_batch_left_half_read_does_not_leak_into_the_next(network: Network) -> None:
    ops = _ops(network, BIG)
    stream = signature_checks.checked(ops)
    next(stream)
    stream.close()  # the applier gave up (an exception) after the first op
    tampered = [_tampered(op) for op in ops]
    assert all(v != "ok" for v in _verdicts(tampered))
    assert _verdicts(ops) == ["ok"] * len(ops)


# ---- a stream of small batches (a USB bundle) ------------------------------------------------


def _in_batches(ops: list[RawOp], size: int) -> list[list[RawOp]]:
    return [ops[start : start + size] for start in range(0, len(ops), size)]


def test_batches_verified_ahead_give_what_one_batch_gives(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small batches taken together (two runs, the first through the worker) apply the same ops
    to the same views as one batch."""
    monkeypatch.setattr(log_module, "VERIFY_AHEAD_OPS", signature_checks.PARALLEL_MIN_OPS)
    ops = _ops(network, 2 * signature_checks.PARALLEL_MIN_OPS + 30)
    whole, in_batches = network.fresh_log("whole"), network.fresh_log("batches")
    whole.ingest(ops)
    report = in_batches.ingest_batches(_in_batches(ops, 50))
    assert report.applied == [op.op_id for op in ops]
    assert report.held == report.rejected == []
    assert snapshot(in_batches.store) == snapshot(whole.store)
    assert verify_store(in_batches.store).ok


def test_an_op_held_in_one_batch_and_applied_in_a_later_one_counts_as_applied(
    network: Network,
) -> None:
    ops = _ops(network, 20)
    first, rest = ops[:2], ops[2:]  # the grants, then the notices
    batches = [first, rest[10:], rest[:10]]  # later notices arrive before earlier ones
    report = network.fresh_log("hub").ingest_batches(batches)
    assert sorted(report.applied) == sorted(op.op_id for op in ops)
    assert report.held == []


def test_a_failing_run_keeps_the_ones_before_and_frees_the_worker(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_module, "VERIFY_AHEAD_OPS", 300)
    ops = _ops(network, 2 * 300)
    hub = network.fresh_log("hub")
    real_ingest = log_module._Applier.ingest
    calls = []

    def failing_second(applier: log_module._Applier, verdicts: Iterable[Any]) -> None:
        calls.append(1)
        if len(calls) == 2:
            next(iter(verdicts))  # the worker has begun on this run
            raise sqlite3.OperationalError("disk I/O error")
        real_ingest(applier, verdicts)

    monkeypatch.setattr(log_module._Applier, "ingest", failing_second)
    with pytest.raises(sqlite3.OperationalError):
        hub.ingest_batches(_in_batches(ops, 100))
    assert sum(hub.version_vector().values()) == 300  # the first run of three batches
    monkeypatch.setattr(log_module._Applier, "ingest", real_ingest)
    assert _verdicts(ops) == ["ok"] * len(ops)  # the worker left mid-run was replaced
    rest = hub.ingest(ops)
    assert len(rest.applied) == len(ops) - 300
