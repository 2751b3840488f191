"""A pure reader of CAP 1.2 messages (OASIS Common Alerting Protocol, CAP-v1.2-os) and of the
Atom / RSS indexes that list them: bytes in, typed values out, nothing stored.

XML comes from other parties' servers, so it is parsed by defusedxml with every dangerous
feature refused: a document type declaration (and with it every entity: billion laughs),
external references, and anything over MAX_CAP_BYTES. What the specification requires
(alert: identifier, sender, sent, status, msgType, scope; info: category, event, urgency,
severity, certainty; area: areaDesc) must be there with an allowed value, and times must be
CAP times; anything else raises CapError with the reason, before anything is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from content.errors import ContentError

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# A DWD MUL alert with eight languages and its polygons is some 100 KB; a MoWaS one less.
MAX_CAP_BYTES = 2_000_000
MAX_INDEX_BYTES = 2_000_000
MAX_INDEX_ENTRIES = 500
MAX_POLYGON_POINTS = 5_000

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
# CAP 1.2 section 3.3.2: "YYYY-MM-DDThh:mm:ssXzh:hh"; "Z" is not allowed by the text but sent by
# some producers, and read as UTC.
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


class CapError(ContentError, ValueError):
    """A message that is no CAP 1.2 alert this reader accepts; the text says why."""


Point = tuple[float, float]  # latitude, longitude (WGS 84), as CAP writes them


@dataclass(frozen=True)
class CapArea:
    desc: str
    geocodes: tuple[tuple[str, str], ...]  # (valueName, value)
    polygons: tuple[tuple[Point, ...], ...]
    circles: tuple[tuple[Point, float], ...]  # centre, radius in km


@dataclass(frozen=True)
class CapInfo:
    language: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    sender_name: str
    effective: int | None
    onset: int | None
    expires: int | None
    response_types: tuple[str, ...]
    areas: tuple[CapArea, ...]


@dataclass(frozen=True)
class CapReference:
    sender: str
    identifier: str
    sent: str


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: int  # ms since the epoch
    status: str
    msg_type: str
    scope: str
    references: tuple[CapReference, ...]
    infos: tuple[CapInfo, ...]


def parse_xml(data: bytes, limit: int, what: str) -> Element:
    """The document's root, parsed with no document type, entity or external reference."""
    if len(data) > limit:
        raise CapError(f"{what} too large ({len(data)} bytes, limit {limit})")
    try:
        root: Element = fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise CapError(f"{what} refused: {type(exc).__name__} (no DTDs or entities)") from None
    except ParseError as exc:
        raise CapError(f"{what} is not well-formed XML: {exc}") from None
    return root


def read_cap(data: bytes) -> CapAlert:
    """The alert in a CAP 1.2 document; CapError naming the first problem."""
    root = parse_xml(data, MAX_CAP_BYTES, "CAP message")
    if root.tag != f"{{{CAP_NS}}}alert":
        raise CapError(f"not a CAP 1.2 alert (root element {root.tag!r})")
    alert = _Fields(root, "alert")
    references = tuple(_references(alert.optional("references")))
    infos = tuple(_info(element) for element in root.findall(f"{{{CAP_NS}}}info"))
    return CapAlert(
        identifier=_no_space(alert.required("identifier"), "identifier"),
        sender=_no_space(alert.required("sender"), "sender"),
        sent=cap_time(alert.required("sent"), "sent"),
        status=alert.choice("status", STATUSES),
        msg_type=alert.choice("msgType", MSG_TYPES),
        scope=alert.choice("scope", SCOPES),
        references=references,
        infos=infos,
    )


def cap_time(text: str, field: str) -> int:
    """A CAP dateTime as ms since the epoch; CapError for anything else (a date without a
    zone, a day that does not exist)."""
    if not _TIME.match(text):
        raise CapError(f"{field} {text[:40]!r} is not a CAP time (YYYY-MM-DDThh:mm:ss+hh:mm)")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CapError(f"{field} {text[:40]!r} is no date that exists") from None
    return int(moment.timestamp() * 1000)


def read_index(data: bytes) -> list[str]:
    """The CAP documents an Atom feed or an RSS channel lists: each entry's link (Atom: the
    `link` with rel alternate or none, or of type application/cap+xml; RSS: `link`, or an
    `enclosure`'s url), in the feed's order."""
    root = parse_xml(data, MAX_INDEX_BYTES, "feed index")
    atom = "{http://www.w3.org/2005/Atom}"
    links: list[str] = []
    if root.tag == f"{atom}feed":
        for entry in root.findall(f"{atom}entry"):
            hrefs = [
                link.get("href", "")
                for link in entry.findall(f"{atom}link")
                if link.get("rel", "alternate") in ("alternate", "enclosure", "related")
                or "cap" in link.get("type", "")
            ]
            links += [href for href in hrefs[:1] if href]
    elif root.tag == "rss":
        for item in root.iter("item"):
            enclosure = item.find("enclosure")
            link = enclosure.get("url", "") if enclosure is not None else item.findtext("link")
            if link:
                links.append(link.strip())
    else:
        raise CapError(f"not an Atom or RSS index (root element {root.tag!r})")
    if len(links) > MAX_INDEX_ENTRIES:
        raise CapError(f"feed index lists {len(links)} entries, limit {MAX_INDEX_ENTRIES}")
    return links


