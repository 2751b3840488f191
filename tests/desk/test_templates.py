"""The templates escape what they show, and load code only from the desk's own package."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from admin.desk.sessions import SessionBook
from admin.desk.web import PACKAGE, Desk

MARKUP = '<img src=x onerror="alert(1)">'


def test_pages_escape_names_and_text(desk_home: Path) -> None:
    desk = Desk(desk_home, desk_home / "dorfhub.db")
    session = SessionBook().open(MARKUP, "ab" * 32, "admin", bytearray(64), 0.0)
    scope = {"type": "http", "path": "/desk/", "root_path": "/desk"}
    html = desk.page(
        scope, "de", "error.html", session, 403, {"title_key": "error.csrf.title", "kind": "csrf"}
    ).body.decode()
    assert "Angemeldet als &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert MARKUP not in html


def test_scripts_and_styles_come_from_the_package() -> None:
    for template in (PACKAGE / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), template
        assert "<style" not in text  # the Content-Security-Policy refuses inline code
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template


def test_the_pinned_htmx_is_the_one_its_readme_names() -> None:
    static = PACKAGE / "static"
    digest = hashlib.sha256((static / "htmx-2.0.10.min.js").read_bytes()).hexdigest()
    assert digest in (static / "README.md").read_text()
    assert "htmx-2.0.10.min.js" in (PACKAGE / "templates" / "base.html").read_text()
