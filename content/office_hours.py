"""What a digital guide (role `guide`) may publish: their own office hours, and nothing else.

A guide's grant may name groups of hubs (`key grant --role guide --group …`, `desk user add
--role guide --group …`): the guide's hubs are the hubs whose grants name one of those groups.
Within that, a guide may append a `notice.put` that is an office hour:

- its id names the guide (`n-<guide key>-…`), so no guide can overwrite or retract anybody
  else's notice (a retraction is a tombstone for good: content/views.py);
- category `digitales`, priority normal, no attachments;
- an event, at most a day long, and a display window that closes at the latest 25 hours after
  the event starts (the event's end, or the end of its day: what "until the event is over"
  gives, on the longest day of the year's clock changes too);
- targeted at groups only, each one named by a guide grant valid at the op's time. Hub keys are
  refused: which groups a hub is in comes from the hub's grant, another key's op, and a verdict
  must not depend on which of two keys' ops a node received first.

Every node applies this when it applies the op (content/authority.py), so a guide key used
outside the desk can publish nothing else. The check reads the op's body and the guide's own
grants (the groups each grant op names); grants only accumulate, so an op once allowed stays
allowed until a revoke, which the log engine handles as for every other op.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import msgspec

from content.bodies import NoticeBody
from content.roles import guide_notice_prefix

OFFICE_HOURS_CATEGORY = "digitales"
HOUR_MS = 3600 * 1000
# An office hour lasts at most a day; its notice leaves the boards within 25 hours of its start
# (the end of the local day it starts on is at most 25 hours away, when the clocks go back).
MAX_EVENT_MS = 24 * HOUR_MS
MAX_SHOWN_AFTER_START_MS = 25 * HOUR_MS


def office_hours_problem(notice: NoticeBody, groups: Iterable[str]) -> str | None:
    """Why this notice is no office hour a guide with these groups may publish; None if it is."""
    if notice.category != OFFICE_HOURS_CATEGORY:
        return f"a guide publishes only notices of category {OFFICE_HOURS_CATEGORY}"
    if notice.priority != "normal":
        return "a guide's office hours have normal priority"
    if notice.attachments:
        return "a guide's office hours carry no attachments"
    event = notice.event
    if event is None:
        return "a guide publishes only events (office hours)"
    if event.end is not None and event.end - event.start > MAX_EVENT_MS:
        return "a guide's office hour lasts at most a day"
    if notice.valid_until is None or notice.valid_until > event.start + MAX_SHOWN_AFTER_START_MS:
        return "a guide's office hours leave the boards when the event is over"
    if notice.targets.hubs:
        return "a guide's office hours are targeted at the guide's groups, not at hub keys"
    if not notice.targets.groups:
        return "a guide's office hours name at least one of the guide's groups"
    outside = sorted(set(notice.targets.groups) - set(groups))
    if outside:
        return f"the guide's grant does not name the group {', '.join(outside)}"
    return None


def office_hour(
    title: dict[str, str],
    text: dict[str, str],
    *,
    start: int,
    end: int | None,
    place: str,
    groups: Iterable[str],
    shown_from: int,
    leaves: int,
) -> NoticeBody:
    """The notice of one office hour (msgspec.ValidationError on a bad field): `leaves` is when
    it leaves the boards (content.local_time.event_leaves), `shown_from` when it appears."""
    return msgspec.convert(
        {
            "title": title,
            "body": text,
            "category": OFFICE_HOURS_CATEGORY,
            "valid_from": shown_from,
            "valid_until": leaves,
            "event": {"start": start, "end": end, "place": place},
            "targets": {"groups": sorted(set(groups))},
        },
        NoticeBody,
    )


def new_office_hour_id(guide: str) -> str:
    return guide_notice_prefix(guide) + uuid.uuid4().hex[:20]
