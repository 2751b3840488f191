"""Kiosk benchmark (issue 4): cold start, screen changes, memory and read-aloud latency.

Run from the repository root under a display (the Makefile's bench target uses xvfb-run):
    xvfb-run -a -s "-screen 0 1920x1080x24 +extension GLX" .venv/bin/python bench/kiosk.py
    ... bench/kiosk.py --quick

Everything happens in a temporary directory; the script only reports and always exits 0.
See bench/README.md for what each figure means and the goals.

The script has three roles: the benchmark itself (no Kivy in this process), `--inside HOME OUT`
(the real kiosk app built as `dorfhub kiosk` builds it, driven by widget ids, writing what it
measured to OUT), and `--bare MULTISAMPLES` (a bare Kivy app: the baseline for the first frame
and for memory).
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

from repo_first import REPO  # before any package: puts them ahead of this directory


def bare_main(multisamples: int) -> int:
    """A bare Kivy app of the kiosk's window size: the floor for the first frame, and the
    memory any Kivy window of that size costs with this renderer."""
    import os
    import time

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", "1920")
    Config.set("graphics", "height", "1080")
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "multisamples", str(multisamples))
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.label import Label

    class Bare(App):
        def build(self) -> Label:
            return Label(text="Dorfhub", font_size=48)

        def on_start(self) -> None:
            Window.bind(on_flip=self.flipped)

        def flipped(self, *_: object) -> None:
            Window.unbind(on_flip=self.flipped)
            print(f"first-frame {time.time():.6f}", flush=True)

    Bare().run()
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["--bare"]:
    # Before any other import: the bare app's memory is the baseline, so it loads Kivy only
    # (bench/oplog.py, imported below, loads the whole content package and cryptography).
    sys.exit(bare_main(int(sys.argv[2])))

import argparse
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from oplog import Row, table, verdict

from kiosk.null_sink import null_sink_server

GROUP = "Ilzer Land"
VILLAGE = "Ringelai"
SEED = 20261126
FIRST_FRAME_GOAL_S = 2.0
SCREEN_P95_GOAL_MS = 100.0
MEMORY_GOAL_MB = 150.0
FIRST_AUDIO_GOAL_MS = 500.0
START_DEADLINE_S = 60.0
INSIDE_DEADLINE_S = 900.0
SPEECH_DEADLINE_S = 30.0
SPOKEN = (
    "Der Bürgerbus fährt am Dienstag um acht Uhr fünfzehn am Dorfhub ab. "
    "Bitte melden Sie sich bis zum Vortag an."
)


@dataclass(frozen=True)
class Size:
    notices: int
    starts: int
    openings: int
    browse: int  # memory is read after this many notices were opened ...
    browse_more: int  # ... and again after this many, to see whether it levels off
    reloads: int
    speech: int


FULL = Size(
    notices=10_000, starts=5, openings=50, browse=500, browse_more=1000, reloads=10, speech=10
)
QUICK = Size(notices=1_000, starts=2, openings=10, browse=60, browse_more=120, reloads=3, speech=3)
KIVY_DEFAULT_MULTISAMPLES = 2  # what Kivy asks for unless told otherwise


# ---- the hub home ----------------------------------------------------------------------------


def make_home(directory: Path, count: int) -> tuple[Path, int]:
    """A hub's home as `dorfhub kiosk` finds it after syncing: the network's grants and `count`
    notices from bench/oplog.py's generator, signed by an admin. Returns the home and how many
    notices the hub shows now."""
    import msgspec
    from oplog import make_notices

    from content import grants, notices
    from content.clock import wall_clock_ms
    from content.identity import Identity, network_id_for
    from content.log import Log
    from node.home import Home, NodeConfig

    root = Identity.generate("Netzwerk-Wurzel")
    admin = Identity.generate("Verwaltung")
    network_id = network_id_for(root.key_id)
    home = Home.create(
        directory / "hub", NodeConfig(name=VILLAGE, role="hub", network_id=network_id)
    )
    hub = home.create_identity("node.key", VILLAGE)
    others = [Identity.generate(name).key_id for name in ("Perlesreut", "Schönberg")]
    now = wall_clock_ms()
    bodies = make_notices(count, SEED, now, [hub.key_id, *others])
    with home.store() as store:
        store.set_network(network_id)
        log = Log(store)
        grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
        grants.grant(log, admin, hub.public, "hub", VILLAGE, groups=[GROUP])
        for body in bodies:
            # An emergency takes over the screen; it is not what this benchmark is about.
            if body.priority == "emergency":
                body = msgspec.structs.replace(body, priority="important")
            notices.publish(log, admin, body)
        shown = len(notices.active_notices(store.conn, hub=hub.key_id, at_ms=now + 1000))
    return home.path, shown


# ---- helpers ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def smaps_kb(pid: int | str) -> dict[str, int]:
    """Resident kB of a process by kind of mapping: libLLVM (Mesa's shader compiler, mostly
    file-backed), anonymous memory (mmap without a file, the brk heap) and everything else."""
    found = {"llvm": 0, "anon": 0, "other": 0}
    kind = "other"
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):
            name = parts[5] if len(parts) > 5 else ""
            kind = "llvm" if "libLLVM" in name else "anon" if name in ("", "[heap]") else "other"
        elif parts and parts[0] == "Rss:":
            found[kind] += int(parts[1])
    return found


def status_kb(pid: int | str, field: str) -> int:
    """A field of /proc/PID/status in kB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def kivy_env(directory: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONSOLELOG": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_HOME": str(directory / "kivy-home"),
    }


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- cold start ------------------------------------------------------------------------------


