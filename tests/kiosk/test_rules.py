"""The kiosk's pure parts: sizes and colours, idle timing, the PIN, QR payloads, catalogs."""

from __future__ import annotations

import ast
import math
import re
import stat
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest
import segno

from content.notice_qr import SCREEN_MAX_VERSION, side_modules
from content.notice_qr import version as qr_version
from content.notices import Notice
from kiosk import qr
from kiosk.i18n import LANGUAGES, Translator, load_catalog, load_plurals
from kiosk.idle import Event, IdleTimer
from kiosk.pin import LOCK_S, MAX_WRONG, PIN_FILE, PinError, PinGate, set_pin, verify_pin
from kiosk.theme import (
    DEFAULT,
    HIGH_CONTRAST,
    Screen,
    contrast_ratio,
    hex_rgba,
    make_theme,
)
from tests.kiosk.fakes import FakeClock

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
REPO = KIOSK.parent


# ---- sizes and colours -----------------------------------------------------------------------


def test_reference_panel_sizes_follow_the_physical_rules() -> None:
    panel = Screen(1920, 1080, 21.5)
    theme = make_theme(panel)
    assert theme.target == 65  # 16 mm at 0.248 mm per pixel
    assert panel.mm(theme.target) >= 16
    assert theme.gap >= 8
    assert theme.body == 24
    assert theme.heading > theme.body
    assert make_theme(panel, large_text=True).body == 36
    # Reading text: 32 px at least, and a capital H (0.71 em in Roboto) of 0.7 degrees at
    # 50 cm; its lines no wider than 70 average characters.
    assert theme.reading == 35
    assert panel.mm(theme.reading * 1456 / 2048) >= 500 * math.tan(math.radians(0.7))
    assert theme.measure == round(70 * 0.45 * 35)
    assert make_theme(panel, large_text=True).reading == 52
    # A small dense panel needs more pixels for the same millimetres; a coarse one never
    # goes below 44 px or 24 px text.
    assert make_theme(Screen(1920, 1080, 10.1)).target > 100
    coarse = make_theme(Screen(800, 480, 21.5))
    assert coarse.target >= 44
    assert coarse.body >= 24


@pytest.mark.parametrize("palette", [DEFAULT, HIGH_CONTRAST], ids=lambda p: p.name)
def test_every_text_colour_has_seven_to_one_on_its_fill(palette: object) -> None:
    pairs = [
        ("text", "background"),
        ("surface_text", "surface"),
        ("button_text", "button"),
        ("tile_text", "tile"),
        ("help_text", "help"),
        ("alert_text", "alert"),
        ("text", "bar"),
    ]
    for text, fill in pairs:
        ratio = contrast_ratio(hex_rgba(getattr(palette, text)), hex_rgba(getattr(palette, fill)))
        assert ratio >= 7, (text, fill, ratio)


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast_ratio(hex_rgba("#000000"), hex_rgba("#FFFFFF")) == pytest.approx(21)
    assert contrast_ratio(hex_rgba("#777777"), hex_rgba("#FFFFFF")) == pytest.approx(4.48, 0.01)


# ---- idle ------------------------------------------------------------------------------------


def test_idle_warns_after_two_minutes_then_resets_after_twenty_seconds() -> None:
    timer = IdleTimer(last_touch=0)
    assert timer.tick(119.9, at_rest=False) is None
    assert timer.tick(120, at_rest=False) is Event.WARN
    assert timer.seconds_left(121) == 19
    assert timer.tick(139.9, at_rest=False) is None
    assert timer.tick(140, at_rest=False) is Event.RESET
    # After the reset, home at rest: signage after its own quiet time, not another warning.
    assert timer.tick(140 + 179, at_rest=True) is None
    assert timer.tick(140 + 180, at_rest=True) is Event.SIGNAGE
    assert timer.tick(140 + 500, at_rest=True) is None


def test_a_touch_during_the_warning_keeps_the_session() -> None:
    timer = IdleTimer(last_touch=0)
    assert timer.tick(120, at_rest=False) is Event.WARN
    timer.touched(130)
    assert timer.tick(145, at_rest=False) is None
    assert timer.tick(250, at_rest=False) is Event.WARN


def test_accessible_mode_doubles_the_time() -> None:
    timer = IdleTimer(last_touch=0, accessible=True)
    assert timer.tick(239, at_rest=False) is None
    assert timer.tick(240, at_rest=False) is Event.WARN
    assert timer.tick(279, at_rest=False) is None
    assert timer.tick(280, at_rest=False) is Event.RESET


# ---- PIN -------------------------------------------------------------------------------------


