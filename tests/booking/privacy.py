"""Scanning raw files and public op bodies for the personal data the tests entered, and for
the sealed bodies' own bytes (what must be gone once retention erased them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

from content.booking import Person
from content.roles import SEALED_KINDS

# Windows and Java programs write UTF-16, little- or big-endian: a copy in a log or an export
# must be found as well.
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
# How much of a sealed box identifies it: 32 random bytes occur nowhere else by chance.
SLICE_BYTES = 32


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
    return sorted({text.encode(encoding) for text in found for encoding in ENCODINGS})


def files_under(places: Iterable[Path]) -> list[Path]:
    """Every file under the given directories (and the given files themselves)."""
    files: list[Path] = []
    for place in places:
        files += [place] if place.is_file() else sorted(p for p in place.rglob("*") if p.is_file())
    return files


def assert_files_clean(homes: Sequence[Path], people: Sequence[Person]) -> None:
    """No file under the homes (database, WAL, shared memory, logs, slips, config) holds any
    of it, in UTF-8, UTF-16 LE or UTF-16 BE."""
    wanted = needles(people)
    files = files_under(homes)
    for path in files:
        data = path.read_bytes()
        for needle in wanted:
            assert needle not in data, f"{needle!r} found in {path}"
    assert len(files) >= len(homes)


def box_slices(conn: sqlite3.Connection) -> dict[str, list[bytes]]:
    """Per sealed op id, slices of its box that identify it: the ephemeral public key and the
    end of the ciphertext with its tag (content/sealing.py)."""
    placeholders = ",".join("?" * len(SEALED_KINDS))
    rows = conn.execute(
        f"SELECT id, body FROM ops WHERE body IS NOT NULL AND kind IN ({placeholders})",
        sorted(SEALED_KINDS),
    ).fetchall()
    return {op_id: [body[4 : 4 + SLICE_BYTES], body[-SLICE_BYTES:]] for op_id, body in rows}


def boxes_found(places: Iterable[Path], slices: Mapping[str, list[bytes]]) -> set[str]:
    """The sealed ops of which any slice is in any file under `places`."""
    contents = [path.read_bytes() for path in files_under(places)]
    return {
        op_id
        for op_id, parts in slices.items()
        if any(part in data for part in parts for data in contents)
    }


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