@dataclass
class Start:
    seconds: float
    rss_kb: int  # after the most used screens were built in the frames after the first
    smaps_kb: dict[str, int]  # the same memory by kind (smaps_kb)


def first_frame(command: list[str], env: dict[str, str], settle_s: float = 2.0) -> Start | None:
    """Start `command`, wait for its "first-frame <wall time>" line, then measure its memory a
    little later and stop it. None when it never drew a frame."""
    lines: list[str] = []
    seen = threading.Event()
    started = time.time()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "first-frame" in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not seen.wait(START_DEADLINE_S):
            print("".join(lines[-30:]), file=sys.stderr)
            return None
        stamp = next(float(line.split()[-1]) for line in lines if "first-frame" in line)
        time.sleep(settle_s)
        running = process.poll() is None
        rss = status_kb(process.pid, "VmRSS") if running else 0
        kinds = smaps_kb(process.pid) if running else {}
        return Start(stamp - started, rss, kinds)
    finally:
        stop(process)
        reader.join(5)


def measure_starts(command: list[str], env: dict[str, str], runs: int) -> list[Start]:
    first_frame(command, env, settle_s=0)  # warm-up: Kivy's config file, the OS file cache
    return [start for start in (first_frame(command, env) for _ in range(runs)) if start]


def import_seconds(statement: str) -> float:
    """Wall time of `statement` in a fresh interpreter (median of 3)."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        )
        times.append(float(done.stdout.split()[-1]))
    return statistics.median(times)


# ---- inside the kiosk: screen changes and memory ---------------------------------------------

# A step of the drive: ("frames", n) lets n frames pass; ("act", action, n) runs `action` and
# lets n frames pass; ("measure", sink, action, shown) runs `action` (a tap) and appends to
# `sink` the milliseconds until the end of the first frame drawn after which `shown()` holds.
Step = tuple[Any, ...]


class Driver:
    """Runs a generator of steps inside the live app. Actions run in a Clock callback, where
    Kivy also hands touches to the widgets; a frame counts as drawn when Window's on_flip
    fires (after the buffer swap)."""

    def __init__(self, app: Any, steps: Iterator[Step], finish: Callable[[str | None], None]):
        self.app = app
        self.steps = steps
        self.finish = finish
        self.shown: Callable[[], bool] | None = None
        self.sink: list[float] = []
        self.started = 0.0
        self.deadline = 0.0
        self.done = False

    def begin(self, _dt: float) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        Window.bind(on_flip=self.flipped)
        Clock.schedule_interval(self.watchdog, 0.5)
        self.advance(0)

    def advance(self, _dt: float) -> None:
        if self.done:
            return
        try:
            step = next(self.steps)
            self.deadline = time.monotonic() + START_DEADLINE_S
            if step[0] == "frames":
                self._after_frames(step[1])
            elif step[0] == "act":
                step[1]()
                self._after_frames(step[2])
            else:
                _, self.sink, action, self.shown = step
                self.started = time.perf_counter()
                action()
        except StopIteration:
            self.end(None)
        except Exception:
            self.end(traceback.format_exc())

    def _after_frames(self, frames: int) -> None:
        from kivy.clock import Clock

        # Clock ticks every frame even when nothing is redrawn (Window flips only then).
        target = Clock.frames + frames

        def check(_dt: float) -> bool:
            if Clock.frames >= target:
                self.advance(0)
                return False
            return True

        Clock.schedule_interval(check, 0)

    def flipped(self, *_: object) -> None:
        from kivy.clock import Clock

        if self.done or self.shown is None:
            return
        try:
            ready = self.shown()
        except Exception:
            self.end(traceback.format_exc())
            return
        if ready:
            self.sink.append(1000 * (time.perf_counter() - self.started))
            self.shown = None
            Clock.schedule_once(self.advance, 0)

    def watchdog(self, _dt: float) -> None:
        if not self.done and time.monotonic() > self.deadline:
            self.end(f"gave up waiting (screen {self.app.sm.current})")

    def end(self, error: str | None) -> None:
        if not self.done:
            self.done = True
            self.finish(error)


@functools.cache
def touch_class() -> Any:
    """One class for every tap (made once the app runs: Kivy is not imported before). With a
    class made per tap, tracemalloc found every one of them still alive at the end of a run
    (2,759 classes, 1 MB), which the memory figures counted as the kiosk's."""
    from kivy.input.motionevent import MotionEvent

    class Touch(MotionEvent):
        def depack(self, args: dict[str, float]) -> None:
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)

    return Touch


