"""Emulated sensors on a pty, for tests, the benchmark and the demo.

Each emulator owns a pseudo-terminal: the reader opens the slave side through a symlink the
emulator maintains (the way udev maintains /dev/serial/by-id), and the emulator answers the
command frames on the master side. Knobs: values, noise, warm-up zeros, bad checksums, garbage
between frames, reply delay, and `unplug()` / `replug()` (close the master side; open a new pty
behind the same symlink). The SDS011 emulator logs when its laser is on, so the benchmark can
measure the duty cycle.

Run standalone: `python -m hardware.emulators sds011:/tmp/s/sds pms5003:/tmp/s/pms` (until
SIGTERM), printing one line with the links when they are ready.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import select
import signal
import sys
import threading
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

from hardware.parsers import mhz19, pms, s8, sds011
from hardware.parsers.jsonlines import airrohr_line, flat_line


@dataclass
class Knobs:
    values: dict[str, float] = field(default_factory=dict)  # quantity -> value
    noise: float = 0.0  # relative standard deviation of each value
    warmup_zeros_s: float = 0.0  # all-zero payloads this long after power-on or wake
    bad_checksum_rate: float = 0.0  # chance a frame goes out with a broken checksum
    garbage_rate: float = 0.0  # chance of 1-16 random bytes before a frame
    reply_delay_s: float = 0.0  # answer queries this much later
    report_every_s: float = 1.0  # cadence of active (streaming) mode
    shape: str = "airrohr"  # JSON lines: "airrohr" or "flat"
    silent: bool = False  # sends nothing at all (a loose TX wire): the reader sees stale values


class Emulator:
    kind = "emulator"
    defaults: dict[str, float] = {}  # noqa: RUF012 - read-only per class
    command_header = b""
    command_length = 1
    checksum_offset = -1  # which byte `bad_checksum_rate` breaks

    def __init__(self, link: Path, knobs: Knobs | None = None, seed: int | None = None) -> None:
        self.link = Path(link)
        self.knobs = knobs or Knobs()
        self.random = random.Random(seed)  # noqa: S311 - test noise, not secrets
        self.lock = threading.RLock()
        self.master: int | None = None
        self.slave: int | None = None
        self.inbox = bytearray()
        self.pending: list[tuple[float, bytes]] = []  # (due, frame) for delayed replies
        self.commands: list[bytes] = []  # every valid command received, in order
        self.frames_sent = 0
        self.powered_at = 0.0
        self.woke_at = 0.0
        self.next_report = 0.0
        self.running = False
        self.wake_r, self.wake_w = os.pipe()
        self.thread = threading.Thread(target=self.run, name=f"emulator-{self.kind}", daemon=True)

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def path(self) -> str:
        return str(self.link)

    @property
    def plugged(self) -> bool:
        return self.master is not None

    def start(self) -> Emulator:
        self.plug()
        self.running = True
        self.thread.start()
        return self

    def plug(self) -> None:
        with self.lock:
            if self.master is not None:
                return
            master, slave = os.openpty()
            # Raw at once: an echoing line discipline would bounce our frames back at us.
            tty.setraw(slave)
            os.set_blocking(master, False)
            self.master, self.slave = master, slave
            self.link.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            temporary.symlink_to(os.ttyname(slave))
            temporary.replace(self.link)
            self.inbox.clear()
            self.pending.clear()
            now = time.monotonic()
            self.powered_at = self.woke_at = now
            self.next_report = now + self.knobs.report_every_s
            self.power_on(now)
        self.nudge()

    def unplug(self) -> None:
        """Pull the cable: the reader's side of the pty hangs up and the symlink disappears."""
        with self.lock:
            if self.master is None:
                return
            self.power_off(time.monotonic())
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
            for fd in (self.master, self.slave):
                if fd is not None:
                    os.close(fd)
            self.master = self.slave = None
        self.nudge()

    def replug(self) -> None:
        self.unplug()
        self.plug()

    def stop(self) -> None:
        self.running = False
        self.unplug()
        self.nudge()
        if self.thread.is_alive():
            self.thread.join(2)
        for fd in (self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def nudge(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.wake_w, b"x")

    # ---- the loop -------------------------------------------------------------------------

    def run(self) -> None:
        while self.running:
            with self.lock:
                fd = self.master
                timeout = self.timeout(time.monotonic())
            watched = [self.wake_r] if fd is None else [self.wake_r, fd]
            try:
                ready, _, _ = select.select(watched, [], [], timeout)
            except (OSError, ValueError):
                ready = []  # the fd was closed under us by unplug(); look again
            with self.lock:
                if self.wake_r in ready:
                    with contextlib.suppress(OSError):
                        os.read(self.wake_r, 512)
                if self.master is None or self.master != fd:
                    continue
                if fd in ready:
                    try:
                        data = os.read(fd, 4096)
                    except (BlockingIOError, InterruptedError):
                        data = b""
                    except OSError:
                        data = b""
                    if data:
                        self.inbox += data
                        self.scan_commands(time.monotonic())
                self.tick(time.monotonic())

    def timeout(self, now: float) -> float:
        due = [self.next_report] if self.streaming() else []
        due += [when for when, _ in self.pending]
        return max(0.0, min([*due, now + 0.5]) - now)

    def tick(self, now: float) -> None:
        ready = [frame for when, frame in self.pending if when <= now]
        self.pending = [(when, frame) for when, frame in self.pending if when > now]
        for frame in ready:
            self.write(frame)
        if self.streaming() and now >= self.next_report:
            self.next_report = max(self.next_report + self.knobs.report_every_s, now)
            self.send(self.data_frame(now))

    def scan_commands(self, now: float) -> None:
        inbox, size = self.inbox, self.command_length
        while True:
            start = inbox.find(self.command_header)
            if start < 0:
                keep = len(self.command_header) - 1
                del inbox[: max(0, len(inbox) - keep)]
                return
            if len(inbox) - start < size:
                del inbox[:start]
                return
            frame = bytes(inbox[start : start + size])
            if self.command(frame, now):
                self.commands.append(frame)
                del inbox[: start + size]
            else:
                del inbox[: start + 1]

    # ---- output ---------------------------------------------------------------------------

    def reply(self, frame: bytes) -> None:
        """Answer a command, after the reply delay if one is set."""
        if self.knobs.reply_delay_s > 0:
            self.pending.append((time.monotonic() + self.knobs.reply_delay_s, frame))
        else:
            self.send(frame)

    def send(self, frame: bytes) -> None:
        knobs, rng = self.knobs, self.random
        if knobs.bad_checksum_rate and rng.random() < knobs.bad_checksum_rate:
            broken = bytearray(frame)
            broken[self.checksum_offset] ^= 1 << rng.randrange(8)
            frame = bytes(broken)
        if knobs.garbage_rate and rng.random() < knobs.garbage_rate:
            frame = rng.randbytes(rng.randint(1, 16)) + frame
        self.write(frame)

    def write(self, frame: bytes) -> None:
        if self.master is None or self.knobs.silent:
            return
        try:
            os.write(self.master, frame)
            self.frames_sent += 1
        except OSError:
            pass  # nobody reading and the buffer full: a real UART drops it too

    def value(self, quantity: str, now: float) -> float:
        if now - self.woke_at < self.knobs.warmup_zeros_s:
            return 0.0
        base = self.knobs.values.get(quantity, self.defaults.get(quantity, 0.0))
        if self.knobs.noise:
            base *= 1 + self.random.gauss(0, self.knobs.noise)
        return max(0.0, base)

    # ---- per sensor -----------------------------------------------------------------------

    def power_on(self, now: float) -> None:
        """The sensor gets power (plug)."""

    def power_off(self, now: float) -> None:
        """The sensor loses power (unplug)."""

    def streaming(self) -> bool:
        return False

    def data_frame(self, now: float) -> bytes:
        raise NotImplementedError

    def command(self, frame: bytes, now: float) -> bool:
        """Act on a candidate command frame; False if it is none (the scan slides one byte)."""
        raise NotImplementedError


class SDS011Emulator(Emulator):
    kind = "sds011"
    defaults = {"pm2_5": 8.0, "pm10": 12.0}  # noqa: RUF012
    command_header = bytes([sds011.HEAD, sds011.COMMAND])
    command_length = 19
    checksum_offset = 8

    def __init__(self, link: Path, knobs: Knobs | None = None, seed: int | None = None) -> None:
        super().__init__(link, knobs, seed)
        self.awake = False
        self.query_mode = False
        self.period = 0
        self.laser_log: list[tuple[float, bool]] = []  # (monotonic time, laser on)

    def laser(self, on: bool, now: float) -> None:
        if on != self.awake:
            self.laser_log.append((now, on))
        self.awake = on
        if on:
            self.woke_at = now

    def power_on(self, now: float) -> None:
        self.query_mode = False  # the factory default: report every second
        self.period = 0
        self.laser(True, now)

    def power_off(self, now: float) -> None:
        self.laser(False, now)

    def streaming(self) -> bool:
        return self.awake and not self.query_mode

    def data_frame(self, now: float) -> bytes:
        return sds011.data_frame(self.value("pm2_5", now), self.value("pm10", now))

    def command(self, frame: bytes, now: float) -> bool:
        decoded = sds011.decode_command(frame)
        if decoded is None:
            return False
        cmd, data = decoded
        write, arg = data[0] == 1, data[1]
        if not self.awake and cmd != sds011.CMD_SLEEP:
            return True  # asleep it hears only the wake command
        if cmd == sds011.CMD_QUERY:
            self.reply(self.data_frame(now))
        elif cmd == sds011.CMD_REPORT_MODE:
            if write:
                self.query_mode = arg == 1
            self.reply(sds011.reply_frame(cmd, data[0], int(self.query_mode)))
        elif cmd == sds011.CMD_SLEEP:
            if write:
                self.laser(arg == 1, now)
            self.reply(sds011.reply_frame(cmd, data[0], int(self.awake)))
        elif cmd == sds011.CMD_PERIOD:
            if write:
                self.period = arg
            self.reply(sds011.reply_frame(cmd, data[0], self.period))
        elif cmd == sds011.CMD_FIRMWARE:
            self.reply(sds011.reply_frame(cmd, 18, 11, 16))
        return True

    def laser_on_seconds(self, since: float, until: float) -> float:
        """Seconds the laser was on between two monotonic times, from the log."""
        total, on_since = 0.0, None
        state = False
        for when, on in self.laser_log:
            if when > until:
                break
            if on and not state:
                on_since = max(when, since)
            elif not on and state and on_since is not None:
                total += max(0.0, when - on_since)
            state = on
        if state and on_since is not None:
            total += max(0.0, until - on_since)
        return total


class PMSEmulator(Emulator):
    kind = "pms5003"
    defaults = {"pm1": 5.0, "pm2_5": 8.0, "pm10": 12.0}  # noqa: RUF012
    command_header = pms.HEADER
    command_length = 7

    def __init__(
        self,
        link: Path,
        knobs: Knobs | None = None,
        seed: int | None = None,
        model: str = "pms5003",
    ) -> None:
        super().__init__(link, knobs, seed)
        self.kind = model
        self.awake = False
        self.passive = False

    def power_on(self, now: float) -> None:
        self.awake, self.passive = True, False

    def streaming(self) -> bool:
        return self.awake and not self.passive

    def data_frame(self, now: float) -> bytes:
        v = self.value
        return pms.data_frame(v("pm1", now), v("pm2_5", now), v("pm10", now))

    def command(self, frame: bytes, now: float) -> bool:
        decoded = pms.decode_command(frame)
        if decoded is None:
            return False
        cmd, data = decoded
        acknowledge = self.kind == "pms7003"  # the PMS5003 answers mode commands silently
        if cmd == pms.CMD_SLEEP:
            if data == 1 and not self.awake:
                self.woke_at = now
            self.awake = data == 1
        elif not self.awake:
            return True
        elif cmd == pms.CMD_MODE:
            self.passive = data == 0
        elif cmd == pms.CMD_READ and self.passive:
            self.reply(self.data_frame(now))
            return True
        if acknowledge and cmd in (pms.CMD_MODE, pms.CMD_SLEEP):
            self.reply(pms.reply_frame(cmd, data & 0xFF))
        return True


class MHZ19Emulator(Emulator):
    kind = "mhz19b"
    defaults = {"co2": 650.0}  # noqa: RUF012
    command_header = b"\xff\x01"
    command_length = 9

    def __init__(self, link: Path, knobs: Knobs | None = None, seed: int | None = None) -> None:
        super().__init__(link, knobs, seed)
        self.abc = True  # factory default: automatic baseline correction on

    def power_on(self, now: float) -> None:
        self.abc = True

    def data_frame(self, now: float) -> bytes:
        return mhz19.reply_frame(self.value("co2", now))

    def command(self, frame: bytes, now: float) -> bool:
        decoded = mhz19.decode_command(frame)
        if decoded is None:
            return False
        cmd, data = decoded
        if cmd == mhz19.CMD_READ:
            self.reply(self.data_frame(now))
        elif cmd == mhz19.CMD_ABC:
            self.abc = data[0] == 0xA0
        return True


class S8Emulator(Emulator):
    kind = "s8"
    defaults = {"co2": 700.0}  # noqa: RUF012
    command_header = bytes([s8.ADDRESS])
    command_length = 8

    def data_frame(self, now: float) -> bytes:
        return s8.reply_frame(self.value("co2", now))

    def command(self, frame: bytes, now: float) -> bool:
        decoded = s8.decode_request(frame)
        if decoded is None:
            return False
        function, register, count = decoded
        if function == s8.READ_INPUT and register == s8.CO2_REGISTER and count == 1:
            self.reply(self.data_frame(now))
        else:  # Modbus exception 02: illegal data address
            self.reply(s8.with_crc(bytes([s8.ADDRESS, function | 0x80, 0x02])))
        return True


class JSONLinesEmulator(Emulator):
    kind = "jsonl"
    defaults = {"temperature": 22.5, "humidity": 45.0}  # noqa: RUF012
    command_header = b"\n"

    def streaming(self) -> bool:
        return True

    def data_frame(self, now: float) -> bytes:
        names = self.knobs.values or self.defaults
        values = {q: round(self.value(q, now), 2) for q in names}
        if self.knobs.shape == "flat":
            return flat_line(values) + b"\n"
        prefixed = {
            f"BME280_{q}" if q in ("temperature", "humidity") else q: v for q, v in values.items()
        }
        return airrohr_line(prefixed) + b"\n"

    def send(self, frame: bytes) -> None:
        # Here a "bad checksum" is a line cut short by noise.
        if self.knobs.bad_checksum_rate and self.random.random() < self.knobs.bad_checksum_rate:
            frame = frame[: len(frame) // 2] + b"\xff\n"
            self.write(frame)
            return
        super().send(frame)

    def command(self, frame: bytes, now: float) -> bool:
        return True


EMULATORS: dict[str, type[Emulator]] = {
    "sds011": SDS011Emulator,
    "pms5003": PMSEmulator,
    "pms7003": PMSEmulator,
    "mhz19b": MHZ19Emulator,
    "s8": S8Emulator,
    "jsonl": JSONLinesEmulator,
}


def make_emulator(
    kind: str, link: Path, knobs: Knobs | None = None, seed: int | None = None
) -> Emulator:
    if kind not in EMULATORS:
        raise ValueError(f"no emulator for {kind!r} (known: {', '.join(EMULATORS)})")
    if kind in ("pms5003", "pms7003"):
        return PMSEmulator(link, knobs, seed, model=kind)
    return EMULATORS[kind](link, knobs, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.emulators")
    parser.add_argument("sensors", nargs="+", metavar="KIND:LINK")
    parser.add_argument("--warmup-zeros", type=float, default=0.0)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--bad-checksums", type=float, default=0.0)
    parser.add_argument("--laser-log", type=Path, help="write the SDS011 laser log here (JSON)")
    args = parser.parse_args(argv)
    emulators = []
    for item in args.sensors:
        kind, _, link = item.partition(":")
        if not link:
            parser.error(f"{item!r}: expected KIND:LINK")
        knobs = Knobs(
            noise=args.noise,
            warmup_zeros_s=args.warmup_zeros,
            bad_checksum_rate=args.bad_checksums,
        )
        emulators.append(make_emulator(kind, Path(link), knobs).start())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready " + " ".join(e.path for e in emulators), flush=True)
    stop.wait()
    for emulator in emulators:
        emulator.stop()
        if args.laser_log and isinstance(emulator, SDS011Emulator):
            args.laser_log.write_text(json.dumps(emulator.laser_log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
