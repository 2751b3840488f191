"""JSON lines from a microcontroller bridge: one object a line.

Two shapes are understood: the airrohr firmware's
`{"sensordatavalues": [{"value_type": "BME280_temperature", "value": "23.4"}, …]}` and flat
objects such as `{"temperature": 21.5, "humidity": 40}`. Lines are decoded with
`errors="replace"` (serial noise is not UTF-8), capped at MAX_LINE bytes, and whatever does not
parse or carries no known quantity is skipped and counted. A line that breaks the decoder in any
way (nesting deeper than the recursion limit, an integer too large for a float) is one garbled
line: the lines after it are parsed as usual.
"""

from __future__ import annotations

import json
import math

from hardware.parsers.base import Event, Frame, Garbage, Measurement, ParserCounters, Resync

PROTOCOL = "jsonl"
MAX_LINE = 4096
MAX_STARTS = 16  # "{" positions tried per line
_DECODER = json.JSONDecoder()

# Flat keys and airrohr value types (after the sensor prefix, e.g. "SDS_P2" -> "P2").
_NAMES = {
    "temperature": "temperature",
    "temp": "temperature",
    "humidity": "humidity",
    "hum": "humidity",
    "rh": "humidity",
    "co2": "co2",
    "co2_ppm": "co2",
    "pm1": "pm1",
    "pm1_0": "pm1",
    "pm2_5": "pm2_5",
    "pm25": "pm2_5",
    "pm2.5": "pm2_5",
    "pm10": "pm10",
    "p0": "pm1",  # airrohr: P0 = PM1, P1 = PM10, P2 = PM2.5
    "p1": "pm10",
    "p2": "pm2_5",
}


def quantity_for(name: str) -> str | None:
    key = name.strip().lower()
    if key in _NAMES:
        return _NAMES[key]
    # airrohr prefixes the sensor type: SDS_P2, BME280_temperature, SCD30_co2, SHT3X_humidity.
    _, _, suffix = key.rpartition("_")
    if suffix in _NAMES:
        return _NAMES[suffix]
    if key.endswith(("pm2_5", "pm2.5")):
        return "pm2_5"
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an integer of 310 digits
        return None
    return number if math.isfinite(number) else None


def measurements_of(obj: object) -> tuple[Measurement, ...]:
    pairs: list[tuple[object, object]] = []
    if isinstance(obj, dict):
        values = obj.get("sensordatavalues")
        if isinstance(values, list):
            for item in values:
                if isinstance(item, dict):
                    pairs.append((item.get("value_type"), item.get("value")))
        else:
            pairs.extend(obj.items())
    found: dict[str, float] = {}
    for name, raw in pairs:
        if not isinstance(name, str):
            continue
        quantity = quantity_for(name)
        if quantity is None or quantity in found:
            continue
        number = _number(raw)
        if number is not None:
            found[quantity] = number
    return tuple(Measurement(q, v) for q, v in found.items())


class JSONLinesParser:
    protocol = PROTOCOL

    def __init__(self) -> None:
        self.counters = ParserCounters()
        self._buffer = bytearray()
        self._discarding = False  # inside an over-long line: drop up to its newline

    def reset(self) -> None:
        self._buffer.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        try:
            self._scan(data, events)
        except Exception as exc:  # never into the polling loop
            self.reset()
            events.append(Resync(PROTOCOL, f"internal error {type(exc).__name__}"))
        return events

    def _scan(self, data: bytes, events: list[Event]) -> None:
        buffer = self._buffer
        buffer += data
        skipped = 0
        start = 0
        while True:
            newline = buffer.find(b"\n", start)
            if newline < 0:
                if len(buffer) - start > MAX_LINE:
                    skipped += len(buffer) - start
                    start = len(buffer)
                    self._discarding = True
                break
            line = bytes(buffer[start:newline])
            start = newline + 1
            if self._discarding:
                self._discarding = False
                skipped += len(line) + 1
                continue
            if len(line) > MAX_LINE:
                skipped += len(line) + 1
                continue
            frame = self._contained(line, events)
            if frame is None:
                if line.strip():
                    skipped += len(line) + 1
                    self.counters.resyncs += 1
                continue
            self.counters.frames_ok += 1
            events.append(frame)
        del buffer[:start]
        if skipped:
            self.counters.bytes_skipped += skipped
            events.append(Garbage(PROTOCOL, skipped))

    def _contained(self, line: bytes, events: list[Event]) -> Frame | None:
        """`_line`, but whatever goes wrong costs this line only, not the lines after it."""
        try:
            return self._line(line)
        except Exception as exc:
            events.append(Resync(PROTOCOL, f"internal error {type(exc).__name__}"))
            return None

    def _line(self, line: bytes) -> Frame | None:
        text = line.decode("utf-8", errors="replace").rstrip()
        # Noise glued to the front of a line: resynchronise at each "{" in turn.
        start = text.find("{")
        for _ in range(MAX_STARTS):
            if start < 0:
                return None
            try:
                obj, end = _DECODER.raw_decode(text, start)
            except (ValueError, RecursionError):  # RecursionError: nesting 2,000 deep
                start = text.find("{", start + 1)
                continue
            if end != len(text):
                start = text.find("{", start + 1)
                continue
            measurements = measurements_of(obj)
            return Frame(PROTOCOL, measurements, line) if measurements else None
        return None


def airrohr_line(values: dict[str, float]) -> bytes:
    """A line in the airrohr shape (values as strings, the way the firmware sends them)."""
    items = [{"value_type": name, "value": f"{value:.2f}"} for name, value in values.items()]
    return json.dumps({"software_version": "NRZ-2020-133", "sensordatavalues": items}).encode()


def flat_line(values: dict[str, float]) -> bytes:
    return json.dumps(values).encode()
