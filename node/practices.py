"""Practices on the town server: granting a practice key, or making one and writing it once
outside the server's home, and the practice's own record naming its booking authority. The
library behind `dorfhub practice add` and `publish`, the demo and the benchmarks."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from content import grants
from content.bodies import GrantBody, encode_body
from content.identity import Identity, IdentityError, PublicIdentity, load_identity, save_identity
from content.log import Log, append_in
from content.store import Store
from node.home import Home

if TYPE_CHECKING:
    from content import booking
    from content.booking_bodies import PracticeMetaBody

# The booking library and the feed tokens (admin.feed) load inside the functions: the CLI's
# parser imports this module and must stay cheap for `dorfhub kiosk` (see node/cli.py).

# Custody (docs/booking.md "Who holds which key"): the practice's private key is made on the
# practice's own machine (`node init --role practice`) or written once to a file outside the
# server's home; the server keeps none. The practice's record, signed by the practice alone,
# names its booking authority: the town server whose key, with the practice's, is the only one
# a booking is sealed to.


@dataclass(frozen=True)
class NewPractice:
    key: str  # the practice's Ed25519 key id
    feed_token: str
    identity: Identity | None = None  # in memory only, when this process made the key


@dataclass(frozen=True)
class RecordFields:
    """A practice's record as given on the command line; None: keep the current value."""

    name: str | None = None
    phone: str | None = None
    address: str | None = None
    specialty: str | None = None
    video_url: str | None = None


def add_practice(
    home: Home, name: str, public: PublicIdentity, admin: Identity | None = None
) -> NewPractice:
    """Grant a key the practice made on its own machine the practice role and make its feed
    token. The practice then signs its own record (`practice publish`), naming its authority."""
    from admin.feed import new_feed_token
    from content.booking import BookingError
    from content.names import check_name

    check_name(name, "practice name")
    with home.store() as store:
        _check_new_practice(store.conn, name)
        # This server's, an admin's or another practice's key: a practice needs its own.
        if grants.key_info(store.conn, public.sign_key) is not None:
            raise BookingError(f"the key {public.short_id} holds a role already")
        grants.grant(Log(store), admin or home.publisher(), public, "practice", name)
        token = new_feed_token(store, public.sign_key)
    return NewPractice(public.sign_key, token)


def create_practice(
    home: Home,
    name: str,
    fields: RecordFields,
    key_out: Path,
    admin: Identity | None = None,
) -> NewPractice:
    """Make a practice key, grant it, sign its record with it naming this town server as its
    authority, make its feed token, and write the key once to `key_out` (never inside the home).
    Everything is checked first: bad input stores nothing and writes no file.

    A kill at any moment leaves either nothing or a granted practice whose key waits beside
    `key_out` under a hidden name (the grant and the record commit together, the key file is
    renamed into place only after the commit): the same command again finishes the job."""
    from admin.feed import new_feed_token

    target = _key_out_path(home, key_out)
    partial = partial_key_path(target)
    with home.store() as store:
        identity = _interrupted_practice(store.conn, partial, name)
        if identity is None:
            identity = _new_practice(home, store, name, fields, admin, partial)
        # Made again when a run is finished after a kill: the first token was never shown.
        token = new_feed_token(store, identity.key_id)
    _move_into_place(partial, target)
    return NewPractice(identity.key_id, token, identity)


def partial_key_path(target: Path) -> Path:
    """Where a new practice key waits until its grant is committed: beside the target (so the
    rename stays on one file system) and hidden."""
    return target.with_name(f".{target.name}.partial")


def _new_practice(
    home: Home,
    store: Store,
    name: str,
    fields: RecordFields,
    admin: Identity | None,
    partial: Path,
) -> Identity:
    """Check, write the key to `partial`, and commit its grant and its record in one
    transaction; no key file is left behind if the commit fails."""
    from content import booking
    from content.names import check_name

    signer = admin or home.publisher()
    server = home.identity()
    identity = Identity.generate(name.strip())
    meta = _record(fields, None, identity.public, server.public, name)
    check_name(meta.name, "practice name")
    _check_new_practice(store.conn, meta.name)
    _check_authority(store.conn, server.key_id)
    network_id = store.network_id
    assert network_id is not None  # _check_authority found this server's grant
    # A key left by a run killed before its commit: never granted, so nobody's.
    partial.unlink(missing_ok=True)
    save_identity(identity, partial)
    grant = GrantBody(
        key=identity.key_id, seal=identity.public.seal_key, role="practice", name=meta.name
    )
    try:
        with store.write() as conn:
            append_in(conn, network_id, signer, "key.grant", identity.key_id, encode_body(grant))
            booking.publish_practice_in(conn, network_id, identity, meta)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return identity