def tap(widget: Any) -> None:
    """A real touch through Kivy's input pipeline at the widget's centre.

    Not kivy.tests.common.UnitTestTouch: that module imports pytest and pygments, 8 MB that
    the memory figures would count as the kiosk's."""
    from kivy.base import EventLoop

    window = EventLoop.window
    x, y = widget.to_window(*widget.center)
    where = {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)}
    touch = touch_class()("bench-touch", 99, where, is_touch=True, type_id="touch")
    touch.profile = ["pos"]
    EventLoop.post_dispatch_input("begin", touch)
    EventLoop.post_dispatch_input("end", touch)


def visible_rows(app: Any) -> list[Any]:
    """The notice rows of the list whose centre is inside the list's area, top first."""
    view = app.current.ids.rv
    x0, y0 = view.to_window(*view.pos)
    x1, y1 = x0 + view.width, y0 + view.height
    found = []
    for row in view.children[0].children if view.children else []:
        cx, cy = row.to_window(*row.center)
        if x0 <= cx <= x1 and y0 <= cy <= y1 and row.notice_id:
            found.append(row)
    return sorted(found, key=lambda row: -row.y)


def drive(app: Any, size: Size, out: dict[str, Any]) -> Iterator[Step]:
    from kiosk.app import AFTER_FIRST_FRAME

    board_open: list[float] = []
    first_open: list[float] = []
    reload_open: list[float] = []
    detail_open: list[float] = []
    detail_back: list[float] = []
    out.update(
        board_first_ms=first_open,
        board_ms=board_open,
        board_reload_ms=reload_open,
        detail_ms=detail_open,
        back_ms=detail_back,
    )
    # The most used screens are built one per frame after the first frame (the others when
    # first opened).
    while not all(app.sm.has_screen(name) for name in AFTER_FIRST_FRAME):
        yield ("frames", 1)
    yield ("frames", 10)
    out["rss_start_kb"] = status_kb("self", "VmRSS")
    home = app.screen("home")
    bar = app.root.ids.bar

    def board_shown() -> bool:
        return bool(app.sm.current == "board" and visible_rows(app))

    def on(screen: str) -> Callable[[], bool]:
        return lambda: bool(app.sm.current == screen)

    def to_home() -> Iterator[Step]:
        yield ("measure", [], lambda: tap(bar.ids.bar_home), on("home"))
        yield ("frames", 3)

    yield ("measure", first_open, lambda: tap(home.ids.tile_notices), board_shown)
    out["board_rows"] = len(app.current.ids.rv.data)
    out["board_count"] = app.current.count
    yield from to_home()
    for _ in range(size.openings):
        yield ("measure", board_open, lambda: tap(home.ids.tile_notices), board_shown)
        yield from to_home()
    for _ in range(size.reloads):
        app.dirty.add("board")  # as after a commit by the hub daemon or a language switch
        yield ("measure", reload_open, lambda: tap(home.ids.tile_notices), board_shown)
        yield from to_home()

    # Browse: page down through the list and open every notice on each page, then go back.
    yield ("measure", [], lambda: tap(home.ids.tile_notices), board_shown)
    opened: set[str] = set()
    for target, key in ((size.browse, ""), (size.browse_more, "_more")):
        yield from browse(app, target, opened, detail_open, detail_back, board_shown)
        out["browsed" + key] = len(opened)
        yield ("frames", 10)
        out["rss_kb" + key] = status_kb("self", "VmRSS")
        out["hwm_kb" + key] = status_kb("self", "VmHWM")


