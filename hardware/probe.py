"""Which known sensor answers on a port: listen for streaming sensors first, then send each
driver's query (and, for a sleeping SDS011, a wake that is undone afterwards)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import serial

from hardware.drivers import JSONL, MHZ19B, PMS5003, S8, SDS011, Driver
from hardware.parsers import PARSERS, Frame, Reply
from hardware.parsers import sds011 as sds
from hardware.readings import QUANTITY_UNITS
from hardware.transport import open_port, resolve_port

LABELS = {
    "sds011": "sds011",
    "pms": "pms5003/pms7003",
    "mhz19": "mhz19b",
    "s8": "s8",
    "jsonl": "jsonl",
}
ASKED: tuple[Driver, ...] = (SDS011, PMS5003, MHZ19B, S8)
NAMES = {
    "pm1": "PM1",
    "pm2_5": "PM2.5",
    "pm10": "PM10",
    "co2": "CO2",
    "temperature": "temperature",
    "humidity": "humidity",
}


@dataclass
class ProbeResult:
    port: str
    protocol: str | None = None
    frame: Frame | None = None
    note: str = ""
    tried: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.protocol is not None

    def line(self) -> str:
        if self.protocol is None:
            return (
                f"no known sensor answers on {self.port} "
                f"(listened, then asked {', '.join(self.tried)})"
            )
        label = LABELS[self.protocol]
        if self.frame is None:
            return f"{label} answers on {self.port}{self.note}"
        values = ", ".join(
            f"{NAMES[m.quantity]} {m.value:g} {QUANTITY_UNITS[m.quantity]}"
            for m in self.frame.measurements
        )
        return f"{label} answers on {self.port}: {values}{self.note}"


def _listen(
    port: serial.SerialBase, protocols: list[str], seconds: float
) -> tuple[str, Frame | Reply] | None:
    parsers = {p: PARSERS[p]() for p in protocols}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = port.read(max(1, port.in_waiting))
        if not data:
            continue
        for protocol, parser in parsers.items():
            for event in parser.feed(data):
                if isinstance(event, Frame | Reply):
                    return protocol, event
    return None


def _await_reply(port: serial.SerialBase, command: int, seconds: float) -> bool:
    """Wait for the SDS011 to acknowledge `command` (data frames may come first)."""
    parser = PARSERS["sds011"]()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for event in parser.feed(port.read(max(1, port.in_waiting))):
            if isinstance(event, Reply) and event.command == command:
                return True
    return False


def probe(spec: str, timeout: float = 2.0, listen: float = 1.5) -> ProbeResult:
    url = resolve_port(spec)
    result = ProbeResult(spec)
    port = open_port(url, timeout=0.1)
    try:
        heard = _listen(port, ["sds011", "pms", "jsonl"], listen)
        if heard is not None:
            protocol, event = heard
            result.protocol = protocol
            result.frame = event if isinstance(event, Frame) else None
            result.note = " (streaming on its own)" if protocol != JSONL.protocol else ""
            return result
        for driver in ASKED:
            if driver.query is None:
                continue
            result.tried.append(LABELS[driver.protocol])
            port.reset_input_buffer()
            port.write(driver.query)
            heard = _listen(port, [driver.protocol], timeout)
            if heard is None and driver is SDS011:
                # A sleeping SDS011 hears only "wake"; wake it, ask, and put it back to sleep.
                port.write(sds.set_sleep(False))
                port.write(sds.query())
                heard = _listen(port, [driver.protocol], timeout)
                if heard is not None:
                    port.write(sds.set_sleep(True))
                    slept = _await_reply(port, sds.CMD_SLEEP, timeout)
                    result.note = (
                        " (was asleep; put back to sleep)"
                        if slept
                        else " (was asleep; did not confirm going back to sleep)"
                    )
            if heard is not None:
                result.protocol = driver.protocol
                result.frame = heard[1] if isinstance(heard[1], Frame) else None
                return result
        return result
    finally:
        port.close()
