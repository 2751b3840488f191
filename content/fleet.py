"""The desk's fleet: how each hub of the network is, as the town server knows it.

One row per hub (a key that holds the `hub` role and is not revoked), from what the server holds:

- **last seen**: the server's own clock at the hub's last pull or push (`peers`, `inbound:<key>`,
  written by sync/server.py). A hub daemon pulls whenever its log changes and at least with each
  `hub.status` op, every STATUS_EVERY_MS (10 minutes). **Offline**: not seen for more than two
  of those intervals (OFFLINE_AFTER_MS, 20 minutes); "nie gesehen": never pulled or pushed here.
- **ops behind / ahead**: the ops of the server's log the hub lacked at its last contact, plus
  those written since; and the hub's ops the server lacks. Counted from the version vectors
  (seqs are dense per author), so the cost follows the number of authors, not of ops. Ops of a
  forked key that an admin has revoked are not counted (as `dorfhub status` does).
- **version, clock offset, free disk, forks the hub reports**: the hub's latest `hub.status`.
  The offset is the town server's clock minus the hub's from the hub's last hello with it; hubs
  of older versions report only how far their clock lags signed time (`clock_skew_s`).
- **sensors and open alerts**: the hub's `sensor.rollup` and `sensor.alert` ops. The sensors
  are those of the newest rollup of each quantity, each with the end of its newest window,
  called still when that is more than SENSOR_STALE_MS (two windows) ago. A sensor that stopped
  while another one goes on measuring all its quantities drops out of the row; the hub's page
  (`hub_detail`) lists every series of the last day.
- **forked**: the hub's own key is quarantined here (two ops for one seq: a copied key, a home
  restored from a backup), or the hub reports keys it quarantined. Shown in red.

Every word meant for people is German; raw values stand beside them for the desk to sort by.
A handful of queries serve the whole fleet, each an index seek per hub (measured in
tests/fleet/test_fleet_speed.py with 300 hubs). Nothing here writes.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from content import screenshots
from content.ops import MAX_HEADER_INT
from content.sensors import QUANTITIES, WINDOW_MS

MINUTE_MS = 60_000
STATUS_EVERY_MS = 10 * MINUTE_MS  # the hub daemon's hub.status interval (node/daemon.py)
OFFLINE_AFTER_MS = 2 * STATUS_EVERY_MS
SENSOR_STALE_MS = 2 * WINDOW_MS
CLOCK_OK_S = 60  # within a minute: "Uhr stimmt"
CLOCK_WRONG_S = 5 * 60  # a problem beyond this: notices start and end that much off
DISK_LOW_FRACTION = 0.1
DISK_LOW_BYTES = 1_000_000_000
DETAIL_SERIES_MS = 24 * 60 * MINUTE_MS

State = Literal["online", "offline", "never"]
STATE_WORDS = {"online": "online", "offline": "offline", "never": "nie gesehen"}
_vector = msgspec.json.Decoder(dict[str, int])


@dataclass(frozen=True)
class SensorSeen:
    sensor: str
    quantities: tuple[str, ...]
    last_ms: int  # the end of its newest rollup window
    still: bool  # no rollup for more than SENSOR_STALE_MS


@dataclass(frozen=True)
class OpenAlert:
    id: str
    sensor: str
    rule: str
    quantity: str
    level: str
    priority: str
    value: float
    unit: str
    raised_at_ms: int
    title: str  # the alert's German title, as the board shows it


@dataclass(frozen=True)
class ReportedFork:
    author: str
    name: str | None  # None: no grant for the key here
    revoked: bool  # an admin has acted on it


@dataclass(frozen=True)
class HubRow:
    key: str
    name: str
    groups: tuple[str, ...]
    state: State
    last_seen_ms: int | None  # the server's clock
    status_at_ms: int | None  # the hub's clock, on its latest hub.status op
    version: str | None
    ops_behind: int | None  # None: never pulled or pushed here
    ops_ahead: int | None
    clock_offset_s: int | None  # positive: the hub's clock is behind
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    sensors: tuple[SensorSeen, ...]
    alerts: tuple[OpenAlert, ...]
    forks: tuple[ReportedFork, ...]  # keys the hub reports it quarantined
    forked: bool  # the hub's own key is quarantined here
    # In words (German), for the desk and `dorfhub fleet`.
    state_text: str
    seen_text: str
    ops_text: str
    clock_text: str
    disk_text: str
    sensors_text: str
    alerts_text: str
    forks_text: str
    problems: tuple[str, ...]  # short words, empty when all is well

    @property
    def red(self) -> bool:
        """A fork: the network drifts apart until an admin revokes a key."""
        return self.forked or any(not fork.revoked for fork in self.forks)

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"red": self.red}


@dataclass(frozen=True)
class Series:
    sensor: str
    quantity: str
    unit: str
    mean: float
    window_end_ms: int


@dataclass(frozen=True)
class HubDetail:
    row: HubRow
    revoked: bool
    status: dict[str, Any]  # the latest hub.status body as the hub sent it ({} if none)
    series: tuple[Series, ...]  # each sensor's quantities, newest rollup of the last day
    screenshot: screenshots.Screenshot | None

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row.as_json(),
            "revoked": self.revoked,
            "status": self.status,
            "series": [asdict(series) for series in self.series],
            "screenshot": self.screenshot.as_json() if self.screenshot else None,
        }


def fleet(conn: sqlite3.Connection, now_ms: int) -> list[HubRow]:
    """Every hub of the network that is not revoked, by name."""
    return _Fleet(conn, now_ms).rows(include_revoked=False)


def hub_detail(
    conn: sqlite3.Connection, key: str, now_ms: int, screenshot_dir: Path | None = None
) -> HubDetail | None:
    """One hub (revoked ones too), with its latest status body, its sensors' newest values and,
    given the town server's screenshot directory, its latest kiosk screenshot (None if `key`
    is no hub's)."""
    facts = _Fleet(conn, now_ms, only=key)
    rows = facts.rows(include_revoked=True)
    if not rows:
        return None
    body = facts.status.get(key, (None, None))[1]
    shot = screenshots.latest(screenshot_dir, key) if screenshot_dir is not None else None
    return HubDetail(rows[0], key in facts.revoked, body or {}, _series(conn, key, now_ms), shot)


