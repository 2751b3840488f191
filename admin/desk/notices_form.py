"""The notice editor's form: what was typed, read from the request, checked field by field and
turned into a notice body (content.notices.notice_body). Pure: the network's hubs and groups,
the attachments and "now" are passed in, so every rule is testable without a server.

Time follows docs/desk.md and content/local_time.py (the command line reads it the same way):
every date and time is Europe/Berlin; a date alone means that whole day (a start at its
midnight, an end at the next one); German forms (31.12.2026, 18.00) are read as well as what a
date picker sends (2026-12-31, 18:00). "Until" is one of three explicit
choices: a date, until retracted, or until the event is over (its end, or the end of its day
when it has none).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import msgspec
from starlette.datastructures import FormData

from admin.desk.i18n import Words
from admin.desk.notices_words import (
    FIELD_OF_LANGUAGE,
    LANGUAGE_KEYS,
    moment_words,
    number_words,
    until_words,
)
from content.bodies import (
    CATEGORIES,
    LANGUAGES,
    MAX_ATTACHMENTS,
    MAX_PLACE_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    PRIORITIES,
    Attachment,
    Event,
    NoticeBody,
)
from content.local_time import (
    event_leaves,
    is_midnight,
    local,
    local_ms,
    parse_clock,
    parse_day,
    whole_day,
)
from content.notice_targets import Hub, Network
from content.notices import Notice, notice_body

UNTIL_MODES = ("date", "retracted", "event")
TARGET_MODES = ("all", "some")
MAX_FIELD_CHARS = 25_000  # anything longer is not typed by a person; refused unread


@dataclass(frozen=True)
class Problem:
    """A message for one field (or the form): its catalog key and the values it names."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass
