"""The how-to article editor's form, read and checked without a server (admin/desk/articles.py).

Titles, summaries and each step's text and picture description in German (required), English
and Leichte Sprache; a picture per step; the hubs it is for. A step's picture is either one the
article has already (`blob:<hash>`) or one uploaded and waiting in the server's memory
(`stash:<token>`, admin/desk/notices_stash.py) until the article is saved. Every problem is a
catalog key beside its field; nothing is stored while any is left. The op check on every node
says the rest (content/article_bodies.py, content/articles_rule.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from content.article_bodies import (
    MAX_ALT_CHARS,
    MAX_ARTICLE_TITLE_CHARS,
    MAX_STEP_CHARS,
    MAX_STEPS,
    MAX_SUMMARY_CHARS,
    ArticleBody,
)

# The form's language suffixes and the article's languages.
LANGUAGES = {"de": "de", "en": "en", "ls": "de-LS"}
LIMITS = {
    "title": MAX_ARTICLE_TITLE_CHARS,
    "summary": MAX_SUMMARY_CHARS,
    "text": MAX_STEP_CHARS,
    "alt": MAX_ALT_CHARS,
}
ACTIONS = ("save", "add", "remove", "up", "down")


@dataclass
class StepForm:
    text: dict[str, str] = field(default_factory=dict)  # by form suffix: de, en, ls
    alt: dict[str, str] = field(default_factory=dict)
    picture: str = ""  # "blob:<hash>", "stash:<token>" or ""


@dataclass
class ArticleForm:
    title: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    steps: list[StepForm] = field(default_factory=lambda: [StepForm()])
    everywhere: bool = False  # for every hub (admins only)
    groups: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # field id -> catalog key

    @property
    def limits(self) -> dict[str, int]:
        return LIMITS


def _text(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) else ""


def read_article_form(
    data: Mapping[str, object], count: int, groups: Sequence[str], everywhere: bool
) -> ArticleForm:
    """The fields of a POST: `count` steps (the form's hidden count, capped), the checked
    groups."""
    form = ArticleForm(
        title={s: _text(data, f"title_{s}") for s in LANGUAGES},
        summary={s: _text(data, f"summary_{s}") for s in LANGUAGES},
        steps=[],
        everywhere=everywhere,
        groups=list(dict.fromkeys(groups)),
    )
    for index in range(max(1, min(count, MAX_STEPS + 1))):
        prefix = f"step{index}"
        form.steps.append(
            StepForm(
                text={s: _text(data, f"{prefix}_text_{s}") for s in LANGUAGES},
                alt={s: _text(data, f"{prefix}_alt_{s}") for s in LANGUAGES},
                picture=_text(data, f"{prefix}_picture"),
            )
        )
    return form


def form_of(article: ArticleBody) -> ArticleForm:
    """The form filled in from a stored article, for editing."""

    def by_suffix(texts: Mapping[Any, str]) -> dict[str, str]:
        return {s: texts.get(language, "") for s, language in LANGUAGES.items()}

    return ArticleForm(
        title=by_suffix(article.title),
        summary=by_suffix(article.summary),
        steps=[
            StepForm(
                text=by_suffix(step.text),
                alt=by_suffix(step.picture.alt),
                picture=f"blob:{step.picture.blob}",
            )
            for step in article.steps
        ],
        everywhere=not article.targets.hubs and not article.targets.groups,
        groups=list(article.targets.groups),
    )


def apply_action(form: ArticleForm, action: str) -> bool:
    """Add, remove or move a step ("add", "remove-2", "up-2", "down-2"); True if the form
    changed and is to be shown again rather than saved."""
    name, _, number = action.partition("-")
    if name == "add":
        if len(form.steps) < MAX_STEPS:
            form.steps.append(StepForm())
        return True
    if name not in ("remove", "up", "down") or not number.isdigit():
        return False
    index = int(number)
    if not 0 <= index < len(form.steps):
        return True
    if name == "remove" and len(form.steps) > 1:
        del form.steps[index]
    elif name == "up" and index > 0:
        form.steps[index - 1], form.steps[index] = form.steps[index], form.steps[index - 1]
    elif name == "down" and index < len(form.steps) - 1:
        form.steps[index + 1], form.steps[index] = form.steps[index], form.steps[index + 1]
    return True


def check_article_form(form: ArticleForm, allowed_groups: Sequence[str], admin: bool) -> None:
    """Fill `form.errors`: what is missing or too long, and targets outside what the user may
    choose (a guide: at least one of its own groups; an admin: every hub or some groups)."""
    for kind, texts in (("title", form.title), ("summary", form.summary)):
        _check_texts(form, kind, texts, kind)
    if len(form.steps) > MAX_STEPS:
        form.errors["steps"] = "articles.error.too_many_steps"
    for index, step in enumerate(form.steps):
        _check_texts(form, "text", step.text, f"step{index}_text")
        _check_texts(form, "alt", step.alt, f"step{index}_alt")
        if not step.picture:
            form.errors[f"step{index}_upload"] = "articles.error.picture_missing"
    outside = set(form.groups) - set(allowed_groups)
    if outside:
        form.errors["groups"] = "articles.error.group_not_yours"
    elif not admin and (form.everywhere or not form.groups):
        form.errors["groups"] = "articles.error.groups_missing"
    elif admin and not form.everywhere and not form.groups:
        form.errors["groups"] = "articles.error.targets_missing"


def _check_texts(form: ArticleForm, kind: str, texts: Mapping[str, str], field_id: str) -> None:
    if not texts.get("de"):
        form.errors[f"{field_id}_de"] = f"articles.error.{kind}_missing"
    for suffix, text in texts.items():
        if len(text) > LIMITS[kind]:
            form.errors[f"{field_id}_{suffix}"] = f"articles.error.{kind}_too_long"
