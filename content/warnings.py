"""Official warnings: what a CAP alert (content/cap.py) becomes on the boards. Pure decisions
(priority, languages, which hubs an area reaches) and `apply_alert`, which appends the notice
ops with the `warnings` key.

Priority (docs/warnings.md):

| CAP severity | urgency Immediate | any other urgency |
|---|---|---|
| Extreme, Severe | emergency (the kiosk's takeover, spoken) | important (the home banner) |
| Moderate, Minor, Unknown | normal | normal |

Every warning is a notice in category `warnung`. `msgType` Alert publishes, Update re-publishes
the notice of the alert it references (the same notice id), Cancel, or an Update whose
responseType is AllClear, retracts it. Each notice keeps the CAP identifiers it was published
under (content/warning_bodies.py), so a message seen again, also after a restart, changes
nothing. Areas reach hubs through the network's area rules (a geocode mapped to groups or hubs)
and through the positions hubs report (a polygon or circle around them); an alert that reaches
no hub is never published, to all or anyone.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from content.bodies import MAX_TEXT_CHARS, MAX_TITLE_CHARS, NoticeBody, RetractBody, encode_body
from content.cap import CapAlert, CapArea, CapError, CapInfo, Point
from content.identity import Identity
from content.log import Log, append_in
from content.warning_bodies import (
    MAX_IDENTIFIERS,
    WARNING_CATEGORY,
    WARNING_PREFIX,
    Official,
)

WARNINGS_ROLE = "warnings"
GEOCODE_KINDS = ("ARS", "AGS", "WARNCELLID")
# Statuses a network configured for drills shows (marked as a drill); System and Draft never.
DRILL_STATUSES = ("Exercise", "Test")
# The levels of the official keys: Land, Regierungsbezirk, Kreis, Gemeindeverband, Gemeinde
# (ARS, 12 digits) and Land, Regierungsbezirk, Kreis, Gemeinde (AGS, 8 digits).
ARS_LEVELS = (2, 3, 5, 9, 12)
AGS_LEVELS = (2, 3, 5, 8)
# DWD warn cells (9 digits): a type digit and an AGS. 8 a Gemeinde, 7 a city quarter (its
# Gemeinde's AGS), 1 a Landkreis and 9 a part of one (both: the Kreis, the AGS's first five
# digits); 2 lakes, 4 sea, 5 coast match only the very cell.
COMMUNE_CELLS = ("7", "8")
COUNTY_CELLS = ("1", "9")
EARTH_RADIUS_KM = 6371.0

Action = Literal[
    "published", "updated", "retracted", "duplicate", "ignored", "unmatched", "expired"
]


@dataclass(frozen=True)
class AreaRule:
    """A geocode the network maps to hub groups and hubs (`dorfhub warnings area add`)."""

    geocode: str  # "ARS:092720000000", "AGS:09272129", "WARNCELLID:809272129"
    groups: tuple[str, ...] = ()
    hubs: tuple[str, ...] = ()  # hub keys


@dataclass(frozen=True)
class HubPlace:
    key: str
    name: str
    groups: tuple[str, ...]
    position: Point | None


@dataclass(frozen=True)
class WarningsConfig:
    areas: tuple[AreaRule, ...] = ()
    drills: bool = False


@dataclass(frozen=True)
class Outcome:
    action: Action
    identifier: str
    notice_id: str = ""
    reason: str = ""
    priority: str = ""

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class _Known:
    notice_id: str
    retracted: bool
    official: Official


def priority_of(severity: str, urgency: str) -> str:
    """The table above."""
    if severity in ("Extreme", "Severe"):
        return "emergency" if urgency == "Immediate" else "important"
    return "normal"


def parse_geocode(text: str) -> tuple[str, str]:
    """`KIND:DIGITS` as typed by an admin; CapError naming what is wrong."""
    kind, _, value = text.strip().partition(":")
    kind = kind.upper()
    lengths = {"ARS": 12, "AGS": 8, "WARNCELLID": 9}
    if kind not in lengths:
        raise CapError(f"geocode {text!r}: say ARS:, AGS: or WARNCELLID: before the digits")
    if not value.isdigit() or len(value) != lengths[kind]:
        raise CapError(f"geocode {text!r}: {kind} has {lengths[kind]} digits")
    return kind, value


def _significant(value: str, levels: Sequence[int]) -> str:
    """The key without its trailing all-zero levels: 092720000000 → 09272 (a Kreis)."""
    end = len(value)
    for start in reversed((0, *levels[:-1])):
        if end > start and set(value[start:end]) <= {"0"} and end in levels:
            end = start
        else:
            break
    return value[:end]


def _ags_prefix(kind: str, value: str) -> str | None:
    """The region a code names as a significant AGS prefix (None: not a region of keys)."""
    if kind == "AGS" and len(value) == 8:
        return _significant(value, AGS_LEVELS)
    if kind == "ARS" and len(value) == 12:
        significant = _significant(value, ARS_LEVELS)
        if len(significant) <= 5:
            return significant
        # A Gemeindeverband (9 digits) has no AGS: its Kreis is the nearest region that has.
        return significant[:5] if len(significant) == 9 else value[:5] + value[9:12]
    if kind == "WARNCELLID" and len(value) == 9:
        if value[0] in COMMUNE_CELLS:
            return _significant(value[1:], AGS_LEVELS)
        if value[0] in COUNTY_CELLS:
            return value[1:6]
    return None


def geocode_matches(alert: tuple[str, str], rule: tuple[str, str]) -> bool:
    """Whether an alert's geocode reaches a configured one: the same code, or regions of which
    one contains the other (a Kreis warning reaches a Gemeinde in it, and a Gemeinde warning
    the Kreis configured for a group: better one board too many than one too few)."""
    kind, value = alert[0].upper(), alert[1].strip()
    if (kind, value) == rule:
        return True
    if kind == "ARS" == rule[0] and len(value) == 12:
        a, b = _significant(value, ARS_LEVELS), _significant(rule[1], ARS_LEVELS)
        return a.startswith(b) or b.startswith(a)
    a_prefix, b_prefix = _ags_prefix(kind, value), _ags_prefix(*rule)
    if a_prefix is None or b_prefix is None:
        return False
    return a_prefix.startswith(b_prefix) or b_prefix.startswith(a_prefix)


def inside_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Ray casting in the lat/lon plane (a village's warning area is small enough)."""
    lat, lon = point
    inside = False
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(polygon):
        if (lon1 > lon) != (lon2 > lon):
            crossing = lat1 + (lon - lon1) * (lat2 - lat1) / (lon2 - lon1)
            if lat < crossing:
                inside = not inside
    return inside