def is_cap(data: bytes) -> bool:
    """Whether a document looks like a CAP alert rather than an index (by its root element
    name, read from the first bytes only)."""
    head = data[:4096]
    return b"cap:1.2" in head and b"alert" in head


class _Fields:
    """An element's child texts, in the CAP namespace."""

    def __init__(self, element: Element, where: str) -> None:
        self.element = element
        self.where = where

    def optional(self, name: str) -> str:
        return (self.element.findtext(f"{{{CAP_NS}}}{name}") or "").strip()

    def required(self, name: str) -> str:
        text = self.optional(name)
        if not text:
            raise CapError(f"{self.where} lacks {name}")
        return text

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        text = self.required(name)
        if text not in allowed:
            raise CapError(f"{self.where} {name} {text[:40]!r} is none of {', '.join(allowed)}")
        return text

    def all(self, name: str) -> list[str]:
        found = self.element.findall(f"{{{CAP_NS}}}{name}")
        return [(child.text or "").strip() for child in found]

    def time(self, name: str) -> int | None:
        text = self.optional(name)
        return cap_time(text, f"{self.where} {name}") if text else None


def _info(element: Element) -> CapInfo:
    info = _Fields(element, "info")
    if not info.all("category"):
        raise CapError("info lacks category")
    return CapInfo(
        language=info.optional("language") or "en-US",  # CAP 1.2: the default
        event=info.required("event"),
        urgency=info.choice("urgency", URGENCIES),
        severity=info.choice("severity", SEVERITIES),
        certainty=info.choice("certainty", CERTAINTIES),
        headline=info.optional("headline"),
        description=info.optional("description"),
        instruction=info.optional("instruction"),
        sender_name=info.optional("senderName"),
        effective=info.time("effective"),
        onset=info.time("onset"),
        expires=info.time("expires"),
        response_types=tuple(info.all("responseType")),
        areas=tuple(_area(child) for child in element.findall(f"{{{CAP_NS}}}area")),
    )


def _area(element: Element) -> CapArea:
    area = _Fields(element, "area")
    geocodes = []
    for code in element.findall(f"{{{CAP_NS}}}geocode"):
        pair = _Fields(code, "geocode")
        geocodes.append((pair.required("valueName"), pair.required("value")))
    return CapArea(
        desc=area.required("areaDesc"),
        geocodes=tuple(geocodes),
        polygons=tuple(_polygon(text) for text in area.all("polygon")),
        circles=tuple(_circle(text) for text in area.all("circle")),
    )


def _polygon(text: str) -> tuple[Point, ...]:
    """CAP 3.3.3.5: space-separated lat,lon pairs, at least four, the first equal to the last.
    An unclosed ring is closed (some producers drop the last pair); fewer than three corners
    are refused."""
    points = [_point(pair) for pair in text.split()]
    if len(points) > MAX_POLYGON_POINTS:
        raise CapError(f"polygon has {len(points)} points, limit {MAX_POLYGON_POINTS}")
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise CapError("polygon needs at least three corners")
    return tuple(points)


def _circle(text: str) -> tuple[Point, float]:
    """CAP 3.3.3.6: "lat,lon radius" with the radius in kilometres."""
    parts = text.split()
    if len(parts) != 2:
        raise CapError(f"circle {text[:60]!r} is not 'lat,lon radius'")
    try:
        radius = float(parts[1])
    except ValueError:
        raise CapError(f"circle radius {parts[1][:20]!r} is no number") from None
    if not 0 <= radius <= 20_000:
        raise CapError(f"circle radius {radius} km is out of range")
    return _point(parts[0]), radius


def _point(pair: str) -> Point:
    try:
        lat_text, lon_text = pair.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise CapError(f"coordinate {pair[:40]!r} is not 'lat,lon'") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CapError(f"coordinate {pair[:40]!r} is out of range")
    return lat, lon


def _references(text: str) -> list[CapReference]:
    """CAP 3.2.1 references: space-separated "sender,identifier,sent" triples. A malformed
    triple is an error: it would otherwise leave the warning it updates on the boards."""
    found = []
    for triple in text.split():
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts[:2]):
            raise CapError(f"reference {triple[:80]!r} is not 'sender,identifier,sent'")
        found.append(CapReference(parts[0], parts[1], parts[2]))
    return found


def _no_space(text: str, field: str) -> str:
    # CAP 3.2.1: identifier and sender contain no spaces, commas or restricted characters.
    if re.search(r"[\s,<&]", text) or len(text) > 300:
        raise CapError(f"{field} {text[:40]!r} has spaces, commas or is too long")
    return text
