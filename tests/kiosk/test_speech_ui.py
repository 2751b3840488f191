"""The kiosk reacts to what its speaker reports: the real app under Xvfb with the real
`kiosk.speech.Speaker` (real espeak-ng synthesis), whose players are small recording programs.

A recording player copies the WAV it is given into a directory per output (speakers or
headphones) and then plays until a gate file appears, so a scenario can look at the screen while
speech runs. No sound card is needed. Each scenario runs in a fresh process:

    python -m tests.kiosk.test_speech_ui SCENARIO HOME RESULT_JSON PARAMS_JSON
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kiosk.hubhome import HubHome
from tests.kiosk.run import REPO, kiosk_env

pytestmark = pytest.mark.usefixtures("display")

NAME = "Erika Mustermann"
PHONE = "0855512"
PLAYER = """
import shutil, sys, time
from pathlib import Path
out, wav = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(exist_ok=True)
shutil.copy(wav, out / f"{len(list(out.glob('*.wav'))):03d}.wav")
end = time.monotonic() + 60
while not (out / "release").exists() and time.monotonic() < end:
    time.sleep(0.02)
"""
MISSING_PLAYER = "dorfhub-no-such-player"
COMMAND = [sys.executable, "-m", "tests.kiosk.test_speech_ui"]


# ---- the pytest side -----------------------------------------------------------------------


def _run(scenario: str, home: Path, tmp: Path, params: dict[str, Any]) -> dict[str, Any]:
    out = tmp / f"{scenario}.json"
    done = subprocess.run(
        [*COMMAND, scenario, str(home), str(out), json.dumps(params)],
        cwd=REPO,
        env=kiosk_env(tmp),
        capture_output=True,
        text=True,
        timeout=180,
    )
    if not out.exists():
        raise AssertionError(f"the kiosk stopped without a result:\n{done.stdout[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    if not result["ok"]:
        raise AssertionError(f"scenario failed:\n{result['error']}\n{done.stdout[-2000:]}")
    return result


def _players(tmp: Path) -> dict[str, list[str]]:
    script = tmp / "player.py"
    script.write_text(PLAYER)
    return {
        output: [sys.executable, str(script), str(tmp / output)]
        for output in ("speakers", "headphones")
    }


def _seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_personal_text_is_refused_on_speakers_shown_and_heard_through_headphones(
    hub_home: HubHome, tmp_path: Path
) -> None:
    params = {"players": _players(tmp_path), "name": NAME, "phone": PHONE}
    result = _run("personal", hub_home.path, tmp_path, params)
    out, calls = result["results"], result["calls"]

    # The confirmation after sending is said on the speakers without the name.
    assert out["after_send"][0] == "help_done"
    confirmation, personal, output = out["after_send"][1]
    assert "Ihre Bitte ist angekommen" in confirmation
    assert NAME not in confirmation
    assert (personal, output) == (False, "speakers")

    # "Vorlesen" on the confirmation asks for the name and number: refused on the speakers,
    # shown with a one-tap way to headphones, and said without the personal part.
    shown, message, offer, offer_size, contrast = out["refused"]
    assert shown
    assert message == "Persönliche Angaben lese ich nur über Kopfhörer vor."
    assert offer == "Über Kopfhörer hören"
    assert min(offer_size) >= out["target_px"]
    assert contrast >= 7
    spoken_instead, personal, output = out["said_instead"]
    assert spoken_instead.endswith("Persönliche Angaben lese ich nur über Kopfhörer vor.")
    assert spoken_instead.startswith("Ihre Bitte ist angekommen")
    assert NAME not in spoken_instead
    assert (personal, output) == (False, "speakers")

    # One tap: output to headphones, and the name and number go there, digit by digit.
    assert out["after_tap"] == [True, "Kopfhörer: an", False]
    with_details, personal, output = out["said_to_headphones"]
    assert NAME in with_details
    assert " ".join(PHONE) in with_details
    assert (personal, output) == (True, "headphones")
    headphones = sorted((tmp_path / "headphones").glob("*.wav"))
    speakers = sorted((tmp_path / "speakers").glob("*.wav"))
    assert len(headphones) == 1
    # The confirmation, the confirmation with the refusal note, and later guide mode's count
    # with the note: three public texts, none of them with the name.
    assert len(speakers) == 3
    assert _seconds(headphones[0]) > _seconds(speakers[0]) + 1.0

    # Nothing personal was ever accepted for the speakers.
    for text, personal, output, refused in calls:
        if NAME in text or " ".join(PHONE) in text:
            assert personal
            assert refused or output == "headphones"
    assert any(refused for *_, refused in calls)

    # Back on the speakers, guide mode's request list is refused too; its count is not.
    guide_text, personal, output, refused = out["guide"]
    assert NAME in guide_text
    assert personal
    assert refused
    assert output == "speakers"
    assert out["guide_notice"] == "personal"


def test_a_speech_error_shows_that_read_aloud_is_unavailable(
    hub_home: HubHome, tmp_path: Path
) -> None:
    params = {"players": {"speakers": [MISSING_PLAYER], "headphones": [MISSING_PLAYER]}}
    out = _run("failing", hub_home.path, tmp_path, params)["results"]
    shown, kind, message, offer_visible, speaking = out["notice"]
    assert shown
    assert kind == "unavailable"
    assert message.startswith("Vorlesen ist gerade nicht möglich.")
    assert not offer_visible
    assert not speaking
    assert out["reason"].startswith(f"no audio player ({MISSING_PLAYER})")
    assert out["english"] == "Reading aloud is not available right now. The text is on the screen."
    assert out["closed"] is True
    assert out["gone_after_navigation"] is True


def test_the_speaker_button_follows_started_and_finished(hub_home: HubHome, tmp_path: Path) -> None:
    out = _run("button", hub_home.path, tmp_path, {"players": _players(tmp_path)})["results"]
    assert out["idle"] == [False, "Vorlesen"]
    assert out["while_playing"] == [True, "Stopp", "started"]
    assert out["after_finished"] == [False, "Vorlesen", "finished"]
    # A tap on "Stopp" stops and reads nothing new.
    assert out["stopped"] == [False, "Vorlesen", 0]
    assert out["says"] == 2


# ---- the kiosk side (a fresh process per scenario) -----------------------------------------


def _recording_speaker(players: dict[str, list[str]]) -> Any:
    from kiosk.speech import Speaker, SpeechEvent

    class RecordingSpeaker(Speaker):
        """The real speaker; also notes each `say` with the output and whether it was
        refused, and the events it sent."""

        def __init__(self) -> None:
            super().__init__(players=players)
            self.calls: list[list[Any]] = []
            self.events: list[SpeechEvent] = []
            self.add_listener(self.events.append)

        def say(self, text: str, language: str, personal: bool = False) -> None:
            before = len(self.events)
            super().say(text, language, personal)
            refused = any(e.kind == "refused" for e in self.events[before:])
            self.calls.append([text, personal, self.output, refused])

    return RecordingSpeaker()


def _wav_count(directory: str) -> int:
    return len(list(Path(directory).glob("*.wav")))


def personal(app: Any, ctx: Any) -> Iterator[Any]:
    from kiosk.theme import contrast_ratio
    from tests.kiosk.scenarios import _tap, _type, settled
    from tests.kiosk.ui import background, tap, widget

    out = ctx.results
    speaker = ctx.speaker
    speakers_dir = ctx.params["players"]["speakers"][-1]
    headphones_dir = ctx.params["players"]["headphones"][-1]
    for directory in (speakers_dir, headphones_dir):
        Path(directory).mkdir(exist_ok=True)
        (Path(directory) / "release").write_text("")  # players end at once
    yield settled(app)
    yield from _tap(app, "bar_help")
    yield from _tap(app, "kind_forms")
    yield from _type(app, ctx.params["name"])
    yield from _tap(app, "phone_field")
    yield from _type(app, ctx.params["phone"])
    yield from _tap(app, "send")
    out["after_send"] = [app.sm.current, speaker.calls[-1][:3]]
    yield lambda: _wav_count(speakers_dir) == 1 and not speaker.is_speaking
    calls = len(speaker.calls)
    yield from _tap(app, "bar_read")
    notice = app.speech_notice
    yield lambda: notice.parent is not None and len(speaker.calls) == calls + 2
    yield settled(app)
    offer = notice.ids.use_headphones
    label = notice.ids.speech_message
    out["refused"] = [
        notice.kind == "personal",
        label.text,
        offer.text,
        [offer.width, offer.height],
        contrast_ratio(label.color, background(label)),
    ]
    out["target_px"] = app.th.target
    out["said_instead"] = speaker.calls[-1][:3]
    yield lambda: _wav_count(speakers_dir) == 2 and not speaker.is_speaking
    tap(offer)
    yield settled(app)
    yield lambda: _wav_count(headphones_dir) == 1
    out["after_tap"] = [
        app.headphones,
        widget(app, "bar_headphones").text,
        notice.parent is not None,
    ]
    out["said_to_headphones"] = speaker.calls[-1][:3]
    yield lambda: not speaker.is_speaking
    # Guide mode: its list holds the name; back on the speakers it is refused as well.
    yield from _tap(app, "bar_headphones")
    from kiosk.pin import set_pin

    set_pin(ctx.home, "4711")
    app.home()
    yield settled(app)
    yield from _tap(app, "guide_login")
    yield from _type(app, "4711")
    yield from _tap(app, "pin_ok")
    calls = len(speaker.calls)
    yield from _tap(app, "bar_read")
    yield lambda: notice.parent is not None and len(speaker.calls) >= calls + 2
    out["guide"] = speaker.calls[calls]
    out["guide_notice"] = notice.kind
    # The count said instead is played like any other text: wait for its file.
    yield lambda: _wav_count(speakers_dir) == 3 and not speaker.is_speaking


def failing(app: Any, ctx: Any) -> Iterator[Any]:
    from tests.kiosk.scenarios import _tap, settled
    from tests.kiosk.ui import tap

    out = ctx.results
    speaker = ctx.speaker
    notice = app.speech_notice
    yield settled(app)
    yield from _tap(app, "bar_read")
    yield lambda: notice.parent is not None
    yield settled(app)
    offer = notice.ids.use_headphones
    out["notice"] = [
        notice.parent is not None,
        notice.kind,
        notice.ids.speech_message.text,
        offer.opacity > 0 and not offer.disabled and offer.width > 0,
        app.speaking,
    ]
    out["reason"] = next(e.reason for e in speaker.events if e.kind == "error")
    app.set_language("en")
    yield settled(app)
    out["english"] = notice.ids.speech_message.text
    tap(notice.ids.speech_close)
    yield settled(app)
    out["closed"] = notice.parent is None
    yield from _tap(app, "bar_read")
    yield lambda: notice.parent is not None
    yield from _tap(app, "tile_notices")
    out["gone_after_navigation"] = notice.parent is None


def button(app: Any, ctx: Any) -> Iterator[Any]:
    from tests.kiosk.scenarios import _tap, settled
    from tests.kiosk.ui import widget

    out = ctx.results
    speaker = ctx.speaker
    gate = Path(ctx.params["players"]["speakers"][-1]) / "release"
    read = widget(app, "bar_read")
    yield settled(app)
    out["idle"] = [app.speaking, read.text]
    yield from _tap(app, "bar_read")
    yield lambda: bool(speaker.events) and speaker.events[-1].kind == "started"
    yield settled(app)
    out["while_playing"] = [app.speaking, read.text, speaker.events[-1].kind]
    gate.parent.mkdir(exist_ok=True)
    gate.write_text("")
    yield lambda: speaker.events[-1].kind == "finished"
    yield settled(app)
    out["after_finished"] = [app.speaking, read.text, speaker.events[-1].kind]
    gate.unlink()
    yield from _tap(app, "bar_read")
    yield lambda: speaker.events[-1].kind == "started" and app.speaking
    says = len(speaker.calls)
    yield from _tap(app, "bar_read")
    yield lambda: speaker.events[-1].kind == "stopped"
    yield settled(app)
    out["stopped"] = [app.speaking, read.text, len(speaker.calls) - says]
    out["says"] = len(speaker.calls)


def main() -> int:
    scenario, home_arg, out_arg, params_arg = sys.argv[1:]
    params = json.loads(params_arg)
    os.environ["KIVY_NO_ARGS"] = "1"
    from content.store import Store
    from kiosk.launch import KioskOptions, build_app
    from node.home import Home
    from tests.kiosk.driver import Context, _Runner
    from tests.kiosk.fakes import FakeClock

    home = Home.open(Path(home_arg))
    speaker = _recording_speaker(params["players"])
    clock = FakeClock()
    ctx = Context(Path(home_arg), params, clock, speaker)
    options = KioskOptions(
        db_path=home.db_path,
        home_dir=home.path,
        identity=home.identity(),
        hub_name=home.config.name,
        app_options={"monotonic": clock},
    )
    store = Store(options.db_path)
    app = build_app(options, store, speaker_factory=lambda: speaker)
    outcome: dict[str, Any] = {"ok": False}

    def finish(error: str | None) -> None:
        outcome.update(ok=error is None, error=error, results=ctx.results, calls=speaker.calls)
        app.stop()

    runner = _Runner(globals()[scenario](app, ctx), finish)
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: Clock.schedule_interval(runner.step, 0), 0.5)
    app.run()
    store.close()
    Path(out_arg).write_text(json.dumps(outcome, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
