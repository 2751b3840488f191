"""The live preview: a notice as the kiosk will show it, in each language, on its detail screen
and on its signage card, in the kiosk's colours, sizes, font and line breaks.

    POST /preview?lang=de    the notice editor's fields in, the preview out: for htmx the
                             fragment of one language (partials/preview_kiosk.html), for a plain
                             form (no JavaScript) a whole page with all three languages

`kiosk_preview` makes the preview of a notice (a content.notices.Notice, or `notice_from_body`
for a body as content.notices.notice_body builds it, or `notice_from_form` for the editor's
fields). The numbers come from content/kiosk_look.py, the words from the kiosk's catalogs
(content.kiosk_look.KIOSK_WORDS), the line breaks and pages from preview_layout.py. A preview
changes nothing and is never an error: what a field lacks or cannot be read is said beside the
preview, and the editor says the rest when the notice is saved.

How the editor includes it: README.md beside this file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from admin.desk.notices_words import FIELD_OF_LANGUAGE
from admin.desk.policy import DeskUser, allow
from admin.desk.preview_css import weight_class
from admin.desk.preview_layout import DetailGeometry, detail_geometry, signage
from admin.desk.preview_words import kiosk_time, kiosk_word, meta_line, when_line, where_line
from admin.desk.web import Desk, desk_of, is_htmx
from content.bodies import (
    CATEGORIES,
    LANGUAGES,
    MAX_PLACE_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    PRIORITIES,
    Language,
    NoticeBody,
)
from content.grants import key_info, list_keys
from content.kiosk_look import BAR_BUTTONS, DETAIL_PAGE_KEYS, QR_CAPTION_KEYS, Screen, sizes
from content.local_time import local_ms, parse_clock, parse_day, whole_day
from content.notice_qr import QUIET_ZONE, screen_payload, side_modules
from content.notices import Notice, get_notice
from content.signage import SignagePage

router = APIRouter()
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]
# A club's submission form is the admin's editor, its preview too (admin/desk/submissions.py).
EditorUser = Annotated[DeskUser, Depends(allow("admin", "editor"))]

PREVIEW_ID = "preview"
# The editor's fields the preview reads (README.md): title_de, body_de, title_en, body_en,
# title_ls and body_ls, then category, priority, event_start_date/_time, event_end_date/_time,
# place and hubs.
HTML_LANG = {"de": "de", "en": "en", "de-LS": "de"}
SCREEN = Screen()  # the reference panel: 1920 x 1080 at 21.5"


# ---- what the preview shows -------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """A remark beside the preview: a desk catalog key and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BarButton:
    label: str  # "" for the space between groups
    css: str  # the classes that give it its share of the bar and its colour


@dataclass(frozen=True)
class DetailView:
    title: str
    meta: str
    when: str
    where: str
    body: str
    qr_src: str  # a data: URL of the code, one pixel per module (the page scales it up); "": none
    qr_px: int  # its side on the kiosk: whole pixels per module, at least 2 mm each
    qr_caption: str
    page_up: str
    page_down: str
    geometry: DetailGeometry
    bar: list[BarButton]


@dataclass(frozen=True)
class SignageView:
    village_line: str
    page: SignagePage  # the first page, as the kiosk shows it first
    pages: int
    hint: str


@dataclass(frozen=True)
class KioskPreview:
    language: str
    html_lang: str
    width: int
    height: int
    detail: DetailView
    signage: SignageView
    notes: list[Note]


def kiosk_preview(notice: Notice, language: str, now_ms: int, village: str) -> KioskPreview:
    """The notice as a kiosk in `village` shows it at `now_ms` in `language`."""
    detail = _detail(notice, language, now_ms)
    signage = _signage(notice, language, now_ms, village)
    return KioskPreview(
        language=language,
        html_lang=HTML_LANG[language],
        width=SCREEN.width_px,
        height=SCREEN.height_px,
        detail=detail,
        signage=signage,
        notes=_notes(notice, language, detail, signage),
    )


def _detail(notice: Notice, language: str, now_ms: int) -> DetailView:
    title, body = notice.text("title", language), notice.text("body", language)
    meta = meta_line(language, notice.category, notice.priority, notice.published_at)
    when = when_line(language, notice.event_start, notice.event_end)
    where = where_line(language, notice.place)
    size = sizes(SCREEN)
    geometry = detail_geometry(SCREEN, size, (title, meta, when, where, body))
    code = screen_payload(notice, language)
    caption = QR_CAPTION_KEYS[code.kind if code else None]
    up, down = DETAIL_PAGE_KEYS
    return DetailView(
        title=title,
        meta=meta,
        when=when,
        where=where,
        body=body,
        qr_src=_qr_src(code.text) if code else "",
        qr_px=side_modules(code.text) * size.qr_module if code else 0,
        qr_caption=kiosk_word(language, caption),
        page_up=kiosk_word(language, up),
        page_down=kiosk_word(language, down),
        geometry=geometry,
        bar=_bar(language),
    )


