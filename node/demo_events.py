"""What happens in the running demo network, one German line per event (`dorfhub demo --serve`).

The demo looks about once a second at what its nodes hold, as an administrator would with
`dorfhub notice list` and `dorfhub bookings list`:

- each hub's board, what its kiosk shows: a notice that arrives, one that ends by itself (the
  bakery van's: no op, no network), one retracted, and a sensor alert, which shows as a notice
  on its hub's board ("Lüften bitte") and leaves it when the hub clears it;
- the town server's bookings (a request from a kiosk, the town's confirmation) and help
  requests, named by practice, slot time and hub only: never a resident's name or the booking
  code that cancels;
- each hub's first particulate reading, which comes after the sensor's warm-up.

Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from content import booking, notices
from content.grants import key_info
from content.notices import Notice
from content.sensors import alerts
from content.store import Store
from node.board import local
from node.demo_sensors import PARTICULATES, DemoHub, latest_ok, reading_words

BOOKING_WORDS = {
    "pending": "Terminanfrage",
    "confirmed": "Termin bestätigt",
    "rejected": "Terminanfrage abgelehnt",
    "cancelled": "Termin abgesagt",
}


@dataclass
class _Board:
    """One hub's board as last seen: notice id → German title."""

    hub: DemoHub
    key: str
    shown: dict[str, str] = field(default_factory=dict)


class DemoWatch:
    """Compares what the nodes hold with what it saw last; `news` says what changed."""

    def __init__(
        self,
        town: DemoHub,
        hubs: Sequence[tuple[DemoHub, str]],
        now_ms: int,
        particulates_shown: set[str],
    ) -> None:
        """`hubs`: each with its key id; `particulates_shown`: the hubs whose particulates were
        shown already. What exists at `now_ms` is the starting point, not news."""
        self.town = town
        self.hubs = [hub for hub, _key in hubs]
        self.boards = [_Board(hub, key) for hub, key in hubs]
        self.particulates_shown = set(particulates_shown)
        self.bookings: dict[str, str] = {}  # request id → state
        self.help_requests: dict[str, int] = {}  # hub key → requests seen
        self._boards(now_ms)
        self._town()

    def news(self, now_ms: int) -> list[str]:
        """What changed since the last look, each line starting with the local time."""
        lines = self._boards(now_ms) + self._town() + self._particulates()
        return [f"{local(now_ms)[-5:]}  {line}" for line in lines]

    def _boards(self, now_ms: int) -> list[str]:
        # (notice id, what happened) → (title, hubs): one line for a notice that leaves
        # every board at once.
        changes: dict[tuple[str, str], tuple[str, list[str]]] = {}
        for board in self.boards:
            with board.hub.home.store() as store:
                found = notices.active_notices(store.conn, hub=board.key, at_ms=now_ms)
                showing = {notice.id: notice.text("title", "de") for notice in found}
                alert_ids = {alert.id for alert in alerts(store.conn, active_only=False)}
                for notice_id in showing.keys() - board.shown.keys():
                    what = "alert" if notice_id in alert_ids else "arrived"
                    title = showing[notice_id]
                    changes.setdefault((notice_id, what), (title, []))[1].append(board.hub.name)
                for notice_id in board.shown.keys() - showing.keys():
                    if notice_id in alert_ids:
                        what = "cleared"
                    else:
                        what = _why_gone(notices.get_notice(store.conn, notice_id), now_ms)
                    title = board.shown[notice_id]
                    changes.setdefault((notice_id, what), (title, []))[1].append(board.hub.name)
            board.shown = showing
        return [_board_line(what, title, hubs) for (_, what), (title, hubs) in changes.items()]

    def _town(self) -> list[str]:
        lines = []
        with self.town.home.store() as store:
            for status in booking.list_bookings(store.conn):
                if self.bookings.get(status.request_id) != status.state:
                    self.bookings[status.request_id] = status.state
                    lines.append(_booking_line(store, status))
            # A help request is sealed to the guides; that a hub sent one, every node knows.
            rows = store.conn.execute(
                "SELECT author, count(*) FROM ops WHERE kind = 'help.request' GROUP BY author"
            ).fetchall()
            for author, count in rows:
                if count > self.help_requests.get(author, 0):
                    lines.append(f"{_name(store, author)}: jemand bittet am Kiosk um Hilfe.")
                self.help_requests[author] = count
        return lines

    def _particulates(self) -> list[str]:
        lines = []
        for hub in self.hubs:
            if hub.name in self.particulates_shown:
                continue
            latest = latest_ok(hub)
            values = [reading_words(q, latest[q]) for q in PARTICULATES if q in latest]
            if values:
                self.particulates_shown.add(hub.name)
                lines.append(f"{hub.name}: Feinstaub nach der Aufwärmzeit: {', '.join(values)}")
        return lines


def _why_gone(notice: Notice | None, now_ms: int) -> str:
    if notice is None or notice.retracted:
        return "retracted"
    ends = [end for end in (notice.valid_until, notice.event_end) if end is not None]
    return "ended" if any(end <= now_ms for end in ends) else "gone"


def _board_line(what: str, title: str, hubs: list[str]) -> str:
    where = hubs[0] if len(hubs) == 1 else f"{', '.join(hubs[:-1])} und {hubs[-1]}"
    take = "nimmt" if len(hubs) == 1 else "nehmen"
    return {
        "arrived": f"»{title}« hängt jetzt in {where}.",
        "alert": f"{where}: Sensorwarnung »{title}«, jetzt auch als Aushang.",
        "cleared": f"{where}: Sensorwarnung »{title}« aufgehoben, der Aushang ist abgenommen.",
        "retracted": f"»{title}« ist zurückgezogen und in {where} abgenommen.",
        "ended": f"»{title}« ist abgelaufen: {where} {take} den Aushang von selbst ab.",
        "gone": f"»{title}« hängt nicht mehr in {where}.",
    }[what]


def _booking_line(store: Store, status: booking.BookingStatus) -> str:
    slot = booking.get_slot(store.conn, status.slot_id)
    where = f"{slot.practice_name}, {local(slot.start)}" if slot else "ein Termin"
    asked = f" (angefragt in {_name(store, status.requester)})" if status.requester else ""
    return f"{BOOKING_WORDS[status.state]}: {where}{asked}"


def _name(store: Store, key: str | None) -> str:
    info = key_info(store.conn, key) if key else None
    return info.name if info else "ein Hub"