def test_pin_is_stored_hashed_in_a_private_file(tmp_path: Path) -> None:
    path = set_pin(tmp_path, "4711")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "4711" not in text
    assert '"kdf": "scrypt"' in text
    assert verify_pin(tmp_path, "4711")
    assert not verify_pin(tmp_path, "4712")
    set_pin(tmp_path, "4711")
    assert path.read_text() != text  # a fresh salt each time


@pytest.mark.parametrize("bad", ["", "123", "12a4", "１２３４", "1234567890123"])
def test_pin_format_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PinError):
        set_pin(tmp_path, bad)
    assert not (tmp_path / PIN_FILE).exists()


def test_wrong_pins_in_a_row_lock_for_a_while(tmp_path: Path) -> None:
    set_pin(tmp_path, "4711")
    clock = FakeClock()
    gate = PinGate(tmp_path, clock)
    for _ in range(MAX_WRONG):
        assert not gate.try_pin("0000")
    assert gate.locked_for() == LOCK_S
    assert not gate.try_pin("4711")  # the right PIN is refused while locked
    clock.advance(LOCK_S)
    assert gate.try_pin("4711")


def test_no_pin_file_opens_nothing(tmp_path: Path) -> None:
    assert not PinGate(tmp_path, FakeClock()).try_pin("0000")


