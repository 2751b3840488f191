"""A private PulseAudio server with a null sink: a sound card that plays in real time and that
nobody hears. The speech tests and bench/kiosk.py play into it, because ALSA's null device
"plays" a minute of audio in milliseconds and so cannot show when speech starts or stops. Needs
the pulseaudio program; the kiosk itself never starts one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_SECONDS = 10.0


@contextmanager
def null_sink_server() -> Iterator[Path]:
    """Run the server until the block ends; yields its socket (for PULSE_SERVER=unix:…)."""
    # A short path: unix socket paths are limited to 108 bytes.
    runtime = Path(tempfile.mkdtemp(prefix="dh-pulse-"))
    socket = runtime / "native"
    server = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "-L",
            "module-null-sink sink_name=room",
            "-L",
            f"module-native-protocol-unix socket={socket} auth-anonymous=1",
        ],
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not socket.exists():
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("PulseAudio did not start")
            time.sleep(0.02)
        yield socket
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(runtime, ignore_errors=True)
