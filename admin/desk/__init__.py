"""The desk: the town hall's web pages, served by `dorfhub serve` under /desk/ (docs/desk.md).

    __init__.py   desk_app(): what node/daemon.py mounts beside the peer API
    app.py        builds it: routers, the transport guard, security headers, error pages
    web.py        the Desk (sessions, accounts, templates, clock, database) and rendering
    policy.py     allow(*roles): one access policy per page, deny by default, CSRF on POST
    auth.py       login, logout, the language switch
    today.py      the start page ("Heute") and its htmx fragment (figures.py)
    practice*.py  a practice's pages: bookings and cancelling (practice.py), slots and series
                  (practice_slots.py, practice_form.py), its calendar feed (practice_feed.py),
                  what they read, opened with the practice's session key (practice_data.py)
    guide*.py     a guide's pages: the help queue of its hubs, done and reopen (guide.py), its
                  office hours (guide_hours.py, guide_form.py), what they read, opened with the
                  guide's session key (guide_data.py), mail about new requests (guide_mail.py)
    accounts.py   desk users' key files, encrypted at rest (Argon2id + ChaCha20-Poly1305)
    sessions.py   sessions, CSRF tokens, lockout: pure, the clock passed in
    i18n.py       German and English catalogs (locale/), dates and times in Europe/Berlin
    templates/    one Jinja2 template per page, base.html, partials/ for htmx fragments
    static/       desk.css and the pinned htmx (static/README.md)

How to add a page: README.md beside this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def desk_app(home: Path, db_path: Path) -> FastAPI:
    """The desk over a town server's home. Imported late: the CLI loads admin.desk.accounts
    for `desk user add`, and FastAPI and Jinja2 cost half a second to import."""
    from admin.desk.app import build_desk

    return build_desk(home, db_path)