def browse(
    app: Any,
    target: int,
    opened: set[str],
    detail_open: list[float],
    detail_back: list[float],
    board_shown: Callable[[], bool],
) -> Iterator[Step]:
    """Page down through the list and open every notice on each page, then go back, until
    `target` notices were opened."""
    board = app.screen("board")
    detail = app.screen("detail")
    bar = app.root.ids.bar
    while len(opened) < target:
        fresh = [row for row in visible_rows(app) if row.notice_id not in opened]
        if not fresh:
            break
        for index in range(len(fresh)):
            row = next(
                (r for r in visible_rows(app) if r.notice_id == fresh[index].notice_id), None
            )
            if row is None or len(opened) >= target:
                break
            notice_id = row.notice_id
            opened.add(notice_id)
            yield (
                "measure",
                detail_open,
                lambda row=row: tap(row),
                lambda notice_id=notice_id: bool(
                    app.sm.current == "detail" and detail.notice_id == notice_id
                ),
            )
            yield ("frames", 2)
            yield ("measure", detail_back, lambda: tap(bar.ids.bar_back), board_shown)
        yield ("act", lambda: tap(board.ids.page_down), 3)


def inside_main(home_dir: Path, out_path: Path, size: Size) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from content.store import Store
    from kiosk.launch import KioskOptions, build_app
    from node.home import Home

    home = Home.open(home_dir)
    options = KioskOptions(
        db_path=home.db_path,
        home_dir=home.path,
        identity=home.identity(),
        hub_name=home.config.name,
    )
    store = Store(options.db_path)
    app = build_app(options, store)  # the real speaker, as `dorfhub kiosk` has it
    results: dict[str, Any] = {}
    outcome: dict[str, Any] = {"ok": False, "results": results}

    def finish(error: str | None) -> None:
        outcome.update(ok=error is None, error=error)
        app.stop()

    driver = Driver(app, drive(app, size, results), finish)
    from kivy.clock import Clock

    Clock.schedule_once(driver.begin, 0)
    app.run()
    store.close()
    out_path.write_text(json.dumps(outcome))
    return 0 if outcome["ok"] else 1