def _dorfhub(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_set_pin_command(tmp_path: Path) -> None:
    from tests.kiosk.hubhome import make_hub_home

    home = make_hub_home(tmp_path).path
    short = _dorfhub("kiosk", "set-pin", "--home", str(home), stdin="123\n123\n")
    assert short.returncode == 1
    assert short.stderr.count("\n") == 1
    assert "at least 4 digits" in short.stderr
    differ = _dorfhub("kiosk", "set-pin", "--home", str(home), stdin="1234\n1235\n")
    assert differ.returncode == 1
    assert not (home / PIN_FILE).exists()
    done = _dorfhub("kiosk", "set-pin", "--home", str(home), stdin="2580\n2580\n")
    assert done.returncode == 0, done.stderr
    assert verify_pin(home, "2580")
    bad_size = _dorfhub("kiosk", "--home", str(home), "--size", "huge")
    assert bad_size.returncode == 2
    assert bad_size.stderr.count("\n") == 1


# ---- QR payloads -----------------------------------------------------------------------------


def _notice(**changes: object) -> Notice:
    fields: dict[str, object] = {
        "id": "n-1",
        "title": {"de": "Seniorennachmittag; Musik, Kuchen", "en": "Afternoon"},
        "body": {"de": "Kaffee\nund Kuchen"},
        "category": "veranstaltung",
        "priority": "normal",
        "valid_from": 0,
        "valid_until": None,
        "event_start": 1_767_276_000_000,
        "event_end": None,
        "place": "Pfarrheim",
        "target_hubs": [],
        "target_groups": [],
        "attachments": [],
        "author": "a",
        "author_name": "Verwaltung",
        "published_at": 0,
        "updated_at": 0,
        "retracted": False,
    }
    fields.update(changes)
    return Notice(**fields)  # type: ignore[arg-type]


def test_event_qr_holds_a_compact_calendar_entry() -> None:
    """Only the essentials: title, time and place, none of what phones never show."""
    found = qr.screen_payload(_notice(), "de")
    assert found is not None
    assert found.kind == "event"
    lines = found.text.split("\r\n")
    assert lines[:3] == ["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT"]
    assert "DTSTART:20260101T140000Z" in lines
    assert "DTEND:20260101T150000Z" in lines  # an event without an end lasts an hour
    assert "SUMMARY:Seniorennachmittag\\; Musik\\, Kuchen" in lines
    assert "LOCATION:Pfarrheim" in lines
    assert not [line for line in lines if line.startswith(("DESCRIPTION", "UID", "DTSTAMP"))]
    assert lines[-3:] == ["END:VEVENT", "END:VCALENDAR", ""]
    event = icalendar.Calendar.from_ical(found.text).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Seniorennachmittag; Musik, Kuchen"
    english = qr.screen_payload(_notice(), "en")
    assert english is not None
    assert "SUMMARY:Afternoon" in english.text
    easy = qr.screen_payload(_notice(), "de-LS")  # German fallback
    assert easy is not None
    assert "SUMMARY:Seniorennachmittag" in easy.text


@pytest.mark.parametrize("words", [3, 40, 120, 1000])
def test_a_notice_qr_is_never_cut(words: int) -> None:
    """The whole notice, or its title alone, and the kind says which: never a cut text."""
    body = " ".join(f"Wort{n}" for n in range(words))
    found = qr.screen_payload(_notice(event_start=None, body={"de": body}), "de")
    assert found is not None
    whole = f"Seniorennachmittag; Musik, Kuchen\n\n{body}"
    assert (found.kind, found.text) in {("whole", whole), ("title", whole.split("\n")[0])}
    assert "…" not in found.text
    assert qr_version(found.text) <= SCREEN_MAX_VERSION
    assert found.kind == ("whole" if words <= 40 else "title")


def test_an_event_whose_place_is_too_long_keeps_title_and_time() -> None:
    place = "Pfarrheim " * 40
    found = qr.screen_payload(_notice(place=place), "de")
    assert found is not None
    assert found.kind == "event_no_place"
    assert "LOCATION" not in found.text
    assert "SUMMARY:Seniorennachmittag" in found.text
    # The longest title (200 characters) fits; one that does not (600 bytes of UTF-8) gets no
    # code rather than a cut one.
    longest = {"de": "Ä" * 200}
    assert qr.screen_payload(_notice(event_start=None, title=longest), "de") is not None
    too_long = {"de": "€" * 200}
    assert qr.screen_payload(_notice(event_start=None, title=too_long), "de") is None


def test_qr_modules_are_whole_pixels_of_at_least_2_mm_on_the_reference_panel() -> None:
    panel = Screen(1920, 1080, 21.5)
    size = make_theme(panel)
    assert size.qr_module == 9  # 2.23 mm; 8 px would be 1.98 mm
    assert panel.mm(size.qr_module) >= 2.0 > panel.mm(size.qr_module - 1)
    # The column holds the largest code the kiosk makes, quiet zone included.
    assert size.qr_column == (17 + 4 * SCREEN_MAX_VERSION + 2 * qr.QUIET_ZONE) * 9 == 693
    assert panel.mm(size.qr_column) == pytest.approx(171.8, abs=0.1)
    for words in (3, 1000):
        found = qr.screen_payload(_notice(event_start=None, body={"de": "Wort " * words}), "de")
        assert found is not None
        side = side_modules(found.text) * size.qr_module
        assert side <= size.qr_column
        assert side == (segno.make(found.text, error="m").symbol_size(scale=1)[0]) * 9
    assert qr.png("KM4T-7QXA")[:8] == b"\x89PNG\r\n\x1a\n"


# ---- catalogs and strings --------------------------------------------------------------------


def test_every_message_has_all_three_translations() -> None:
    catalogs = {language: load_catalog(language) for language in LANGUAGES}
    keys = set(catalogs["de"])
    assert len(keys) > 80
    for language, catalog in catalogs.items():
        assert set(catalog) == keys, language
        empty = [key for key, text in catalog.items() if not text.strip() or text == key]
        assert empty == [], language


# Placeholders that stand for a number of things ("{seconds} Sekunden"): a message with one of
# them needs plural forms. Every other placeholder the catalogs use is named in NOT_COUNTED, so
# that a new one is decided on, not forgotten.
COUNTED = {"count", "seconds", "minutes", "hours", "days"}
NOT_COUNTED = {
    # words, names, dates and lists
    *("birth", "code", "date", "dates", "day", "end", "error", "guide", "kind", "name", "phone"),
    *("place", "practice", "reason", "sensor", "source", "start", "text", "time", "times"),
    *("title", "value", "values", "village", "when", "words"),
    *("hour", "minute"),  # a time of day
    *("number", "total", "page", "pages"),  # "Schritt 2 von 5": a position, not a count
    *("gigabytes", "percent"),  # a measure with its unit's symbol
    *("frames_ok", "checksum_errors", "reconnects"),  # counters as "label: value"
}


def test_every_count_has_plural_forms() -> None:
    """No message with a count placeholder without its plural forms, in any catalog."""
    for language in LANGUAGES:
        catalog = load_catalog(language)
        used = {key: set(re.findall(r"\{(\w+)\}", text)) for key, text in catalog.items()}
        unknown = set().union(*used.values()) - COUNTED - NOT_COUNTED
        assert unknown == set(), f"{language}: decide whether these are counts: {unknown}"
        counted = sorted(key for key, names in used.items() if names & COUNTED)
        assert counted == [], f"{language}: counts without plural forms: {counted}"


def test_counts_take_the_plural_forms_of_every_catalog() -> None:
    """gettext plurals, with the language's rule: "1 Aushang", "2 Aushänge" (and "0 Aushänge")
    in German, English and Leichte Sprache alike, each message with both forms."""
    plurals = {language: load_plurals(language) for language in LANGUAGES}
    keys = set(plurals["de"].forms)
    assert {"board.count", "guide.pending", "guide.clock_suspect"} <= keys
    assert {"idle.countdown", "pin.locked", "guide.speech", "offer.done_text"} <= keys
    for language, found in plurals.items():
        assert set(found.forms) == keys, language
        assert all(len(forms) == 2 and all(forms) for forms in found.forms.values()), language
        assert not keys & set(load_catalog(language)), language  # no count without its forms
    translator = Translator()
    counts = {
        language: [translator.tn(language, "board.count", n) for n in (0, 1, 2)]
        for language in LANGUAGES
    }
    assert counts == {
        "de": ["0 Aushänge", "1 Aushang", "2 Aushänge"],
        "en": ["0 notices", "1 notice", "2 notices"],
        "de-LS": ["0 Aus·hänge", "1 Aus·hang", "2 Aus·hänge"],
    }
    minute = translator.tn("de", "guide.clock_suspect", 1, minutes=1)
    assert minute == "Uhr: geht etwa 1 Minute nach"
    seconds = [translator.tn("en", "idle.countdown", n, seconds=n)[:17] for n in (1, 2)]
    assert seconds == ["In 1 second the s", "In 2 seconds the "]
    assert "in 1 Minute wieder" in translator.tn("de", "pin.locked", 1, minutes=1)
    assert "Noch 1 Sekunde." in translator.tn("de-LS", "idle.countdown", 1, seconds=1)


def _used_keys() -> set[str]:
    used: set[str] = set()
    pattern = re.compile(r"""(?:\bt|\btr|\btn|_tell)\(\s*"([a-z_.-]+)\"""")
    for path in [*KIOSK.rglob("*.py"), *KIOSK.rglob("*.kv")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return used


def test_every_key_the_screens_use_is_in_the_catalogs() -> None:
    keys = set(load_catalog("de")) | set(load_plurals("de").forms)
    used = _used_keys()
    assert len(used) > 60
    prefixes = {key for key in used if key.endswith(".")}  # "category." + a name
    assert used - prefixes - keys == set()
    from content.bodies import CATEGORIES, PRIORITIES

    dynamic = {f"category.{name}" for name in CATEGORIES}
    dynamic |= {f"priority.{name}" for name in PRIORITIES}
    dynamic |= {"guide.state.open", "guide.state.done", "help.error_name", "help.error_phone"}
    assert dynamic - keys == set()


def test_kv_files_show_no_text_outside_the_catalogs() -> None:
    offending = []
    for path in sorted((KIOSK / "screens").glob("*.kv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not re.match(r"\s*text:", line):
                continue
            # Catalog look-ups are fine; any other quoted text with letters is not.
            rest = re.sub(r"""app\.t\(\s*("[^"]*"|'[^']*')""", "app.t(KEY", line)
            rest = re.sub(r"""("[a-z_.-]+"\s+if\s+[^"]+\s+else\s+"[a-z_.-]+")""", "KEYS", rest)
            for literal in re.findall(r""""([^"]*)"|'([^']*)'""", rest):
                text = (literal[0] or literal[1]).encode().decode("unicode_escape")
                if re.search(r"[A-Za-zÄÖÜäöüß]", text) and not re.fullmatch(r"[a-z_.-]+", text):
                    offending.append(f"{path.name}:{number}: {text!r}")
    assert offending == []


def test_python_sets_no_visible_text_directly() -> None:
    """Assignments to text-like attributes and `text=` arguments carry no word literals."""
    visible = {"text", "message", "error_text", "title_text", "body_text", "hours_text"}
    offending = []
    for path in sorted(KIOSK.rglob("*.py")):
        if path.name == "speech.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            values = []
            if isinstance(node, ast.Assign):
                values += [
                    node.value
                    for target in node.targets
                    if isinstance(target, ast.Attribute) and target.attr in visible
                ]
            if isinstance(node, ast.Call):
                values += [kw.value for kw in node.keywords if kw.arg in visible]
            for value in values:
                offending += [f"{path.name}:{line}: {text!r}" for line, text in _words(value)]
    assert offending == []


def _words(node: ast.AST) -> list[tuple[int, str]]:
    """String constants with words in an expression, not looking into calls (whose arguments
    are keys and field names: `t("help.error")`, `notice.text("title", lang)`)."""
    if isinstance(node, ast.Call):
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        colour = re.fullmatch(r"#[0-9A-Fa-f]{6}", node.value)
        found = re.search(r"[A-Za-zÄÖÜäöüß]{2,}", node.value) and not colour
        return [(node.lineno, node.value)] if found else []
    return [hit for child in ast.iter_child_nodes(node) for hit in _words(child)]
