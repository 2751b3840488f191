"""Uploads waiting for their notice. A browser never sends a file field again, so when the
editor comes back with an error or a warning to confirm, the files already checked wait here,
named by a random token in the form, and are stored (blob.put) only with the notice itself.

In the server's memory only, per session, for an hour at most, and capped: nothing in the log
until the notice is published, and nothing left when the process stops.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from content.attachments import Prepared
from content.bodies import MAX_ATTACHMENTS

KEEP_S = 3600.0
MAX_PER_SESSION = 2 * MAX_ATTACHMENTS
MAX_WAITING = 200  # over all sessions: about 100 MB at the largest attachments


@dataclass(frozen=True)
class Waiting:
    session: str
    file: Prepared
    since: float


class UploadStash:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: OrderedDict[str, Waiting] = OrderedDict()  # oldest first

    def put(self, session: str, file: Prepared, now: float) -> str:
        token = secrets.token_hex(16)
        with self.lock:
            self._expire(now)
            self.waiting[token] = Waiting(session, file, now)
            mine = [t for t, w in self.waiting.items() if w.session == session]
            for old in mine[: max(0, len(mine) - MAX_PER_SESSION)]:
                del self.waiting[old]
            while len(self.waiting) > MAX_WAITING:
                self.waiting.popitem(last=False)
        return token

    def files(self, session: str, tokens: Iterable[str], now: float) -> list[tuple[str, Prepared]]:
        """The files behind `tokens` that this session put here and that are still waiting, in
        the order given; a token of another session is as good as none."""
        with self.lock:
            self._expire(now)
            found = [(token, self.waiting.get(token)) for token in dict.fromkeys(tokens)]
        return [(token, w.file) for token, w in found if w is not None and w.session == session]

    def discard(self, tokens: Iterable[str]) -> None:
        with self.lock:
            for token in tokens:
                self.waiting.pop(token, None)

    def _expire(self, now: float) -> None:
        while self.waiting:
            token, oldest = next(iter(self.waiting.items()))
            if now - oldest.since < KEEP_S:
                return
            del self.waiting[token]


def app_stash(app: Any, name: str) -> UploadStash:
    """The desk application's stash called `name` (one per editor), made on first use."""
    stash = getattr(app.state, name, None)
    if stash is None:
        stash = UploadStash()
        setattr(app.state, name, stash)
    return stash
