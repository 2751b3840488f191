"""What the kiosk does when nobody touches it: warn, reset for privacy, then show signage.

Pure state machine over a monotonic time the caller passes in, so tests drive it with any clock.

- Away from the resting home screen: after `idle_s` a warning with "Weiter" for `warn_s`;
  then a reset (home, personal fields wiped).
- At rest on the home screen: after `signage_s` the signage loop starts.
- The accessible mode multiplies the idle and warning times (more time to read and answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

IDLE_S = 120.0
WARN_S = 20.0
SIGNAGE_S = 180.0
ACCESSIBLE_FACTOR = 2.0


class Phase(Enum):
    ACTIVE = "active"
    WARNING = "warning"
    SIGNAGE = "signage"


class Event(Enum):
    WARN = "warn"  # show the warning
    RESET = "reset"  # go home and wipe personal fields
    SIGNAGE = "signage"  # start the signage loop


@dataclass
class IdleTimer:
    idle_s: float = IDLE_S
    warn_s: float = WARN_S
    signage_s: float = SIGNAGE_S
    accessible: bool = False
    last_touch: float = 0.0
    phase: Phase = Phase.ACTIVE
    warned_at: float = 0.0

    @property
    def idle_limit(self) -> float:
        return self.idle_s * (ACCESSIBLE_FACTOR if self.accessible else 1.0)

    @property
    def warn_limit(self) -> float:
        return self.warn_s * (ACCESSIBLE_FACTOR if self.accessible else 1.0)

    def touched(self, now: float) -> None:
        self.last_touch = now
        self.phase = Phase.ACTIVE

    def seconds_left(self, now: float) -> int:
        """Whole seconds until the reset, while the warning shows."""
        if self.phase is not Phase.WARNING:
            return 0
        return max(0, int(self.warned_at + self.warn_limit - now + 0.999))

    def tick(self, now: float, at_rest: bool) -> Event | None:
        """`at_rest`: the home screen with nothing personal on it."""
        idle = now - self.last_touch
        if self.phase is Phase.WARNING:
            if now - self.warned_at >= self.warn_limit:
                # The reset counts as the start of a new quiet period before signage.
                self.touched(now)
                return Event.RESET
            return None
        if self.phase is Phase.SIGNAGE:
            return None
        if not at_rest and idle >= self.idle_limit:
            self.phase = Phase.WARNING
            self.warned_at = now
            return Event.WARN
        if at_rest and idle >= self.signage_s:
            self.phase = Phase.SIGNAGE
            return Event.SIGNAGE
        return None
