"""Biete / Suche at the kiosk (issue 16): the typing rules and the read-back (pure), and in the
real app under Xvfb a resident's notice typed on the on-screen keys, read back, sent; in the
hub's store it is one sealed op that only an admin opens, with nothing of the contact in clear
in the database files."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import submissions
from content.identity import load_identity
from content.store import Store
from kiosk.keyboard import DELETE, SPACE
from kiosk.offer_flow import Offer, error_key, read_back, text_errors, typed
from tests.kiosk.hubhome import HubHome
from tests.kiosk.run import run_scenario

NAME = "Walburga Kreuzeder"
PHONE = "0170 9182736"
PARAMS = {
    "title": "Fahrt nach Passau",
    "words": "Am Montag ab ",
    "digits": "9",
    "name": NAME,
    "phone": PHONE,
}


def _t(key: str, **values: object) -> str:
    return f"<{key}{values or ''}>"


def test_typing_keeps_one_space_and_the_limit() -> None:
    assert typed("", SPACE, 10) == ""
    assert typed("Anna", SPACE, 10) == "Anna "
    assert typed("Anna ", SPACE, 10) == "Anna "
    assert typed("Anna", DELETE, 10) == "Ann"
    assert typed("0123456789", "x", 10) == "0123456789"
    assert text_errors("  ") == [("title", "offer.error.title")]
    assert text_errors("Fahrt") == []
    assert error_key("contact_phone") == "offer.error.phone"
    assert error_key("") == "offer.error.limit"
    assert error_key("attachments") == "offer.error.other"


def test_the_read_back_says_the_contact_only_when_asked_to() -> None:
    offer = Offer("suche", "Fahrt", "am Montag", NAME, PHONE)
    private = read_back(offer, _t, with_contact=True)
    public = read_back(offer, _t, with_contact=False)
    assert NAME in private
    assert "0 1 7 0 9 1 8 2 7 3 6" in private  # digit by digit
    assert NAME not in public
    assert "offer.read_contact_given" in public
    assert "offer.read_no_contact" in read_back(Offer("biete", "Rad", ""), _t, False)


@pytest.mark.usefixtures("display")
def test_a_resident_types_hears_and_sends_a_notice_sealed(
    hub_home: HubHome, tmp_path: Path
) -> None:
    out = run_scenario("offer_scenarios:offer", hub_home.path, tmp_path, PARAMS)["results"]
    assert out["kind"] == ["offer_kind", []]
    screen, error, said = out["no_title"]
    assert (screen, error, said) == ("offer_text", "Bitte schreiben Sie eine Überschrift.", error)
    title, text = "Fahrt nach Passau", "Am Montag ab 9"
    assert out["typed"] == [title, text]  # a capital where it starts, not at every word
    assert out["longest"] == [240, True]
    assert out["text_layout"] == []
    for watched in ("text_watch", "contact_watch"):
        found = out[watched]
        assert found["moves"] == [], watched
        assert found["steps"] >= 10, watched
        assert found["compared"] >= found["steps"] * 10, watched
    assert out["contact"] == ["offer_contact", NAME, PHONE]
    assert out["contact_layout"] == []
    check = out["check"]
    assert check["screen"] == "offer_check"
    assert check["title"] == f"Suche: {title}"
    assert check["body"] == text
    assert check["contact"] == f"Name: {NAME}\nTelefon: {PHONE}"
    assert check["layout"] == []
    # The whole notice read back once, with the contact only as personal speech; the room
    # hears it without the contact.
    [(spoken, language, personal)] = check["said"]
    assert (language, personal) == ("de", True)
    assert spoken.startswith("Bitte prüfen Sie Ihren Aushang. Art: Suche. Überschrift: Fahrt")
    assert f"Text: {text}." in spoken
    assert f"Name: {NAME}." in spoken
    assert "Telefon: 0 1 7 0 9 1 8 2 7 3 6." in spoken
    assert spoken.endswith("Sonst auf „Ändern“.")
    assert NAME not in check["public"]
    assert "9182736" not in check["public"].replace(" ", "")
    assert "Name und Telefon sind angegeben." in check["public"]
    assert out["change"] == ["offer_text", title]
    done = out["done"]
    assert done["screen"] == "offer_done"
    assert done["said"][0][0].startswith("Gesendet – wird geprüft, bevor es am Brett erscheint.")
    assert done["left"] == ["", "", "", "", ""]
    assert done["layout"] == []
    assert out["back_from_done"] == "home"
    refused = out["refused"]
    limit = "Heute sind hier schon viele Aushänge eingereicht worden."
    assert refused["screen"] == "offer_check"
    assert refused["error"].startswith(limit)
    assert refused["said"] == [refused["error"]]
    assert refused["layout"] == []
    assert refused["kept"] == PHONE
    assert "dorfhub.kiosk: submission refused (field '')" in out["log"]
    logged = "\n".join(out["log"])
    assert NAME not in logged
    assert "Kreuzeder" not in logged
    assert "9182736" not in logged.replace(" ", "")
    # In the store: the resident's submission and the nine that filled the day, sealed; an
    # admin opens the resident's with the contact.
    db = hub_home.path / "dorfhub.db"
    with Store(db) as store:
        rows = store.conn.execute("SELECT body FROM ops WHERE kind = 'submission.put'").fetchall()
        admin = load_identity(hub_home.admin_key)
        queue = submissions.moderation_queue(store.conn, admin)
    assert len(rows) == len(queue) == 10
    [queued] = [found for found in queue if found.body is not None and found.body.kind == "suche"]
    assert queued.body is not None
    assert queued.body.kind == "suche"
    assert queued.body.notice.title["de"] == f"Suche: {title}"
    assert (queued.body.contact_name, queued.body.contact_phone) == (NAME, PHONE)
    needles = {NAME, PHONE, PHONE.replace(" ", ""), "Kreuzeder"}
    for path in hub_home.path.rglob("dorfhub.db*"):
        raw = path.read_bytes()
        for needle in needles:
            for encoding in ("utf-8", "utf-16-le"):
                assert needle.encode(encoding) not in raw, (path.name, needle)
    for (body,) in rows:
        assert PHONE.replace(" ", "").encode() not in bytes(body)
