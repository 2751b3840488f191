"""Events and the framing loop the binary sensor parsers share.

A parser is fed bytes in any chunking and returns events; it never raises into the polling
loop. On a bad checksum, length or trailer it slides forward one byte and looks for the next
header (SENSORS.md, reading rule 1), so noise costs at most the frames it overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Measurement:
    quantity: str  # a key of hardware.readings.QUANTITY_UNITS
    value: float


@dataclass(frozen=True, slots=True)
class Frame:
    """A data frame that passed every check."""

    protocol: str
    measurements: tuple[Measurement, ...]
    raw: bytes

    @property
    def all_zero(self) -> bool:
        """Sensors send zeros while their fan or lamp warms up (rule 3 drops these)."""
        return all(m.value == 0 for m in self.measurements)


@dataclass(frozen=True, slots=True)
class Reply:
    """A checked acknowledgement of a command (SDS011 `AA C5`, PMS7003 length-4 frames)."""

    protocol: str
    command: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ChecksumError:
    """A candidate frame whose checksum (or CRC) did not match; the parser slid one byte."""

    protocol: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Resync:
    """A candidate frame with an impossible length, field or trailer; the parser slid one byte."""

    protocol: str
    reason: str


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes dropped while hunting for a frame (one event per feed, not per byte)."""

    protocol: str
    skipped: int


Event = Frame | Reply | ChecksumError | Resync | Garbage


@dataclass(slots=True)
class ParserCounters:
    frames_ok: int = 0
    replies: int = 0
    checksum_errors: int = 0
    resyncs: int = 0
    bytes_skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "frames_ok": self.frames_ok,
            "replies": self.replies,
            "checksum_errors": self.checksum_errors,
            "resyncs": self.resyncs,
            "bytes_skipped": self.bytes_skipped,
        }


class BadChecksum(Exception):
    """Raised by `_decode` only; `feed` turns it into a ChecksumError event."""


@dataclass
class BinaryParser:
    """Fixed-header framing: find `header`, ask the protocol for the frame length, check, decode.

    Subclasses set `protocol`, `header`, `min_bytes` (bytes needed before the length is known)
    and implement `_frame_length` (None: impossible candidate) and `_decode`.
    """

    counters: ParserCounters = field(default_factory=ParserCounters)
    _buffer: bytearray = field(default_factory=bytearray, repr=False)

    protocol = "binary"
    header = b""
    min_bytes = 1

    def reset(self) -> None:
        """Forget a partial frame, e.g. after a reconnect."""
        self._buffer.clear()

    def _frame_length(self, buffer: bytearray, start: int) -> int | str:
        """The total frame length, or a reason why the bytes at `start` are no frame."""
        raise NotImplementedError

    def _decode(self, frame: bytes) -> Frame | Reply:
        """Check and decode a complete candidate; raise BadChecksum if the checksum fails."""
        raise NotImplementedError

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        try:
            self._scan(data, events)
        except Exception as exc:  # a parser bug must not stop the reader; drop the buffer
            dropped = len(self._buffer)
            self._buffer.clear()
            self.counters.bytes_skipped += dropped
            events.append(Resync(self.protocol, f"internal error {type(exc).__name__}"))
        return events

    def _scan(self, data: bytes, events: list[Event]) -> None:
        buffer = self._buffer
        buffer += data
        header, counters = self.header, self.counters
        end = len(buffer)
        pos = 0
        skipped = 0
        while True:
            found = buffer.find(header, pos)
            if found < 0:
                # Keep a trailing partial header: the rest of it may come with the next chunk.
                keep = 0
                for size in range(min(len(header) - 1, end - pos), 0, -1):
                    if buffer.endswith(header[:size]):
                        keep = size
                        break
                skipped += end - pos - keep
                pos = end - keep
                break
            skipped += found - pos
            pos = found
            if end - pos < self.min_bytes:
                break
            length = self._frame_length(buffer, pos)
            if isinstance(length, str):
                counters.resyncs += 1
                events.append(Resync(self.protocol, length))
                pos += 1
                skipped += 1
                continue
            if end - pos < length:
                break
            frame = bytes(buffer[pos : pos + length])
            try:
                event = self._decode(frame)
            except BadChecksum:
                counters.checksum_errors += 1
                events.append(ChecksumError(self.protocol, frame))
                pos += 1
                skipped += 1
                continue
            if isinstance(event, Frame):
                counters.frames_ok += 1
            else:
                counters.replies += 1
            events.append(event)
            pos += length
        if skipped:
            counters.bytes_skipped += skipped
            events.append(Garbage(self.protocol, skipped))
        del buffer[:pos]
