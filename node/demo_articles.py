"""The how-to library the demo ships (and a real network may start from): four articles with a
picture per step, in German, English and Leichte Sprache.

Leichte Sprache (de-LS): short sentences, one idea each, each on its own line; the words the
kiosk shows on its buttons are named as they read there. The pictures are drawn by
node/howto/draw.py and kept beside it.

`publish_demo_articles` stores them under fixed ids (`a-demo-…`), so running it again replaces
them instead of adding copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from content.article_bodies import ArticleBody
from content.articles import parse_article, put_article
from content.identity import Identity
from content.log import Log
from content.ops import body_hash

PICTURES = Path(__file__).parent / "howto"

# (text per language, alt text per language, picture file stem) for each step.
Texts = dict[str, str]
StepTexts = tuple[Texts, Texts, str]


def _t(de: str, en: str, ls: str) -> Texts:
    return {"de": de, "en": en, "de-LS": ls}


VIDEO_STEPS: list[StepTexts] = [
    (
        _t(
            "Tippen Sie auf der Startseite auf „Arzttermin“. Wählen Sie die Praxis und einen "
            "freien Termin für die Videosprechstunde. Sie bekommen einen Zettel mit Tag, Uhrzeit "
            "und Buchungscode.",
            "On the start page, tap “Doctor’s appointment”. Choose the practice and a free time "
            "for the video consultation. You get a slip with the day, the time and a booking "
            "code.",
            "Tippen Sie auf „Arzttermin“.\nWählen Sie die Praxis.\nWählen Sie einen freien "
            "Termin.\nSie bekommen einen Zettel.\nAuf dem Zettel steht, wann Ihr Termin ist.",
        ),
        _t(
            "Ein Finger tippt auf dem Bildschirm auf die Kachel mit Kalender und Kamera.",
            "A finger taps the tile with a calendar and a camera on the screen.",
            "Ein Finger tippt auf den Bildschirm.",
        ),
        "video-1",
    ),
    (
        _t(
            "Kommen Sie zehn Minuten vor dem Termin in den Dorfhub. Bringen Sie Ihre "
            "Gesundheitskarte mit, Ihren Medikamentenplan und, wenn Sie eine tragen, Ihre "
            "Lesebrille.",
            "Come to the hub ten minutes before your appointment. Bring your health insurance "
            "card, your list of medicines and, if you wear them, your reading glasses.",
            "Kommen Sie 10 Minuten vor dem Termin.\nBringen Sie Ihre Gesundheits-Karte "
            "mit.\nBringen Sie Ihren Medikamenten-Plan mit.\nBringen Sie Ihre Brille mit.",
        ),
        _t(
            "Eine Uhr, eine Gesundheitskarte, ein Medikamentenplan und eine Brille.",
            "A clock, a health insurance card, a list of medicines and glasses.",
            "Uhr, Karte, Zettel und Brille.",
        ),
        "video-2",
    ),
    (
        _t(
            "Die Sprechstunde ist im ruhigen Raum des Dorfhubs. Die Tür ist zu, niemand hört "
            "mit. Sie dürfen eine Person Ihres Vertrauens mitnehmen. Setzen Sie sich vor den "
            "Bildschirm, die Kamera sitzt oben am Rand.",
            "The consultation takes place in the hub’s quiet room. The door is closed, nobody "
            "listens in. You may bring a person you trust. Sit down in front of the screen; the "
            "camera is at its top edge.",
            "Sie gehen in den ruhigen Raum.\nDie Tür ist zu.\nNiemand hört mit.\nSie dürfen "
            "jemanden mitnehmen.\nSetzen Sie sich vor den Bildschirm.",
        ),
        _t(
            "Ein Raum mit geschlossener Tür, einem Tisch mit Bildschirm und Kamera, davor sitzt "
            "eine Frau.",
            "A room with a closed door and a table with a screen and camera; a woman sits in "
            "front of it.",
            "Eine Frau sitzt vor dem Bildschirm.",
        ),
        "video-3",
    ),
    (
        _t(
            "Zur Uhrzeit erscheint die Ärztin oder der Arzt auf dem Bildschirm. Sprechen Sie "
            "ganz normal, wie am Telefon. Sie hören und sehen sich gegenseitig. Wenn etwas "
            "nicht geht, hilft eine Lotsin: Tippen Sie auf „Hilfe holen“.",
            "At the time of your appointment, the doctor appears on the screen. Speak normally, "
            "as on the phone. You hear and see each other. If something does not work, a "
            "digital guide helps: tap “Get help”.",
            "Die Ärztin ist auf dem Bildschirm.\nSie sehen die Ärztin.\nDie Ärztin sieht "
            "Sie.\nSprechen Sie ganz normal.\nGeht etwas nicht?\nDann tippen Sie auf „Hilfe "
            "holen“.",
        ),
        _t(
            "Ein Arzt mit Stethoskop auf dem Bildschirm, davor eine Frau.",
            "A doctor with a stethoscope on the screen, a woman in front of it.",
            "Ein Arzt ist auf dem Bildschirm.",
        ),
        "video-4",
    ),
    (
        _t(
            "Sagen Sie, was Ihnen fehlt und seit wann. Halten Sie Briefe, Befunde oder Ihren "
            "Medikamentenplan nah vor die Kamera, dann kann die Ärztin sie lesen.",
            "Say what is wrong and since when. Hold letters, results or your list of medicines "
            "close to the camera so that the doctor can read them.",
            "Sagen Sie, was Ihnen fehlt.\nSagen Sie, seit wann.\nSie haben einen Brief vom "
            "Arzt?\nHalten Sie den Brief vor die Kamera.",
        ),
        _t(
            "Eine Hand hält ein Blatt Papier vor den Bildschirm mit dem Arzt.",
            "A hand holds a sheet of paper up to the screen with the doctor.",
            "Eine Hand zeigt einen Brief.",
        ),
        "video-5",
    ),
    (
        _t(
            "Am Ende sagt Ihnen die Ärztin, wie es weitergeht. Ein Rezept kommt als E-Rezept: "
            "Sie holen das Medikament mit Ihrer Gesundheitskarte in der Apotheke. Fragen Sie "
            "nach, wenn Sie etwas nicht verstanden haben.",
            "At the end, the doctor tells you what happens next. A prescription comes as an "
            "e-prescription: you collect the medicine at the pharmacy with your health insurance "
            "card. Ask if you did not understand something.",
            "Am Ende sagt die Ärztin, was Sie tun sollen.\nBrauchen Sie ein Medikament?\nDann "
            "bekommen Sie ein E-Rezept.\nSie holen das Medikament in der Apotheke.\nSie "
            "verstehen etwas nicht?\nDann fragen Sie nach.",
        ),
        _t(
            "Ein Haken auf dem Bildschirm und ein Blatt mit einem Medikament.",
            "A tick on the screen and a sheet with a medicine.",
            "Ein grüner Haken: fertig.",
        ),
        "video-6",
    ),
]

EREZEPT_STEPS: list[StepTexts] = [
    (
        _t(
            "Seit 2024 gibt es Rezepte für Medikamente meist als E-Rezept. Das rosa Papier "
            "gibt es dafür nicht mehr: Das Rezept ist sicher in einem Computer-Netz der "
            "Krankenkassen gespeichert.",
            "Since 2024, prescriptions for medicines are mostly e-prescriptions. There is no "
            "more pink paper for them: the prescription is stored securely in the health "
            "insurers’ computer network.",
            "Rezepte gibt es jetzt meistens als E-Rezept.\nDas E-Rezept ist nicht auf "
            "Papier.\nDas E-Rezept ist in einem Computer gespeichert.\nDas ist sicher.",
        ),
        _t(
            "Ein rosa Papierrezept, rot durchgestrichen, ein Pfeil zu einem Handy mit einer "
            "Tablette.",
            "A pink paper prescription crossed out in red, an arrow to a phone with a pill.",
            "Kein Papier mehr.",
        ),
        "erezept-1",
    ),
    (
        _t(
            "Die Ärztin stellt das E-Rezept in der Praxis oder nach der Videosprechstunde aus. "
            "Sie müssen dafür nichts tun. Fragen Sie, ob das Rezept schon abgeschickt ist.",
            "The doctor issues the e-prescription in the practice or after the video "
            "consultation. You do not have to do anything for it. Ask whether it has been sent.",
            "Die Ärztin macht das E-Rezept.\nSie müssen nichts tun.\nFragen Sie: Ist das "
            "Rezept schon fertig?",
        ),
        _t(
            "Eine Ärztin und ein Bildschirm mit einer Tablette.",
            "A doctor and a screen with a pill.",
            "Die Ärztin macht das Rezept.",
        ),
        "erezept-2",
    ),
    (
        _t(
            "Gehen Sie in eine Apotheke Ihrer Wahl. Stecken Sie Ihre Gesundheitskarte in das "
            "Lesegerät an der Kasse. Eine PIN brauchen Sie dafür nicht.",
            "Go to any pharmacy you like. Put your health insurance card into the card reader "
            "at the counter. You do not need a PIN for this.",
            "Gehen Sie in eine Apotheke.\nStecken Sie Ihre Gesundheits-Karte in das "
            "Lese-Gerät.\nSie brauchen keine Geheim-Zahl.",
        ),
        _t(
            "Eine Gesundheitskarte wird von oben in ein Lesegerät auf dem Tresen gesteckt.",
            "A health insurance card going into a card reader on the counter.",
            "Die Karte geht in das Lese-Gerät.",
        ),
        "erezept-3",
    ),
    (
        _t(
            "Die Apotheke sieht jetzt Ihre E-Rezepte und gibt Ihnen das Medikament. Ist es "
            "nicht vorrätig, wird es bestellt, oft schon für den nächsten Tag.",
            "The pharmacy now sees your e-prescriptions and gives you the medicine. If it is not "
            "in stock, it is ordered, often for the next day.",
            "Die Apotheke sieht Ihr Rezept.\nSie bekommen Ihr Medikament.\nManchmal muss die "
            "Apotheke es bestellen.\nDann holen Sie es später.",
        ),
        _t(
            "Eine Medikamentenschachtel und ein grüner Haken.",
            "A box of medicine and a green tick.",
            "Ein Medikament und ein grüner Haken.",
        ),
        "erezept-4",
    ),
    (
        _t(
            "Ohne Karte geht es auch: Die Praxis druckt Ihnen auf Wunsch einen Zettel mit einem "
            "Code aus. Den zeigen Sie in der Apotheke. Eine Person Ihres Vertrauens kann Ihr "
            "Rezept mit Ihrer Karte oder dem Zettel für Sie holen.",
            "It also works without the card: on request, the practice prints a slip with a code "
            "for you. Show it at the pharmacy. A person you trust can collect your prescription "
            "for you with your card or the slip.",
            "Sie haben Ihre Karte nicht dabei?\nDie Praxis kann einen Zettel drucken.\nAuf dem "
            "Zettel ist ein Code.\nZeigen Sie den Zettel in der Apotheke.\nJemand anderes kann "
            "das Medikament für Sie holen.",
        ),
        _t(
            "Ein Blatt Papier mit einem großen quadratischen Code.",
            "A sheet of paper with a large square code.",
            "Ein Zettel mit einem Code.",
        ),
        "erezept-5",
    ),
]

PHONE_STEPS: list[StepTexts] = [
    (
        _t(
            "Enkeltrick: Jemand ruft an und fragt „Rate mal, wer hier spricht?“. Er gibt sich "
            "als Enkel oder Verwandter aus und braucht schnell Geld, für einen Unfall oder ein "
            "Auto. Das ist fast immer Betrug.",
            "The grandchild trick: someone calls and asks “Guess who this is?”. They pretend "
            "to be your grandchild or a relative and need money quickly, for an accident or a "
            "car. This is almost always fraud.",
            "Jemand ruft an.\nDer Anrufer sagt: Rate mal, wer hier spricht.\nEr sagt: Ich bin "
            "dein Enkel.\nEr will schnell Geld.\nVorsicht!\nDas ist ein Trick.",
        ),
        _t(
            "Ein klingelndes Handy, eine Sprechblase mit Fragezeichen und ein Warnzeichen.",
            "A ringing phone, a speech bubble with a question mark and a warning sign.",
            "Ein Handy klingelt. Ein Warn-Zeichen.",
        ),
        "phone-1",
    ),
    (
        _t(
            "Falsche Polizei: Die echte Polizei ruft Sie nie mit der Nummer 110 an. Sie holt "
            "nie Geld, Schmuck oder Karten bei Ihnen ab und bewahrt nichts für Sie auf.",
            "Fake police: the real police never call you from the number 110. They never "
            "collect money, jewellery or cards from you, and never keep anything safe for you.",
            "Auf Ihrem Telefon steht 110?\nDas ist nicht die Polizei.\nDie Polizei ruft nie mit "
            "110 an.\nDie Polizei holt nie Geld bei Ihnen ab.",
        ),
        _t(
            "Ein Handy mit der Nummer 110, rot durchgestrichen, und Geldscheine mit einem roten "
            "Kreuz.",
            "A phone showing 110, crossed out in red, and banknotes with a red cross.",
            "110 durchgestrichen. Geld durchgestrichen.",
        ),
        "phone-2",
    ),
    (
        _t(
            "Sagen Sie am Telefon nie Ihre PIN, TAN oder ein Passwort. Keine Bank, keine "
            "Krankenkasse und keine Behörde fragt danach. Nennen Sie auch nicht, wie viel Geld "
            "oder Schmuck Sie zu Hause haben.",
            "Never say your PIN, TAN or a password on the phone. No bank, no health insurer and "
            "no authority ever asks for them. Do not say how much money or jewellery you keep at "
            "home either.",
            "Sagen Sie nie Ihre Geheim-Zahl.\nDie Bank fragt nie am Telefon danach.\nSagen "
            "Sie nicht, wie viel Geld Sie haben.",
        ),
        _t(
            "Ein Tastenfeld, eine verdeckte Geheimzahl und ein rotes Kreuz.",
            "A keypad, a hidden PIN and a red cross.",
            "Geheim-Zahl: nicht sagen.",
        ),
        "phone-3",
    ),
    (
        _t(
            "Legen Sie einfach auf, wenn Ihnen ein Anruf seltsam vorkommt oder jemand Druck "
            "macht. Das ist nicht unhöflich. Niemand darf Sie am Telefon drängen.",
            "Just hang up if a call seems strange or someone puts you under pressure. That is "
            "not rude. Nobody may push you on the phone.",
            "Der Anruf ist komisch?\nLegen Sie auf.\nDas dürfen Sie.\nDas ist nicht unhöflich.",
        ),
        _t(
            "Ein Telefonhörer liegt auf dem Telefon, daneben der rote Knopf zum Auflegen.",
            "A receiver lying on the telephone, next to it the red button for hanging up.",
            "Auflegen.",
        ),
        "phone-4",
    ),
    (
        _t(
            "Rufen Sie selbst zurück, bei Ihrer Familie oder der Stelle, die angeblich anrief. "
            "Nehmen Sie die Nummer aus Ihrem eigenen Telefonbuch, nie die Nummer, die der "
            "Anrufer Ihnen gibt.",
            "Call back yourself: your family, or the office that supposedly called. Take the "
            "number from your own address book, never the number the caller gives you.",
            "Rufen Sie selbst an.\nZum Beispiel Ihren Enkel.\nNehmen Sie die Nummer aus Ihrem "
            "Telefon-Buch.\nNicht die Nummer vom Anrufer.",
        ),
        _t(
            "Ein Telefonbuch, ein Pfeil und ein Handy mit grünem Hörer.",
            "An address book, an arrow and a phone with a green receiver.",
            "Telefon-Buch und Handy.",
        ),
        "phone-5",
    ),
    (
        _t(
            "Sprechen Sie darüber, mit Ihrer Familie, Nachbarn oder einer Lotsin. Haben Sie "
            "schon Geld gegeben oder eine Nummer gesagt? Rufen Sie selbst die 110 an und sperren "
            "Sie Ihre Karten über die Nummer 116 116.",
            "Talk about it with your family, neighbours or a digital guide. Have you already "
            "handed over money or said a number? Call 110 yourself and block your cards on "
            "116 116.",
            "Sprechen Sie mit Ihrer Familie.\nOder mit einer Lotsin.\nSie haben schon Geld "
            "gegeben?\nRufen Sie selbst die 110 an.\nSperren Sie Ihre Karte: Rufen Sie 116 116 "
            "an.",
        ),
        _t(
            "Zwei Menschen sprechen miteinander, darüber ein grüner Haken.",
            "Two people talking to each other, a green tick above them.",
            "Zwei Menschen sprechen.",
        ),
        "phone-6",
    ),
]

KIOSK_STEPS: list[StepTexts] = [
    (
        _t(
            "Tippen Sie mit einem Finger kurz auf eine Fläche. Sie müssen nicht fest drücken "
            "und nicht wischen. Die großen Flächen auf der Startseite öffnen die Bereiche.",
            "Tap a tile briefly with one finger. You do not need to press hard or swipe. The "
            "large tiles on the start page open each part.",
            "Tippen Sie kurz mit einem Finger.\nSie müssen nicht fest drücken.\nSie müssen "
            "nicht wischen.",
        ),
        _t(
            "Ein Finger tippt auf eine Kachel des Bildschirms.",
            "A finger taps a tile on the screen.",
            "Ein Finger tippt.",
        ),
        "kiosk-1",
    ),
    (
        _t(
            "Unten ist immer die gleiche Leiste. „Zurück“ bringt Sie einen Schritt zurück, "
            "„Start“ zur Startseite. Sie können nichts kaputt machen.",
            "The same bar is always at the bottom. “Back” takes you one step back, “Start” to "
            "the start page. You cannot break anything.",
            "Unten sind immer die gleichen Knöpfe.\n„Zurück“ geht einen Schritt zurück.\n"
            "„Start“ geht zur Start-Seite.\nSie können nichts kaputt machen.",
        ),
        _t(
            "Der Bildschirm mit der Leiste unten; ein Finger tippt auf den ersten Knopf.",
            "The screen with the bar at the bottom; a finger taps the first button.",
            "Die Knöpfe unten.",
        ),
        "kiosk-2",
    ),
    (
        _t(
            "Tippen Sie auf „Vorlesen“: Der Bildschirm liest vor, was er zeigt. „Stopp“ hört "
            "auf, „Nochmal“ liest es wieder. Mit Kopfhörern hört es nur Sie.",
            "Tap “Read aloud”: the screen reads out what it shows. “Stop” ends it, “Again” "
            "reads it once more. With headphones, only you hear it.",
            "Tippen Sie auf „Vorlesen“.\nDann hören Sie den Text.\n„Stopp“ hört auf.\n"
            "„Nochmal“ liest noch einmal vor.",
        ),
        _t(
            "Ein Bildschirm mit Text und ein Lautsprecher mit Schallwellen.",
            "A screen with text and a loudspeaker with sound waves.",
            "Ein Laut-Sprecher.",
        ),
        "kiosk-3",
    ),
    (
        _t(
            "Auf der Startseite gibt es „Große Schrift und starker Kontrast“. Dann ist alles "
            "größer und dunkler, und der Bildschirm liest langsamer vor.",
            "On the start page there is “Large text and strong contrast”. Then everything is "
            "larger and darker, and the screen reads more slowly.",
            "Die Schrift ist zu klein?\nTippen Sie auf „Große Schrift“.\nDann ist alles größer.",
        ),
        _t(
            "Ein kleiner Buchstabe A, ein Pfeil, ein großes weißes A auf schwarzem Grund.",
            "A small letter A, an arrow, a large white A on black.",
            "Kleines A, großes A.",
        ),
        "kiosk-4",
    ),
    (
        _t(
            "Unten auf der Startseite wählen Sie die Sprache: Deutsch, Englisch oder Leichte "
            "Sprache.",
            "At the bottom of the start page you choose the language: German, English or Easy "
            "German (Leichte Sprache).",
            "Sie können die Sprache wählen.\nEs gibt Deutsch.\nEs gibt Englisch.\nEs gibt "
            "Leichte Sprache.",
        ),
        _t(
            "Drei Sprechblasen in drei Farben, ein Finger tippt auf die mittlere.",
            "Three speech bubbles in three colours; a finger taps the middle one.",
            "Drei Sprech-Blasen.",
        ),
        "kiosk-5",
    ),
    (
        _t(
            "Brauchen Sie Hilfe? Tippen Sie unten rechts auf „Hilfe holen“. Eine Lotsin ruft "
            "Sie zurück, wenn Sie Ihre Telefonnummer angeben.",
            "Do you need help? Tap “Get help” at the bottom right. A digital guide calls you "
            "back if you give your phone number.",
            "Sie brauchen Hilfe?\nTippen Sie auf „Hilfe holen“.\nEine Lotsin hilft Ihnen.",
        ),
        _t(
            "Ein Finger tippt auf den grünen Knopf unten rechts; daneben eine Helferin.",
            "A finger taps the green button at the bottom right; a helper beside it.",
            "Der Knopf „Hilfe holen“.",
        ),
        "kiosk-6",
    ),
    (
        _t(
            "Gehen Sie einfach, wenn Sie fertig sind. Nach zwei Minuten ohne Berührung geht "
            "der Bildschirm zurück zum Start und vergisst alles, was Sie eingegeben haben.",
            "Simply leave when you are done. After two minutes without a touch, the screen goes "
            "back to the start and forgets everything you entered.",
            "Sie sind fertig?\nDann gehen Sie einfach.\nDer Bildschirm vergisst alles.",
        ),
        _t(
            "Eine Uhr, ein Pfeil und ein Haus: zurück zum Start.",
            "A clock, an arrow and a house: back to the start.",
            "Uhr und Haus.",
        ),
        "kiosk-7",
    ),
]

# (id, title, summary, steps)
ARTICLES: list[tuple[str, Texts, Texts, list[StepTexts]]] = [
    (
        "a-demo-video",
        _t("Videosprechstunde im Dorfhub", "Video consultation at the hub", "Video-Sprechstunde"),
        _t(
            "Mit der Ärztin sprechen, ohne in die Stadt zu fahren: buchen, hinkommen, sprechen.",
            "Talk to your doctor without travelling to town: book, come, talk.",
            "Sie sprechen mit der Ärztin.\nÜber einen Bildschirm im Dorfhub.",
        ),
        VIDEO_STEPS,
    ),
    (
        "a-demo-erezept",
        _t("Das E-Rezept", "The e-prescription", "Das E-Rezept"),
        _t(
            "Wie Sie Ihr Medikament ohne Papierrezept in der Apotheke bekommen.",
            "How to get your medicine at the pharmacy without a paper prescription.",
            "So bekommen Sie Ihr Medikament in der Apotheke.",
        ),
        EREZEPT_STEPS,
    ),
    (
        "a-demo-telefon",
        _t(
            "Sicher telefonieren – Betrug erkennen",
            "Safe on the phone – spotting fraud",
            "Sicher telefonieren",
        ),
        _t(
            "Enkeltrick und falsche Polizei erkennen, und was Sie dann tun.",
            "How to spot the grandchild trick and fake police, and what to do.",
            "Vorsicht bei komischen Anrufen.\nSo schützen Sie sich.",
        ),
        PHONE_STEPS,
    ),
    (
        "a-demo-bildschirm",
        _t("So benutzen Sie den Bildschirm", "How to use this screen", "So geht der Bildschirm"),
        _t(
            "Tippen, zurück, vorlesen, große Schrift, Sprache und Hilfe.",
            "Tapping, going back, reading aloud, large text, language and help.",
            "So benutzen Sie den Bildschirm im Dorfhub.",
        ),
        KIOSK_STEPS,
    ),
]


def picture_bytes(stem: str) -> bytes:
    return (PICTURES / f"{stem}.png").read_bytes()


def demo_article(
    title: Texts,
    summary: Texts,
    steps: list[StepTexts],
    hubs: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> tuple[ArticleBody, list[bytes]]:
    """One article's body and its pictures' bytes."""
    files = [picture_bytes(stem) for _, _, stem in steps]
    body = parse_article(
        {
            "title": title,
            "summary": summary,
            "steps": [
                {
                    "text": text,
                    "picture": {
                        "blob": body_hash(data),
                        "mime": "image/png",
                        "size": len(data),
                        "alt": alt,
                    },
                }
                for (text, alt, _), data in zip(steps, files, strict=True)
            ],
            "targets": {"hubs": sorted(hubs), "groups": sorted(groups)},
        }
    )
    return body, files


def publish_demo_articles(
    log: Log, admin: Identity, hubs: Sequence[str] = (), groups: Sequence[str] = ()
) -> list[str]:
    """The four articles under their fixed ids, for these hubs (keys) and groups; for every hub
    of the network when neither is given."""
    published = []
    for article_id, title, summary, steps in ARTICLES:
        body, files = demo_article(title, summary, steps, hubs, groups)
        published.append(put_article(log, admin, body, files, article_id))
    return published
