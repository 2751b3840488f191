"""Read-aloud with real espeak-ng audio: WAV files checked with `wave`, and speech played into a
PulseAudio null sink (a sound card that plays in real time and nobody hears), since the test
machines have no sound card."""

from __future__ import annotations

import math
import shutil
import subprocess
import threading
import time
import wave
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from content.languages import LANGUAGES
from kiosk.null_sink import null_sink_server
from kiosk.speech import (
    REFUSED_PERSONAL,
    VOICE_TAGS,
    Speaker,
    SpeechError,
    SpeechEvent,
    choose_voice,
    render_to_wav,
)

NOTICE = (
    "Die Digitallotsin Frau Kern ist am Donnerstag von vierzehn bis sechzehn Uhr im "
    "Dorfgemeinschaftshaus. Sie hilft beim Einrichten von Telefon und Tablet."
)
# Long enough that its audio lasts minutes: whatever blocks on it shows up at once.
LONG_TEXT = " ".join([NOTICE] * 30)
PAPLAY = ("paplay",)
SILENCE_RMS = 200  # 16-bit samples; espeak speech measured here is well above 1000
DEADLINE_S = 20.0


def test_it_speaks_every_language_of_the_kiosk() -> None:
    # The worker imports nothing of the project, so its languages are its voice tags' keys.
    assert tuple(VOICE_TAGS) == LANGUAGES


def _audio(path: Path) -> tuple[wave._wave_params, float, float]:
    with wave.open(str(path)) as wav:
        params = wav.getparams()
        samples = array("h", wav.readframes(params.nframes))
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return params, params.nframes / params.framerate, rms


def _wait_for(condition: Callable[[], bool], deadline_s: float = DEADLINE_S) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Events:
    def __init__(self) -> None:
        self.seen: list[SpeechEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: SpeechEvent) -> None:
        with self.lock:
            self.seen.append(event)

    def kinds(self) -> list[str]:
        with self.lock:
            return [event.kind for event in self.seen]


class NullSoundCard:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def streams(self) -> int:
        """Playback streams connected right now."""
        listing = subprocess.run(
            ["pactl", "list", "short", "sink-inputs"],
            capture_output=True,
            text=True,
            check=True,
        )
        return len(listing.stdout.splitlines())


@pytest.fixture
def sound_card(monkeypatch: pytest.MonkeyPatch) -> Iterator[NullSoundCard]:
    missing = [tool for tool in ("pulseaudio", "paplay", "pactl") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install pulseaudio pulseaudio-utils)")
    with null_sink_server() as socket:
        monkeypatch.setenv("PULSE_SERVER", f"unix:{socket}")
        yield NullSoundCard(socket)


@pytest.fixture
def speaker() -> Iterator[tuple[Speaker, Events]]:
    voice = Speaker(players={"speakers": PAPLAY, "headphones": PAPLAY})
    events = Events()
    voice.add_listener(events)
    yield voice, events
    voice.close()


# ---- rendering -----------------------------------------------------------------------------


def test_a_german_notice_renders_to_16_bit_mono_speech_of_plausible_length(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notice.wav"
    render_to_wav(NOTICE, "de", path)
    params, seconds, rms = _audio(path)
    assert (params.nchannels, params.sampwidth) == (1, 2)
    assert params.framerate >= 16_000
    assert rms > SILENCE_RMS
    words = len(NOTICE.split())
    assert 0.15 * words <= seconds <= 1.0 * words


def test_slow_speech_and_leichte_sprache_take_longer(tmp_path: Path) -> None:
    durations = {}
    for language, rate in (("de", "normal"), ("de", "slow"), ("de-LS", "normal")):
        path = tmp_path / f"{language}-{rate}.wav"
        render_to_wav(NOTICE, language, path, rate=rate)
        _, durations[language, rate], rms = _audio(path)
        assert rms > SILENCE_RMS
    assert durations["de", "slow"] > 1.2 * durations["de", "normal"]
    assert durations["de-LS", "normal"] > 1.1 * durations["de", "normal"]


def test_english_is_spoken_with_another_voice_than_german(tmp_path: Path) -> None:
    text = "Help is on the way."
    render_to_wav(text, "en", tmp_path / "en.wav")
    render_to_wav(text, "de", tmp_path / "de.wav")
    assert _audio(tmp_path / "en.wav")[2] > SILENCE_RMS
    assert (tmp_path / "en.wav").read_bytes() != (tmp_path / "de.wav").read_bytes()


def test_voices_are_chosen_by_language_tag_not_by_position() -> None:
    # As pyttsx3 2.99 lists espeak-ng's voices: regional English variants before British.
    voices = [
        ("gmw/en-029", ["en-029"]),
        ("gmw/en", ["en-gb"]),
        ("gmw/en-us", ["en-us"]),
        ("gmw/de", ["de"]),
        ("gmw/nl", ["nl"]),
    ]
    assert choose_voice(voices, "de") == "gmw/de"
    assert choose_voice(voices, "de-LS") == "gmw/de"
    assert choose_voice(voices, "en") == "gmw/en"
    assert choose_voice([("x/en-us", ["en-US"])], "en") == "x/en-us"
    with pytest.raises(SpeechError, match="no espeak voice speaks de"):
        choose_voice([("gmw/nl", ["nl"])], "de")


def test_unknown_language_rate_or_output_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="unknown language 'fr'"):
        render_to_wav("Bonjour", "fr", tmp_path / "fr.wav")
    with pytest.raises(SpeechError, match="unknown rate 'fast'"):
        render_to_wav("Hallo", "de", tmp_path / "fast.wav", rate="fast")
    with pytest.raises(SpeechError, match="no text"):
        render_to_wav("  ", "de", tmp_path / "empty.wav")
    assert not list(tmp_path.iterdir())
    with pytest.raises(SpeechError, match="unknown output"):
        Speaker(output="loudspeaker")


