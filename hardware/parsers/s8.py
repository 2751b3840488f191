"""Senseair S8 (CO2) over Modbus RTU, address 0xFE.

Read CO2 (input register 3): `FE 04 00 03 00 01 D5 C5`; reply `FE 04 02 HH LL CRClo CRChi`. The
parser checks the address, the function, the byte count (2) and the CRC-16/Modbus.
"""

from __future__ import annotations

from hardware.parsers.base import BadChecksum, BinaryParser, Frame, Measurement, Reply

PROTOCOL = "s8"
ADDRESS = 0xFE
READ_INPUT = 0x04
CO2_REGISTER = 3
HEADER = bytes([ADDRESS, READ_INPUT])


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def crc16_modbus(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def with_crc(body: bytes) -> bytes:
    return body + crc16_modbus(body).to_bytes(2, "little")


class S8Parser(BinaryParser):
    protocol = PROTOCOL
    header = HEADER
    min_bytes = 3

    def _frame_length(self, buffer: bytearray, start: int) -> int | str:
        count = buffer[start + 2]
        if count != 2:
            return f"byte count {count} (expected 2 for one register)"
        return 3 + count + 2

    def _decode(self, frame: bytes) -> Frame | Reply:
        if crc16_modbus(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
            raise BadChecksum
        co2 = frame[3] << 8 | frame[4]
        return Frame(PROTOCOL, (Measurement("co2", float(co2)),), frame)


def read_request(register: int = CO2_REGISTER, count: int = 1) -> bytes:
    return with_crc(bytes([ADDRESS, READ_INPUT, register >> 8, register & 0xFF, 0, count]))


def reply_frame(co2: float) -> bytes:
    value = max(0, min(0xFFFF, round(co2)))
    return with_crc(bytes([ADDRESS, READ_INPUT, 2, value >> 8, value & 0xFF]))


def decode_request(frame: bytes) -> tuple[int, int, int] | None:
    """(function, first register, count) of a valid 8-byte request to 0xFE, else None."""
    if len(frame) != 8 or frame[0] != ADDRESS:
        return None
    if crc16_modbus(frame[:6]) != int.from_bytes(frame[6:], "little"):
        return None
    return frame[1], frame[2] << 8 | frame[3], frame[4] << 8 | frame[5]
