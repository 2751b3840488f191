"""The kiosk's QR codes: what they hold comes from content.notice_qr (shared with the printed
poster); here they become a texture's bytes or, for the printed slip, a PNG."""

from __future__ import annotations

import io

from content.notice_qr import QUIET_ZONE, ScreenPayload, code, screen_payload

__all__ = ["QUIET_ZONE", "ScreenPayload", "luminance", "png", "screen_payload"]


def luminance(text: str) -> tuple[int, bytes]:
    """The QR code as one byte per module (0 dark, 255 light), the quiet zone included, rows
    from the top; and its side in modules. The screen draws it scaled up without smoothing:
    sharp edges, and a texture of a few kilobytes instead of a picture of 350 KB."""
    symbol = code(text)
    rows = symbol.matrix_iter(scale=1, border=QUIET_ZONE)
    pixels = b"".join(bytes(0 if dark else 255 for dark in row) for row in rows)
    side = int(symbol.symbol_size(scale=1, border=QUIET_ZONE)[0])
    return side, pixels


def png(text: str, scale: int = 6) -> bytes:
    """The QR code as PNG bytes (for the printed slip): dark modules on white with the quiet
    zone."""
    buffer = io.BytesIO()
    code(text).save(
        buffer, kind="png", scale=scale, border=QUIET_ZONE, dark="#000000", light="#FFFFFF"
    )
    return buffer.getvalue()