# ---- what the store says ----------------------------------------------------------------------


class _Fleet:
    """The facts behind the rows, read in a few queries for all hubs at once."""

    def __init__(self, conn: sqlite3.Connection, now_ms: int, only: str | None = None) -> None:
        self.conn = conn
        self.now_ms = now_ms
        self.names: dict[str, tuple[str, bool]] = {}
        self.hubs: list[tuple[str, str, tuple[str, ...]]] = []
        self.revoked: set[str] = set()
        self._read_keys(only)
        keys = json.dumps([key for key, _, _ in self.hubs])
        self.status = self._statuses(only)
        self.contacts = self._contacts(only)
        self.ours = dict(conn.execute("SELECT author, seq FROM versions").fetchall())
        self.quarantined = {row[0] for row in conn.execute("SELECT author FROM quarantine")}
        self.settled = {key for key in self.quarantined if self.names.get(key, ("", False))[1]}
        self.sensors = _sensors(conn, keys, now_ms)
        self.alerts = _alerts(conn, keys)

    def _read_keys(self, only: str | None) -> None:
        rows = self.conn.execute("SELECT key, name, groups, grants, revoke_op FROM keys")
        for key, name, groups, grants, revoke_op in rows:
            revoked = revoke_op is not None
            self.names[key] = (name, revoked)
            if only is not None and key != only:
                continue
            if any(grant.get("role") == "hub" for grant in json.loads(grants)):
                self.hubs.append((key, name, tuple(json.loads(groups))))
                if revoked:
                    self.revoked.add(key)
        self.hubs.sort(key=lambda hub: (hub[1].casefold(), hub[0]))

    def _statuses(self, only: str | None) -> dict[str, tuple[int, dict[str, Any] | None]]:
        rows = self.conn.execute(
            "SELECT node, time, body FROM node_status WHERE kind = 'hub.status'"
            " AND (?1 IS NULL OR node = ?1)",
            (only,),
        )
        return {node: (time, _object(body)) for node, time, body in rows}

    def _contacts(self, only: str | None) -> dict[str, tuple[int | None, str | None]]:
        # Each vector lists every author of the network: read only the one asked for.
        rows = self.conn.execute(
            "SELECT node, last_success, peer_vector FROM peers WHERE url LIKE 'inbound:%'"
            " AND (?1 IS NULL OR node = ?1)",
            (only,),
        )
        return {node: (success, vector) for node, success, vector in rows}

    def rows(self, include_revoked: bool) -> list[HubRow]:
        return [
            self._row(key, name, groups)
            for key, name, groups in self.hubs
            if include_revoked or key not in self.revoked
        ]

    def _row(self, key: str, name: str, groups: tuple[str, ...]) -> HubRow:
        status_at, body = self.status.get(key, (None, None))
        body = body or {}
        seen, vector = self.contacts.get(key, (None, None))
        behind, ahead = self._apart(vector) if vector else (None, None)
        offset = _offset(body)
        free, total = _int(body.get("disk_free_bytes")), _int(body.get("disk_total_bytes"))
        sensors = self.sensors.get(key, ())
        alerts = self.alerts.get(key, ())
        forks = tuple(ReportedFork(author, *self._name_of(author)) for author in _reported(body))
        state = _state(seen, self.now_ms)
        forked = key in self.quarantined
        red = forked or any(not fork.revoked for fork in forks)
        words = _Words(self.now_ms)
        return HubRow(
            key=key,
            name=name,
            groups=groups,
            state=state,
            last_seen_ms=seen,
            status_at_ms=status_at,
            version=_version(body.get("software")),
            ops_behind=behind,
            ops_ahead=ahead,
            clock_offset_s=offset,
            disk_free_bytes=free,
            disk_total_bytes=total,
            sensors=sensors,
            alerts=alerts,
            forks=forks,
            forked=forked,
            state_text=STATE_WORDS[state],
            seen_text=words.seen(state, seen),
            ops_text=ops_words(behind, ahead),
            clock_text=clock_words(offset),
            disk_text=disk_words(free, total),
            sensors_text=words.sensors(sensors),
            alerts_text=alerts_words(alerts),
            forks_text=forks_words(forked, forks),
            problems=_problems(state, behind, ahead, offset, (free, total), sensors, alerts, red),
        )

    def _name_of(self, key: str) -> tuple[str | None, bool]:
        name, revoked = self.names.get(key, (None, False))
        return name, revoked

    def _apart(self, vector: str) -> tuple[int, int] | tuple[None, None]:
        """The ops of ours the hub lacks, and the hub's ops we lack, by the hub's vector."""
        try:
            theirs = _vector.decode(vector)
        except msgspec.DecodeError:
            return None, None
        ours, settled = self.ours, self.settled
        if theirs == ours:  # most hubs hold what the server holds: compared in C
            return 0, 0
        behind = sum(
            seq - theirs.get(author, 0)
            for author, seq in ours.items()
            if seq > theirs.get(author, 0) and author not in settled
        )
        ahead = sum(
            seq - ours.get(author, 0)
            for author, seq in theirs.items()
            # a hub lists an author it quarantined at the ceiling: "send me nothing"
            if ours.get(author, 0) < seq < MAX_HEADER_INT and author not in settled
        )
        return behind, ahead