def _qr_src(text: str) -> str:
    # One pixel per module, drawn without smoothing: the kiosk's texture, as the page scales it.
    code = segno.make(text, error="m", micro=False)
    return str(code.png_data_uri(scale=1, border=QUIET_ZONE, dark="#000000", light="#ffffff"))


def _bar(language: str) -> list[BarButton]:
    buttons = []
    for key, weight in BAR_BUTTONS:
        share = weight_class(weight)
        if key is None:
            buttons.append(BarButton("", share))
        else:
            help_button = " k-help" if key == "bar.help" else ""
            buttons.append(BarButton(kiosk_word(language, key), f"k-button {share}{help_button}"))
    return buttons


def _signage(notice: Notice, language: str, now_ms: int, village: str) -> SignageView:
    title, body = notice.text("title", language), notice.text("body", language)
    meta = (
        when_line(language, notice.event_start, notice.event_end),
        where_line(language, notice.place),
    )
    pages = signage(SCREEN, sizes(SCREEN), title, meta, body)
    village_line = f"{village}  ·  {kiosk_time(language, now_ms)}"
    if len(pages) > 1:  # as kiosk/signage.py marks a notice of several pages
        mark = kiosk_word(language, "signage.page", page=1, pages=len(pages))
        village_line += f"  ·  {mark}"
    return SignageView(
        village_line=village_line,
        page=pages[0],
        pages=len(pages),
        hint=kiosk_word(language, "signage.hint"),
    )


def _notes(notice: Notice, language: str, detail: DetailView, signage: SignageView) -> list[Note]:
    notes = []
    if not notice.title.get("de"):
        notes.append(Note("preview.note.no_title"))
    if language != "de" and not (notice.title.get(language) and notice.body.get(language)):
        notes.append(Note(f"preview.note.fallback.{language}"))
    geometry = detail.geometry
    if geometry.pages == 0:
        notes.append(Note("preview.note.no_room"))
    elif geometry.pages > 1:
        notes.append(Note("preview.note.pages", {"pages": geometry.pages}))
    split = geometry.title_words_split + geometry.body_words_split
    if split:
        notes.append(Note("preview.note.split", {"words": ", ".join(split)}))
    if signage.pages > 1:
        notes.append(Note("preview.note.signage_pages", {"pages": signage.pages}))
    if notice.priority == "emergency":
        notes.append(Note("preview.note.emergency"))
    return notes


# ---- notices from a body or from the editor's fields ------------------------------------------


def notice_from_body(body: NoticeBody, now_ms: int, notice_id: str = PREVIEW_ID) -> Notice:
    """A notice not yet published, as the kiosk would hold it once it is."""
    event = body.event
    return Notice(
        id=notice_id,
        title={str(language): text for language, text in body.title.items()},
        body={str(language): text for language, text in body.body.items()},
        category=body.category,
        priority=body.priority,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        event_start=event.start if event else None,
        event_end=event.end if event else None,
        place=(event.place or None) if event else None,
        target_hubs=list(body.targets.hubs),
        target_groups=list(body.targets.groups),
        attachments=[],
        author="",
        author_name="",
        published_at=now_ms,
        updated_at=now_ms,
        retracted=False,
    )


@dataclass(frozen=True)
class FormNotice:
    notice: Notice
    unreadable: list[str]  # fields whose value could not be read (event_start, event_end)


def notice_from_form(
    form: Mapping[str, str], now_ms: int, published_at: int | None = None
) -> FormNotice:
    """The editor's fields as a notice. Lenient, as a preview must be while someone types:
    an unknown category or priority counts as the default, an unreadable time as none."""
    titles, bodies = _texts(form)
    unreadable: list[str] = []
    start, end = _event(form, unreadable)
    notice = Notice(
        id=form.get("notice_id", "") or PREVIEW_ID,
        title=titles,
        body=bodies,
        category=_choice(form.get("category", ""), CATEGORIES),
        priority=_choice(form.get("priority", ""), PRIORITIES),
        valid_from=now_ms,
        valid_until=None,
        event_start=start,
        event_end=end,
        place=form.get("place", "").strip()[:MAX_PLACE_CHARS] or None,
        target_hubs=[],
        target_groups=[],
        attachments=[],
        author="",
        author_name="",
        published_at=published_at if published_at is not None else now_ms,
        updated_at=now_ms,
        retracted=False,
    )
    return FormNotice(notice, unreadable)


