"""The how-to library ("So funktioniert's"): step-by-step guides with a picture per step.

An article is an `article.put` (content/article_bodies.py) under an id; a later put of the same
id replaces it (last writer wins on `(lamport, author)`), an `article.retract` takes it away for
good. Admins write any article; a guide only its own, for its own groups
(content/articles_rule.py). Pictures are `blob.put` files, stored with the article in one
transaction, which reach a hub when an article shown there names them (content/relay.py).

The `articles` table (content/article_views.py, content/views.py ArticlesView) holds each
article's winning version; the kiosk reads the live ones targeted at its hub, the desk every
live one.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from content.article_bodies import ArticleBody, article_problem
from content.bodies import RetractBody, decode_body, encode_body
from content.errors import ContentError
from content.identity import Identity
from content.log import Log, append_in
from content.notices import blob
from content.ops import body_hash
from content.roles import guide_article_prefix

# The articles a hub shows: for every hub (no targets), for the hub itself, or for one of the
# groups its grant names (as a notice's FOR_HUB).
FOR_HUB = (
    "((a.target_hubs = '[]' AND a.target_groups = '[]')"
    " OR EXISTS (SELECT 1 FROM json_each(a.target_hubs) WHERE value = :hub)"
    " OR EXISTS (SELECT 1 FROM json_each(a.target_groups) t, keys h, json_each(h.groups) g"
    "            WHERE h.key = :hub AND g.value = t.value))"
)
LIVE = "a.op_id IS NOT NULL AND a.retract_op IS NULL"


class ArticleError(ContentError):
    """An article request that cannot be carried out (invalid, unknown id, retracted)."""


@dataclass(frozen=True)
class Article:
    id: str
    body: ArticleBody
    author: str
    author_name: str
    published_at: int
    updated_at: int

    def title(self, language: str) -> str:
        return in_language(self.body.title, language)

    def summary(self, language: str) -> str:
        return in_language(self.body.summary, language)

    def step_text(self, index: int, language: str) -> str:
        return in_language(self.body.steps[index].text, language)

    def alt(self, index: int, language: str) -> str:
        return in_language(self.body.steps[index].picture.alt, language)


def in_language(texts: Mapping[Any, str], language: str) -> str:
    """The text in `language`, else the German one (always there)."""
    return texts.get(language) or texts["de"]


def new_article_id(guide: str | None = None) -> str:
    """An admin's article id, or with `guide` one that names the guide (content/roles.py)."""
    prefix = guide_article_prefix(guide) if guide else "a-"
    return prefix + uuid.uuid4().hex[:20]


def parse_article(data: dict[str, Any]) -> ArticleBody:
    """An article body from plain data, or ArticleError saying what is wrong (nothing stored)."""
    try:
        article = msgspec.convert(data, ArticleBody)
    except msgspec.ValidationError as exc:
        raise ArticleError(f"invalid article: {exc}") from None
    problem = article_problem(article)
    if problem is not None:
        raise ArticleError(problem)
    return article


def put_article(
    log: Log,
    author: Identity,
    article: ArticleBody,
    files: Sequence[bytes] = (),
    article_id: str | None = None,
) -> str:
    """Store the pictures this node lacks (blob.put) and the article in one transaction: a
    refusal of any op stores none. Every picture the article names must be among `files` or
    held here already. `article_id` names a new article or one to replace, never a retracted
    one (a retraction is final); without it, a new admin's id is made."""
    problem = article_problem(article)
    if problem is not None:
        raise ArticleError(problem)
    given = {body_hash(data): data for data in files}
    with log.store.write() as conn:
        if article_id is not None:
            _refuse_retracted(conn, article_id)
        for step in article.steps:
            picture = step.picture
            data = given.get(picture.blob)
            if data is None and blob(conn, picture.blob) is None:
                raise ArticleError(f"the picture {picture.blob[:12]} is not stored here")
            if data is not None and len(data) != picture.size:
                raise ArticleError(f"the picture {picture.blob[:12]} is not {picture.size} bytes")
        for digest, data in given.items():
            if blob(conn, digest) is None:
                append_in(conn, log.network_id, author, "blob.put", digest, data)
        article_id = article_id or new_article_id()
        append_in(conn, log.network_id, author, "article.put", article_id, encode_body(article))
    return article_id


def retract_article(log: Log, author: Identity, article_id: str, reason: str = "") -> None:
    """Take an article out of the library for good."""
    with log.store.write() as conn:
        _require_live(conn, article_id)
        append_in(
            conn,
            log.network_id,
            author,
            "article.retract",
            article_id,
            encode_body(RetractBody(reason=reason)),
        )


def _require_live(conn: sqlite3.Connection, article_id: str) -> None:
    row = conn.execute("SELECT op_id FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None or row[0] is None:
        raise ArticleError(f"no article {article_id}")
    _refuse_retracted(conn, article_id)


def _refuse_retracted(conn: sqlite3.Connection, article_id: str) -> None:
    row = conn.execute("SELECT retract_op FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is not None and row[0] is not None:
        raise ArticleError(f"article {article_id} was retracted")


_COLUMNS = (
    "SELECT a.id, a.body, a.author, coalesce(k.name, ''), a.published_at, a.updated_at "
    "FROM articles a LEFT JOIN keys k ON k.key = a.author"
)
# German titles in alphabetical order: a library is looked through, not read newest first.
_ORDER = " ORDER BY json_extract(a.body, '$.title.de') COLLATE NOCASE, a.id"


def articles_for_hub(conn: sqlite3.Connection, hub: str) -> list[Article]:
    """The live articles the hub shows."""
    rows = conn.execute(f"{_COLUMNS} WHERE {LIVE} AND {FOR_HUB}{_ORDER}", {"hub": hub})
    return [_article(row) for row in rows]


def all_articles(conn: sqlite3.Connection, prefix: str = "") -> list[Article]:
    """Every live article (the desk's list); with `prefix`, only ids that begin with it."""
    rows = conn.execute(
        f"{_COLUMNS} WHERE {LIVE} AND a.id >= :prefix AND a.id < :prefix || x'ff'{_ORDER}",
        {"prefix": prefix},
    )
    return [_article(row) for row in rows]


def get_article(conn: sqlite3.Connection, article_id: str) -> Article | None:
    """A live article, or None."""
    row = conn.execute(f"{_COLUMNS} WHERE {LIVE} AND a.id = ?", (article_id,)).fetchone()
    return None if row is None else _article(row)


def picture(conn: sqlite3.Connection, digest: str) -> bytes | None:
    """A picture's bytes, or None where this node holds its header only."""
    return blob(conn, digest)


def _article(row: tuple[Any, ...]) -> Article:
    body: ArticleBody = decode_body("article.put", row[1].encode())
    return Article(row[0], body, row[2], row[3], row[4], row[5])
