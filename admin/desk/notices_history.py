"""A notice's history, read from the op log: every notice.put and notice.retract for its id,
who signed it (the key's name) and when (the op's time, Europe/Berlin), and what each version
changed against the one before, in words.

Versions are taken in the order the noticeboard resolves them (last writer wins on Lamport
clock, then author), so "the one before" is the version each change replaced everywhere. A
put that comes after a retraction changes nothing (a retraction is final) and says so. A
superseded body a node has pruned (content/log.py prune_superseded) is named as such.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from admin.desk.i18n import Words
from admin.desk.notices_words import (
    LANGUAGE_KEYS,
    from_words,
    moment_words,
    targets_words,
    until_words,
)
from content.bodies import LANGUAGES, Language, NoticeBody, RetractBody, decode_body
from content.ops import OpError

_HISTORY = (
    "SELECT id, author, time, kind, body FROM ops"
    " WHERE entity = ? AND kind IN ('notice.put', 'notice.retract')"
    " ORDER BY lamport, author"
)


@dataclass(frozen=True)
class Entry:
    kind: str  # "published", "changed", "retracted", "ignored"
    author: str
    time_ms: int
    changes: list[str] = field(default_factory=list)


def history(
    conn: sqlite3.Connection, notice_id: str, t: Words, names: Mapping[str, str]
) -> list[Entry]:
    """The notice's versions and retraction, newest first."""
    entries: list[Entry] = []
    previous: NoticeBody | None = None
    seen_put = retracted = False
    for _op_id, author, time_ms, kind, body in conn.execute(_HISTORY, (notice_id,)):
        who = names.get(author) or author[:12]
        if kind == "notice.retract":
            entries.append(Entry("retracted", who, time_ms, _reason(t, body)))
            retracted = True
            continue
        current = _body(body)
        if retracted:
            entries.append(Entry("ignored", who, time_ms))
        elif current is None:
            entries.append(
                Entry(
                    "changed" if seen_put else "published",
                    who,
                    time_ms,
                    [t("notices.change.pruned")],
                )
            )
        elif not seen_put:
            entries.append(Entry("published", who, time_ms, summary(t, current, names)))
        else:
            entries.append(Entry("changed", who, time_ms, differences(t, previous, current, names)))
        seen_put = True
        previous = current if current is not None else previous
    return entries[::-1]


def _body(data: bytes | None) -> NoticeBody | None:
    if data is None:
        return None
    try:
        body: NoticeBody = decode_body("notice.put", bytes(data))
    except OpError:
        return None
    return body


def _reason(t: Words, data: bytes | None) -> list[str]:
    if data is None:
        return []
    try:
        retract: RetractBody = decode_body("notice.retract", bytes(data))
    except OpError:
        return []
    return [t("notices.change.reason", reason=retract.reason)] if retract.reason else []


def summary(t: Words, body: NoticeBody, names: Mapping[str, str]) -> list[str]:
    """What the first version said: its title, its window and whom it was for."""
    return [
        t("notices.change.title_set", lang_name=t(LANGUAGE_KEYS["de"]), title=body.title["de"]),
        t(
            "notices.change.window",
            start=from_words(t, body.valid_from),
            end=until_words(t, body.valid_until),
        ),
        t("notices.change.targets_set", targets=_targets(t, body, names)),
    ]


def differences(
    t: Words, before: NoticeBody | None, after: NoticeBody, names: Mapping[str, str]
) -> list[str]:
    """Each field that differs from the version before, in words."""
    if before is None:
        return [t("notices.change.pruned")]
    found = _text_changes(t, before, after)
    found += _choice_changes(t, before, after)
    found += _time_changes(t, before, after)
    if _targets(t, before, names) != _targets(t, after, names):
        found.append(
            t(
                "notices.change.targets",
                old=_targets(t, before, names),
                new=_targets(t, after, names),
            )
        )
    found += _attachment_changes(t, before, after)
    return found or [t("notices.change.nothing")]


def _text_changes(t: Words, before: NoticeBody, after: NoticeBody) -> list[str]:
    found = []
    titles = (_by_language(before.title), _by_language(after.title))
    bodies = (_by_language(before.body), _by_language(after.body))
    for language in LANGUAGES:
        name = t(LANGUAGE_KEYS[language])
        old, new = titles[0].get(language), titles[1].get(language)
        if old is None and new is not None:
            found.append(t("notices.change.title_added", lang_name=name, title=new))
        elif old is not None and new is None:
            found.append(t("notices.change.language_removed", lang_name=name))
        elif old != new:
            found.append(t("notices.change.title", lang_name=name, old=old, new=new))
        if old is not None and new is not None and bodies[0][language] != bodies[1][language]:
            found.append(t("notices.change.body", lang_name=name))
        elif old is None and new is not None:
            found.append(t("notices.change.body_added", lang_name=name))
    return found


def _by_language(texts: Mapping[Language, str]) -> dict[str, str]:
    return {str(language): text for language, text in texts.items()}


def _choice_changes(t: Words, before: NoticeBody, after: NoticeBody) -> list[str]:
    found = []
    if before.category != after.category:
        found.append(
            t(
                "notices.change.category",
                old=t(f"notices.category.{before.category}"),
                new=t(f"notices.category.{after.category}"),
            )
        )
    if before.priority != after.priority:
        found.append(
            t(
                "notices.change.priority",
                old=t(f"notices.priority.{before.priority}"),
                new=t(f"notices.priority.{after.priority}"),
            )
        )
    return found


def _time_changes(t: Words, before: NoticeBody, after: NoticeBody) -> list[str]:
    found = []
    if before.valid_from != after.valid_from:
        found.append(
            t(
                "notices.change.from",
                old=from_words(t, before.valid_from),
                new=from_words(t, after.valid_from),
            )
        )
    if before.valid_until != after.valid_until:
        found.append(
            t(
                "notices.change.until",
                old=until_words(t, before.valid_until),
                new=until_words(t, after.valid_until),
            )
        )
    if _event(t, before) != _event(t, after):
        found.append(t("notices.change.event", old=_event(t, before), new=_event(t, after)))
    return found


def _event(t: Words, body: NoticeBody) -> str:
    event = body.event
    if event is None:
        return t("notices.change.no_event")
    parts = [moment_words(t, event.start)]
    if event.end is not None:
        parts.append(t("notices.event_until", moment=moment_words(t, event.end)))
    if event.place:
        parts.append(event.place)
    return ", ".join(parts)


def _targets(t: Words, body: NoticeBody, names: Mapping[str, str]) -> str:
    return targets_words(t, body.targets.hubs, body.targets.groups, names)


def _attachment_changes(t: Words, before: NoticeBody, after: NoticeBody) -> list[str]:
    old = {a.blob: a.name for a in before.attachments}
    new = {a.blob: a.name for a in after.attachments}
    found = [t("notices.change.attachment_added", name=new[b]) for b in new if b not in old]
    found += [t("notices.change.attachment_removed", name=old[b]) for b in old if b not in new]
    return found
