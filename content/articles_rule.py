"""What a digital guide (role `guide`) may write into the how-to library: its own articles, for
its own hubs.

As for office hours (content/office_hours.py), a guide's hubs are the hubs in the groups its
grants name, and an article of a guide:

- has an id that names the guide (`a-<guide key>-…`), so no guide overwrites or retracts an
  admin's article or another guide's (content/authority.py checks the id);
- is targeted at groups only, at least one, each named by a guide grant valid at the op's time.
  Hub keys are refused: which groups a hub is in comes from the hub's own grant, another key's
  op, and a verdict must not depend on which of two keys' ops a node received first. An article
  for every hub (no targets) is an admin's.

Every node applies this when it applies the op, so a guide key used outside the desk can write
nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable

from content.article_bodies import ArticleBody


def guide_article_problem(article: ArticleBody, groups: Iterable[str]) -> str | None:
    """Why a guide with these groups may not write this article; None if it may."""
    if article.targets.hubs:
        return "a guide's articles are targeted at the guide's groups, not at hub keys"
    if not article.targets.groups:
        return "a guide's articles name at least one of the guide's groups"
    outside = sorted(set(article.targets.groups) - set(groups))
    if outside:
        return f"the guide's grant does not name the group {', '.join(outside)}"
    return None
