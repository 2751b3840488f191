"""Valid frames per protocol, built independently of the parsers' own encoders where the
wire format is simple enough to write out, and checkers that re-verify a frame's checksum."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from hardware.parsers import PARSERS, Frame, Parser, mhz19, pms, s8, sds011


def crc16_modbus_bitwise(data: bytes) -> int:
    """A bit-at-a-time CRC-16/Modbus, independent of the parser's table."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def valid(protocol: str, raw: bytes) -> bool:
    """Does `raw` satisfy the wire format's checks (header, length, trailer, checksum)?"""
    if protocol == "sds011":
        return (
            len(raw) == 10
            and raw[0] == 0xAA
            and raw[1] in (0xC0, 0xC5)
            and raw[9] == 0xAB
            and sum(raw[2:8]) % 256 == raw[8]
        )
    if protocol == "pms":
        return (
            len(raw) == 32
            and raw[:4] == b"\x42\x4d\x00\x1c"
            and sum(raw[:30]) % 65536 == int.from_bytes(raw[30:], "big")
        )
    if protocol == "mhz19":
        return len(raw) == 9 and raw[:2] == b"\xff\x86" and (-sum(raw[1:8])) % 256 == raw[8]
    if protocol == "s8":
        return (
            len(raw) == 7
            and raw[:3] == b"\xfe\x04\x02"
            and crc16_modbus_bitwise(raw[:5]) == int.from_bytes(raw[5:], "little")
        )
    raise ValueError(protocol)


@dataclass(frozen=True)
class Kind:
    protocol: str
    make: Callable[[random.Random], bytes]  # a random valid data frame
    checksum_span: tuple[int, int]  # bytes whose change must break the frame (not trailer)


def _sds(rng: random.Random) -> bytes:
    return sds011.data_frame(rng.randint(0, 9999) / 10, rng.randint(0, 9999) / 10)


def _pms(rng: random.Random) -> bytes:
    return pms.data_frame(rng.randint(0, 999), rng.randint(0, 999), rng.randint(0, 999))


def _mhz(rng: random.Random) -> bytes:
    return mhz19.reply_frame(rng.randint(0, 10000), rng.randint(0, 50))


def _s8(rng: random.Random) -> bytes:
    return s8.reply_frame(rng.randint(0, 10000))


KINDS = {
    "sds011": Kind("sds011", _sds, (2, 9)),
    "pms": Kind("pms", _pms, (4, 32)),
    "mhz19": Kind("mhz19", _mhz, (2, 9)),
    "s8": Kind("s8", _s8, (3, 7)),
}


def parser(protocol: str) -> Parser:
    return PARSERS[protocol]()


def frames_of(events: list[object]) -> list[Frame]:
    return [e for e in events if isinstance(e, Frame)]


def json_line(rng: random.Random) -> bytes:
    values = {"temperature": round(rng.uniform(-10, 40), 1), "humidity": rng.randint(5, 95)}
    if rng.random() < 0.5:
        return json.dumps(values).encode()
    items = [{"value_type": f"BME280_{k}", "value": str(v)} for k, v in values.items()]
    return json.dumps({"sensordatavalues": items}).encode()
