"""Touch input for the panels hubs use, as Kivy's `[input]` configuration.

- The Raspberry Pi touch display (7", FT5406 controller, DSI) and 21.5" USB HID multitouch
  panels (eGalax, ILITEK and the like) report multitouch events (ABS_MT_*) through evdev. Kivy's
  `probesysfs` finds every such device under /sys/class/input and reads it with the `mtdev`
  provider (libmtdev1, installed by packaging/ensure-system-packages), which turns the older
  multitouch protocol of some panels into the newer one. Reading /dev/input/event* needs the
  kiosk's user in the `input` group (docs/install-hub.md).
- The desktop also turns the first finger into mouse events for the window: Kivy's mouse
  provider is kept for a mouse (service, tests under Xvfb) but ignores the mouse while a touch
  device is active (`disable_on_activity`), so one tap is never two.
- `[kiosk] touch` in the hub's config.toml chooses otherwise: "hidinput" (Kivy's own evdev
  reader, for a panel mtdev reads wrongly), or "mouse" (no evdev at all: the desktop's pointer
  only, for a single-touch panel that has no multitouch events).
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

TOUCH_PROVIDERS = ("mtdev", "hidinput", "mouse")
DEFAULT_TOUCH = "mtdev"
MOUSE = "mouse,disable_multitouch,disable_on_activity"
log = logging.getLogger("dorfhub.kiosk")


def configured_touch(home_dir: Path) -> str:
    """`[kiosk] touch` of the hub's config.toml, else mtdev; an unknown value is logged."""
    try:
        with (home_dir / "config.toml").open("rb") as handle:
            table = tomllib.load(handle).get("kiosk", {})
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_TOUCH
    touch = table.get("touch", DEFAULT_TOUCH) if isinstance(table, dict) else DEFAULT_TOUCH
    if touch not in TOUCH_PROVIDERS:
        log.warning("config.toml [kiosk] touch = %r is none of %s", touch, TOUCH_PROVIDERS)
        return DEFAULT_TOUCH
    return str(touch)


def input_config(touch: str) -> dict[str, str]:
    """Kivy's [input] section: every key the kiosk sets (an empty value removes Kivy's default
    probe of all touch devices)."""
    probe = f"probesysfs,provider={touch}" if touch != "mouse" else ""
    return {"mouse": MOUSE, "%(name)s": probe}