# ---- speaking ------------------------------------------------------------------------------


def test_say_returns_at_once_and_stop_silences_the_room(
    sound_card: NullSoundCard, speaker: tuple[Speaker, Events]
) -> None:
    voice, events = speaker
    started = time.monotonic()
    voice.say(LONG_TEXT, "de")
    returned_after = time.monotonic() - started
    # The audio lasts minutes; say must not wait for synthesis, let alone playback.
    assert returned_after < 1.0
    assert voice.is_speaking
    assert _wait_for(lambda: sound_card.streams() == 1), "speech never reached the sound card"
    assert _wait_for(lambda: "started" in events.kinds())

    stopping = time.monotonic()
    voice.stop()
    assert not voice.is_speaking
    # The spec: silence within about 0.3 s of the stop.
    assert _wait_for(lambda: sound_card.streams() == 0, deadline_s=0.3)
    silent_after = time.monotonic() - stopping
    assert _wait_for(lambda: "stopped" in events.kinds())
    assert "finished" not in events.kinds()
    print(f"say returned after {returned_after * 1000:.1f} ms; silent {silent_after * 1000:.0f} ms")


def test_a_new_text_replaces_the_one_being_spoken_and_repeat_says_it_again(
    sound_card: NullSoundCard, speaker: tuple[Speaker, Events]
) -> None:
    voice, events = speaker
    voice.say(LONG_TEXT, "de")
    assert _wait_for(lambda: sound_card.streams() == 1)
    assert _wait_for(lambda: "started" in events.kinds())
    voice.say("Hilfe kommt.", "de")
    assert _wait_for(lambda: events.kinds()[-1:] == ["finished"])
    assert events.kinds() == ["started", "stopped", "started", "finished"]
    assert not voice.is_speaking
    assert sound_card.streams() == 0

    voice.repeat()
    assert voice.is_speaking
    assert _wait_for(lambda: events.kinds().count("finished") == 2)


def test_personal_text_is_spoken_only_into_headphones(
    sound_card: NullSoundCard, speaker: tuple[Speaker, Events]
) -> None:
    voice, events = speaker
    personal = "Ihr Name: Erika Mustermann. Ihre Telefonnummer: 08555 1234. " * 5
    voice.say(personal, "de", personal=True)
    assert events.seen == [SpeechEvent("refused", REFUSED_PERSONAL)]
    assert voice.last_event == SpeechEvent("refused", REFUSED_PERSONAL)
    assert not voice.is_speaking

    voice.set_output("headphones")
    voice.say(personal, "de", personal=True)
    assert voice.is_speaking
    assert _wait_for(lambda: sound_card.streams() == 1)
    # Unplugging the headphones (switching to the speakers) cuts the personal text off.
    voice.set_output("speakers")
    assert not voice.is_speaking
    assert _wait_for(lambda: sound_card.streams() == 0, deadline_s=0.3)
    assert _wait_for(lambda: events.kinds()[-1:] == ["stopped"])
    voice.repeat()
    assert events.seen[-1] == SpeechEvent("refused", REFUSED_PERSONAL)
    assert not voice.is_speaking
    # Public text still goes to the speakers.
    voice.say("Willkommen im Dorfhub.", "de")
    assert _wait_for(lambda: events.kinds()[-1:] == ["finished"])


def test_without_a_sound_card_say_reports_the_error_and_keeps_working() -> None:
    events = Events()
    # No card here: aplay cannot open the device. A kiosk with an unplugged card sees the same.
    voice = Speaker(players={"speakers": ("aplay", "-q", "-D", "hw:97,0")})
    voice.add_listener(events)
    try:
        voice.say("Guten Tag.", "de")
        assert _wait_for(lambda: "error" in events.kinds())
        assert not voice.is_speaking
        voice.say("Noch einmal.", "de")
        assert _wait_for(lambda: events.kinds().count("error") == 2)
    finally:
        voice.close()
    errors = [event.reason for event in events.seen if event.kind == "error"]
    assert all(reason.startswith(("audio output", "no audio player")) for reason in errors)

    missing_player = Speaker(players={"speakers": ("dorfhub-no-such-player",)})
    missing_player.add_listener(events)
    try:
        missing_player.say("Guten Tag.", "de")
        assert _wait_for(lambda: events.kinds().count("error") == 3)
        assert events.seen[-1].reason.startswith("no audio player (dorfhub-no-such-player)")
        assert not missing_player.is_speaking
    finally:
        missing_player.close()


def test_the_default_player_does_not_crash_without_a_sound_card() -> None:
    events = Events()
    voice = Speaker()
    voice.add_listener(events)
    try:
        voice.say("Guten Tag.", "de")
        assert _wait_for(lambda: events.kinds()[-1:] in (["finished"], ["error"]))
        assert not voice.is_speaking
    finally:
        voice.close()


def test_close_stops_speech_and_refuses_more(
    sound_card: NullSoundCard, speaker: tuple[Speaker, Events]
) -> None:
    voice, _ = speaker
    voice.say(LONG_TEXT, "de")
    assert _wait_for(lambda: sound_card.streams() == 1)
    voice.close()
    assert _wait_for(lambda: sound_card.streams() == 0, deadline_s=0.3)
    with pytest.raises(SpeechError, match="closed"):
        voice.say("Hallo", "de")
