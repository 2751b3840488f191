"""What a guide's desk pages read (docs/desk.md "Guides"): the help queue of the guide's hubs,
opened with the key of the guide's own session, and the bookings made on someone's behalf.

The guide's hubs are the hubs whose grants name a group that one of the guide's grants names
(content/guides.py). A request belongs to the queue when its id names one of those hubs
(content/roles.py help_request_prefix), or, for a town server's call-back after a booking was
cancelled or rejected, when the hub its sealed body names is one of them. Any other id is
refused like an unknown one.

Personal data is opened here in memory for one page, with the session's key, never the
server's: the rows go to the template and nowhere else. A request sealed before the guide's key
was granted does not open with it; those are counted, not shown.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

import msgspec

from content import booking
from content.booking import BookingStatus, Slot
from content.guides import guide_groups
from content.help import HelpRequestBody
from content.identity import Identity
from content.notice_targets import Hub, network_of
from content.retention import BOOKING_AFTER_APPOINTMENT, DAY_MS, network_days
from content.roles import help_request_prefix
from content.sealing import SealError, open_sealed

MAX_DONE_ROWS = 50  # done requests shown, the most recently done first
_request = msgspec.json.Decoder(HelpRequestBody)


def guide_hubs(conn: sqlite3.Connection, key: str, now_ms: int) -> list[Hub]:
    """The hubs in the groups the guide's valid grants name, by name."""
    groups = set(guide_groups(conn, key, now_ms))
    hubs = [hub for hub in network_of(conn).hubs if groups.intersection(hub.groups)]
    return sorted(hubs, key=lambda hub: hub.name.casefold())


@dataclass(frozen=True)
class QueueRow:
    """One help request as the guide's page shows it, opened."""

    request_id: str
    time_ms: int
    hub: str  # the hub's name; a call-back's own words ("Ringelai: Arzttermin abgesagt (…)")
    callback: bool  # raised by the town server after a booking was cancelled or rejected
    name: str
    phone: str
    on_behalf: bool
    state: str  # "open" | "done"
    changed_at: int | None  # when it was marked done or reopened last
    changed_by: str  # by whom (the key's name)

    @property
    def anchor(self) -> str:
        return "request-" + self.request_id[-12:]


@dataclass(frozen=True)
class GuideQueue:
    hubs: list[Hub]
    open: list[QueueRow]  # the longest waiting first
    done: list[QueueRow]  # the most recently done first, MAX_DONE_ROWS at most
    unreadable: int  # requests of the guide's hubs sealed before its key was granted

    @property
    def fingerprint(self) -> str:
        """What the open list shows, for htmx to ask "anything new?"."""
        digest = hashlib.sha256()
        for row in self.open:
            digest.update(f"{row.request_id}|{row.state};".encode())
        return digest.hexdigest()[:16]


_REQUESTS = (
    "SELECT o.entity, o.author, o.time, o.body, coalesce(s.state, 'open'), s.time, "
    "coalesce(k.name, '') FROM sealed_items i JOIN ops o ON o.id = i.op_id "
    "LEFT JOIN help_states s ON s.request_id = o.entity LEFT JOIN keys k ON k.key = s.author "
    # An erased request (content/retention.py) has no body: nobody opens it any more.
    "WHERE i.kind = 'help.request' AND o.body IS NOT NULL"
)


def guide_queue(
    conn: sqlite3.Connection, identity: Identity, now_ms: int, request_id: str | None = None
) -> GuideQueue:
    """The help requests of the guide's hubs that its key opens (only `request_id`, if
    given)."""
    hubs = guide_hubs(conn, identity.key_id, now_ms)
    by_key = {hub.key: hub for hub in hubs}
    servers = _servers(conn)
    query, params = _REQUESTS, []
    if request_id is not None:
        query += " AND o.entity = ?"
        params.append(request_id)
    rows: list[QueueRow] = []
    unreadable = 0
    for entity, author, time_ms, box, state, changed_at, changed_by in conn.execute(query, params):
        if not entity.startswith(help_request_prefix(author)):
            continue  # an id from before ids named their hub: no hub to place it at
        hub = by_key.get(author)
        if hub is None and author not in servers:
            continue  # another hub's: not this guide's, never opened
        try:
            body = _request.decode(open_sealed(box, identity))
        except (SealError, msgspec.DecodeError):
            unreadable += hub is not None
            continue
        if hub is None and not _names_one_of(body.hub, hubs):
            continue  # a call-back about another hub's resident
        rows.append(
            QueueRow(
                request_id=entity,
                time_ms=time_ms,
                hub=hub.name if hub else body.hub,
                callback=hub is None,
                name=body.name,
                phone=body.phone,
                on_behalf=body.on_behalf,
                state=state,
                changed_at=changed_at,
                changed_by=changed_by,
            )
        )
    waiting = sorted((r for r in rows if r.state != "done"), key=lambda r: r.time_ms)
    done = sorted((r for r in rows if r.state == "done"), key=lambda r: -(r.changed_at or 0))
    return GuideQueue(hubs, waiting, done[:MAX_DONE_ROWS], unreadable)


def queue_row(
    conn: sqlite3.Connection, identity: Identity, request_id: str, now_ms: int
) -> QueueRow | None:
    """One request of the guide's queue; None for any other id (another hub's, unknown,
    erased, or sealed before the guide's key)."""
    found = guide_queue(conn, identity, now_ms, request_id)
    return next(iter(found.open + found.done), None)


def _servers(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT k.key FROM keys k, json_each(k.grants) g "
        "WHERE json_extract(g.value, '$.role') = 'server'"
    )
    return {key for (key,) in rows}


def _names_one_of(where: str, hubs: list[Hub]) -> bool:
    """A call-back's words begin with the hub's name ("Ringelai: Arzttermin abgesagt …")."""
    return any(where == hub.name or where.startswith(f"{hub.name}:") for hub in hubs)


# ---- bookings on someone's behalf ---------------------------------------------------------------


@dataclass(frozen=True)
class BehalfRow:
    """A booking made on someone's behalf: public facts only (the person is sealed to the
    practice and its booking authority, never to a guide)."""

    status: BookingStatus
    slot: Slot | None
    hub: str  # where it was booked: a hub's name, or the guide's own key's
    own: bool  # booked with the guide's own key (not at a kiosk in guide mode)


def behalf_bookings(
    conn: sqlite3.Connection, guide: str, hubs: list[Hub], now_ms: int
) -> list[BehalfRow]:
    """Bookings the guide made with its own key, and those made on someone's behalf at its
    hubs (guide mode at the kiosk), whose appointment is upcoming or at most the
    after-appointment period past; the soonest first."""
    names = {hub.key: hub.name for hub in hubs}
    authors = [guide, *names]
    marks = ",".join("?" * len(authors))
    rows = conn.execute(
        f"SELECT id FROM booking_requests WHERE author IN ({marks}) "
        "AND (author = ? OR on_behalf = 1)",
        [*authors, guide],
    ).fetchall()
    since = now_ms - network_days(conn)[BOOKING_AFTER_APPOINTMENT.name] * DAY_MS
    found = []
    for (request_id,) in rows:
        status = booking.booking_status(conn, request_id)
        if status is None:
            continue
        slot = booking.get_slot(conn, status.slot_id)
        if slot is not None and slot.start < since:
            continue
        own = status.requester == guide
        hub = names.get(status.requester or "", "")
        found.append(BehalfRow(status, slot, hub, own))
    return sorted(found, key=lambda r: (r.slot.start if r.slot else 0, r.status.request_id))