# Per hub and quantity: the newest window (a seek in sensor_rollups_series, which is (hub,
# quantity, window_end)), then its rows. CROSS JOIN keeps the rollups innermost, so SQLite
# cannot choose to read all of a hub's rollups instead. The sensor is not in the index: each row
# read costs a lookup, which is why only the newest window is read (a longer look back, say an
# hour, cost four times as much at 300 hubs).
SENSORS_QUERY = (
    "WITH hub(key) AS (SELECT value FROM json_each(?1)),"
    " quantity(name) AS (SELECT value FROM json_each(?2))"
    " SELECT r.hub, r.sensor, r.quantity, r.window_end"
    " FROM hub CROSS JOIN quantity CROSS JOIN sensor_rollups r"
    " WHERE r.hub = hub.key AND r.quantity = quantity.name AND r.window_end = ("
    "  SELECT max(n.window_end) FROM sensor_rollups n"
    "  WHERE n.hub = hub.key AND n.quantity = quantity.name)"
)
ALERTS_QUERY = (
    "SELECT a.hub, a.id, a.sensor, a.rule, a.quantity, a.level, a.priority, a.value,"
    " a.unit, a.raised_at, n.title FROM json_each(?) h"
    " JOIN sensor_alerts a ON a.hub = h.value AND a.state = 'active'"
    " LEFT JOIN notices n ON n.id = a.id ORDER BY a.raised_at DESC, a.id"
)