# ---- read-aloud ------------------------------------------------------------------------------


class NullSink:
    """A PulseAudio server with a null sink (a sound card that plays in real time and nobody
    hears), as tests/kiosk/test_speech.py uses; `pactl subscribe` timestamps new streams."""

    def __init__(self, directory: Path) -> None:
        self.stack = ExitStack()
        self.socket = self.stack.enter_context(null_sink_server())
        self.streams: dict[int, float] = {}  # sink-input index -> perf_counter when it came
        self.watcher: subprocess.Popen[str] | None = None
        os.environ["PULSE_SERVER"] = f"unix:{self.socket}"
        self.watcher = subprocess.Popen(
            ["pactl", "subscribe"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._watch, daemon=True).start()
        time.sleep(0.3)  # let the subscription connect

    def _watch(self) -> None:
        assert self.watcher is not None
        assert self.watcher.stdout is not None
        for line in self.watcher.stdout:
            if "'new' on sink-input #" in line:
                self.streams[int(line.rsplit("#", 1)[1])] = time.perf_counter()

    def player_stream(self, binary: str) -> int | None:
        """The index of the playback stream `binary` holds open now (the synthesis worker's
        espeak also connects briefly, so streams are told apart by their program)."""
        listing = subprocess.run(
            ["pactl", "list", "sink-inputs"], capture_output=True, text=True, check=False
        ).stdout
        index = None
        for line in listing.splitlines():
            line = line.strip()
            if line.startswith("Sink Input #"):
                index = int(line.rsplit("#", 1)[1])
            elif line == f'application.process.binary = "{binary}"' and index is not None:
                return index
        return None

    def close(self) -> None:
        os.environ.pop("PULSE_SERVER", None)
        if self.watcher is not None and self.watcher.poll() is None:
            self.watcher.terminate()
            self.watcher.wait()
        self.stack.close()


@dataclass
class Speech:
    card: str
    chars: int
    started_ms: list[float]
    stream_ms: list[float]
    errors: list[str]
    espeak_ms: float
    worker_ms: float


def typical_text() -> str:
    """The German title and body of a notice of median length from the benchmark corpus."""
    from oplog import make_notices

    bodies = make_notices(101, SEED, int(time.time() * 1000), ["hub"])
    texts = sorted(f"{body.title['de']}. {body.body['de']}" for body in bodies)
    return sorted(texts, key=len)[len(texts) // 2]


def measure_speech(directory: Path, runs: int) -> Speech:
    from kiosk.speech import Speaker, SpeechEvent, render_to_wav

    text = typical_text()
    sink: NullSink | None = None
    if all(shutil.which(tool) for tool in ("pulseaudio", "paplay", "pactl")):
        try:
            sink = NullSink(directory)
        except RuntimeError as exc:
            print(f"no null sink: {exc}", file=sys.stderr)
    players = {"speakers": ("paplay",), "headphones": ("paplay",)} if sink else None
    speaker = Speaker(players=players)
    events: list[tuple[float, SpeechEvent]] = []
    arrived = threading.Condition()

    def listen(event: SpeechEvent) -> None:
        with arrived:
            events.append((time.perf_counter(), event))
            arrived.notify_all()

    def wait_for(kinds: tuple[str, ...], after: int) -> tuple[float, SpeechEvent] | None:
        with arrived:
            arrived.wait_for(
                lambda: any(e.kind in kinds for _, e in events[after:]), SPEECH_DEADLINE_S
            )
            return next(((t, e) for t, e in events[after:] if e.kind in kinds), None)

    speaker.add_listener(listen)
    # paplay is pacat under another name; PulseAudio lists the program's real name.
    player_binary = Path(os.path.realpath(shutil.which("paplay") or "paplay")).name
    started, streams, errors = [], [], []
    try:
        for _ in range(runs + 1):  # the first one warms the OS file cache up
            mark = len(events)
            begun = time.perf_counter()
            speaker.say(text, "de")
            seen = wait_for(("started", "error"), mark)
            if seen is None or seen[1].kind == "error":
                errors.append(seen[1].reason if seen else "no event")
                continue
            started.append(1000 * (seen[0] - begun))
            if sink:
                end = time.monotonic() + 5
                index = None
                while index is None and time.monotonic() < end:
                    index = sink.player_stream(player_binary)
                if index is not None and index in sink.streams:
                    streams.append(1000 * (sink.streams[index] - begun))
            speaker.stop()
            wait_for(("stopped", "finished"), mark + 1)
            time.sleep(0.3)
    finally:
        speaker.close()
        if sink:
            sink.close()
    return Speech(
        card="PulseAudio null sink (paplay)" if sink else "default player (aplay)",
        chars=len(text),
        started_ms=started[1:] if len(started) > 1 else started,
        stream_ms=streams[1:] if len(streams) > 1 else streams,
        errors=errors,
        espeak_ms=espeak_ms(text, directory),
        worker_ms=1000
        * statistics.median(
            timed(lambda: render_to_wav(text, "de", directory / "worker.wav")) for _ in range(3)
        ),
    )


def timed(action: Callable[[], object]) -> float:
    begun = time.perf_counter()
    action()
    return time.perf_counter() - begun


def espeak_ms(text: str, directory: Path) -> float:
    """espeak-ng's own command line writing the same text to a WAV file (median of 3)."""
    if shutil.which("espeak-ng") is None:
        return float("nan")
    command = ["espeak-ng", "-v", "de", "-s", "150", "-w", str(directory / "raw.wav"), text]
    return 1000 * statistics.median(
        timed(lambda: subprocess.run(command, check=True, capture_output=True)) for _ in range(3)
    )


# ---- the report ------------------------------------------------------------------------------


def ms_pair(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.0f} / {percentile(values, 0.95):.0f} ms"


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def median_kb(starts: list[Start], kind: str = "") -> float:
    values = [s.smaps_kb.get(kind, 0) if kind else s.rss_kb for s in starts]
    return statistics.median(values) if values else float("nan")


def start_rows(
    kiosk: list[Start], bare: list[Start], bare_msaa: list[Start], parser_s: float, shown: int
) -> list[Row]:
    if not kiosk:
        return [
            Row(
                "first frame, dorfhub kiosk",
                "no frame",
                f"< {FIRST_FRAME_GOAL_S:.0f} s",
                "misses goal",
            )
        ]
    times = [start.seconds for start in kiosk]
    median = statistics.median(times)
    bare_s = statistics.median(start.seconds for start in bare) if bare else float("nan")
    return [
        Row(
            f"first frame, `dorfhub kiosk` ({shown:,} notices shown): median / max of {len(times)}",
            f"{median:.2f} / {max(times):.2f} s",
            f"< {FIRST_FRAME_GOAL_S:.0f} s (bare Kivy app {bare_s:.2f} s)",
            verdict(median < FIRST_FRAME_GOAL_S),
        ),
        Row(
            "  of which: importing node.cli and building its parser", f"{parser_s:.2f} s", "—", "—"
        ),
        Row(
            "kiosk RSS after start (the most used screens built)",
            mb(median_kb(kiosk)),
            f"bare Kivy app {mb(median_kb(bare))}" if bare else "—",
            "—",
        ),
        Row(
            "  the kiosk's own (kiosk RSS − bare Kivy app RSS)",
            mb(median_kb(kiosk) - median_kb(bare)) if bare else "n/a",
            "—",
            "—",
        ),
        Row(
            "bare Kivy app RSS: libLLVM / anonymous and heap / the rest",
            " / ".join(mb(median_kb(bare, kind)) for kind in ("llvm", "anon", "other"))
            if bare
            else "n/a",
            "—",
            "—",
        ),
        Row(
            f"  the same app with Kivy's default {KIVY_DEFAULT_MULTISAMPLES}x multisampling",
            " / ".join(mb(median_kb(bare_msaa, kind)) for kind in ("llvm", "anon", "other"))
            + f" (total {mb(median_kb(bare_msaa))})"
            if bare_msaa
            else "n/a",
            "—",
            "—",
        ),
    ]


def inside_rows(r: dict[str, Any], bare_kb: float) -> list[Row]:
    goal = f"p95 < {SCREEN_P95_GOAL_MS:.0f} ms"
    board, detail = r["board_ms"], r["detail_ms"]
    change = board + detail
    rows = [
        Row(
            f"open noticeboard, first time (reads {r['board_rows']:,} of "
            f"{r['board_count']:,} rows)",
            f"{r['board_first_ms'][0]:.0f} ms",
            "—",
            "—",
        ),
        Row(
            f"open noticeboard: median / p95 of {len(board)}",
            ms_pair(board),
            goal,
            verdict(bool(board) and percentile(board, 0.95) < SCREEN_P95_GOAL_MS),
        ),
        Row(
            f"open noticeboard after a data change (list reloaded), of {len(r['board_reload_ms'])}",
            ms_pair(r["board_reload_ms"]),
            "—",
            "—",
        ),
        Row(
            f"open a notice: median / p95 of {len(detail)}",
            ms_pair(detail),
            goal,
            verdict(bool(detail) and percentile(detail, 0.95) < SCREEN_P95_GOAL_MS),
        ),
        Row(
            f"back to the list: median / p95 of {len(r['back_ms'])}",
            ms_pair(r["back_ms"]),
            "—",
            "—",
        ),
        Row(
            f"screen change, all {len(change)} openings above: p95",
            f"{percentile(change, 0.95):.0f} ms" if change else "n/a",
            f"< {SCREEN_P95_GOAL_MS:.0f} ms",
            verdict(bool(change) and percentile(change, 0.95) < SCREEN_P95_GOAL_MS),
        ),
    ]
    for key in ("", "_more"):
        rss, hwm = r["rss_kb" + key] / 1024, r["hwm_kb" + key] / 1024
        first = not key
        rows.append(
            Row(
                f"RSS after browsing {r['browsed' + key]} notices (VmRSS / VmHWM)",
                f"{rss:.0f} / {hwm:.0f} MB",
                f"< {MEMORY_GOAL_MB:.0f} MB (at start {r['rss_start_kb'] / 1024:.0f} MB)"
                if first
                else "—",
                verdict(max(rss, hwm) < MEMORY_GOAL_MB) if first else "—",
            )
        )
        rows.append(
            Row(
                "  the kiosk's own (VmRSS − bare Kivy app RSS)",
                mb(r["rss_kb" + key] - bare_kb),
                "—",
                "—",
            )
        )
    return rows


def speech_rows(s: Speech) -> list[Row]:
    goal = f"< {FIRST_AUDIO_GOAL_MS:.0f} ms"
    rows = []
    values = s.stream_ms or s.started_ms
    if s.errors and not s.started_ms:
        rows.append(
            Row("read-aloud: first audio", f"no audio ({s.errors[0][:40]})", goal, "not measured")
        )
    else:
        rows.append(
            Row(
                f"read-aloud: say() → player started ({s.chars} chars): median / p95",
                ms_pair(s.started_ms),
                "—" if s.stream_ms else goal,
                "—" if s.stream_ms else verdict(percentile(values, 0.95) < FIRST_AUDIO_GOAL_MS),
            )
        )
        if s.stream_ms:
            rows.append(
                Row(
                    f"read-aloud: say() → stream on the sound card ({s.card}): median / p95",
                    ms_pair(s.stream_ms),
                    goal,
                    verdict(percentile(s.stream_ms, 0.95) < FIRST_AUDIO_GOAL_MS),
                )
            )
    rows += [
        Row(
            "  baseline: espeak-ng command line, same text to WAV",
            f"{s.espeak_ms:.0f} ms",
            "—",
            "—",
        ),
        Row(
            "  baseline: the speech worker alone (render_to_wav)", f"{s.worker_ms:.0f} ms", "—", "—"
        ),
    ]
    return rows


def run_inside(home: Path, directory: Path, size: Size) -> dict[str, Any] | None:
    out = directory / "inside.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--inside", str(home), str(out)]
    if size is QUICK:
        command.append("--quick")
    done = subprocess.run(
        command,
        cwd=REPO,
        env=kivy_env(directory),
        capture_output=True,
        text=True,
        timeout=INSIDE_DEADLINE_S,
    )
    if not out.exists():
        output = (done.stdout + done.stderr)[-3000:]
        print(f"the driven kiosk stopped without a result:\n{output}", file=sys.stderr)
        return None
    outcome = json.loads(out.read_text())
    if not outcome["ok"]:
        print(f"the driven kiosk failed:\n{outcome['error']}", file=sys.stderr)
        return None
    results: dict[str, Any] = outcome["results"]
    return results


def machine() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    except OSError:
        names = []
    from importlib.metadata import version  # not `import kivy`: it would parse this argv

    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs ({names[0] if names else 'unknown CPU'}); "
        f"Python {platform.python_version()}, Kivy {version('kivy')}"
    )


