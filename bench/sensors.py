"""Serial sensor benchmark: parser throughput, reader CPU time, SDS011 laser duty.

Prints a table and exits 0; nothing is asserted. `--quick` shortens the timed runs to 10 s.

1. Parser throughput in MB/s per protocol, on a clean stream of frames and on one with 0-16
   random bytes between frames, fed in 4 KiB chunks.
2. CPU time of the reader service with three emulated sensors (SDS011 kept awake, PMS5003,
   MH-Z19B) at 1 Hz for 60 s. The emulators run in a child process, so getrusage(RUSAGE_SELF)
   of this process is the reader's cost alone. Goal: under 1 % of one core.
3. SDS011 laser duty under the default 15 % limit, measured from the emulator's laser log over
   whole wake-sleep cycles. The wake-ahead is compressed (2 s instead of 20 s; `--quick`: 0.5 s)
   so several cycles fit into the run; the planning is the same at any scale.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hardware.config import SensorConfig
from hardware.emulators import Knobs, SDS011Emulator
from hardware.parsers import PARSERS, mhz19, pms, s8, sds011
from hardware.parsers.jsonlines import airrohr_line
from hardware.readings import Reading
from hardware.service import ReaderService

STREAM_BYTES = 4_000_000
CHUNK = 4096


def frame_maker(protocol: str, rng: random.Random) -> bytes:
    if protocol == "sds011":
        return sds011.data_frame(rng.randint(0, 9999) / 10, rng.randint(0, 9999) / 10)
    if protocol == "pms":
        return pms.data_frame(rng.randint(0, 500), rng.randint(0, 500), rng.randint(0, 500))
    if protocol == "mhz19":
        return mhz19.reply_frame(rng.randint(400, 5000))
    if protocol == "s8":
        return s8.reply_frame(rng.randint(400, 5000))
    values = {"BME280_temperature": rng.uniform(10, 30), "BME280_humidity": rng.uniform(20, 80)}
    return airrohr_line(values) + b"\n"


def stream(protocol: str, noisy: bool, size: int) -> tuple[bytes, int]:
    rng = random.Random(1)
    out = bytearray()
    frames = 0
    while len(out) < size:
        if noisy:
            out += rng.randbytes(rng.randint(0, 16))
        out += frame_maker(protocol, rng)
        frames += 1
    return bytes(out), frames


def throughput(protocol: str, noisy: bool, size: int) -> tuple[float, float]:
    data, frames = stream(protocol, noisy, size)
    parser = PARSERS[protocol]()
    start = time.perf_counter()
    for i in range(0, len(data), CHUNK):
        parser.feed(data[i : i + CHUNK])
    elapsed = time.perf_counter() - start
    return len(data) / elapsed / 1e6, parser.counters.frames_ok / frames * 100


def reader_cpu(seconds: float) -> tuple[float, float, int, dict[str, int]]:
    with tempfile.TemporaryDirectory() as folder:
        links = {kind: Path(folder) / kind for kind in ("sds011", "pms5003", "mhz19b")}
        child = subprocess.Popen(
            [sys.executable, "-m", "hardware.emulators"]
            + [f"{kind}:{link}" for kind, link in links.items()],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        try:
            assert child.stdout is not None
            child.stdout.readline()  # "ready …"
            sensors = [
                SensorConfig("sds", "sds011", (str(links["sds011"]),), 1.0, max_duty=1.0),
                SensorConfig("pms", "pms5003", (str(links["pms5003"]),), 1.0),
                SensorConfig("co2", "mhz19b", (str(links["mhz19b"]),), 1.0),
            ]
            count = 0

            def on_reading(_reading: Reading) -> None:
                nonlocal count
                count += 1

            service = ReaderService(sensors, on_reading)
            before = resource.getrusage(resource.RUSAGE_SELF)
            wall = time.monotonic()
            service.start()
            time.sleep(seconds)
            service.stop()
            wall = time.monotonic() - wall
            after = resource.getrusage(resource.RUSAGE_SELF)
            frames = {k: int(v["frames_ok"]) for k, v in service.counters().items()}
        finally:
            child.terminate()
            child.wait(10)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, count, frames


def laser_duty(seconds: float, lead: float) -> tuple[float, float, int, int]:
    with tempfile.TemporaryDirectory() as folder:
        emu = SDS011Emulator(Path(folder) / "sds011", Knobs(warmup_zeros_s=lead / 2))
        emu.start()
        ok = 0

        def on_reading(reading: Reading) -> None:
            nonlocal ok
            ok += reading.status == "ok" and reading.quantity == "pm2_5"

        sensor = SensorConfig(
            "sds", "sds011", (emu.path,), 1.0, warmup=lead * 0.75, lead=lead
        )  # default max_duty: 0.15
        start = time.monotonic()
        with ReaderService([sensor], on_reading):
            time.sleep(seconds)
        end = time.monotonic()
        emu.stop()
    wakes = [when for when, on in emu.laser_log if on]
    whole = emu.laser_on_seconds(wakes[0], wakes[-1]) / (wakes[-1] - wakes[0])
    overall = emu.laser_on_seconds(start, end) / (end - start)
    return whole, overall, len(wakes) - 1, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s runs, smaller streams")
    args = parser.parse_args()
    seconds = 10.0 if args.quick else 60.0
    size = STREAM_BYTES // 8 if args.quick else STREAM_BYTES

    print(f"Parser throughput ({size / 1e6:.1f} MB per stream, {CHUNK} B chunks)")
    print(f"  {'protocol':<8} {'clean MB/s':>10} {'noisy MB/s':>10} {'recovered':>10}")
    for protocol in ("sds011", "pms", "mhz19", "s8", "jsonl"):
        clean, _ = throughput(protocol, False, size)
        noisy, recovered = throughput(protocol, True, size)
        print(f"  {protocol:<8} {clean:>10.1f} {noisy:>10.1f} {recovered:>9.2f}%")

    cpu, wall, readings, frames = reader_cpu(seconds)
    print(f"\nReader service, 3 emulated sensors at 1 Hz for {wall:.0f} s")
    print(f"  CPU time {cpu:.3f} s = {cpu / wall * 100:.3f} % of one core (goal < 1 %)")
    print(f"  readings {readings}; frames " + ", ".join(f"{k} {v}" for k, v in frames.items()))

    lead = 0.5 if args.quick else 2.0
    whole, overall, cycles, ok = laser_duty(seconds if args.quick else 45.0, lead)
    print(f"\nSDS011 laser duty (limit 15 %, wake-ahead compressed to {lead:g} s)")
    print(f"  over {cycles} whole cycles: {whole * 100:.1f} %")
    print(f"  over the whole run (incl. the first warm-up): {overall * 100:.1f} %")
    print(f"  ok readings: {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