def _texts(form: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for language, suffix in FIELD_OF_LANGUAGE.items():
        # A longer text than the schema allows is previewed as far as that.
        title = form.get(f"title_{suffix}", "").strip()[:MAX_TITLE_CHARS]
        body = form.get(f"body_{suffix}", "")[:MAX_TEXT_CHARS].replace("\r\n", "\n").strip()
        if title or body or language == "de":
            titles[language], bodies[language] = title, body
    return titles, bodies


def _choice(value: str, allowed: Sequence[str]) -> str:
    return value if value in allowed else allowed[0]


def _event(form: Mapping[str, str], unreadable: list[str]) -> tuple[int | None, int | None]:
    """The event's start and end as the editor saves them: a start without a time is the whole
    day; an end without a date is on the start's day, one without a time at the end of its
    day."""
    start_day = _day(form, "event_start", unreadable)
    if start_day is None:
        return None, None
    start_clock = _clock(form, "event_start", unreadable)
    start = local_ms(start_day, start_clock or time(0))
    end_text = form.get("event_end_date", "").strip()
    end_day = _day(form, "event_end", unreadable) if end_text else start_day
    end_clock = _clock(form, "event_end", unreadable)
    if end_day is None or (not end_text and end_clock is None):
        return start, (whole_day(start_day)[1] if start_clock is None else None)
    end = local_ms(end_day, end_clock) if end_clock else whole_day(end_day)[1]
    return start, end if end > start else None


def _day(form: Mapping[str, str], name: str, unreadable: list[str]) -> date | None:
    """A date picker's 2026-12-12, or 12.12.2026 typed, read as the editor saves it."""
    text = form.get(f"{name}_date", "").strip()
    if not text:
        return None
    day = parse_day(text)
    if day is None:
        unreadable.append(name)
    return day


def _clock(form: Mapping[str, str], name: str, unreadable: list[str]) -> time | None:
    """A time picker's 18:00, or 18.00 typed, read as the editor saves it."""
    text = form.get(f"{name}_time", "").strip()
    if not text:
        return None
    clock = parse_clock(text)
    if clock is None:
        unreadable.append(name)
    return clock


# ---- the village the signage names ------------------------------------------------------------


def village_for(conn: sqlite3.Connection, hub_keys: Sequence[str]) -> str:
    """The name of the first hub the notice is for, else of the network's first hub: the
    signage card names the village the kiosk stands in."""
    for key in hub_keys:
        info = key_info(conn, key)
        if info is not None and "hub" in info.roles:
            return info.name
    hubs = [info.name for info in list_keys(conn) if "hub" in info.roles and not info.revoked]
    return hubs[0] if hubs else "Dorfhub"


# ---- the endpoint -----------------------------------------------------------------------------


@router.post("/preview")
async def preview(
    request: Request, user: EditorUser, lang: Annotated[Language | None, Query()] = None
) -> Response:
    """htmx asks for one language's fragment; a plain form gets a page with all three."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    hubs = [value for value in form.getlist("hubs") if isinstance(value, str)]
    languages = [lang] if lang and is_htmx(request) else list(LANGUAGES)
    # Measuring text and drawing codes is CPU work: off the event loop.
    context = await run_in_threadpool(_previews, desk_of(request), fields, hubs, languages)
    if is_htmx(request):
        # In the editor's panel (partials/preview_panel.html) under its h3.
        return desk_of(request).render(
            request, "partials/preview_kiosk.html", session=user.session, preview_level=4, **context
        )
    return desk_of(request).render(
        request, "preview.html", session=user.session, title_key="preview.title", **context
    )


def _previews(
    desk: Desk, fields: Mapping[str, str], hubs: Sequence[str], languages: Sequence[str]
) -> dict[str, Any]:
    now_ms = desk.now_ms()
    with desk.read() as conn:
        existing = get_notice(conn, fields.get("notice_id", ""))
        made = notice_from_form(fields, now_ms, existing.published_at if existing else None)
        village = village_for(conn, hubs)
    previews = [kiosk_preview(made.notice, language, now_ms, village) for language in languages]
    return {"previews": previews, "unreadable": made.unreadable}
