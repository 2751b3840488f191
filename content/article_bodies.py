"""The body of an `article.put`: one step-by-step guide of the how-to library ("So
funktioniert's", content/articles.py).

A title and a short summary per language, and 1 to MAX_STEPS steps in order, each with its text
per language and one picture (a `blob.put` file, PNG or JPEG, with its alt text per language).
German is required everywhere; English and Leichte Sprache (de-LS) fall back to it. Targets as a
notice's: no hub and no group means every hub of the network.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from content.languages import Language
from content.limits import MAX_ATTACHMENT_BYTES
from content.ops import Hex32, OpError

MAX_STEPS = 12
MAX_ARTICLE_TITLE_CHARS = 120
MAX_SUMMARY_CHARS = 300
MAX_STEP_CHARS = 600
MAX_ALT_CHARS = 250
MAX_ARTICLE_TARGETS = 50
PICTURE_MIMES = ("image/png", "image/jpeg")

ArticleTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ARTICLE_TITLE_CHARS)]
Summary = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SUMMARY_CHARS)]
StepText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_STEP_CHARS)]
AltText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ALT_CHARS)]
TargetGroup = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9ÄÖÜäöüß ._-]{1,60}$")]


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class Picture(_Strict):
    blob: Hex32
    mime: Literal["image/png", "image/jpeg"]
    size: Annotated[int, msgspec.Meta(ge=1, le=MAX_ATTACHMENT_BYTES)]
    alt: dict[Language, AltText]


class Step(_Strict):
    text: dict[Language, StepText]
    picture: Picture


class ArticleTargets(_Strict):
    """Empty lists on both sides mean: every hub of the network (as a notice's Targets)."""

    hubs: Annotated[list[Hex32], msgspec.Meta(max_length=MAX_ARTICLE_TARGETS)] = []
    groups: Annotated[list[TargetGroup], msgspec.Meta(max_length=MAX_ARTICLE_TARGETS)] = []


class ArticleBody(_Strict):
    title: dict[Language, ArticleTitle]
    summary: dict[Language, Summary]
    steps: Annotated[list[Step], msgspec.Meta(min_length=1, max_length=MAX_STEPS)]
    targets: ArticleTargets = msgspec.field(default_factory=ArticleTargets)


def article_problem(article: ArticleBody) -> str | None:
    """What the schema cannot say: German everywhere (the other languages fall back to it)."""
    if "de" not in article.title or "de" not in article.summary:
        return "an article needs a German title and summary"
    for number, step in enumerate(article.steps, start=1):
        if "de" not in step.text:
            return f"step {number} of the article needs a German text"
        if "de" not in step.picture.alt:
            return f"the picture of step {number} needs a German alt text"
    return None


def check_article(article: ArticleBody) -> None:
    problem = article_problem(article)
    if problem is not None:
        raise OpError(problem)