def _sensors(conn: sqlite3.Connection, keys: str, now_ms: int) -> dict[str, tuple[SensorSeen, ...]]:
    """Per hub, the sensors of its newest rollups of each quantity."""
    rows = conn.execute(SENSORS_QUERY, (keys, json.dumps(QUANTITIES)))
    found: dict[str, dict[str, list[Any]]] = {}
    for hub, sensor, quantity, last in rows:
        seen = found.setdefault(hub, {}).setdefault(sensor, [[], 0])
        seen[0].append(quantity)
        seen[1] = max(seen[1], last)
    return {
        hub: tuple(
            SensorSeen(sensor, tuple(sorted(q)), last, now_ms - last > SENSOR_STALE_MS)
            for sensor, (q, last) in sorted(sensors.items())
        )
        for hub, sensors in found.items()
    }


def _alerts(conn: sqlite3.Connection, keys: str) -> dict[str, tuple[OpenAlert, ...]]:
    rows = conn.execute(ALERTS_QUERY, (keys,))
    found: dict[str, list[OpenAlert]] = {}
    for hub, alert_id, sensor, rule, quantity, level, priority, value, unit, raised, title in rows:
        german = (_object(title) or {}).get("de")
        if not isinstance(german, str):
            german = f"{sensor}: {level}"  # the alert's notice is gone: say what it is
        alert = OpenAlert(
            alert_id, sensor, rule, quantity, level, priority, value, unit, raised, german
        )
        found.setdefault(hub, []).append(alert)
    return {hub: tuple(alerts) for hub, alerts in found.items()}


SERIES_QUERY = (
    "SELECT r.sensor, r.quantity, r.unit, r.mean, r.window_end"
    " FROM json_each(?2) quantity CROSS JOIN sensor_rollups r"
    " WHERE r.hub = ?1 AND r.quantity = quantity.value AND r.window_end > ?3"
    " ORDER BY r.window_end"
)


def _series(conn: sqlite3.Connection, key: str, now_ms: int) -> tuple[Series, ...]:
    """Each series of the last day, its newest value: a range per quantity in the index."""
    since = now_ms - DETAIL_SERIES_MS
    rows = conn.execute(SERIES_QUERY, (key, json.dumps(QUANTITIES), since))
    newest = {(row[0], row[1]): Series(*row) for row in rows}
    return tuple(newest[pair] for pair in sorted(newest))