def distance_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def targets_of(
    areas: Iterable[CapArea], rules: Sequence[AreaRule], places: Sequence[HubPlace]
) -> tuple[list[str], list[str]]:
    """The hub keys and groups an alert's areas reach."""
    hubs: set[str] = set()
    groups: set[str] = set()
    parsed = [(parse_geocode(rule.geocode), rule) for rule in rules]
    for area in areas:
        for code in area.geocodes:
            for key, rule in parsed:
                if geocode_matches(code, key):
                    hubs.update(rule.hubs)
                    groups.update(rule.groups)
        for place in places:
            if place.position is None:
                continue
            if any(inside_polygon(place.position, ring) for ring in area.polygons) or any(
                distance_km(place.position, centre) <= radius for centre, radius in area.circles
            ):
                hubs.add(place.key)
    return sorted(hubs), sorted(groups)


def source_of(alert: CapAlert, info: CapInfo) -> str:
    """The short source name the kiosk shows after "Quelle:"."""
    sender = alert.sender.lower()
    if "dwd" in sender:
        return "DWD"
    if "hochwasserzentralen" in sender:
        return "Hochwasserzentrale"
    if alert.identifier.startswith(("mow.", "DE-")) or "bbk" in sender or "mowas" in sender:
        return "MoWaS"
    return (info.sender_name or alert.sender)[:80]


