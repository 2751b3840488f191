"""A small network on a real SQLite file: an admin, two hubs in two groups, and notices
published with explicit display windows (no test depends on today's date)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from content import grants, notices
from content.bodies import Event
from content.clock import parse_iso
from content.identity import Identity, network_id_for
from content.log import Log
from content.notices import Notice
from tests.content.conftest import Stores

GROUP = "Ilzer Land"
OTHER_GROUP = "Grafenau Land"


def ms(text: str) -> int:
    return parse_iso(text)


@dataclass
class Board:
    log: Log
    admin: Identity
    ringelai: Identity  # in GROUP
    perlesreut: Identity  # in OTHER_GROUP

    @property
    def conn(self) -> sqlite3.Connection:
        return self.log.store.conn

    def publish(
        self,
        title: str,
        body: str,
        *,
        valid_from: str = "2026-12-01T00:00+01:00",
        valid_until: str | None = "2027-01-01T00:00+01:00",
        event: tuple[str, str | None, str] | None = None,
        hubs: Sequence[Identity] = (),
        groups: Sequence[str] = (),
        translations: dict[str, tuple[str, str]] | None = None,
        category: str = "allgemein",
        priority: str = "normal",
    ) -> Notice:
        """Publish and read back a notice; `event` is (start, end or None, place)."""
        body_struct = notices.notice_body(
            title,
            body,
            category=category,
            priority=priority,
            valid_from=ms(valid_from),
            valid_until=None if valid_until is None else ms(valid_until),
            translations=translations,
            event=None
            if event is None
            else Event(
                start=ms(event[0]), end=None if event[1] is None else ms(event[1]), place=event[2]
            ),
            hubs=[hub.key_id for hub in hubs],
            groups=list(groups),
        )
        notice_id = notices.publish(self.log, self.admin, body_struct)
        found = notices.get_notice(self.conn, notice_id)
        assert found is not None
        return found


@pytest.fixture
def board(stores: Stores) -> Board:
    root = Identity.generate("Netzwerk-Wurzel")
    admin = Identity.generate("Verwaltung")
    ringelai = Identity.generate("Ringelai")
    perlesreut = Identity.generate("Perlesreut")
    log = stores.log("town", network_id_for(root.key_id))
    grants.grant(log, root, admin.public, "admin", admin.name, may_grant=True)
    grants.grant(log, admin, ringelai.public, "hub", ringelai.name, groups=[GROUP])
    grants.grant(log, admin, perlesreut.public, "hub", perlesreut.name, groups=[OTHER_GROUP])
    return Board(log, admin, ringelai, perlesreut)
