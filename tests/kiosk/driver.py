"""Runs the real kiosk app in this process and drives it through one scenario.

    python -m tests.kiosk.driver SCENARIO HOME RESULT_JSON [PARAMS_JSON]

Kivy is started once per process, so every scenario runs in a fresh subprocess (tests/kiosk/
run.py). A scenario is a generator: it yields a number of seconds to let the app run, or a
predicate to wait for (with a deadline), and writes what it observed into `ctx.results`.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.kiosk.fakes import FakeClock, RecordingSpeaker

WAIT_DEADLINE_S = 15.0


@dataclass
class Context:
    home: Path
    params: dict[str, Any]
    clock: FakeClock
    speaker: RecordingSpeaker
    results: dict[str, Any] = field(default_factory=dict)
    # The kiosk's wall clock: the real one, moved by `wall_shift_ms`, and with the param
    # "wall_follows_clock" also by every advance of the fake monotonic clock (notices start
    # and end by the wall clock; the idle timer runs on the monotonic one).
    wall_shift_ms: int = 0
    clock_start: float = 0.0

    def wall_ms(self) -> int:
        from content.clock import wall_clock_ms

        followed = self.clock.now - self.clock_start if self.params.get("wall_follows_clock") else 0
        return wall_clock_ms() + self.wall_shift_ms + round(followed * 1000)


Step = float | Callable[[], bool]


def main() -> int:
    scenario_name, home_arg, out_arg, *rest = sys.argv[1:]
    params = json.loads(rest[0]) if rest else {}
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from node.home import Home

    home = Home.open(Path(home_arg))
    from content.store import Store
    from kiosk.launch import KioskOptions, build_app
    from tests.kiosk import scenarios

    clock = FakeClock()
    speaker = RecordingSpeaker()
    ctx = Context(Path(home_arg), params, clock, speaker, clock_start=clock.now)
    app_options: dict[str, Any] = {"monotonic": clock, "wall_ms": ctx.wall_ms}
    app_options.update(params.get("app_options", {}))
    options = KioskOptions(
        db_path=home.db_path,
        home_dir=home.path,
        identity=home.identity(),
        hub_name=home.config.name,
        width=1920,
        height=1080,
        diagonal_in=21.5,
        app_options=app_options,
    )
    store = Store(options.db_path)
    app = build_app(options, store, speaker_factory=lambda: speaker)
    # "module:function" runs a scenario kept in another module of tests.kiosk.
    module_name, _, function = scenario_name.rpartition(":")
    module = importlib.import_module(f"tests.kiosk.{module_name}") if module_name else scenarios
    steps = getattr(module, function)(app, ctx)
    outcome: dict[str, Any] = {"ok": False}

    def finish(error: str | None) -> None:
        outcome.update({"ok": error is None, "error": error, "results": ctx.results})
        outcome["said"] = speaker.said
        outcome["stops"] = speaker.stops
        app.stop()

    runner = _Runner(steps, finish)
    from kivy.clock import Clock

    def start(_dt: float) -> None:
        Clock.schedule_interval(runner.step, 0)

    Clock.schedule_once(start, 0.5)
    app.run()
    store.close()
    Path(out_arg).write_text(json.dumps(outcome, ensure_ascii=False, default=str))
    return 0 if outcome["ok"] else 1


class _Runner:
    def __init__(self, steps: Iterator[Step], finish: Callable[[str | None], None]) -> None:
        self.steps = steps
        self.finish = finish
        self.waiting: Step | None = None
        self.until = 0.0
        self.done = False

    def step(self, _dt: float) -> bool:
        if self.done:
            return False
        try:
            if self.waiting is not None:
                if callable(self.waiting):
                    if not self.waiting():
                        if time.monotonic() > self.until:
                            raise TimeoutError(f"gave up waiting for {self.waiting}")
                        return True
                elif time.monotonic() < self.until:
                    return True
            self.waiting = next(self.steps)
            deadline = WAIT_DEADLINE_S if callable(self.waiting) else float(self.waiting)
            self.until = time.monotonic() + deadline
        except StopIteration:
            self.done = True
            self.finish(None)
            return False
        except Exception:
            self.done = True
            self.finish(traceback.format_exc())
            return False
        return True


if __name__ == "__main__":
    sys.exit(main())