def by_language(alert: CapAlert) -> dict[str, CapInfo]:
    """The first info block per language Dorfhub has (de, en); German is the one required,
    and a message without one is shown from its first block."""
    chosen: dict[str, CapInfo] = {}
    for info in alert.infos:
        language = info.language.lower()
        for ours in ("de", "en"):
            if (language == ours or language.startswith(ours + "-")) and ours not in chosen:
                chosen[ours] = info
    if "de" not in chosen and alert.infos:
        chosen["de"] = alert.infos[0]
    return chosen


def notice_id_for(alert: CapAlert) -> str:
    digest = hashlib.sha256(f"{alert.sender},{alert.identifier}".encode()).hexdigest()
    return WARNING_PREFIX + digest[:24]


def known_warnings(conn: sqlite3.Connection) -> dict[str, _Known]:
    """Every warning notice this node holds, by each CAP identifier it was published under."""
    rows = conn.execute(
        "SELECT n.id, o.body, n.retract_op IS NOT NULL FROM notices n JOIN ops o ON o.id = n.op_id "
        "WHERE n.id >= ? AND n.id < ? AND o.kind = 'notice.put' AND o.body IS NOT NULL",
        (WARNING_PREFIX, WARNING_PREFIX[:-1] + chr(ord(WARNING_PREFIX[-1]) + 1)),
    )
    known: dict[str, _Known] = {}
    for notice_id, body, retracted in rows:
        notice = msgspec.json.decode(body, type=NoticeBody)
        if notice.official is not None:
            entry = _Known(notice_id, bool(retracted), notice.official)
            known.update((identifier, entry) for identifier in notice.official.identifiers)
    return known


def warning_body(
    alert: CapAlert,
    hubs: list[str],
    groups: list[str],
    drill: bool,
    identifiers: list[str],
) -> NoticeBody:
    infos = by_language(alert)
    first = infos["de"]
    titles: dict[str, str] = {}
    texts: dict[str, str] = {}
    for language, info in infos.items():
        titles[language] = _clip(info.headline or info.event, MAX_TITLE_CHARS)
        parts = [part for part in (info.description, info.instruction) if part]
        texts[language] = _clip("\n\n".join(parts), MAX_TEXT_CHARS)
    return msgspec.convert(
        {
            "title": titles,
            "body": texts,
            "category": WARNING_CATEGORY,
            "priority": priority_of(first.severity, first.urgency),
            "valid_from": first.effective if first.effective is not None else alert.sent,
            "valid_until": first.expires,
            "targets": {"hubs": hubs, "groups": groups},
            "official": {
                "source": source_of(alert, first),
                "sent": alert.sent,
                "onset": first.onset,
                "identifiers": identifiers[-MAX_IDENTIFIERS:],
                "drill": drill,
            },
        },
        NoticeBody,
    )


def _clip(text: str, limit: int) -> str:
    text = text.strip() or "–"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Plan:
    """What `plan_alert` decided: the ops to append (kind, entity, body), and the outcome."""

    outcome: Outcome
    ops: list[tuple[str, str, bytes]] = field(default_factory=list)


def plan_alert(
    alert: CapAlert,
    config: WarningsConfig,
    places: Sequence[HubPlace],
    known: dict[str, _Known],
    now_ms: int,
) -> _Plan:
    """The pure decision for one alert against what the log holds (`known`)."""
    ident = alert.identifier

    def done(action: Action, reason: str = "", notice_id: str = "") -> _Plan:
        return _Plan(Outcome(action, ident, notice_id, reason))

    if ident in known:
        return done("duplicate", "seen before", known[ident].notice_id)
    if alert.msg_type in ("Ack", "Error"):
        return done("ignored", f"msgType {alert.msg_type}")
    drill = alert.status != "Actual"
    if drill and not (config.drills and alert.status in DRILL_STATUSES):
        return done("ignored", f"status {alert.status}: this network shows no drills")
    referenced = [known[ref.identifier] for ref in alert.references if ref.identifier in known]
    live = [entry for entry in referenced if not entry.retracted]
    infos = by_language(alert)
    all_clear = any("AllClear" in info.response_types for info in infos.values())
    if alert.msg_type == "Cancel" or all_clear:
        if not referenced:
            return done("ignored", "cancels a warning never published here")
        return _retract(ident, live, "Entwarnung")
    if not infos:
        return done("ignored", "no info block")
    first = infos["de"]
    if first.expires is not None and first.expires <= now_ms:
        if live:
            return _retract(ident, live, "abgelaufen")
        return done("expired", "expired before it arrived")
    hubs, groups = targets_of(first.areas, config.areas, places)
    if not hubs and not groups:
        if live:
            return _retract(ident, live, "Gebiet nicht mehr betroffen")
        areas = "; ".join(area.desc for area in first.areas)[:200]
        return done("unmatched", f"no hub covers {areas or 'its area'}")
    previous = live[0] if live else None
    notice_id = previous.notice_id if previous else notice_id_for(alert)
    identifiers = [*(previous.official.identifiers if previous else []), ident]
    body = warning_body(alert, hubs, groups, drill, identifiers)
    action: Action = "updated" if previous else "published"
    plan = _Plan(Outcome(action, ident, notice_id, priority=body.priority))
    plan.ops.append(("notice.put", notice_id, encode_body(body)))
    return plan


