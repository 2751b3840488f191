"""The udev rule covers the common USB-serial adapters, dialout and ModemManager."""

from __future__ import annotations

import re
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "packaging/udev/99-dorfhub-sensors.rules"


def test_each_adapter_gets_dialout_a_stable_name_and_no_modemmanager() -> None:
    rules = [
        line
        for line in RULES.read_text().splitlines()
        if line.strip() and not line.startswith("#") and "idVendor" in line
    ]
    ids = {re.search(r'idVendor}=="(\w+)".*idProduct}=="(\w+)"', r).groups() for r in rules}  # type: ignore[union-attr]
    assert ids == {("1a86", "7523"), ("10c4", "ea60"), ("0403", "6001"), ("067b", "2303")}
    for rule in rules:
        assert 'GROUP="dialout"' in rule
        assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in rule
        assert 'SYMLINK+="dorfhub-sensor-' in rule
