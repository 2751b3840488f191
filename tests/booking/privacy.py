"""Scanning raw files and public op bodies for the personal data the tests entered."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from content.booking import Person
from content.roles import SEALED_KINDS


def needles(people: Iterable[Person]) -> list[bytes]:
    """Every form in which a name, birth date or phone number could have been written down."""
    found: set[str] = set()
    for person in people:
        found.add(person.name)
        found.update(part for part in person.name.replace("-", " ").split() if len(part) >= 5)
        born = date.fromisoformat(person.birth_date)
        found.update(
            {
                person.birth_date,
                born.strftime("%d.%m.%Y"),
                f"{born.day}.{born.month}.{born.year}",
                born.strftime("%Y%m%d"),
            }
        )
        if person.phone:
            found.update({person.phone, person.phone.replace(" ", "")})
    return sorted(text.encode() for text in found)


def assert_files_clean(homes: Sequence[Path], people: Sequence[Person]) -> None:
    """No file under the homes (database, WAL, shared memory, logs, config) holds any of it."""
    wanted = needles(people)
    scanned = 0
    for home in homes:
        for path in sorted(home.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            scanned += 1
            for needle in wanted:
                assert needle not in data, f"{needle!r} found in {path}"
    assert scanned >= len(homes)


def assert_public_bodies_clean(conn: sqlite3.Connection, people: Sequence[Person]) -> int:
    """No body of a public (unsealed) op holds any of it; returns how many bodies were read."""
    wanted = needles(people)
    placeholders = ",".join("?" * len(SEALED_KINDS))
    rows = conn.execute(
        f"SELECT kind, body FROM ops WHERE body IS NOT NULL AND kind NOT IN ({placeholders})",
        sorted(SEALED_KINDS),
    ).fetchall()
    for kind, body in rows:
        for needle in wanted:
            assert needle not in body, f"{needle!r} in a public {kind} body"
    return len(rows)
