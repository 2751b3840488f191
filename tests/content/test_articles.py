"""The how-to library at the op level (content/articles.py): the body's schema and limits, the
view (latest version wins, a retraction for good, only articles for the hub), the pictures'
files reaching the hubs that show them, and who may write an article.

The attacks are signed ops from real keys: appended through the library (the author's own node
refuses them) and, built by hand, ingested by another node, which refuses them too.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from content import grants
from content.article_bodies import MAX_STEP_CHARS, MAX_STEPS
from content.articles import (
    ArticleError,
    all_articles,
    articles_for_hub,
    get_article,
    new_article_id,
    parse_article,
    put_article,
    retract_article,
)
from content.bodies import RetractBody, RevokeBody, encode_body
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import AppendRefused, Log
from content.ops import body_hash
from content.relay import needed_blobs
from content.roles import GRANTABLE_ROLES
from tests.content.conftest import Network
from tests.content.helpers import GROUP, next_position, sign_op, sync
from tests.content.test_guide_office_hours import crafted_and_refused

OTHER_GROUP = "Dreiburgenland"


def png(colour: str = "#2a6f97") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, "PNG")
    return out.getvalue()


PICTURE = png()


def article_data(title: str = "Das E-Rezept", count: int = 2, **changes: Any) -> dict[str, Any]:
    picture = {
        "blob": body_hash(PICTURE),
        "mime": "image/png",
        "size": len(PICTURE),
        "alt": {"de": "Eine Karte im Lesegerät", "en": "A card in the reader"},
    }
    data: dict[str, Any] = {
        "title": {"de": title, "en": "The e-prescription", "de-LS": title},
        "summary": {"de": "So holen Sie Ihr Medikament.", "de-LS": "So geht das."},
        "steps": [
            {
                "text": {"de": f"Schritt {n}.", "de-LS": f"Schritt {n}. Ganz einfach."},
                "picture": picture,
            }
            for n in range(1, count + 1)
        ],
    }
    data.update(changes)
    return data


def put(log: Log, author: Identity, article_id: str | None = None, **changes: Any) -> str:
    return put_article(log, author, parse_article(article_data(**changes)), [PICTURE], article_id)


def test_an_article_is_stored_and_shown_at_every_hub_with_its_pictures(network: Network) -> None:
    article_id = put(network.log, network.admin)
    conn = network.store.conn
    shown = articles_for_hub(conn, network.hub.key_id)
    assert [a.id for a in shown] == [article_id]
    article = shown[0]
    assert article.title("en") == "The e-prescription"
    assert article.summary("en") == "So holen Sie Ihr Medikament."  # German when none
    assert article.step_text(1, "de-LS") == "Schritt 2. Ganz einfach."
    assert article.alt(0, "de-LS") == "Eine Karte im Lesegerät"
    # The picture travels with the article, to every hub that shows it.
    other = network.fresh_log("other")
    assert not sync(network.log, other).rejected
    assert get_article(other.store.conn, article_id) is not None
    assert needed_blobs(conn, network.hub.key_id) == {body_hash(PICTURE)}


BAD = {
    "no German title": {"title": {"en": "The e-prescription"}},
    "no German summary": {"summary": {"en": "How to."}},
    "an empty title": {"title": {"de": ""}},
    "no steps": {"steps": []},
    "a step without German": {"steps": [{**article_data()["steps"][0], "text": {"en": "Step 1."}}]},
    "a step too long": {
        "steps": [{**article_data()["steps"][0], "text": {"de": "x" * (MAX_STEP_CHARS + 1)}}]
    },
    "too many steps": {"steps": article_data(count=MAX_STEPS + 1)["steps"]},
    "a picture without alt text": {
        "steps": [
            {
                **article_data()["steps"][0],
                "picture": {**article_data()["steps"][0]["picture"], "alt": {"en": "A card"}},
            }
        ]
    },
    "a PDF as picture": {
        "steps": [
            {
                **article_data()["steps"][0],
                "picture": {**article_data()["steps"][0]["picture"], "mime": "application/pdf"},
            }
        ]
    },
    "an unknown language": {"title": {"de": "Das E-Rezept", "fr": "L'ordonnance"}},
    "an unknown field": {"colour": "red"},
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_an_invalid_article_is_refused_with_a_reason_and_nothing_stored(
    network: Network, case: str
) -> None:
    with pytest.raises(ArticleError) as refused:
        parse_article(article_data(**BAD[case]))
    assert str(refused.value)
    # Built by hand and signed by an admin, every node refuses it as well.
    raw = sign_op(
        network.admin,
        network.network_id,
        **next_position(network.log, network.admin),
        kind="article.put",
        entity=new_article_id(),
        body=encode_body(article_data(**BAD[case])),
        time_ms=wall_clock_ms(),
    )
    assert [op for op, _ in network.log.ingest([raw]).rejected] == [raw.op_id]
    assert all_articles(network.store.conn) == []


def test_a_picture_not_given_nor_held_is_refused_before_anything_is_stored(
    network: Network,
) -> None:
    ops_before = network.store.conn.execute("SELECT count(*) FROM ops").fetchone()
    with pytest.raises(ArticleError, match="not stored here"):
        put_article(network.log, network.admin, parse_article(article_data()), [])
    changed = article_data()
    changed["steps"][0]["picture"]["size"] += 1
    with pytest.raises(ArticleError, match="bytes"):
        put_article(network.log, network.admin, parse_article(changed), [PICTURE])
    assert network.store.conn.execute("SELECT count(*) FROM ops").fetchone() == ops_before


def test_the_latest_version_wins_and_a_retraction_is_for_good(network: Network) -> None:
    article_id = put(network.log, network.admin)
    put(network.log, network.admin, article_id, title="Das E-Rezept, neu")
    conn = network.store.conn
    article = get_article(conn, article_id)
    assert article is not None
    assert article.title("de") == "Das E-Rezept, neu"
    retract_article(network.log, network.admin, article_id, "veraltet")
    assert get_article(conn, article_id) is None
    assert articles_for_hub(conn, network.hub.key_id) == []
    assert needed_blobs(conn, network.hub.key_id) == frozenset()
    with pytest.raises(ArticleError, match="retracted"):
        put(network.log, network.admin, article_id)
    # Replayed in another order on a new node, the same result.
    other = network.fresh_log("other")
    sync(network.log, other)
    assert get_article(other.store.conn, article_id) is None


def test_an_article_for_some_hubs_shows_only_there(network: Network) -> None:
    other_hub = Identity.generate("Tittling")
    grants.grant(
        network.log, network.admin, other_hub.public, "hub", other_hub.name, groups=[OTHER_GROUP]
    )
    for_group = put(network.log, network.admin, targets={"groups": [GROUP]})
    for_key = put(
        network.log, network.admin, title="Bildschirm", targets={"hubs": [other_hub.key_id]}
    )
    conn = network.store.conn
    assert [a.id for a in articles_for_hub(conn, network.hub.key_id)] == [for_group]
    assert [a.id for a in articles_for_hub(conn, other_hub.key_id)] == [for_key]
    assert {a.id for a in all_articles(conn)} == {for_group, for_key}


# ---- who may write articles --------------------------------------------------------------


@pytest.fixture
def guide(network: Network) -> Identity:
    guide = Identity.generate("Frau Kern")
    grants.grant(network.log, network.admin, guide.public, "guide", guide.name, groups=[GROUP])
    return guide


def test_a_guide_writes_and_retracts_its_own_article_for_its_hubs(
    network: Network, guide: Identity
) -> None:
    article_id = put(network.log, guide, new_article_id(guide.key_id), targets={"groups": [GROUP]})
    conn = network.store.conn
    assert [a.id for a in articles_for_hub(conn, network.hub.key_id)] == [article_id]
    other = network.fresh_log("other")
    report = sync(network.log, other)
    assert not report.rejected
    assert not report.held
    assert get_article(other.store.conn, article_id) is not None
    retract_article(network.log, guide, article_id)
    assert get_article(conn, article_id) is None


OUTSIDE_THE_GUIDES_HUBS = {
    "every hub": {"targets": {"hubs": [], "groups": []}},
    "another group": {"targets": {"groups": [OTHER_GROUP]}},
    "its group and another": {"targets": {"groups": [GROUP, OTHER_GROUP]}},
    "a hub by its key": {"targets": {"hubs": ["ab" * 32]}},
}


@pytest.mark.parametrize("case", sorted(OUTSIDE_THE_GUIDES_HUBS))
def test_a_guide_cannot_write_an_article_for_other_hubs(
    network: Network, guide: Identity, case: str
) -> None:
    article_id = new_article_id(guide.key_id)
    with pytest.raises(AppendRefused):
        put(network.log, guide, article_id, **OUTSIDE_THE_GUIDES_HUBS[case])
    body = encode_body(article_data(**OUTSIDE_THE_GUIDES_HUBS[case]))
    other = crafted_and_refused(network, guide, "article.put", article_id, body)
    assert get_article(other.store.conn, article_id) is None


def test_a_guide_cannot_overwrite_or_retract_anybody_elses_article(
    network: Network, guide: Identity
) -> None:
    admins = put(network.log, network.admin)
    mine = {"targets": {"groups": [GROUP]}}
    with pytest.raises(AppendRefused, match="names the guide"):
        put(network.log, guide, admins, **mine)
    with pytest.raises(AppendRefused, match="names the guide"):
        retract_article(network.log, guide, admins)
    other_guide = Identity.generate("Herr Lang")
    with pytest.raises(AppendRefused, match="names the guide"):
        put(network.log, guide, new_article_id(other_guide.key_id), **mine)
    retraction = encode_body(RetractBody(reason="weg damit"))
    other = crafted_and_refused(network, guide, "article.retract", admins, retraction)
    assert get_article(other.store.conn, admins) is not None


@pytest.mark.parametrize("role", sorted(GRANTABLE_ROLES - {"admin", "guide"}))
def test_no_other_role_writes_an_article(network: Network, role: str) -> None:
    """A hub, a practice, a server (and an editor, a club's account) write no article."""
    author = Identity.generate(f"Ein {role}")
    grants.grant(network.log, network.admin, author.public, role, author.name, groups=[GROUP])
    with pytest.raises(AppendRefused):
        put(network.log, author, targets={"groups": [GROUP]})
    admins = put(network.log, network.admin)
    body = encode_body(article_data(targets={"groups": [GROUP]}))
    other = crafted_and_refused(network, author, "article.put", new_article_id(), body)
    assert all_articles(other.store.conn) == [get_article(other.store.conn, admins)]
    with pytest.raises(AppendRefused):
        retract_article(network.log, author, admins)


def test_a_guides_article_goes_when_its_grant_is_revoked_before_it(
    network: Network, guide: Identity
) -> None:
    """The verdict reads the body: re-asked when the grants change, it purges the article."""
    article_id = put(network.log, guide, new_article_id(guide.key_id), targets={"groups": [GROUP]})
    revoke = RevokeBody(key=guide.key_id, after_seq=0, reason="verloren")
    network.log.append(network.admin, "key.revoke", guide.key_id, encode_body(revoke))
    assert get_article(network.store.conn, article_id) is None
