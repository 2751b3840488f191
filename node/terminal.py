"""Text for a terminal: what came from the network is shown, never obeyed.

Names, notices and peer records are written by other people's keys (and an enrollment request by
anyone). A terminal acts on some characters instead of showing them: escape sequences can clear
the screen or retitle the window, a bidi override reverses what follows, a line break forges the
next line. `terminal_safe` writes each such character as a visible escape (\\x1b, \\u202e), so
every line the CLI prints from such text stays one honest line.
"""

from __future__ import annotations

from content.names import is_unprintable


def terminal_safe(text: str) -> str:
    """`text` with every control, format, separator, surrogate, private-use and unassigned
    character (content.names.UNPRINTABLE_CATEGORIES) written as a Python-style escape."""
    if text.isprintable():  # the common case: nothing to escape
        return text
    return "".join(_escaped(char) if is_unprintable(char) else char for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