def _object(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _version(software: object) -> str | None:
    if not isinstance(software, str) or not software:
        return None
    return software.removeprefix("dorfhub ")


def _offset(body: dict[str, Any]) -> int | None:
    """The server's clock minus the hub's; from hubs that do not report it, how far their
    clock lags signed time (a lower bound: a clock ahead shows as 0)."""
    offset = _int(body.get("clock_offset_s"))
    if offset is None:
        skew = _int(body.get("clock_skew_s"))
        offset = None if skew is None else max(0, skew)
    return offset


def _reported(body: dict[str, Any]) -> list[str]:
    """The keys a hub reports it quarantined (ingest checked them: content/bodies.py)."""
    reported = body.get("quarantined", [])
    return [key for key in reported if isinstance(key, str)] if isinstance(reported, list) else []


def _state(seen: int | None, now_ms: int) -> State:
    if seen is None:
        return "never"
    return "offline" if now_ms - seen > OFFLINE_AFTER_MS else "online"


def _problems(
    state: State,
    behind: int | None,
    ahead: int | None,
    offset: int | None,
    disk: tuple[int | None, int | None],
    sensors: tuple[SensorSeen, ...],
    alerts: tuple[OpenAlert, ...],
    red: bool,
) -> tuple[str, ...]:
    checks = (
        (red, "Fork"),
        (state != "online", STATE_WORDS[state]),
        (bool(behind or ahead), "Rückstand"),
        (offset is not None and abs(offset) > CLOCK_WRONG_S, "Uhr"),
        (_disk_low(*disk), "Speicher knapp"),
        (any(sensor.still for sensor in sensors), "Sensor still"),
        (bool(alerts), "Warnung"),
    )
    return tuple(word for failing, word in checks if failing)


def _disk_low(free: int | None, total: int | None) -> bool:
    if free is None or not total:
        return False
    return free < DISK_LOW_BYTES or free / total < DISK_LOW_FRACTION


# ---- words ------------------------------------------------------------------------------------


def span_words(ms: int, dative: bool) -> str:
    """A span of time, rounded down to its largest unit: "3 Min.", "2 Std.", "1 Tag", "3 Tagen"
    (dative, after "vor" and "seit") or "3 Tage" (accusative, "geht 3 Tage nach")."""
    minutes = max(1, ms // MINUTE_MS)
    if minutes < 60:
        return f"{minutes} Min."
    if minutes < 24 * 60:
        return f"{minutes // 60} Std."
    days = minutes // (24 * 60)
    if days < 365:
        return _counted(days, "Tag", "Tagen" if dative else "Tage")
    return _counted(days // 365, "Jahr", "Jahren" if dative else "Jahre")


def ago_words(now_ms: int, then_ms: int) -> str:
    """ "gerade eben" within a minute (a clock a little ahead too), else "vor 3 Min." """
    elapsed = now_ms - then_ms
    return "gerade eben" if elapsed < MINUTE_MS else f"vor {span_words(elapsed, True)}"


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def number_words(count: int) -> str:
    return f"{count:,}".replace(",", ".")


@dataclass(frozen=True)
class _Words:
    now_ms: int

    def ago(self, then_ms: int) -> str:
        return ago_words(self.now_ms, then_ms)

    def seen(self, state: State, seen: int | None) -> str:
        if seen is None:
            return "nie gesehen"
        if state == "offline":
            return f"seit {span_words(self.now_ms - seen, True)} nicht gesehen"
        return self.ago(seen)

    def sensors(self, sensors: tuple[SensorSeen, ...]) -> str:
        if not sensors:
            return "keine Sensoren"
        count = _counted(len(sensors), "Sensor", "Sensoren")
        text = f"{count}, zuletzt {self.ago(max(sensor.last_ms for sensor in sensors))}"
        still = sum(1 for sensor in sensors if sensor.still)
        return f"{text}, {still} still" if still else text


def ops_words(behind: int | None, ahead: int | None) -> str:
    if behind is None or ahead is None:
        return "unbekannt"
    parts = []
    if behind:
        parts.append(f"{number_words(behind)} {'Op' if behind == 1 else 'Ops'} zurück")
    if ahead:
        parts.append(f"{number_words(ahead)} nicht beim Server")
    return ", ".join(parts) or "aktuell"


def clock_words(offset_s: int | None) -> str:
    if offset_s is None:
        return "unbekannt"
    if abs(offset_s) < CLOCK_OK_S:
        return "Uhr stimmt"
    direction = "nach" if offset_s > 0 else "vor"
    return f"Uhr geht {span_words(abs(offset_s) * 1000, False)} {direction}"


def disk_words(free: int | None, total: int | None) -> str:
    if free is None or not total:
        return "unbekannt"
    gigabytes = f"{free / 1e9:.1f}".replace(".", ",")
    return f"{gigabytes} GB frei ({round(100 * free / total)} %)"


def alerts_words(alerts: tuple[OpenAlert, ...]) -> str:
    if not alerts:
        return "keine"
    titles = ", ".join(dict.fromkeys(alert.title for alert in alerts))
    return f"{_counted(len(alerts), 'Warnung', 'Warnungen')} offen: {titles}"


def forks_words(forked: bool, forks: tuple[ReportedFork, ...]) -> str:
    parts = ["Schlüssel des Hubs geforkt"] if forked else []
    for revoked, what in ((False, "meldet Fork"), (True, "widerrufen")):
        names = [fork.name or fork.author[:12] for fork in forks if fork.revoked == revoked]
        if names:
            parts.append(f"{what}: {', '.join(names)}")
    return "; ".join(parts) or "keine"
