"""The command side of each sensor: what to send on connect, to poll, to sleep and to wake,
and the warm-up gate (SENSORS.md, reading rule 3).

A Driver is a description, not a process: the reader service (hardware/service.py) decides when
to send what. Duty cycling (SDS011 by default) is planned by `next_wake`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hardware.parsers import PARSERS, Parser, mhz19, pms, s8, sds011

# Duty cycling aims a little under the limit so scheduling jitter cannot push it over.
DUTY_MARGIN = 0.95
# After a wake the first reply can take up to 9 s (SENSORS.md, known trouble); give up then.
MAX_REPLY_DELAY_S = 10.0


@dataclass(frozen=True, slots=True)
class Driver:
    name: str
    protocol: str  # key of hardware.parsers.PARSERS
    quantities: tuple[str, ...]
    warmup_s: float  # minimum after power-on or wake (SENSORS.md rule 3)
    setup: tuple[bytes, ...] = ()  # sent after every (re)connect
    query: bytes | None = None  # the poll command; None: the sensor streams on its own
    sleep: bytes | None = None
    wake: bytes | None = None
    max_duty: float = 1.0  # default fraction of time the laser and fan may run
    lead_s: float = 0.0  # when duty cycling: wake this long before a reading

    def new_parser(self) -> Parser:
        return PARSERS[self.protocol]()

    @property
    def can_sleep(self) -> bool:
        return self.sleep is not None and self.wake is not None


SDS011 = Driver(
    name="sds011",
    protocol="sds011",
    quantities=("pm2_5", "pm10"),
    warmup_s=15.0,
    # Wake first: a sleeping SDS011 ignores every other command. Query mode and a continuous
    # working period leave sleeping and waking to us.
    setup=(sds011.set_sleep(False), sds011.set_query_mode(True), sds011.set_working_period(0)),
    query=sds011.query(),
    sleep=sds011.set_sleep(True),
    wake=sds011.set_sleep(False),
    max_duty=0.15,  # the laser is rated about 8000 h
    lead_s=20.0,
)
PMS5003 = Driver(
    name="pms5003",
    protocol="pms",
    quantities=("pm1", "pm2_5", "pm10"),
    warmup_s=30.0,
    setup=(pms.set_sleep(False), pms.set_passive()),
    query=pms.read(),
    sleep=pms.set_sleep(True),
    wake=pms.set_sleep(False),
    lead_s=35.0,
)
PMS7003 = replace(PMS5003, name="pms7003")
MHZ19B = Driver(
    name="mhz19b",
    protocol="mhz19",
    quantities=("co2",),
    warmup_s=180.0,
    # Automatic baseline correction assumes fresh air once a day, which a room never gets.
    setup=(mhz19.set_abc(False),),
    query=mhz19.read(),
)
S8 = Driver(name="s8", protocol="s8", quantities=("co2",), warmup_s=0.0, query=s8.read_request())
JSONL = Driver(
    name="jsonl",
    protocol="jsonl",
    quantities=("temperature", "humidity", "pm1", "pm2_5", "pm10", "co2"),
    warmup_s=0.0,
)

DRIVERS: dict[str, Driver] = {d.name: d for d in (SDS011, PMS5003, PMS7003, MHZ19B, S8, JSONL)}
ALIASES = {"mhz19": "mhz19b", "senseair_s8": "s8", "pms": "pms5003", "json": "jsonl"}


def driver_named(name: str) -> Driver:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in DRIVERS:
        raise ValueError(f"unknown sensor driver {name!r} (known: {', '.join(DRIVERS)})")
    return DRIVERS[key]


def duty_cycling(driver: Driver, max_duty: float) -> bool:
    return driver.can_sleep and max_duty < 1.0


def planned_period(interval_s: float, lead_s: float, max_duty: float) -> float:
    """The seconds between readings that duty cycling allows: awake for about `lead_s` plus a
    reply, asleep for the rest, at most `max_duty` of the time. Never shorter than the interval."""
    if max_duty >= 1.0:
        return interval_s
    return max(interval_s, (lead_s + 1.0) / (max_duty * DUTY_MARGIN))


def next_wake(woke_at: float, slept_at: float, interval_s: float, max_duty: float) -> float:
    """When to wake next, from the time actually spent awake this cycle (a slow first reply
    lengthens the sleep rather than the duty)."""
    on_time = max(0.0, slept_at - woke_at)
    return woke_at + max(interval_s, on_time / (max_duty * DUTY_MARGIN))
