"""The one rule for display names: what a grant, an enrollment request or a node's own
configuration may call someone. Names reach admins' terminals and every kiosk, and an
enrollment request comes from anyone, so a name must show as what it is: printable characters
only (no terminal controls, no bidi overrides, no line breaks), no surrounding whitespace,
Unicode NFC, 1 to MAX_NAME_CHARS characters.
"""

from __future__ import annotations

import unicodedata

from content.errors import ContentError
from content.limits import MAX_NAME_CHARS

# Unicode general categories that are not seen but acted on (controls, bidi overrides and
# isolates, zero-width characters, line and paragraph separators) or mean nothing (surrogates,
# private use, unassigned). node/terminal.py escapes the same set when it prints.
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


class DisplayNameError(ContentError, ValueError):
    """A name that breaks the rule; the message says why, in one line."""


def is_unprintable(char: str) -> bool:
    return unicodedata.category(char) in UNPRINTABLE_CATEGORIES


def name_problem(name: str) -> str | None:
    """Why `name` may not be a display name, or None if it may."""
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        return f"must be 1 to {MAX_NAME_CHARS} characters long, not {len(name)}"
    for position, char in enumerate(name, start=1):
        if is_unprintable(char):
            return f"contains an invisible or control character (U+{ord(char):04X} at {position})"
    if name != name.strip():
        return "must not begin or end with whitespace"
    if not unicodedata.is_normalized("NFC", name):
        return "must be in Unicode NFC form"
    return None


def check_name(name: str, what: str = "name") -> str:
    """`name` itself if it follows the rule; DisplayNameError naming `what` otherwise."""
    problem = name_problem(name)
    if problem is not None:
        raise DisplayNameError(f"{what} {problem}")
    return name
