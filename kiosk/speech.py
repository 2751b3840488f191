"""Read-aloud for the kiosk: pyttsx3 on espeak-ng, in processes the screen never waits for.

Why processes, measured with pyttsx3 2.99 and espeak-ng 1.51 on Debian 12:
- the espeak driver initialises espeak once per process and keeps state across utterances; on a
  reused engine a new rate was ignored after a voice change (a 90 wpm request came out at the
  previous rate), even a fresh engine lost its rate in about 1 of 30 runs (see `_synthesize`),
  and `runAndWait` returns before synthesis ends (the WAV appears later, from espeak's own
  thread; only the `finished-utterance` event says it is complete);
- on Linux the driver plays through a blocking `aplay` call inside espeak's callback, which
  `engine.stop()` from another thread cannot interrupt.
So each utterance is synthesised by a fresh worker process (this file run as a script: about
0.1 s to start, then espeak renders about 200 times faster than real time), and the WAV is played
by a player process. `stop()` kills both, so the room is silent as soon as it returns.

Events reach listeners on the speaker's worker thread (or on the caller's thread for a refusal):
a Kivy screen must hand them to its own thread (`Clock.schedule_once`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RATES = ("normal", "slow")
OUTPUTS = ("speakers", "headphones")
# Older listeners: a little slower than espeak's default 175 words per minute.
WORDS_PER_MINUTE = {"normal": 150, "slow": 110}
# Leichte Sprache is read slower still.
EASY_LANGUAGE_FACTOR = 0.8
# The language tag each kiosk language is spoken in, then tags to prefer among its variants.
VOICE_TAGS: dict[str, tuple[str, ...]] = {
    "de": ("de", "de-de"),
    "en": ("en", "en-gb", "en-us"),
    "de-LS": ("de", "de-de"),
}
# The languages it speaks: the kiosk's (content.languages; this module also runs as a worker
# process that imports nothing of the project, tests/kiosk/test_speech.py keeps them equal).
LANGUAGES = tuple(VOICE_TAGS)
DEFAULT_PLAYER: tuple[str, ...] = ("aplay", "-q")
SYNTH_TIMEOUT_S = 60.0
WORKER = Path(__file__).resolve()

EventKind = Literal["started", "finished", "stopped", "refused", "error"]
REFUSED_PERSONAL = "personal"  # personal data is only spoken into headphones


class SpeechError(Exception):
    """Text that cannot be spoken: an unknown language or rate, or a failed synthesis."""


@dataclass(frozen=True)
class SpeechEvent:
    kind: EventKind
    reason: str = ""  # for "refused": REFUSED_PERSONAL; for "error": what failed


@dataclass(frozen=True)
class _Request:
    generation: int
    text: str
    language: str
    rate: str
    personal: bool


def words_per_minute(language: str, rate: str) -> int:
    _check(language, LANGUAGES, "language")
    _check(rate, RATES, "rate")
    wpm = WORDS_PER_MINUTE[rate]
    return round(wpm * EASY_LANGUAGE_FACTOR) if language == "de-LS" else wpm


def choose_voice(voices: Iterable[tuple[str, Sequence[str]]], language: str) -> str:
    """The id of the voice for a kiosk language, chosen by the voices' language tags (espeak's
    list order and ids differ between versions): an exact tag first, then the preferred
    variants in order, then any regional variant."""
    _check(language, LANGUAGES, "language")
    tagged = [(voice_id, [tag.lower() for tag in tags]) for voice_id, tags in voices]
    preferred = VOICE_TAGS[language]
    for wanted in preferred:
        for voice_id, tags in tagged:
            if wanted in tags:
                return voice_id
    prefix = preferred[0] + "-"
    for voice_id, tags in sorted(tagged):
        if any(tag.startswith(prefix) for tag in tags):
            return voice_id
    raise SpeechError(f"no espeak voice speaks {language}")


def render_to_wav(text: str, language: str, path: Path, rate: str = "normal") -> None:
    """Synthesise `text` into a 16-bit mono WAV file at `path` (blocking), choosing voice and
    rate exactly as `Speaker.say` does."""
    words_per_minute(language, rate)
    if not text.strip():
        raise SpeechError("there is no text to read aloud")
    process = _start_worker(language, rate, path)
    _finish_worker(process, text)


class Speaker:
    """One kiosk's voice. `say` returns at once; speech runs on a worker thread that drives the
    synthesis and player processes."""

    def __init__(
        self,
        rate: str = "normal",
        output: str = "speakers",
        *,
        players: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        _check(rate, RATES, "rate")
        _check(output, OUTPUTS, "output")
        self._rate = rate
        self._output = output
        # The command that plays a WAV file (its path appended), per output.
        self._players = {name: tuple((players or {}).get(name, DEFAULT_PLAYER)) for name in OUTPUTS}
        self._lock = threading.Condition()
        self._generation = 0
        self._pending: _Request | None = None
        self._current: _Request | None = None
        self._last: tuple[str, str, bool] | None = None
        self._processes: list[subprocess.Popen[bytes]] = []
        self._speaking = False
        self._closed = False
        self._listeners: list[Callable[[SpeechEvent], None]] = []
        self.last_event: SpeechEvent | None = None
        self._scratch = Path(tempfile.mkdtemp(prefix="dorfhub-speech-", dir=_private_tmp()))
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    # ---- what the screens call -------------------------------------------------------------

    def say(self, text: str, language: str, personal: bool = False) -> None:
        """Speak `text`, replacing whatever is being said. Personal text is refused (a
        "refused" event) unless the output is headphones."""
        _check(language, LANGUAGES, "language")
        with self._lock:
            self._require_open()
            # Checked under the lock, so a concurrent switch to the speakers cannot slip in.
            refused = personal and self._output != "headphones"
            if not refused:
                self._accept(text, language, personal)
        if refused:
            self._emit(SpeechEvent("refused", REFUSED_PERSONAL))

    def _accept(self, text: str, language: str, personal: bool) -> None:
        """Replace what is being said by `text` (caller holds the lock)."""
        self._last = (text, language, personal)
        self._generation += 1
        self._interrupt()
        if text.strip():
            self._pending = _Request(self._generation, text, language, self._rate, personal)
            self._speaking = True
        self._lock.notify_all()

    def stop(self) -> None:
        """Silence now: when this returns, no synthesis or player process is left running."""
        with self._lock:
            self._generation += 1
            self._pending = None
            self._interrupt()

    def repeat(self) -> None:
        """Say the last text again (the personal rule is applied to the current output)."""
        if self._last is not None:
            text, language, personal = self._last
            self.say(text, language, personal)

    def set_rate(self, rate: str) -> None:
        _check(rate, RATES, "rate")
        self._rate = rate

    def set_output(self, output: str) -> None:
        """Switch output; personal text being spoken into headphones stops if the output
        becomes the speakers."""
        _check(output, OUTPUTS, "output")
        with self._lock:
            self._output = output
            speaking_personal = any(
                request is not None and request.personal
                for request in (self._pending, self._current)
            )
            if output != "headphones" and speaking_personal:
                self._generation += 1
                self._pending = None
                self._interrupt()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._generation += 1
            self._pending = None
            self._interrupt()
            self._lock.notify_all()
        self._thread.join()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def add_listener(self, listener: Callable[[SpeechEvent], None]) -> None:
        self._listeners.append(listener)

    @property
    def is_speaking(self) -> bool:
        """True from an accepted `say` until its speech ends, fails or is stopped."""
        return self._speaking

    @property
    def rate(self) -> str:
        return self._rate

    @property
    def output(self) -> str:
        return self._output

    # ---- the worker thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                request, self._pending = self._pending, None
                self._current = request
            assert request is not None
            outcome = self._speak(request)
            with self._lock:
                self._current = None
                latest = request.generation == self._generation
                if latest:
                    self._speaking = False
                    self._processes.clear()
            self._emit(outcome if latest else SpeechEvent("stopped"))

    def _speak(self, request: _Request) -> SpeechEvent:
        wav = self._scratch / f"{request.generation}.wav"
        try:
            worker = _start_worker(request.language, request.rate, wav)
            if not self._track(worker, request):
                return SpeechEvent("stopped")
            try:
                _finish_worker(worker, request.text)
            except SpeechError as exc:
                return self._stopped_or(request, SpeechEvent("error", str(exc)))
            return self._play(request, wav)
        finally:
            wav.unlink(missing_ok=True)

    def _play(self, request: _Request, wav: Path) -> SpeechEvent:
        with self._lock:
            command = [*self._players[self._output], str(wav)]
        try:
            player = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return SpeechEvent("error", f"no audio player ({command[0]}): {exc.strerror}")
        if not self._track(player, request):
            return SpeechEvent("stopped")
        self._emit(SpeechEvent("started"))
        _, errors = player.communicate()
        if player.returncode != 0:
            problem = _last_line(errors) or f"exit status {player.returncode}"
            return self._stopped_or(request, SpeechEvent("error", f"audio output: {problem}"))
        return SpeechEvent("finished")

    def _track(self, process: subprocess.Popen[bytes], request: _Request) -> bool:
        """Register a process so `stop` can kill it; kill it now if the request is stale."""
        with self._lock:
            if request.generation != self._generation:
                _kill(process)
                return False
            self._processes.append(process)
            return True

    def _stopped_or(self, request: _Request, event: SpeechEvent) -> SpeechEvent:
        with self._lock:
            return event if request.generation == self._generation else SpeechEvent("stopped")

    def _interrupt(self) -> None:
        """Kill the running processes (caller holds the lock) and wait for them, so the
        silence is real when the caller returns."""
        for process in self._processes:
            _kill(process)
        self._processes.clear()
        self._speaking = False

    def _require_open(self) -> None:
        if self._closed:
            raise SpeechError("this speaker was closed")

    def _emit(self, event: SpeechEvent) -> None:
        self.last_event = event
        for listener in list(self._listeners):
            listener(event)


def _check(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise SpeechError(f"unknown {what} {value!r} (expected one of {', '.join(allowed)})")


def _private_tmp() -> str | None:
    """A RAM-backed directory when there is one: the WAV of personal text never reaches disk."""
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):  # noqa: S108
        if candidate and os.access(candidate, os.W_OK):
            return candidate
    return None


def _start_worker(language: str, rate: str, path: Path) -> subprocess.Popen[bytes]:
    # -P: the script's directory must not shadow modules (the kiosk package has its own names).
    command = [sys.executable, "-P", str(WORKER), "--language", language, "--rate", rate]
    return subprocess.Popen(
        [*command, "--out", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _finish_worker(process: subprocess.Popen[bytes], text: str) -> None:
    """Send the text on stdin (never on the command line, where `ps` shows it) and wait."""
    try:
        _, errors = process.communicate(text.encode(), timeout=SYNTH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise SpeechError(f"speech synthesis took longer than {SYNTH_TIMEOUT_S:.0f} s") from None
    if process.returncode != 0:
        detail = _last_line(errors) or f"exit status {process.returncode}"
        raise SpeechError(f"speech synthesis failed: {detail}")


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def _last_line(data: bytes | None) -> str:
    lines = (data or b"").decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


# ---- the synthesis worker (this file run as a script) ----------------------------------------


def _synthesize(text: str, language: str, rate: str, out: Path) -> None:
    import pyttsx3  # only the worker process loads espeak
    from pyttsx3.drivers import _espeak

    engine = pyttsx3.init("espeak")
    voices = [(voice.id, list(voice.languages)) for voice in engine.getProperty("voices")]
    # Not engine.setProperty: pyttsx3 queues properties until its loop runs, and the loop
    # cancels espeak's command queue whenever espeak still looks busy, which dropped the rate
    # in about 1 of 30 runs (measured). Set both on espeak and wait until they are applied.
    _espeak.SetVoiceByName(choose_voice(voices, language).encode())
    _espeak.SetParameter(_espeak.RATE, words_per_minute(language, rate), 0)
    _espeak.Synchronize()
    finished = threading.Event()
    engine.connect("finished-utterance", lambda **_: finished.set())
    engine.save_to_file(text, str(out))
    engine.runAndWait()
    # runAndWait returns once synthesis started; the file is complete only at this event.
    if not finished.wait(SYNTH_TIMEOUT_S) or not out.exists():
        raise SpeechError("espeak did not finish the utterance")


def _worker_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="speech-worker")
    parser.add_argument("--language", required=True)
    parser.add_argument("--rate", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    text = sys.stdin.buffer.read().decode()
    try:
        _synthesize(text, args.language, args.rate, args.out)
    except (SpeechError, RuntimeError, ValueError) as exc:
        print(f"speech worker: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