def _interrupted_practice(conn: sqlite3.Connection, partial: Path, name: str) -> Identity | None:
    """The practice key a killed `practice add` committed but did not move into place yet, if
    `partial` holds one; None when there is none (or only a key that was never granted)."""
    from content import booking
    from content.booking import BookingError

    try:
        identity = load_identity(partial)
    except IdentityError:
        return None  # absent, or cut short while it was written: never granted either
    practice = booking.get_practice(conn, identity.key_id)
    if practice is None:
        return None
    if practice.name != name.strip():
        raise BookingError(
            f"{partial} holds the key of the practice {practice.name!r}, made by a `practice "
            "add` that was interrupted: run it again with that name to finish it"
        )
    return identity


def _move_into_place(partial: Path, target: Path) -> None:
    """Give the key file its name once its grant is committed, durably."""
    from content.booking import BookingError

    if target.exists() or target.is_symlink():
        raise BookingError(f"{target} exists already; the new key is in {partial}")
    partial.rename(target)
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def publish_record(
    home: Home, practice: Identity, fields: RecordFields, authority: PublicIdentity | None
) -> tuple[booking.Practice | None, booking.Practice]:
    """Sign the practice's record with its own key: the given fields over its current record,
    and the authority given (or the current one). Returns the records before and after."""
    from content import booking
    from content.booking import BookingError

    with home.store() as store:
        before = booking.get_practice(store.conn, practice.key_id)
        if authority is not None:
            named = authority
        elif before is not None:
            named = PublicIdentity(before.authority, before.authority_seal)
        else:
            raise BookingError("name the town server that decides its bookings: --authority dh1.…")
        meta = _record(fields, before, practice.public, named, practice.name)
        _check_authority(store.conn, named.sign_key)
        booking.publish_practice(Log(store), practice, meta)
        after = booking.get_practice(store.conn, practice.key_id)
    assert after is not None
    return before, after


def _record(
    fields: RecordFields,
    current: booking.Practice | None,
    practice: PublicIdentity,
    authority: PublicIdentity,
    default_name: str,
) -> PracticeMetaBody:
    from content import booking
    from content.booking import BookingError

    def value(given: str | None, kept: str, required_option: str | None = None) -> str:
        """The given value, else the current record's; a first record needs the required."""
        if given is not None:
            return given
        if current is None and required_option:
            raise BookingError(f"the practice's record needs {required_option}")
        return kept

    return booking.practice_meta(
        value(fields.name, current.name if current else default_name),
        value(fields.address, current.address if current else "", "--address"),
        value(fields.phone, current.phone if current else "", "--phone"),
        value(fields.specialty, current.specialty if current else ""),
        current.services if current else booking.DEFAULT_SERVICES,
        value(fields.video_url, current.video_url if current else ""),
        practice=practice,
        authority=authority,
    )


def _check_new_practice(conn: sqlite3.Connection, name: str) -> None:
    from content import booking
    from content.booking import BookingError

    if any(p.name == name for p in booking.list_practices(conn)):
        raise BookingError(f"a practice named {name!r} exists already")


def _check_authority(conn: sqlite3.Connection, key: str) -> None:
    from content.booking import BookingError

    info = grants.key_info(conn, key)
    if info is None or info.revoked or "server" not in info.roles:
        raise BookingError(
            f"{key[:12]} is not a town server here: only a key with the server role can decide "
            "bookings"
        )


def _key_out_path(home: Home, path: Path) -> Path:
    """Where a new practice key may be written: outside the server's home (so the server
    keeps no practice key), and never over an existing file."""
    from content.booking import BookingError

    target = path.expanduser().absolute()
    where = target.parent.resolve() / target.name
    if where.is_relative_to(home.path.resolve()):
        raise BookingError(
            f"--key-out {path} is inside the server's home {home.path}: write the practice's "
            "key elsewhere (a USB stick), the server keeps none"
        )
    if target.exists() or target.is_symlink():
        raise BookingError(f"{path} exists already")
    return target
