"""The kiosk's screenshot for the desk's page per hub (docs/kiosk.md "Screenshot").

One at most every 15 minutes (content.screenshots.EVERY_MS, on the app's monotonic clock), and
only while the kiosk is at rest: the signage on show, or the home screen with no overlay, no
screen holding anything a resident typed and no touch for a minute. Never during a resident's
session, so a screenshot shows only what anyone in the room may see (docs/privacy.md).

The kiosk has no network: it writes the PNG into the hub's home (0600, replaced whole), with the
time taken and the screen shown in the PNG's text chunks, and the hub daemon sends it. Kivy's
thread only draws the window into a half-size framebuffer and reads its pixels back (about a
frame); the PNG is encoded and written in a worker thread.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from content.screenshots import (
    EVERY_MS,
    KIOSK_FILE,
    SCREEN,
    TAKEN_AT,
    ScreenshotError,
    check_png,
    write_atomically,
)

QUIET_S = 60.0  # no touch for this long on the home screen: the resident has gone
WIDTH_PX = 960  # enough to read a notice's title on the desk; a quarter of the pixels

log = logging.getLogger("dorfhub.kiosk")


class ScreenshotTaker:
    """Called on every tick of the app; takes a screenshot when one is due and allowed."""

    def __init__(
        self,
        home_dir: Path,
        monotonic: Callable[[], float],
        now_ms: Callable[[], int],
        every_s: float = EVERY_MS / 1000,
    ) -> None:
        self.path = home_dir / KIOSK_FILE
        self.monotonic = monotonic
        self.now_ms = now_ms
        self.every_s = every_s
        self.taken = 0
        self.worker: threading.Thread | None = None
        # A kiosk restarted soon after a screenshot waits out the rest of its 15 minutes.
        self.next_at = monotonic() + self._wait_after_last()

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    def tick(self, app: Any) -> None:
        now = self.monotonic()
        if now < self.next_at or self.busy:
            return
        screen = public_screen(app, now)
        if screen is None:
            return
        self.next_at = now + self.every_s
        pixels, size = capture(app.root_widget, app.th.colour("background"))
        self.taken += 1
        self.worker = threading.Thread(
            target=self._write,
            args=(pixels, size, screen, self.now_ms()),
            name="dorfhub-screenshot",
            daemon=True,
        )
        self.worker.start()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.join(timeout=10)

    def _write(self, pixels: bytes, size: tuple[int, int], screen: str, taken_at: int) -> None:
        try:
            write_atomically(self.path, encode_png(pixels, size, screen, taken_at))
        except OSError as exc:  # a full disk must not stop the kiosk
            log.warning("screenshot not written: %s", exc)

    def _wait_after_last(self) -> float:
        try:
            text = check_png(self.path.read_bytes()).text
            elapsed_ms = self.now_ms() - int(text.get(TAKEN_AT, "0"))
        except (OSError, ScreenshotError, ValueError):
            return 0.0
        return max(0.0, (EVERY_MS - elapsed_ms) / 1000) if elapsed_ms >= 0 else 0.0


def public_screen(app: Any, now: float, quiet_s: float = QUIET_S) -> str | None:
    """What the kiosk shows at rest ("home", "signage", or an "emergency" over the home screen),
    or None while a resident may be using it."""
    if app.idle_overlay.parent is not None or app.speech_notice.parent is not None:
        return None
    if app.signage_overlay.parent is not None:
        return "signage"
    if app.sm.current != "home" or now - app.idle.last_touch < quiet_s:
        return None
    if any(screen.holds_personal() for screen in app.sm.screens):
        return None  # typed and not wiped yet: the resident may come back for it
    return "emergency" if app.emergency_overlay.parent is not None else "home"


def capture(
    widget: Any, background: Sequence[float], width_px: int = WIDTH_PX
) -> tuple[bytes, tuple[int, int]]:
    """The widget's pixels (RGBA, top row first) scaled to `width_px`, drawn over the window's
    background colour (Widget.export_as_image clears to transparent, which a PNG viewer shows
    as black or checkered)."""
    from kivy.graphics import ClearBuffers, ClearColor, Fbo, Scale, Translate

    scale = min(1.0, width_px / widget.width)
    size = (round(widget.width * scale), round(widget.height * scale))
    fbo = Fbo(size=size, with_stencilbuffer=True)
    with fbo:
        ClearColor(background[0], background[1], background[2], 1)
        ClearBuffers()
        Scale(1, -1, 1)  # rows come back top first, as a PNG stores them
        Scale(scale, scale, 1)
        Translate(-widget.x, -widget.y - widget.height, 0)
    # A canvas draws in one place at a time: lend it to the framebuffer for one draw.
    parent = widget.parent.canvas if widget.parent is not None else None
    index = parent.indexof(widget.canvas) if parent is not None else -1
    if parent is not None and index > -1:
        parent.remove(widget.canvas)
    try:
        fbo.add(widget.canvas)
        fbo.draw()
        pixels = bytes(fbo.pixels)
        fbo.remove(widget.canvas)
    finally:
        if parent is not None and index > -1:
            parent.insert(index, widget.canvas)
    return pixels, size


def encode_png(pixels: bytes, size: tuple[int, int], screen: str, taken_at: int) -> bytes:
    """RGBA pixels as an RGB PNG whose text chunks say what it shows and when."""
    from PIL import Image, PngImagePlugin  # in the worker thread, never before the first frame

    info = PngImagePlugin.PngInfo()
    info.add_text(TAKEN_AT, str(taken_at))
    info.add_text(SCREEN, screen)
    out = io.BytesIO()
    Image.frombytes("RGBA", size, pixels).convert("RGB").save(out, "PNG", pnginfo=info)
    return out.getvalue()
