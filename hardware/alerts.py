"""Alert state machines over the threshold table, and the board texts of an alert (pure).

One `AlertMachine` watches one rule on one sensor. It moves to another level only after the
readings held it there for the rule's minimum duration: up when a higher threshold is reached,
down (or clear) only once the value is below a threshold minus the rule's hysteresis band. A
temperature wobbling around a threshold therefore raises one alert, not many.

Only good ("ok") readings are evidence. Warming, stale and disconnected readings neither raise
nor clear; a gap longer than the stream's `max_gap_ms` between good readings restarts any
pending change, because nobody knows what happened in between. An active alert whose sensor
has gone silent is reported as "unknown" (`AlertMachine.unknown`) but stays active: withdrawing
a heat warning because the thermometer was unplugged would tell people the room is fine when
nobody knows. It clears only on evidence, or when an administrator retracts the notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from content.languages import LANGUAGES
from content.thresholds import Level, Rule
from hardware.readings import OK

ChangeKind = Literal["raised", "updated", "cleared"]
PLACE = {
    "de": "Dorfgemeinschaftshaus",
    "en": "community centre",
    "de-LS": "Dorf·gemeinschafts·haus",
}


@dataclass(frozen=True)
class AlertChange:
    rule: Rule
    sensor_id: str
    change: ChangeKind
    level: Level | None  # the level now (None once cleared)
    previous: Level | None
    value: float  # the value that completed the change
    time_ms: int
    raised_at: int  # when the episode began: names the alert

    @property
    def state(self) -> Literal["active", "cleared"]:
        return "cleared" if self.level is None else "active"


@dataclass
class AlertMachine:
    rule: Rule
    sensor_id: str
    max_gap_ms: int
    level: int = 0  # 0: no alert; else 1-based index into rule.levels
    raised_at: int | None = None
    unknown: bool = False  # active, but no good reading for longer than max_gap_ms
    last_ok_ms: int | None = None
    last_value: float | None = None
    _pending_direction: int = field(default=0, repr=False)
    _pending_since: int = field(default=0, repr=False)
    _pending_level: int = field(default=0, repr=False)

    @classmethod
    def resume(
        cls, rule: Rule, sensor_id: str, max_gap_ms: int, level: str, raised_at: int
    ) -> AlertMachine:
        """A machine for an alert that is active in the log (after a restart)."""
        index = rule.level_named(level)
        if index == 0:
            raise ValueError(f"rule {rule.name} has no level {level!r}")
        return cls(rule, sensor_id, max_gap_ms, level=index, raised_at=raised_at)

    @property
    def current_level(self) -> Level | None:
        return self.rule.levels[self.level - 1] if self.level else None

    def observe(self, time_ms: int, value: float, status: str = OK) -> AlertChange | None:
        """Feed one reading (in time order); returns the change it completes, if any."""
        if status != OK or (self.last_ok_ms is not None and time_ms <= self.last_ok_ms):
            return None
        if self.last_ok_ms is not None and time_ms - self.last_ok_ms > self.max_gap_ms:
            self._pending_direction = 0
        self.last_ok_ms, self.last_value, self.unknown = time_ms, value, False
        target = self._target(value)
        if target == self.level:
            self._pending_direction = 0
            return None
        direction = 1 if target > self.level else -1
        if direction != self._pending_direction:
            self._pending_direction = direction
            self._pending_since = time_ms
            self._pending_level = target
        elif direction > 0:
            self._pending_level = min(self._pending_level, target)  # what held throughout
        else:
            self._pending_level = max(self._pending_level, target)
        if time_ms - self._pending_since < self.rule.min_duration_ms:
            return None
        return self._move(self._pending_level, value, time_ms)

    def check_silence(self, now_ms: int) -> bool:
        """Note the passing of time without readings; True when the alert just became unknown."""
        if self.last_ok_ms is not None and now_ms - self.last_ok_ms <= self.max_gap_ms:
            return False
        self._pending_direction = 0
        if self.level and not self.unknown:
            self.unknown = True
            return True
        return False

    def _target(self, value: float) -> int:
        """The level the value points to: up as soon as a threshold is reached, down only below
        a threshold minus the hysteresis band."""
        levels = self.rule.levels
        up = max(
            (i for i, level in enumerate(levels, start=1) if level.reached_by(value)), default=0
        )
        if up > self.level:
            return up
        band = self.rule.hysteresis
        return max(
            (i for i in range(1, self.level + 1) if value >= levels[i - 1].threshold - band),
            default=0,
        )

    def _move(self, target: int, value: float, time_ms: int) -> AlertChange:
        previous = self.current_level
        kind: ChangeKind = "raised" if self.level == 0 else "cleared" if target == 0 else "updated"
        if kind == "raised":
            self.raised_at = time_ms
        raised_at = self.raised_at if self.raised_at is not None else time_ms
        self.level = target
        self._pending_direction = 0
        if target == 0:
            self.raised_at = None
        level = self.rule.levels[target - 1] if target else None
        return AlertChange(
            self.rule, self.sensor_id, kind, level, previous, value, time_ms, raised_at
        )


# ---- texts for the board ------------------------------------------------------------------------

Texts = dict[str, str]


def _number(value: float, language: str, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"  # 1,450.5
    if language == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")  # 1.450,5


def _values(rule: Rule, value: float) -> dict[str, str]:
    decimals = {"heat": 0, "co2": 0}.get(rule.name, 1)
    return {lang: _number(value, lang, decimals) for lang in LANGUAGES}


_PM_NAMES = {"pm2_5": "PM2,5", "pm10": "PM10"}
_PM_NAMES_EN = {"pm2_5": "PM2.5", "pm10": "PM10"}


def _heat(level: str, v: dict[str, str], hub: str) -> tuple[Texts, Texts]:
    if level == "extreme":
        return (
            {
                "de": f"Raumklima {hub}: Gefahr durch Hitze",
                "en": f"Indoor climate {hub}: dangerous heat",
                "de-LS": f"Achtung in {hub}: Es ist sehr heiß",
            },
            {
                "de": f"Es ist sehr heiß im Dorfgemeinschaftshaus ({v['de']} °C gefühlt). Das "
                "ist gefährlich für die Gesundheit. Bitte trinken Sie Wasser, meiden Sie "
                "Anstrengung und gehen Sie in einen kühleren Raum.",
                "en": f"It is very hot in the community centre ({v['en']} °C felt). This is "
                "dangerous to health. Please drink water, avoid exertion and move to a cooler "
                "room.",
                "de-LS": f"Es ist sehr heiß im {PLACE['de-LS']}. Es fühlt sich an wie "
                f"{v['de-LS']} Grad. Das ist gefährlich. Trinken Sie Wasser. Gehen Sie in einen "
                "kühlen Raum.",
            },
        )
    return (
        {
            "de": f"Raumklima {hub}: Es ist zu warm",
            "en": f"Indoor climate {hub}: too warm",
            "de-LS": f"In {hub} ist es zu warm",
        },
        {
            "de": f"Es ist zu warm im Dorfgemeinschaftshaus ({v['de']} °C gefühlt). Bitte "
            "trinken Sie Wasser und lüften Sie.",
            "en": f"It is too warm in the community centre ({v['en']} °C felt). Please drink "
            "water and let fresh air in.",
            "de-LS": f"Es ist zu warm im {PLACE['de-LS']}. Es fühlt sich an wie {v['de-LS']} "
            "Grad. Trinken Sie Wasser. Machen Sie die Fenster auf.",
        },
    )


def _co2(level: str, v: dict[str, str], hub: str) -> tuple[Texts, Texts]:
    # "CO2", not "CO₂": the kiosk's font has no subscript digits and would draw a box.
    if level == "unacceptable":
        return (
            {
                "de": f"Jetzt lüften: Die Luft ist sehr schlecht ({v['de']} ppm CO2)",
                "en": f"Air the room now: the air is very stale ({v['en']} ppm CO2)",
                "de-LS": f"In {hub} ist die Luft sehr schlecht",
            },
            {
                "de": f"Im Dorfgemeinschaftshaus {hub} ist viel zu viel Kohlendioxid in der "
                "Luft. Bitte öffnen Sie sofort die Fenster.",
                "en": f"There is far too much carbon dioxide in the air of the {hub} community "
                "centre. Please open the windows now.",
                "de-LS": f"Die Luft im {PLACE['de-LS']} ist sehr schlecht. Machen Sie jetzt die "
                "Fenster auf.",
            },
        )
    return (
        {
            "de": f"Lüften bitte: Die Luft ist verbraucht ({v['de']} ppm CO2)",
            "en": f"Please air the room: the air is stale ({v['en']} ppm CO2)",
            "de-LS": f"In {hub} ist die Luft schlecht",
        },
        {
            "de": f"Im Dorfgemeinschaftshaus {hub} ist zu viel Kohlendioxid in der Luft. Bitte "
            "öffnen Sie die Fenster für einige Minuten.",
            "en": f"There is too much carbon dioxide in the air of the {hub} community centre. "
            "Please open the windows for a few minutes.",
            "de-LS": f"Die Luft im {PLACE['de-LS']} ist schlecht. Machen Sie die Fenster auf. "
            "Ein paar Minuten lang.",
        },
    )


def _pm(rule: Rule, v: dict[str, str], hub: str) -> tuple[Texts, Texts]:
    de, en = _PM_NAMES[rule.name], _PM_NAMES_EN[rule.name]
    return (
        {
            "de": f"Raumklima {hub}: Viel Feinstaub ({de})",
            "en": f"Indoor climate {hub}: high particulate matter ({en})",
            "de-LS": f"In {hub} ist viel Fein·staub in der Luft",
        },
        {
            "de": f"Im Dorfgemeinschaftshaus liegt der Feinstaub im 24-Stunden-Mittel bei "
            f"{v['de']} µg/m³ {de}, über dem Richtwert der WHO. Bitte lüften Sie und meiden Sie "
            "Rauch und Kerzen.",
            "en": f"Particulate matter in the community centre averages {v['en']} µg/m³ {en} "
            "over 24 hours, above the WHO guideline. Please air the room and avoid smoke and "
            "candles.",
            "de-LS": f"Im {PLACE['de-LS']} ist viel Fein·staub in der Luft. Fein·staub ist "
            "schlecht für die Lunge. Machen Sie die Fenster auf. Machen Sie keine Kerzen an.",
        },
    )


_CLEARED_DE = {
    "heat": "Die Temperatur im Dorfgemeinschaftshaus ist wieder in Ordnung.",
    "co2": "Die Luft im Dorfgemeinschaftshaus ist wieder in Ordnung.",
}
_CLEARED_EN = {
    "heat": "The temperature in the community centre is back to normal.",
    "co2": "The air in the community centre is back to normal.",
}


def _cleared(rule: Rule, hub: str) -> tuple[Texts, Texts]:
    return (
        {
            "de": f"Raumklima {hub}: wieder in Ordnung",
            "en": f"Indoor climate {hub}: back to normal",
            "de-LS": f"In {hub} ist alles wieder gut",
        },
        {
            "de": _CLEARED_DE.get(
                rule.name, "Der Feinstaub im Dorfgemeinschaftshaus liegt wieder im Rahmen."
            ),
            "en": _CLEARED_EN.get(
                rule.name, "Particulate matter in the community centre is back to normal."
            ),
            "de-LS": f"Im {PLACE['de-LS']} ist alles wieder gut.",
        },
    )


def alert_texts(change: AlertChange, hub_name: str) -> tuple[Texts, Texts]:
    """(title, text) in de, en and de-LS for the board."""
    rule, level = change.rule, change.level
    if level is None:
        return _cleared(rule, hub_name)
    values = _values(rule, change.value)
    if rule.name == "heat":
        return _heat(level.name, values, hub_name)
    if rule.name == "co2":
        return _co2(level.name, values, hub_name)
    return _pm(rule, values, hub_name)
