"""JSON lines that break the decoder (issue 13, finding 7): a 310-digit integer or nesting 2,000
deep is one garbled line; the valid lines after it, even in the same read, are all parsed."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.parsers import Event, Frame, JSONLinesParser, Resync
from hardware.parsers.jsonlines import MAX_LINE
from hardware.transport import open_port

HUGE_INTEGER = b'{"temperature": ' + b"9" * 310 + b"}"
DEEP_NESTING = b'{"temperature": ' + b"[" * 2000 + b"]" * 2000 + b"}"
HOSTILE = {"huge integer": HUGE_INTEGER, "deep nesting": DEEP_NESTING}
GOOD = [json.dumps({"temperature": 20 + n, "humidity": 40 + n}).encode() for n in range(3)]


def internal_errors(events: list[Event]) -> list[Resync]:
    return [e for e in events if isinstance(e, Resync) and e.reason.startswith("internal")]


def temperatures(events: list[Event]) -> list[float]:
    """The temperature of each frame among `events`, in order."""
    frames = [event for event in events if isinstance(event, Frame)]
    return [m.value for frame in frames for m in frame.measurements if m.quantity == "temperature"]


@pytest.mark.parametrize("line", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_line_that_breaks_the_decoder_costs_only_itself(line: bytes) -> None:
    assert len(line) <= MAX_LINE  # within the cap, so the decoder does see it
    parser = JSONLinesParser()
    events = parser.feed(b"\n".join([GOOD[0], line, *GOOD[1:]]) + b"\n")
    assert temperatures(events) == [20.0, 21.0, 22.0]
    assert internal_errors(events) == []
    assert parser.counters.frames_ok == 3
    assert parser.counters.resyncs == 1
    assert parser.counters.bytes_skipped == len(line) + 1


def test_hostile_lines_through_a_serial_port() -> None:
    """The same bytes the way the reader gets them: through a pyserial port, read back whole, so
    every line sits in the parser's buffer at once."""
    stream = b"\n".join([HUGE_INTEGER, GOOD[0], DEEP_NESTING, GOOD[1], HUGE_INTEGER, GOOD[2]])
    stream += b"\n"
    port = open_port("loop://", timeout=10)
    # loop:// refuses a write that would outlast the write timeout at the line's baud rate.
    port.baudrate = 1_000_000
    # Its buffer holds 4 KiB: write while the test reads.
    writer = threading.Thread(target=port.write, args=(stream,))
    try:
        writer.start()
        received = port.read(len(stream))
    finally:
        writer.join()
        port.close()
    assert received == stream
    parser = JSONLinesParser()
    events = parser.feed(received)
    assert temperatures(events) == [20.0, 21.0, 22.0]
    assert internal_errors(events) == []
    assert parser.counters.resyncs == 3


def _nested(depth: int, leaf: str) -> str:
    return '{"temperature": ' + "[" * depth + leaf + "]" * depth + "}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
hostile_lines = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["temperature", "co2", "SDS_P2", "x"]), json_values).map(
        lambda value: json.dumps(value).encode()
    ),
    st.integers(min_value=300, max_value=4000).map(
        lambda digits: HUGE_INTEGER[:16] + b"7" * digits + b"}"
    ),
    st.integers(min_value=500, max_value=2040).map(lambda depth: _nested(depth, "1").encode()),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(hostile_lines, max_size=8))
def test_no_line_stops_the_lines_after_it(lines: list[bytes]) -> None:
    """Any bytes at all: the parser never fails inside, and each valid line that follows a
    hostile one, in the same read, comes through."""
    stream = b"".join(line.replace(b"\n", b"") + b"\n" + GOOD[0] + b"\n" for line in lines)
    events = JSONLinesParser().feed(stream)
    assert internal_errors(events) == []
    assert temperatures(events).count(20.0) >= len(lines)
