"""One pure parser per serial sensor protocol (SENSORS.md, reading rule 1).

Each parser has `feed(data: bytes) -> list[Event]`, takes bytes in any chunking, resynchronises
by sliding one byte after a bad checksum or length, never raises, and keeps `counters`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from hardware.parsers.base import (
    ChecksumError,
    Event,
    Frame,
    Garbage,
    Measurement,
    ParserCounters,
    Reply,
    Resync,
)
from hardware.parsers.jsonlines import JSONLinesParser
from hardware.parsers.mhz19 import MHZ19Parser
from hardware.parsers.pms import PMSParser
from hardware.parsers.s8 import S8Parser
from hardware.parsers.sds011 import SDS011Parser


class Parser(Protocol):
    counters: ParserCounters

    def feed(self, data: bytes) -> list[Event]: ...

    def reset(self) -> None: ...


PARSERS: dict[str, Callable[[], Parser]] = {
    "sds011": SDS011Parser,
    "pms": PMSParser,
    "mhz19": MHZ19Parser,
    "s8": S8Parser,
    "jsonl": JSONLinesParser,
}

__all__ = [
    "PARSERS",
    "ChecksumError",
    "Event",
    "Frame",
    "Garbage",
    "JSONLinesParser",
    "MHZ19Parser",
    "Measurement",
    "PMSParser",
    "Parser",
    "ParserCounters",
    "Reply",
    "Resync",
    "S8Parser",
    "SDS011Parser",
]
