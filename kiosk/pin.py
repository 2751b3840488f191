"""The guides' PIN: hashed with scrypt and a random salt in a 0600 file in the hub's home.

A few wrong PINs in a row lock entry for a while (kiosk/lockout.py), so a passer-by cannot try
all 10,000 four-digit PINs at the screen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.lockout import LOCK_S, MAX_WRONG, Lockout

__all__ = ["LOCK_S", "MAX_WRONG", "PinError", "PinGate", "set_pin", "verify_pin"]

PIN_FILE = "kiosk-pin.json"
MIN_DIGITS = 4
MAX_DIGITS = 12
# scrypt with N=2^15, r=8: about 32 MiB and a tenth of a second per try on a Raspberry Pi 4.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1


class PinError(Exception):
    """A PIN that cannot be set (too short, not digits) or a missing PIN file."""


def check_format(pin: str) -> None:
    if not pin.isdigit() or not pin.isascii():
        raise PinError("the PIN must consist of digits only")
    if len(pin) < MIN_DIGITS:
        raise PinError(f"the PIN needs at least {MIN_DIGITS} digits")
    if len(pin) > MAX_DIGITS:
        raise PinError(f"the PIN may have at most {MAX_DIGITS} digits")


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024)


def set_pin(home: Path, pin: str) -> Path:
    """Store a new PIN hash (replacing any old one atomically); returns the file's path."""
    check_format(pin)
    salt = os.urandom(16)
    record = {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": salt.hex(),
        "hash": _derive(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P).hex(),
    }
    path = home / PIN_FILE
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    temporary.replace(path)
    return path


def pin_is_set(home: Path) -> bool:
    return (home / PIN_FILE).exists()


def verify_pin(home: Path, pin: str) -> bool:
    path = home / PIN_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        salt = bytes.fromhex(record["salt"])
        expected = bytes.fromhex(record["hash"])
        derived = _derive(pin, salt, int(record["n"]), int(record["r"]), int(record["p"]))
    except FileNotFoundError:
        return False
    except (ValueError, KeyError, TypeError) as exc:
        raise PinError(f"cannot read {path}: {exc}") from None
    return hmac.compare_digest(derived, expected)


@dataclass
class PinGate:
    """The PIN pad's lock: wrong PINs in a row lock it (kiosk.lockout)."""

    home: Path
    clock: Callable[[], float]

    def __post_init__(self) -> None:
        self.lockout = Lockout(self.clock)

    def locked_for(self) -> float:
        return self.lockout.locked_for()

    def try_pin(self, pin: str) -> bool:
        """True opens guide mode. While locked every attempt fails without being checked."""
        if self.locked_for() > 0:
            return False
        return self.lockout.attempt(verify_pin(self.home, pin))
