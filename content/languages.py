"""The languages Dorfhub speaks: of a notice, a sensor alert, a booking service, the kiosk and
its slips. One list; Leichte Sprache (de-LS) is a language of its own."""

from __future__ import annotations

from typing import Literal, get_args

Language = Literal["de", "en", "de-LS"]
LANGUAGES: tuple[str, ...] = get_args(Language)
