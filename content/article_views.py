"""The `articles` view's fold (content/views.py ArticlesView): each article's winning version,
its targets and its pictures' files, as SQL merges that commute (the notices' pattern)."""

from __future__ import annotations

import json

import msgspec

from content.article_bodies import ArticleBody
from content.ops import later_sql

_CONTENT = [
    "op_id",
    "author",
    "lamport",
    "body",
    "target_hubs",
    "target_groups",
    "pictures",
    "updated_at",
]
_PUT_WINS = f"(articles.lamport IS NULL OR {later_sql('excluded', 'articles')})"
PUT_SQL = (
    "INSERT INTO articles (id, op_id, author, lamport, body, target_hubs, target_groups, "
    "pictures, published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(
        f"{column} = CASE WHEN {_PUT_WINS} THEN excluded.{column} ELSE articles.{column} END"
        for column in _CONTENT
    )
    + ", published_at = min(coalesce(articles.published_at, excluded.published_at),"
    " excluded.published_at)"
)
_RETRACT_WINS = "(articles.retract_op IS NULL OR excluded.retract_op < articles.retract_op)"
RETRACT_SQL = (
    "INSERT INTO articles (id, retract_op, retracted_at) VALUES (?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET "
    f"retract_op = CASE WHEN {_RETRACT_WINS} THEN excluded.retract_op "
    "ELSE articles.retract_op END, "
    f"retracted_at = CASE WHEN {_RETRACT_WINS} THEN excluded.retracted_at "
    "ELSE articles.retracted_at END"
)


def put_values(
    op_id: str, author: str, lamport: int, time_ms: int, entity: str, article: ArticleBody
) -> tuple[object, ...]:
    def listed(values: list[str]) -> str:
        return json.dumps(sorted(set(values)))

    return (
        entity,
        op_id,
        author,
        lamport,
        msgspec.json.encode(article, order="sorted").decode(),
        listed(article.targets.hubs),
        listed(article.targets.groups),
        listed([step.picture.blob for step in article.steps]),
        time_ms,
        time_ms,
    )