def _retract(ident: str, live: list[_Known], reason: str) -> _Plan:
    if not live:
        return _Plan(Outcome("duplicate", ident, reason="already taken down"))
    plan = _Plan(Outcome("retracted", ident, live[0].notice_id, reason))
    body = encode_body(RetractBody(reason=reason))
    plan.ops += [("notice.retract", entry.notice_id, body) for entry in live]
    return plan


def apply_alert(
    log: Log,
    author: Identity,
    alert: CapAlert,
    config: WarningsConfig,
    places: Sequence[HubPlace],
    now_ms: int,
) -> Outcome:
    """Decide and append in one transaction: two imports of one message never both publish."""
    with log.store.write() as conn:
        plan = plan_alert(alert, config, places, known_warnings(conn), now_ms)
        for kind, entity, body in plan.ops:
            append_in(conn, log.network_id, author, kind, entity, body)
    return plan.outcome


def hub_places(conn: sqlite3.Connection) -> list[HubPlace]:
    """The network's hubs, with the position each last reported in its hub.status (`position`:
    [lat, lon], set on the hub by `dorfhub warnings position`)."""
    from content.notice_targets import network_of

    statuses = dict(
        conn.execute("SELECT node, body FROM node_status WHERE kind = 'hub.status'").fetchall()
    )
    places = []
    for hub in network_of(conn).hubs:
        places.append(HubPlace(hub.key, hub.name, hub.groups, _position(statuses.get(hub.key))))
    return places


def _position(status: str | None) -> Point | None:
    try:
        lat, lon = json.loads(status or "{}").get("position") or (None, None)
    except (ValueError, TypeError, AttributeError):
        return None
    if not (isinstance(lat, int | float) and isinstance(lon, int | float)):
        return None
    return (float(lat), float(lon)) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def official_of(conn: sqlite3.Connection, notice_id: str) -> Official | None:
    """The official source of a warning notice, when its signer holds the `warnings` role now
    (content/warning_bodies.py): what the kiosk marks as "Amtliche Warnung"."""
    if not notice_id.startswith(WARNING_PREFIX):
        return None
    row = conn.execute(
        "SELECT o.body, k.grants FROM notices n JOIN ops o ON o.id = n.op_id "
        "JOIN keys k ON k.key = o.author WHERE n.id = ? AND k.revoke_op IS NULL",
        (notice_id,),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    if not any(grant.get("role") == WARNINGS_ROLE for grant in json.loads(row[1])):
        return None
    notice: NoticeBody = msgspec.json.decode(row[0], type=NoticeBody)
    return notice.official


def config_from_table(table: dict[str, Any]) -> WarningsConfig:
    """The `[warnings]` table of the town server's config.toml."""
    areas = tuple(
        AreaRule(str(a["geocode"]), tuple(a.get("groups", [])), tuple(a.get("hubs", [])))
        for a in table.get("areas", [])
    )
    return WarningsConfig(areas=areas, drills=bool(table.get("drills", False)))