def bench(size: Size) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="dorfhub-bench-kiosk-") as name:
        directory = Path(name)
        began = time.perf_counter()
        home, shown = make_home(directory, size.notices)
        print(
            f"hub home with {size.notices:,} notices ({shown:,} shown now): "
            f"{time.perf_counter() - began:.1f} s",
            flush=True,
        )
        env = {**kivy_env(directory), "DORFHUB_KIOSK_FIRST_FRAME": "1"}
        env.pop("KIVY_HOME")  # `dorfhub kiosk` keeps Kivy's files in the hub's home
        dorfhub = str(Path(sys.executable).parent / "dorfhub")
        kiosk = measure_starts([dorfhub, "kiosk", "--home", str(home)], env, size.starts)
        # Not at the top: the bare app would load it.
        from kiosk.launch import IMAGE_PROVIDERS, MULTISAMPLES

        bare_command = [sys.executable, str(Path(__file__).resolve()), "--bare"]
        bare_env = {**kivy_env(directory), "KIVY_IMAGE": IMAGE_PROVIDERS}  # as the kiosk's
        bare = measure_starts([*bare_command, str(MULTISAMPLES)], bare_env, size.starts)
        # Kivy's default, for what multisampling costs with this renderer (memory only).
        bare_msaa = measure_starts([*bare_command, str(KIVY_DEFAULT_MULTISAMPLES)], bare_env, 2)
        parser_s = import_seconds("from node.cli import build_parser; build_parser()")
        rows += start_rows(kiosk, bare, bare_msaa, parser_s, shown)
        print("cold starts done", flush=True)
        inside = run_inside(home, directory, size)
        if inside is not None:
            rows += inside_rows(inside, median_kb(bare))
        print("screen changes done", flush=True)
        rows += speech_rows(measure_speech(directory, size.speech))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 notices")
    parser.add_argument("--bare", type=int, metavar="MULTISAMPLES", help=argparse.SUPPRESS)
    parser.add_argument("--inside", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    if args.bare is not None:
        return bare_main(args.bare)
    if args.inside:
        return inside_main(args.inside[0], args.inside[1], size)
    if not os.environ.get("DISPLAY"):
        print("bench/kiosk.py needs a display: run it under xvfb-run (make bench does)")
        return 0
    print(f"Machine: {machine()}")
    began = time.perf_counter()
    try:
        rows = bench(size)
    except Exception:
        traceback.print_exc()
        return 0
    print()
    print(table(rows))
    print(f"\nTotal run time: {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
