"""Nova SDS011 (PM2.5 / PM10): data frames, command replies and the command frames.

Data frame, 10 bytes: `AA C0 P25lo P25hi P10lo P10hi ID1 ID2 CS AB`, values little-endian in
0.1 µg/m³, `CS = sum(bytes 2..7) & 0xFF`. Replies to commands have the same shape with `C5` and
the command number in byte 2. Commands are 19 bytes: `AA B4 CMD d1..d12 FF FF CS AB`.
"""

from __future__ import annotations

from hardware.parsers.base import BadChecksum, BinaryParser, Frame, Measurement, Reply

PROTOCOL = "sds011"
HEAD, TAIL = 0xAA, 0xAB
DATA, REPLY, COMMAND = 0xC0, 0xC5, 0xB4
CMD_REPORT_MODE, CMD_QUERY, CMD_DEVICE_ID, CMD_SLEEP, CMD_FIRMWARE, CMD_PERIOD = 2, 4, 5, 6, 7, 8
ALL_DEVICES = 0xFFFF


def checksum(payload: bytes) -> int:
    return sum(payload) & 0xFF


class SDS011Parser(BinaryParser):
    protocol = PROTOCOL
    header = bytes([HEAD])
    min_bytes = 2

    def _frame_length(self, buffer: bytearray, start: int) -> int | str:
        kind = buffer[start + 1]
        if kind not in (DATA, REPLY):
            return f"byte 0x{kind:02x} after 0xAA is no frame type"
        return 10

    def _decode(self, frame: bytes) -> Frame | Reply:
        if frame[9] != TAIL:
            # A wrong trailer means we are not on a frame boundary: treat like a bad checksum
            # so the caller slides one byte.
            raise BadChecksum
        if checksum(frame[2:8]) != frame[8]:
            raise BadChecksum
        if frame[1] == REPLY:
            return Reply(PROTOCOL, frame[2], frame[3:8])
        pm2_5 = (frame[2] | frame[3] << 8) / 10
        pm10 = (frame[4] | frame[5] << 8) / 10
        return Frame(PROTOCOL, (Measurement("pm2_5", pm2_5), Measurement("pm10", pm10)), frame)


def data_frame(pm2_5: float, pm10: float, device: int = 0xD958) -> bytes:
    """A data frame as the sensor sends it (values clipped to the 16-bit range)."""
    p25 = max(0, min(0xFFFF, round(pm2_5 * 10)))
    p10 = max(0, min(0xFFFF, round(pm10 * 10)))
    body = bytes([p25 & 0xFF, p25 >> 8, p10 & 0xFF, p10 >> 8, device & 0xFF, device >> 8])
    return bytes([HEAD, DATA]) + body + bytes([checksum(body), TAIL])


def reply_frame(command: int, d1: int, d2: int, d3: int = 0, device: int = 0xD958) -> bytes:
    body = bytes([command, d1, d2, d3, device & 0xFF, device >> 8])
    return bytes([HEAD, REPLY]) + body + bytes([checksum(body), TAIL])


def command(cmd: int, data: bytes = b"", device: int = ALL_DEVICES) -> bytes:
    """`AA B4 CMD d1..d12 FF FF CS AB`: `data` fills d1.. (zero padded to 12 bytes)."""
    if len(data) > 12:
        raise ValueError("an SDS011 command carries at most 12 data bytes")
    body = bytes([cmd]) + data.ljust(12, b"\0") + bytes([device & 0xFF, device >> 8])
    return bytes([HEAD, COMMAND]) + body + bytes([checksum(body), TAIL])


def query() -> bytes:
    return command(CMD_QUERY)


def set_query_mode(query_mode: bool = True) -> bytes:
    return command(CMD_REPORT_MODE, bytes([1, 1 if query_mode else 0]))


def set_sleep(asleep: bool) -> bytes:
    return command(CMD_SLEEP, bytes([1, 0 if asleep else 1]))


def set_working_period(minutes: int) -> bytes:
    """0 is continuous; 1-30 makes the sensor sleep itself and report every n minutes."""
    if not 0 <= minutes <= 30:
        raise ValueError("the SDS011 working period is 0-30 minutes")
    return command(CMD_PERIOD, bytes([1, minutes]))


def decode_command(frame: bytes) -> tuple[int, bytes] | None:
    """(CMD, d1..d12) of a 19-byte command with a valid checksum and trailer, else None."""
    if len(frame) != 19 or frame[0] != HEAD or frame[1] != COMMAND or frame[18] != TAIL:
        return None
    if checksum(frame[2:17]) != frame[17]:
        return None
    return frame[2], frame[3:15]
