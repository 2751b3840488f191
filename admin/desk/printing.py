"""Print from the desk: a notice's A4 poster and a hub's weekly sheet ("Aushang der Woche") as
PDF downloads, made on request by the same code as `dorfhub notice poster/sheet`
(content/posters.py, content/week_sheet.py) and never written to the server's disk.

    GET /notices/{id}/poster.pdf?lang=de            partials/print_poster.html is its button
    GET /hubs/{key}/sheet.pdf?week=2026-W50&lang=de  the form on the hub's page

An unknown or withdrawn notice or hub is the 404 page; a week that is over or not a week is the
hub's page again with the error beside the field (400), and nothing is made.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from admin.desk.fleet import find_hub, render_hub, sheet_form
from admin.desk.policy import DeskUser, allow
from admin.desk.web import desk_of
from content.clock import trusted_now
from content.grants import GrantError
from content.languages import Language
from content.notices import NoticeError
from content.posters import poster_from_store
from content.week_sheet import Week, sheet_from_store

router = APIRouter()
AdminUser = Annotated[DeskUser, Depends(allow("admin"))]
MAX_NAME_CHARS = 60
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def file_name(*parts: str) -> str:
    """A safe, readable ASCII file name: aushang-seniorennachmittag-im-pfarrheim.pdf."""
    text = "-".join(parts).casefold().translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:MAX_NAME_CHARS].strip("-")
    return f"{slug or 'aushang'}.pdf"


def pdf_download(pdf: bytes, name: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/notices/{notice_id}/poster.pdf")
def poster(
    request: Request, user: AdminUser, notice_id: str, lang: Annotated[Language, Query()] = "de"
) -> Response:
    desk = desk_of(request)
    with desk.read() as conn:
        try:
            printout = poster_from_store(conn, notice_id, lang)
        except NoticeError:
            raise HTTPException(404) from None
    title = printout.label.strip("„“")
    language = [] if lang == "de" else [lang]
    return pdf_download(printout.pdf, file_name("aushang", title, *language))


@router.get("/hubs/{key}/sheet.pdf")
def week_sheet(
    request: Request,
    user: AdminUser,
    key: str,
    week: str = "",
    lang: Annotated[Language, Query()] = "de",
) -> Response:
    desk = desk_of(request)
    hub = find_hub(desk, key, desk.now_ms())  # 404 for a key that is no hub's
    try:
        chosen = Week.parse(week)
    except ValueError:
        return _refused(request, user, key, week, lang, "print.error.week")
    with desk.read() as conn:
        now_ms = trusted_now(conn).now_ms  # as `dorfhub notice sheet` does
        try:
            printout = sheet_from_store(conn, key, chosen, now_ms, lang)
        except GrantError:
            raise HTTPException(404) from None  # a revoked hub has no board
        except ValueError:
            return _refused(request, user, key, week, lang, "print.error.week_over")
    return pdf_download(printout.pdf, file_name("aushang-der-woche", hub.row.name, str(chosen)))


def _refused(
    request: Request, user: DeskUser, key: str, week: str, language: str, error: str
) -> Response:
    form = sheet_form(desk_of(request), week[:20], language, error)
    return render_hub(request, user, key, form, status=400)
