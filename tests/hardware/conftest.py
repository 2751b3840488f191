"""Fixtures for the hardware tests (serial side: emulated sensors on ptys)."""

from tests.hardware.emulated import emulator

__all__ = ["emulator"]
