"""Starting the kiosk: configure Kivy before it is imported, then run the app.

Kivy reads its configuration when first imported, so nothing here imports it at module level.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.identity import Identity
from content.private_files import restrict_umask
from content.store import Store
from kiosk.theme import Screen
from kiosk.touch import configured_touch, input_config

MULTISAMPLES = 0  # see configure_kivy; bench/kiosk.py gives its bare Kivy app the same
# The kiosk draws only textures it makes itself (the QR code); SDL2 reads what pictures Kivy
# loads. Pillow as one more image provider cost 2 MB of memory for nothing. (Also given to the
# benchmark's bare Kivy app.)
IMAGE_PROVIDERS = "sdl2,tex"
QUIET_LIBRARIES = ("fontTools", "PIL", "fpdf")


@dataclass
class KioskOptions:
    db_path: Path
    home_dir: Path  # the hub's home: the PIN file lives here
    identity: Identity
    hub_name: str
    width: int = 1920
    height: int = 1080
    diagonal_in: float = 21.5
    fullscreen: bool = False
    # Tests pass their own clocks, speaker and timeouts.
    app_options: dict[str, Any] = field(default_factory=dict)


def configure_kivy(options: KioskOptions) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_IMAGE", IMAGE_PROVIDERS)
    # Kivy's own config and logs go to the hub's home, not to ~/.kivy of whoever starts it.
    os.environ.setdefault("KIVY_HOME", str(options.home_dir / "kivy"))
    from kivy.config import Config

    Config.set("graphics", "width", str(options.width))
    Config.set("graphics", "height", str(options.height))
    Config.set("graphics", "fullscreen", "auto" if options.fullscreen else "0")
    Config.set("graphics", "resizable", "0")
    # No multisample anti-aliasing (Kivy asks for 2 samples): text is drawn anti-aliased by the
    # font renderer anyway, and only the rounded corners of buttons and the climate chart's lines
    # lose a little smoothness. The multisampled framebuffer cost 65 MB of the process's memory
    # at 1920x1080 under Mesa's software renderer (bench/README.md, kiosk section).
    Config.set("graphics", "multisamples", str(MULTISAMPLES))
    # The touch panel (kiosk/touch.py); right-click must not leave multitouch dots.
    Config.remove_section("input")
    Config.add_section("input")
    for key, value in input_config(configured_touch(options.home_dir)).items():
        if value:
            Config.set("input", key, value)
    # Escape must not close a public kiosk.
    Config.set("kivy", "exit_on_escape", "0")
    # Kivy passes every library's DEBUG records to its log: a slip's PDF brought dozens per
    # slip into the journal (fontTools subsetting the font, PIL reading the QR code's PNG,
    # fpdf's sizes). Their warnings still come through.
    for library in QUIET_LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)


def default_speaker() -> Any:
    from kiosk.speech import Speaker

    return Speaker()


def build_app(
    options: KioskOptions, store: Store, speaker_factory: Callable[[], Any] = default_speaker
) -> Any:
    configure_kivy(options)
    from content.clock import wall_clock_ms
    from kiosk.app import KioskApp
    from kiosk.data import KioskData

    app_options = dict(options.app_options)
    wall_ms = app_options.pop("wall_ms", wall_clock_ms)
    data = KioskData(store, options.identity, options.hub_name, wall_ms)
    reference = Screen(options.width, options.height, options.diagonal_in)
    return KioskApp(data, options.home_dir, reference, speaker_factory(), **app_options)


def run_kiosk(options: KioskOptions) -> int:
    # Kivy writes its config and logs into the hub's home; slips go there too.
    restrict_umask()
    with Store(options.db_path) as store:
        build_app(options, store).run()
    return 0