class NoticeForm:
    """The editor's fields as typed (strings), so a refused form comes back as it was."""

    texts: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {language: ("", "") for language in LANGUAGES}
    )
    category: str = "allgemein"
    priority: str = "normal"
    from_date: str = ""
    from_time: str = ""
    until_mode: str = "date"
    until_date: str = ""
    until_time: str = ""
    event_start_date: str = ""
    event_start_time: str = ""
    event_end_date: str = ""
    event_end_time: str = ""
    place: str = ""
    target_mode: str = "all"
    hubs: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)  # blob hashes of attachments kept
    staged: list[str] = field(default_factory=list)  # tokens of uploads waiting (stash)
    based_on: str = ""  # the op the form was opened on (edits)
    confirm: str = ""  # the warnings the person confirmed (their digest)
    errors: dict[str, Problem] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def title(self, language: str) -> str:
        return self.texts[language][0]

    def text(self, language: str) -> str:
        return self.texts[language][1]

    def has_language(self, language: str) -> bool:
        return any(self.texts[language])

    def language_problem(self, language: str) -> bool:
        suffix = FIELD_OF_LANGUAGE[language]
        return f"title_{suffix}" in self.errors or f"body_{suffix}" in self.errors

    def warnings_digest(self) -> str:
        """Names the warnings shown, so a confirmation counts only for what was seen."""
        text = repr(
            [(w.key, sorted((k, str(v)) for k, v in w.values.items())) for w in self.warnings]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


# ---- reading ----------------------------------------------------------------------------------


def read_form(data: FormData) -> NoticeForm:
    def text(name: str) -> str:
        value = data.get(name)
        return value.strip() if isinstance(value, str) and len(value) <= MAX_FIELD_CHARS else ""

    def texts(name: str) -> list[str]:
        values = [v.strip() for v in data.getlist(name) if isinstance(v, str)]
        return [v for v in values if v and len(v) <= MAX_FIELD_CHARS]

    def body(name: str) -> str:
        # Bodies keep their inner line breaks; only the ends are trimmed.
        value = data.get(name)
        return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""

    form = NoticeForm(
        texts={
            language: (text(f"title_{suffix}"), body(f"body_{suffix}"))
            for language, suffix in FIELD_OF_LANGUAGE.items()
        },
    )
    for name in _PLAIN_FIELDS:
        setattr(form, name, text(name))
    form.hubs, form.groups = texts("hubs"), texts("groups")
    form.keep, form.staged = texts("keep"), texts("staged")
    return form


_PLAIN_FIELDS = (
    "category",
    "priority",
    "from_date",
    "from_time",
    "until_mode",
    "until_date",
    "until_time",
    "event_start_date",
    "event_start_time",
    "event_end_date",
    "event_end_time",
    "place",
    "target_mode",
    "based_on",
    "confirm",
)


def form_of(notice: Notice) -> NoticeForm:
    """The form for editing a notice as it stands."""
    form = NoticeForm(
        texts={
            language: (notice.title.get(language, ""), notice.body.get(language, ""))
            for language in LANGUAGES
        },
        category=notice.category,
        priority=notice.priority,
        place=notice.place or "",
        target_mode="some" if notice.target_hubs or notice.target_groups else "all",
        hubs=list(notice.target_hubs),
        groups=list(notice.target_groups),
        keep=[str(a["blob"]) for a in notice.attachments],
    )
    form.from_date, form.from_time = _typed(notice.valid_from, end=False)
    if notice.event_start is not None:
        form.event_start_date, form.event_start_time = _typed(notice.event_start, end=False)
    if notice.event_end is not None:
        form.event_end_date, form.event_end_time = _typed(notice.event_end, end=True)
    form.until_mode, form.until_date, form.until_time = _until_typed(notice)
    return form


def _until_typed(notice: Notice) -> tuple[str, str, str]:
    if notice.valid_until is None:
        return "retracted", "", ""
    if notice.event_start is not None and notice.valid_until == event_leaves(
        notice.event_start, notice.event_end
    ):
        return "event", "", ""
    return "date", *_typed(notice.valid_until, end=True)


def _typed(ms: int, *, end: bool) -> tuple[str, str]:
    """A moment as the date and time fields show it. Midnight is a date alone: for an end, the
    day before (until 31.12. means up to the midnight that starts 1.1.)."""
    if is_midnight(ms):
        day = local(ms - 1 if end else ms).date()
        return day.isoformat(), ""
    moment = local(ms)
    return moment.date().isoformat(), f"{moment:%H:%M}"


def new_form(now_ms: int) -> NoticeForm:
    """A new notice shows from today; how long is for the person to choose."""
    return NoticeForm(from_date=local(now_ms).date().isoformat())


# ---- checking ---------------------------------------------------------------------------------


@dataclass
class Checked:
    """What the checks made of the form, for building the body."""

    valid_from: int = 0
    valid_until: int | None = None
    event: Event | None = None
    hubs: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def check(
    form: NoticeForm, network: Network, attachments: Sequence[Attachment]
) -> NoticeBody | None:
    """The body the form describes, or None with `form.errors` saying why, field by field."""
    checked = Checked()
    _check_texts(form)
    _check_choices(form)
    _check_window(form, checked)
    _check_targets(form, network, checked)
    if len(attachments) > MAX_ATTACHMENTS:
        form.errors["files"] = Problem("notices.error.too_many_files", {"max": MAX_ATTACHMENTS})
    if form.errors:
        return None
    translations = {
        language: form.texts[language]
        for language in LANGUAGES
        if language != "de" and form.has_language(language)
    }
    try:
        return notice_body(
            form.title("de"),
            form.text("de"),
            category=form.category,
            priority=form.priority,
            valid_from=checked.valid_from,
            valid_until=checked.valid_until,
            translations=translations,
            event=checked.event,
            hubs=checked.hubs,
            groups=checked.groups,
            attachments=list(attachments),
        )
    except msgspec.ValidationError:
        # Every field was checked above; this only guards against the two drifting apart.
        form.errors["form"] = Problem("notices.error.invalid")
        return None


def _check_texts(form: NoticeForm) -> None:
    for language, suffix in FIELD_OF_LANGUAGE.items():
        title, text = form.texts[language]
        title_field, body_field = f"title_{suffix}", f"body_{suffix}"
        if language == "de" or text:
            _require(form, title_field, title, "notices.error.title_missing")
        if language == "de" or title:
            _require(form, body_field, text, "notices.error.body_missing")
        _limit(form, title_field, title, MAX_TITLE_CHARS)
        _limit(form, body_field, text, MAX_TEXT_CHARS)


def _require(form: NoticeForm, name: str, value: str, key: str) -> None:
    if not value:
        form.errors[name] = Problem(key)


def _limit(form: NoticeForm, name: str, value: str, most: int) -> None:
    if len(value) > most:
        form.errors[name] = Problem("notices.error.too_long", {"max": most, "count": len(value)})


def _check_choices(form: NoticeForm) -> None:
    if form.category not in CATEGORIES:
        form.errors["category"] = Problem("notices.error.category")
    if form.priority not in PRIORITIES:
        form.errors["priority"] = Problem("notices.error.priority")
    if form.until_mode not in UNTIL_MODES:
        form.errors["until"] = Problem("notices.error.until_mode")
    if form.target_mode not in TARGET_MODES:
        form.errors["targets"] = Problem("notices.error.target_mode")
    _limit(form, "place", form.place, MAX_PLACE_CHARS)


def _check_window(form: NoticeForm, checked: Checked) -> None:
    start = _moment(form, "from", form.from_date, form.from_time, end=False, required=True)
    event = _check_event(form)
    checked.event = event
    until: int | None = None
    if form.until_mode == "date":
        until = _moment(form, "until", form.until_date, form.until_time, end=True, required=True)
    elif form.until_mode == "event":
        if event is None:
            if "event_start" not in form.errors:
                form.errors["until"] = Problem("notices.error.until_event_missing")
        else:
            until = event_leaves(event.start, event.end)
    if start is not None and until is not None and until <= start:
        form.errors["until"] = Problem("notices.error.until_before_from")
    checked.valid_from, checked.valid_until = start or 0, until


def _check_event(form: NoticeForm) -> Event | None:
    start_day = parse_day(form.event_start_date) if form.event_start_date else None
    start = _moment(
        form, "event_start", form.event_start_date, form.event_start_time, end=False, required=False
    )
    if start is None or start_day is None:
        if "event_start" not in form.errors and (
            form.event_end_date or form.event_end_time or form.place
        ):
            form.errors["event_start"] = Problem("notices.error.event_start_missing")
        return None
    end = _event_end(form, start_day, whole_day_event=not form.event_start_time)
    if end is not None and end <= start:
        form.errors["event_end"] = Problem("notices.error.event_end_before_start")
        return None
    return Event(start=start, end=end, place=form.place)


def _event_end(form: NoticeForm, start_day: date, *, whole_day_event: bool) -> int | None:
    """An end time alone is on the start's day; an event given by its date alone lasts that
    whole day."""
    if not form.event_end_date and not form.event_end_time:
        return whole_day(start_day)[1] if whole_day_event else None
    day_text = form.event_end_date or start_day.isoformat()
    return _moment(form, "event_end", day_text, form.event_end_time, end=True, required=True)


def _moment(
    form: NoticeForm, name: str, day_text: str, clock_text: str, *, end: bool, required: bool
) -> int | None:
    """The moment a date and time field pair gives (Europe/Berlin), or None with an error."""
    if not day_text:
        if clock_text or required:
            form.errors[name] = Problem("notices.error.date_missing")
        return None
    day = parse_day(day_text)
    if day is None:
        form.errors[name] = Problem("notices.error.date", {"typed": day_text})
        return None
    if not clock_text:
        start, next_midnight = whole_day(day)
        return next_midnight if end else start
    clock = parse_clock(clock_text)
    if clock is None:
        form.errors[name] = Problem("notices.error.time", {"typed": clock_text})
        return None
    return local_ms(day, clock)


def _check_targets(form: NoticeForm, network: Network, checked: Checked) -> None:
    if form.target_mode != "some":
        return
    hubs, unknown_hubs = network.find_hubs(form.hubs)
    groups, unknown_groups = network.find_groups(form.groups)
    if unknown_hubs:
        known = ", ".join(hub.name for hub in network.choices) or "–"
        form.errors["targets"] = Problem(
            "notices.error.unknown_hub", {"names": ", ".join(unknown_hubs), "known": known}
        )
    elif unknown_groups:
        known = ", ".join(network.groups) or "–"
        form.errors["targets"] = Problem(
            "notices.error.unknown_group", {"names": ", ".join(unknown_groups), "known": known}
        )
    elif not hubs and not groups:
        form.errors["targets"] = Problem("notices.error.no_targets")
    checked.hubs, checked.groups = hubs, groups


# ---- warnings (DESK.md rule 7) ----------------------------------------------------------------


def warn(
    form: NoticeForm,
    body: NoticeBody,
    network: Network,
    now_ms: int,
    changed_by: tuple[str, int] | None = None,
) -> None:
    """What a person should see before it goes out, and confirm: nobody will see it, it is
    over already, a language is missing, it takes over screens, someone changed it meanwhile."""
    warnings = form.warnings
    if changed_by is not None:
        warnings.append(
            Problem("notices.warning.changed", {"name": changed_by[0], "at": changed_by[1]})
        )
    if not reached_hubs(body, network):
        warnings.append(Problem("notices.warning.nobody"))
    if body.valid_until is not None and body.valid_until <= now_ms:
        warnings.append(Problem("notices.warning.expired", {"until": body.valid_until}))
    missing = [language for language in LANGUAGES if language not in body.title]
    if missing:
        warnings.append(Problem("notices.warning.languages", {"languages": tuple(missing)}))
    if body.priority == "emergency":
        warnings.append(Problem("notices.warning.emergency"))


def reached_hubs(body: NoticeBody, network: Network) -> list[Hub]:
    """The hubs of the network that will show the notice."""
    targets = body.targets
    if not targets.hubs and not targets.groups:
        return list(network.hubs)
    groups = set(targets.groups)
    return [h for h in network.hubs if h.key in targets.hubs or groups & set(h.groups)]


def say(t: Words, problem: Problem) -> str:
    """A problem in the page's language, its moments and languages in words."""
    values: dict[str, object] = {}
    for name, value in problem.values.items():
        if name == "at" and isinstance(value, int):
            values[name] = moment_words(t, value)
        elif name == "until" and isinstance(value, int):
            values[name] = until_words(t, value)
        elif isinstance(value, int) and not isinstance(value, bool):
            values[name] = number_words(t, value)
        elif name == "languages" and isinstance(value, tuple):
            values[name] = ", ".join(t(LANGUAGE_KEYS[language]) for language in value)
        else:
            values[name] = value
    return t(problem.key, **values)
