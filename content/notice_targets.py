"""What a notice can be targeted at: the network's own hubs and the groups their grants name,
read from the keys view, and what a person typed checked against them. The desk's editor and
the command line both take their targets from here, so neither can publish to nobody: a name
the network does not know is refused with the known ones listed, never stored as typed."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from content.errors import ContentError
from content.grants import list_keys
from content.notices import Notice

# A key id typed in place of a name: at least this much of it (`key list` shows 12).
MIN_KEY_PREFIX = 8
_HEX = re.compile("^[0-9a-f]+$")


class UnknownTarget(ContentError, ValueError):
    """A hub or group the network does not know; the message lists the known ones."""


@dataclass(frozen=True)
class Hub:
    key: str
    name: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Network:
    """The hubs that hold the hub role now and the groups their grants name: what a notice
    can be targeted at (never free text, which could publish to nobody)."""

    hubs: tuple[Hub, ...]
    # Hubs and groups a notice being edited names that are no longer in the network (a hub
    # revoked): kept as choices, so saving it does not drop them unasked; they reach nobody.
    former_hubs: tuple[Hub, ...] = ()
    former_groups: tuple[str, ...] = ()

    @property
    def choices(self) -> tuple[Hub, ...]:
        return tuple(sorted((*self.hubs, *self.former_hubs), key=lambda hub: hub.name.casefold()))

    @property
    def groups(self) -> tuple[str, ...]:
        held = {group for hub in self.hubs for group in hub.groups}
        return tuple(sorted(held | set(self.former_groups), key=str.casefold))

    def names(self) -> dict[str, str]:
        return {hub.key: hub.name for hub in self.choices}

    def find_hubs(self, typed: Sequence[str]) -> tuple[list[str], list[str]]:
        """The hub keys for what was typed, and what matched none. A hub is named by its name
        in any case (every hub of that name), its key, or the start of its key (at least
        MIN_KEY_PREFIX characters, matching one hub)."""
        found: set[str] = set()
        unknown: list[str] = []
        for text in typed:
            keys = self._hubs_named(text.strip())
            found.update(keys)
            if not keys:
                unknown.append(text)
        return sorted(found), unknown

    def find_groups(self, typed: Sequence[str]) -> tuple[list[str], list[str]]:
        """The groups as their grants spell them for what was typed in any case, and what
        matched none."""
        by_folded = {group.casefold(): group for group in self.groups}
        found = [by_folded.get(text.strip().casefold()) for text in typed]
        unknown = [text for text, group in zip(typed, found, strict=True) if group is None]
        return sorted({group for group in found if group}), unknown

    def targets(self, hubs: Sequence[str], groups: Sequence[str]) -> tuple[list[str], list[str]]:
        """Hub keys and groups for names typed on the command line; UnknownTarget naming the
        first unknown kind and every known name of it."""
        hub_keys, unknown_hubs = self.find_hubs(hubs)
        if unknown_hubs:
            known = ", ".join(hub.name for hub in self.choices) or "none yet"
            raise UnknownTarget(f"no hub {_listed(unknown_hubs)} in this network (hubs: {known})")
        found_groups, unknown_groups = self.find_groups(groups)
        if unknown_groups:
            known = ", ".join(self.groups) or "none yet"
            raise UnknownTarget(
                f"no group {_listed(unknown_groups)} in this network (groups: {known})"
            )
        return hub_keys, found_groups

    def hub(self, typed: str) -> Hub:
        """The one hub a name or key names; UnknownTarget otherwise."""
        keys, _ = self.targets([typed], [])
        if len(keys) > 1:
            raise UnknownTarget(f"{len(keys)} hubs are named {typed!r}: give its key id instead")
        return next(hub for hub in self.choices if hub.key == keys[0])

    def _hubs_named(self, text: str) -> list[str]:
        folded = text.casefold()
        named = [hub.key for hub in self.choices if hub.name.casefold() == folded]
        if named or len(text) < MIN_KEY_PREFIX or not _HEX.match(folded):
            return named
        keyed = [hub.key for hub in self.choices if hub.key.startswith(folded)]
        return keyed if len(keyed) == 1 else []


def network_of(conn: sqlite3.Connection, notice: Notice | None = None) -> Network:
    """The hubs holding the hub role (not revoked) and their groups; for an edit, also the
    hubs and groups the notice names that have left the network since."""
    keys = list_keys(conn)
    hubs = tuple(
        Hub(k.key, k.name, tuple(k.groups)) for k in keys if "hub" in k.roles and not k.revoked
    )
    if notice is None:
        return Network(hubs)
    live = {hub.key for hub in hubs}
    names = {k.key: k.name for k in keys}
    former = tuple(
        Hub(key, names.get(key) or key[:12], ()) for key in notice.target_hubs if key not in live
    )
    held = {group for hub in hubs for group in hub.groups}
    return Network(hubs, former, tuple(g for g in notice.target_groups if g not in held))


def key_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Every key's name, revoked ones too: the authors and older targets of notices."""
    return {key: name for key, name in conn.execute("SELECT key, name FROM keys")}


def _listed(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)
