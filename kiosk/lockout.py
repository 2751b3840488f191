"""Wrong tries in a row lock a pad for a while: the guides' PIN (kiosk/pin.py) and a resident's
booking code (kiosk/booking_code.py), so that a passer-by cannot try them all at the screen.

The lock lives in memory: restarting the kiosk takes minutes and is visible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MAX_WRONG = 5
LOCK_S = 300.0


@dataclass
class Lockout:
    """Counts wrong tries in a row and locks after MAX_WRONG of them, for LOCK_S seconds."""

    clock: Callable[[], float]
    wrong: int = 0
    locked_until: float = 0.0

    def locked_for(self) -> float:
        return max(0.0, self.locked_until - self.clock())

    def attempt(self, right: bool) -> bool:
        """Records a try's outcome; True when it counts (not locked, and right). While locked
        the caller checks nothing at all: it asks `locked_for` first."""
        if self.locked_for() > 0:
            return False
        if right:
            self.wrong = 0
            return True
        self.wrong += 1
        if self.wrong >= MAX_WRONG:
            self.wrong = 0
            self.locked_until = self.clock() + LOCK_S
        return False
