"""Files a node writes hold keys and personal data: only the user the node runs as may read them.

Every process of Dorfhub sets the umask 077 as it starts (`restrict_umask`), so whatever it or a
library creates is 0600 and every directory 0700. The files that matter most are also created
with their mode given explicitly, so that code called with a looser umask (a script, a test, a
program that embeds the library) cannot widen them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def restrict_umask() -> None:
    """From now on this process creates files 0600 and directories 0700."""
    os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) 0700; an existing directory is left as it is."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def write_private(path: Path, data: bytes) -> None:
    """Write `path` whole, 0600 whatever the umask and whatever mode an old file had."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(data)


def ensure_private_file(path: Path) -> None:
    """Create `path` empty and 0600 if it is missing; tighten it to 0600 if it is ours and
    others may read it (a file from before this rule). A file of another user is left alone:
    whoever may write to it is that user's business."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        tighten(path)
        return
    os.close(fd)


def tighten(path: Path) -> None:
    """Take group's and others' access away from an existing file of ours."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    loose = stat.S_IMODE(info.st_mode) & (stat.S_IRWXG | stat.S_IRWXO)
    if loose and info.st_uid == os.geteuid():
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~(stat.S_IRWXG | stat.S_IRWXO))
