"""The one base of the errors said to a person in words.

Every error that the library, the node and the peers raise for something a person can act on
(a bad name, a refused write, an unknown key, a peer out of reach) derives from `ContentError`.
The CLI, the desk and the kiosk catch it once instead of keeping lists of error classes; an
error outside it is a bug and keeps its traceback."""

from __future__ import annotations

import sqlite3

import msgspec


class ContentError(Exception):
    """Something a person can act on, said in one line."""


# What storing a person's input may fail with, beside ContentError: bad input (ValueError,
# msgspec) and the database itself. The kiosk tells the resident and logs the reason.
WRITE_ERRORS: tuple[type[Exception], ...] = (
    ContentError,
    ValueError,
    sqlite3.Error,
    msgspec.MsgspecError,
)
