"""Plantower PMS5003 / PMS7003 particulate sensors.

Frame, 32 bytes: `42 4D 00 1C`, 13 big-endian words, then the 16-bit big-endian sum of all
preceding bytes. Words 1-3 are PM1/PM2.5/PM10 at "CF=1" (a factory calibration for lab
particles); words 4-6 are the "atmospheric environment" values. This parser reports the
atmospheric PM1, PM2.5 and PM10 (the usual choice for room air); the CF=1 values and particle
counts stay in `Frame.raw`. The PMS7003 acknowledges mode commands with a length-4 frame
(`42 4D 00 04 CMD DATA CSH CSL`), reported as a Reply.
"""

from __future__ import annotations

from hardware.parsers.base import BadChecksum, BinaryParser, Frame, Measurement, Reply

PROTOCOL = "pms"
HEADER = b"\x42\x4d"
DATA_LENGTH, REPLY_LENGTH = 28, 4
CMD_MODE, CMD_READ, CMD_SLEEP = 0xE1, 0xE2, 0xE4


def checksum(data: bytes) -> int:
    return sum(data) & 0xFFFF


class PMSParser(BinaryParser):
    protocol = PROTOCOL
    header = HEADER
    min_bytes = 4

    def _frame_length(self, buffer: bytearray, start: int) -> int | str:
        length = buffer[start + 2] << 8 | buffer[start + 3]
        if length not in (DATA_LENGTH, REPLY_LENGTH):
            return f"length {length} is neither 28 nor 4"
        return 4 + length

    def _decode(self, frame: bytes) -> Frame | Reply:
        if checksum(frame[:-2]) != (frame[-2] << 8 | frame[-1]):
            raise BadChecksum
        if len(frame) == 4 + REPLY_LENGTH:
            return Reply(PROTOCOL, frame[4], frame[5:6])
        words = [frame[i] << 8 | frame[i + 1] for i in range(4, 30, 2)]
        return Frame(
            PROTOCOL,
            (
                Measurement("pm1", float(words[3])),
                Measurement("pm2_5", float(words[4])),
                Measurement("pm10", float(words[5])),
            ),
            frame,
        )


def data_frame(pm1: float, pm2_5: float, pm10: float, counts: tuple[int, ...] = ()) -> bytes:
    """A 32-byte frame; the CF=1 words repeat the atmospheric ones (true below ~30 µg/m³)."""
    atmospheric = [max(0, min(0xFFFF, round(v))) for v in (pm1, pm2_5, pm10)]
    rest = list(counts[:7]) + [0] * (7 - len(counts[:7]))
    words = atmospheric + atmospheric + rest
    body = HEADER + bytes([0, DATA_LENGTH]) + b"".join(w.to_bytes(2, "big") for w in words)
    return body + checksum(body).to_bytes(2, "big")


def reply_frame(command: int, data: int) -> bytes:
    body = HEADER + bytes([0, REPLY_LENGTH, command, data])
    return body + checksum(body).to_bytes(2, "big")


def command(cmd: int, data: int) -> bytes:
    """`42 4D CMD DATAH DATAL CSH CSL`."""
    body = HEADER + bytes([cmd, data >> 8 & 0xFF, data & 0xFF])
    return body + checksum(body).to_bytes(2, "big")


def set_passive() -> bytes:
    return command(CMD_MODE, 0)


def set_active() -> bytes:
    return command(CMD_MODE, 1)


def read() -> bytes:
    return command(CMD_READ, 0)


def set_sleep(asleep: bool) -> bytes:
    return command(CMD_SLEEP, 0 if asleep else 1)


def decode_command(frame: bytes) -> tuple[int, int] | None:
    """(CMD, DATA) of a valid 7-byte command, else None."""
    if len(frame) != 7 or frame[:2] != HEADER:
        return None
    if checksum(frame[:5]) != (frame[5] << 8 | frame[6]):
        return None
    return frame[2], frame[3] << 8 | frame[4]
