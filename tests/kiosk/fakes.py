"""Test doubles for what a UI test is not about: the loudspeaker and the clock.

Speech itself is tested with real espeak-ng audio in test_speech.py; here the kiosk's calls are
recorded so a test can check what would have been said and when speech was stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RecordingSpeaker:
    said: list[tuple[str, str, bool]] = field(default_factory=list)
    stops: int = 0
    repeats: int = 0
    rate: str = "normal"
    output: str = "speakers"

    def say(self, text: str, language: str, personal: bool = False) -> None:
        self.said.append((text, language, personal))

    def stop(self) -> None:
        self.stops += 1

    def repeat(self) -> None:
        self.repeats += 1

    def set_rate(self, rate: str) -> None:
        self.rate = rate

    def set_output(self, output: str) -> None:
        self.output = output

    def close(self) -> None:
        pass


@dataclass
class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
