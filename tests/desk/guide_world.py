"""A town for the guide tests: hubs in two groups, guides made by the real CLI (`dorfhub desk
user add --role guide --group …`), and help requests made the way a kiosk makes them (on a
hub's store, signed by the hub).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from content import grants
from content.help import request_help
from content.identity import Identity
from content.log import Log
from content.store import Store
from node.home import Home
from tests.desk.conftest import Login
from tests.node.cli import DORFHUB, REPO


@dataclass(frozen=True)
class GuideLogin:
    login: Login
    groups: tuple[str, ...]
    email: str = ""

    @property
    def name(self) -> str:
        return self.login.name


KERN = GuideLogin(
    Login("Frau Kern", "Digitallotsin-aus-Ringelai-1"), ("Ilzer Land",), "kern@example.org"
)
LANG = GuideLogin(
    Login("Herr Lang", "Lotse-im-Dreiburgenland-2"), ("Dreiburgenland",), "lang@example.org"
)
GUIDES = (KERN, LANG)


def add_guides(home: Path, guides: Sequence[GuideLogin]) -> None:
    """`dorfhub desk user add NAME --role guide --group … [--email …]` for each, side by side."""
    procs = []
    for guide in guides:
        env = {**os.environ, "DORFHUB_DESK_PASSPHRASE": guide.login.passphrase}
        args = [*DORFHUB, "desk", "user", "add", guide.name, "--role", "guide"]
        for group in guide.groups:
            args += ["--group", group]
        if guide.email:
            args += ["--email", guide.email]
        procs.append(
            subprocess.Popen(
                [*map(str, args), "--home", str(home)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"desk user add failed: {err}"
        assert "added" in out


def grant_hub(home: Path, name: str, groups: Sequence[str]) -> Identity:
    """A hub key granted by the town's admin key, for requests made in the town's own store."""
    hub = Identity.generate(name)
    with Store(home / "dorfhub.db") as store:
        grants.grant(
            Log(store), Home(home).publisher(), hub.public, "hub", name, groups=list(groups)
        )
    return hub


def ask_for_help(db: Path, hub: Identity, name: str, phone: str) -> str:
    """A help request as the kiosk's "Hilfe holen" makes it: on the hub's store, by the hub."""
    with Store(db) as store:
        return request_help(Log(store), hub, name, phone)


def help_state(db: Path, request_id: str) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT state FROM help_states WHERE request_id = ?", (request_id,)
        ).fetchone()
    return "open" if row is None else str(row[0])
