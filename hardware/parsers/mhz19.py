"""Winsen MH-Z19B (CO2, NDIR).

Read: send `FF 01 86 00 00 00 00 00 79`; the reply is `FF 86 HH LL T+40 S U1 U2 CS` (9 bytes),
`CS = (0x100 - sum(bytes 1..7)) & 0xFF`. Only the CO2 value is reported: the temperature byte is
undocumented and tracks the sensor's own heating, not the room.
"""

from __future__ import annotations

from hardware.parsers.base import BadChecksum, BinaryParser, Frame, Measurement, Reply

PROTOCOL = "mhz19"
HEADER = b"\xff\x86"
CMD_READ, CMD_ABC = 0x86, 0x79


def checksum(payload: bytes) -> int:
    """Over bytes 1..7 of a 9-byte frame."""
    return (0x100 - sum(payload)) & 0xFF


class MHZ19Parser(BinaryParser):
    protocol = PROTOCOL
    header = HEADER
    min_bytes = 2

    def _frame_length(self, buffer: bytearray, start: int) -> int | str:
        return 9

    def _decode(self, frame: bytes) -> Frame | Reply:
        if checksum(frame[1:8]) != frame[8]:
            raise BadChecksum
        co2 = frame[2] << 8 | frame[3]
        return Frame(PROTOCOL, (Measurement("co2", float(co2)),), frame)


def _frame(body: bytes) -> bytes:
    payload = body.ljust(7, b"\0")
    return bytes([0xFF]) + payload + bytes([checksum(payload)])


def reply_frame(co2: float, temperature: float = 21.0) -> bytes:
    value = max(0, min(0xFFFF, round(co2)))
    t = max(0, min(255, round(temperature) + 40))
    return _frame(bytes([CMD_READ, value >> 8, value & 0xFF, t, 0, 0, 0]))


def command(cmd: int, data: bytes = b"") -> bytes:
    """`FF 01 CMD d1..d5 CS`."""
    return _frame(bytes([0x01, cmd]) + data[:5])


def read() -> bytes:
    return command(CMD_READ)


def set_abc(enabled: bool) -> bytes:
    return command(CMD_ABC, bytes([0xA0 if enabled else 0x00]))


def decode_command(frame: bytes) -> tuple[int, bytes] | None:
    """(CMD, d1..d5) of a valid 9-byte command to sensor 1, else None."""
    if len(frame) != 9 or frame[0] != 0xFF or frame[1] != 0x01:
        return None
    if checksum(frame[1:8]) != frame[8]:
        return None
    return frame[2], frame[3:8]
