"""`dorfhub article …`: the how-to library ("So funktioniert's") from the command line.

dorfhub article seed [--hub NAME] [--group NAME]   the four articles the demo ships, for a
                                                   real network to start from
dorfhub article list [--hub NAME] [--json]
dorfhub article retract ID [--reason …]
dorfhub article print ID --out FILE [--lang de-LS]  the kiosk's large print

Articles are written in the desk (docs/desk.md "How-to articles"); these are for setting a
network up and for scripts. Writes are signed with the node's publishing key, as `notice`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from content.bodies import LANGUAGES
from content.log import Log
from content.notice_targets import network_of
from node.cli_base import CommandTree, open_home
from node.terminal import terminal_safe


def register(tree: CommandTree) -> None:
    command, group = tree.command, tree.group
    article = group("article", "the how-to library (So funktioniert's)")
    sub = command(
        article,
        "seed",
        cmd_article_seed,
        "publish the four how-to articles the demo ships (again: replaces them)",
    )
    sub.add_argument("--hub", action="append", default=[], help="only for this hub (repeatable)")
    sub.add_argument(
        "--group", action="append", default=[], help="only for this group (repeatable)"
    )
    sub.add_argument("--key", type=Path, help="the key to sign with (default: this node's)")
    sub = command(article, "list", cmd_article_list, "list the live articles")
    sub.add_argument("--hub", help="only those this hub shows (name or key id)")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--lang", choices=LANGUAGES, default="de")
    sub = command(article, "retract", cmd_article_retract, "take an article out for good")
    sub.add_argument("id")
    sub.add_argument("--reason", default="")
    sub.add_argument("--key", type=Path)
    sub = command(article, "print", cmd_article_print, "write an article in large print (PDF)")
    sub.add_argument("id")
    sub.add_argument("--out", type=Path, required=True, metavar="FILE", help="the PDF to write")
    sub.add_argument("--lang", choices=LANGUAGES, default="de")


def cmd_article_seed(args: argparse.Namespace) -> int:
    from node.demo_articles import publish_demo_articles

    home = open_home(args)
    with home.store() as store:
        hubs, groups = network_of(store.conn).targets(args.hub, args.group)
        ids = publish_demo_articles(Log(store), home.publisher(args.key), hubs, groups)
    whom = ", ".join([*args.hub, *groups]) or "every hub"
    for article_id in ids:
        print(f"{article_id}: published for {terminal_safe(whom)}")
    return 0


def cmd_article_list(args: argparse.Namespace) -> int:
    from content.articles import all_articles, articles_for_hub

    with open_home(args).store() as store:
        if args.hub:
            found = articles_for_hub(store.conn, network_of(store.conn).hub(args.hub).key)
        else:
            found = all_articles(store.conn)
        rows = [
            {
                "id": a.id,
                "title": a.title(args.lang),
                "summary": a.summary(args.lang),
                "steps": len(a.body.steps),
                "hubs": a.body.targets.hubs,
                "groups": a.body.targets.groups,
                "author": a.author_name,
            }
            for a in found
        ]
        lines = [
            f"{a.id}  {a.title(args.lang)} ({len(a.body.steps)} steps, for "
            + (
                ", ".join([*a.body.targets.groups, *(h[:12] for h in a.body.targets.hubs)])
                or "every hub"
            )
            + ")"
            for a in found
        ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for line in lines or ["no articles"]:
        print(terminal_safe(line))
    return 0
    for row in rows:
        whom = ", ".join([*row["groups"], *(h[:12] for h in row["hubs"])]) or "every hub"
        print(terminal_safe(f"{row['id']}  {row['title']} ({row['steps']} steps, for {whom})"))
    if not rows:
        print("no articles")
    return 0


def cmd_article_retract(args: argparse.Namespace) -> int:
    from content.articles import retract_article

    home = open_home(args)
    with home.store() as store:
        retract_article(Log(store), home.publisher(args.key), args.id, args.reason)
    print(terminal_safe(f"{args.id}: retracted"))
    return 0


def cmd_article_print(args: argparse.Namespace) -> int:
    from content.article_print import render_article
    from content.articles import ArticleError, get_article, picture
    from content.private_files import write_private

    with open_home(args).store() as store:
        article = get_article(store.conn, args.id)
        if article is None:
            raise ArticleError(f"no article {args.id}")
        pictures = {
            step.picture.blob: data
            for step in article.body.steps
            if (data := picture(store.conn, step.picture.blob)) is not None
        }
    words = STEP_WORDS.get(args.lang, STEP_WORDS["de"])
    pdf = render_article(article, args.lang, pictures, lambda n, t: words.format(n=n, t=t))
    write_private(args.out, pdf)
    print(terminal_safe(f"{article.title(args.lang)}: {args.out}"))
    return 0


# The kiosk's "Schritt 2 von 5" (kiosk.po howto.step): the command line has no kiosk catalogs.
STEP_WORDS = {"de": "Schritt {n} von {t}", "de-LS": "Schritt {n} von {t}", "en": "Step {n} of {t}"}
