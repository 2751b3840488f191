"""`dorfhub notice` as an administrator scripts it (issue 18): times in Berlin time, a date
alone the whole day, German forms, events that take their notice down, one line per write
with id, targets and window, the body from stdin or a file within its limit, targets checked
against the network, attachments known by their content, and every bad input one line on
stderr with nothing stored. Real processes on real homes; every moment is explicit (the
years 2026 and 2030, the days the clocks change), none depends on when the tests run."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from content.bodies import MAX_ATTACHMENTS, MAX_TEXT_CHARS
from tests.node.cli import grant_hub, notices_json, run_dorfhub

WINDOW = ("--from", "2030-12-01", "--until", "2030-12-31")
# A notice of a title and a short text, for tests about everything else.
PLAIN = ("--title", "Aushang", "--body", "Text")
PUBLISH = ("notice", "publish", *PLAIN)
CONCERT = ("--title", "Konzert", "--body", "x", "--from", "2030-12-01")


def publish(home: Path, *args: str, input: str | None = None) -> tuple[str, str]:
    """The new notice's id and the one line the command printed."""
    done = run_dorfhub("notice", "publish", *args, home=home, input=input)
    [line] = done.stdout.splitlines()
    return line.split()[0], line


def shown(home: Path, notice_id: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        run_dorfhub("notice", "show", notice_id, "--json", home=home).stdout
    )
    return found


def stored(home: Path) -> tuple[int, int, int]:
    """Ops, blobs and notices in the node's database: equal before and after a refusal."""
    with sqlite3.connect(home / "dorfhub.db") as conn:
        return (
            int(conn.execute("SELECT count(*) FROM ops").fetchone()[0]),
            int(conn.execute("SELECT count(*) FROM blobs").fetchone()[0]),
            int(conn.execute("SELECT count(*) FROM notices").fetchone()[0]),
        )


def refused(home: Path, *args: str | Path, input: str | None = None) -> str:
    """Runs a command that must fail: one line on stderr, nothing stored. Returns the line."""
    before = stored(home)
    done = run_dorfhub(*args, home=home, check=False, input=input)
    assert done.returncode != 0, (args, done.stdout)
    assert done.stderr.startswith("dorfhub: error: "), (args, done.stderr)
    assert done.stderr.count("\n") == 1, (args, done.stderr)
    assert "Traceback" not in done.stderr
    assert stored(home) == before, args
    return done.stderr.strip()


@pytest.fixture
def network(town: Path, hub: tuple[Path, str], tmp_path: Path) -> Path:
    """The town server with Ringelai (group Ilzer Land) and Perlesreut (group Sonnenwald)."""
    grant_hub(town, tmp_path, "Perlesreut", "Sonnenwald")
    return town


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


# ---- time -------------------------------------------------------------------------------------


def test_a_time_without_a_zone_is_berlin_time_in_winter_and_summer(town: Path) -> None:
    winter, _ = publish(town, *PLAIN, *WINDOW, "--event-start", "2030-12-10T15:00")
    summer, _ = publish(
        town,
        *PLAIN,
        *("--from", "2030-07-01", "--until", "2030-07-31"),
        *("--event-start", "2030-07-10 15:00"),
    )
    assert shown(town, winter)["event"]["start"] == "2030-12-10T14:00:00+00:00"
    assert shown(town, summer)["event"]["start"] == "2030-07-10T13:00:00+00:00"
    text = run_dorfhub("notice", "show", winter, home=town).stdout
    assert "Dienstag, 10. Dezember 2030, 15:00 Uhr" in text
    # A zone given is kept.
    zoned, _ = publish(town, *PLAIN, *WINDOW, "--event-start", "2030-12-10T14:00Z")
    assert shown(town, zoned)["event"]["start"] == "2030-12-10T14:00:00+00:00"


def test_a_date_alone_is_the_whole_day_as_a_start_and_as_an_end(town: Path) -> None:
    notice, _ = publish(town, "--title", "Christkindlmarkt", "--body", "Glühwein", *WINDOW)
    assert shown(town, notice)["valid_from"] == "2030-11-30T23:00:00+00:00"  # 01.12. 00:00
    assert shown(town, notice)["valid_until"] == "2030-12-31T23:00:00+00:00"  # 31.12. 24:00
    assert notices_json(town, "--at", "2030-11-30T23:59") == []
    assert [n["id"] for n in notices_json(town, "--at", "01.12.2030")] == [notice]
    assert [n["id"] for n in notices_json(town, "--at", "31.12.2030 23:59")] == [notice]
    assert notices_json(town, "--at", "01.01.2031") == []


@pytest.mark.parametrize(
    ("day", "hours", "starts"),
    [
        ("2026-03-29", 23, "2026-03-28T23:00:00+00:00"),  # the clocks go forward
        ("25.10.2026", 25, "2026-10-24T22:00:00+00:00"),  # and back
        ("2030-03-31", 23, "2030-03-30T23:00:00+00:00"),
        ("27.10.2030", 25, "2030-10-26T22:00:00+00:00"),
    ],
)
def test_a_day_the_clocks_change_is_that_long(
    town: Path, day: str, hours: int, starts: str
) -> None:
    notice, _ = publish(town, *PLAIN, "--from", day, "--until", day)
    found = shown(town, notice)
    assert found["valid_from"] == starts
    assert [n["id"] for n in notices_json(town, "--at", day)] == [notice]
    assert "24:00 Uhr" in run_dorfhub("notice", "show", notice, home=town).stdout
    start, end = (datetime.fromisoformat(found[k]) for k in ("valid_from", "valid_until"))
    assert (end - start).total_seconds() == hours * 3600


@pytest.mark.parametrize(
    ("month", "start", "end", "in_utc"),
    [
        # 02:30 on 25 October 2026 comes twice: its first pass (summer time) is meant.
        ("10", "25.10.2026 02:30", "25.10.2026 03:30", ("00:30", "02:30")),
        # 01:30 CET to 03:30 CEST on 29 March 2026 is one hour.
        ("03", "29.03.2026 01:30", "29.03.2026 03:30", ("00:30", "01:30")),
    ],
)
def test_times_on_the_days_the_clocks_change(
    town: Path, month: str, start: str, end: str, in_utc: tuple[str, str]
) -> None:
    window = ("--from", f"2026-{month}-01", "--until", f"2026-{month}-28")
    notice, _ = publish(town, *PLAIN, *window, "--event-start", start, "--event-end", end)
    event = shown(town, notice)["event"]
    day = f"2026-{month}-{start[:2]}"
    assert (event["start"], event["end"]) == tuple(f"{day}T{t}:00+00:00" for t in in_utc)


def test_german_forms_mean_what_iso_means(town: Path) -> None:
    german, _ = publish(
        town,
        *PLAIN,
        *("--from", "01.12.2030", "--until", "31.12.2030 15:00"),
        *("--event-start", "10.12.2030 15:00", "--event-end", "10.12.2030, 18 Uhr"),
    )
    iso, _ = publish(
        town,
        *PLAIN,
        *("--from", "2030-12-01", "--until", "2030-12-31T15:00"),
        *("--event-start", "2030-12-10T15:00", "--event-end", "2030-12-10T18:00"),
    )
    fields = ("valid_from", "valid_until", "event")
    assert [shown(town, german)[f] for f in fields] == [shown(town, iso)[f] for f in fields]


def test_an_event_without_until_leaves_the_board_when_it_ends(town: Path) -> None:
    evening = ("--event-start", "12.12.2030 19:00")
    concert, line = publish(town, *CONCERT, *evening, "--event-end", "21:30")
    assert line.endswith("ab So 01.12.2030 · bis Do 12.12.2030, 21:30 Uhr")
    assert shown(town, concert)["valid_until"] == shown(town, concert)["event"]["end"]
    assert [n["id"] for n in notices_json(town, "--at", "12.12.2030 21:29")] == [concert]
    assert notices_json(town, "--at", "12.12.2030 21:30") == []
    # Without an end, it leaves at the end of the day the event starts (as the desk decides).
    talk, line = publish(town, *CONCERT, *evening)
    assert line.endswith("bis Do 12.12.2030, 24:00 Uhr")
    assert shown(town, talk)["event"]["end"] is None
    # A date alone is a whole-day event.
    market, line = publish(town, *CONCERT, "--event-start", "2030-12-14")
    assert line.endswith("bis Sa 14.12.2030, 24:00 Uhr")
    text = run_dorfhub("notice", "show", market, home=town).stdout
    assert "Wann: Samstag, 14. Dezember 2030\n" in text
    # --until still says how long, whatever the event.
    kept, _ = publish(town, *CONCERT, "--until", "2030-12-20", *evening)
    assert shown(town, kept)["valid_until"] == "2030-12-20T23:00:00+00:00"


def test_an_update_moves_the_window_with_its_event(town: Path) -> None:
    evening = ("--event-start", "12.12.2030 19:00")
    concert, _ = publish(town, *CONCERT, *evening, "--event-end", "21:30", "--place", "Pfarrheim")
    moved = ("--event-start", "13.12.2030 19:00", "--event-end", "22:00")
    done = run_dorfhub("notice", "update", concert, *moved, home=town).stdout
    assert done.endswith("bis Fr 13.12.2030, 22:00 Uhr\n")
    assert shown(town, concert)["event"]["place"] == "Pfarrheim"  # kept
    run_dorfhub("notice", "update", concert, "--place", "Turnhalle", home=town)
    assert shown(town, concert)["event"]["place"] == "Turnhalle"
    assert shown(town, concert)["valid_until"] == "2030-12-13T21:00:00+00:00"
    # An explicit --until is not moved by the event.
    poster, _ = publish(town, *CONCERT, "--until", "2030-12-20", *evening)
    run_dorfhub("notice", "update", poster, "--event-start", "14.12.2030 19:00", home=town)
    assert shown(town, poster)["valid_until"] == "2030-12-20T23:00:00+00:00"


def test_times_that_cannot_be_are_refused(town: Path) -> None:
    for args in [
        ("--until", "31.12.2030 24:00"),
        ("--until", "31.02.2030"),
        ("--until", "morgen"),
        ("--until", "2030-13-01"),
        ("--from", "01.12.20300"),
        ("--until", "1999-12-31"),
        ("--from", "2030-12-10", "--until", "2030-12-09"),  # ends before it starts
        ("--from", "2030-12-10 15:00", "--until", "2030-12-10 15:00"),
        ("--event-start", "2030-12-10 15:00", "--event-end", "2030-12-10 14:00", *WINDOW),
        ("--event-end", "2030-12-10 14:00", *WINDOW),  # an end without a start
        ("--place", "Pfarrheim", *WINDOW),
        # An event that is over, with no --until: the notice would never show.
        ("--from", "2030-12-10", "--event-start", "2030-12-01 15:00"),
    ]:
        line = refused(town, *PUBLISH, *args)
        assert "31.12.2026" in line or "event" in line or "--until" in line, line
    assert "not after" in refused(town, *PUBLISH, "--from", "2030-12-10", "--until", "2030-12-09")
    # The forms understood are named.
    assert "31.12.2026 15:00" in refused(town, "notice", "list", "--at", "gestern")


# ---- output -----------------------------------------------------------------------------------


def test_each_write_says_id_targets_and_window(network: Path) -> None:
    bus, line = publish(network, "--title", "Bürgerbus", "--body", "Dienstag", *WINDOW)
    assert line == (
        f"{bus} veröffentlicht: „Bürgerbus“ · für alle Hubs · ab So 01.12.2030 · "
        "bis Di 31.12.2030, 24:00 Uhr"
    )
    targets = ("--hub", "perlesreut", "--group", "ilzer land")
    updated = run_dorfhub(
        "notice", "update", bus, *targets, "--until", "15.12.2030 18:00", home=network
    )
    assert updated.stdout == (
        f"{bus} geändert: „Bürgerbus“ · für Perlesreut, Gruppe Ilzer Land · ab So 01.12.2030 · "
        "bis So 15.12.2030, 18:00 Uhr\n"
    )
    assert updated.stderr == ""
    retracted = run_dorfhub("notice", "retract", bus, "--reason", "Fährt nicht", home=network)
    assert retracted.stdout == (
        f"{bus} zurückgezogen: „Bürgerbus“ · für Perlesreut, Gruppe Ilzer Land · "
        "ab So 01.12.2030 · bis So 15.12.2030, 18:00 Uhr · Grund: Fährt nicht\n"
    )
    # No end: until retracted.
    _, line = publish(network, *PLAIN, "--from", "02.12.2030 9:00")
    assert line.endswith("· für alle Hubs · ab Mo 02.12.2030, 09:00 Uhr · unbefristet")


def test_list_shows_id_targets_and_window_and_names_the_hub(network: Path) -> None:
    everyone, _ = publish(network, *PLAIN, *WINDOW)
    mine, _ = publish(network, *PLAIN, *WINDOW, "--hub", "Ringelai")
    other, _ = publish(network, *PLAIN, *WINDOW, "--group", "sonnenwald")
    at = ("--at", "2030-12-10")
    listed = run_dorfhub("notice", "list", "--hub", "RINGELAI", *at, home=network).stdout
    assert listed.startswith("Aushänge – Ringelai\n===================\n")
    assert f"    {mine} · für Ringelai · ab So 01.12.2030 · bis Di 31.12.2030, 24:00 Uhr" in listed
    assert f"    {everyone} · für alle Hubs · ab So 01.12.2030" in listed
    assert other not in listed
    whole = run_dorfhub("notice", "list", *at, home=network).stdout
    assert f"    {other} · für Gruppe Sonnenwald · " in whole
    english = run_dorfhub(
        "notice", "list", "--hub", "ringelai", *at, "--lang", "en", home=network
    ).stdout
    assert english.startswith("Notices – Ringelai\n")
    assert f"{mine} · for Ringelai · from Sun 01.12.2030 · until Tue 31.12.2030, 24:00" in english
    assert refused(network, "notice", "list", "--hub", "Ringelay") == (
        "dorfhub: error: no hub 'Ringelay' in this network (hubs: Perlesreut, Ringelai)"
    )


def test_show_lists_attachments(network: Path, tmp_path: Path) -> None:
    (tmp_path / "plan.pdf").write_bytes(pdf())
    (tmp_path / "foto.png").write_bytes(png())
    files = ("--attach", str(tmp_path / "plan.pdf"), "--attach", str(tmp_path / "foto.png"))
    notice, _ = publish(network, *PLAIN, *WINDOW, *files)
    text = run_dorfhub("notice", "show", notice, home=network).stdout
    assert "    Anhang: plan.pdf (application/pdf, 1 KiB)\n" in text
    assert "    Anhang: foto.jpg (image/jpeg, 1 KiB)\n" in text  # opaque: JPEG, as the desk does
    assert f"    {notice} · für alle Hubs · ab So 01.12.2030" in text


# ---- input ------------------------------------------------------------------------------------


def test_the_body_from_stdin_or_a_file(town: Path, tmp_path: Path) -> None:
    typed = "Jeden Dienstag 8:15 Uhr.\n\nRückfahrt 12:30 Uhr – „pünktlich“."
    from_stdin, _ = publish(town, "--title", "Bus", "--body", "-", *WINDOW, input=typed + "\n")
    assert shown(town, from_stdin)["body"] == typed
    (tmp_path / "text.txt").write_text(f"\r\n{typed}\r\n".replace("\n", "\r\n"), "utf-8")
    from_file, _ = publish(town, "--title", "Bus", "--body-file", str(tmp_path / "text.txt"))
    assert shown(town, from_file)["body"] == typed
    piped, _ = publish(town, "--title", "Bus", "--body-file", "-", *WINDOW, input=typed)
    assert shown(town, piped)["body"] == typed
    english = ("--lang", "en", "--title", "Bus", "--body", "-")
    run_dorfhub("notice", "update", piped, *english, home=town, input="Every Tuesday")
    assert shown(town, piped)["translations"]["body"] == {"de": typed, "en": "Every Tuesday"}
    # A body of "-" is only ever stdin: an empty stdin is no body.
    refused(town, "notice", "publish", "--title", "Bus", "--body", "-", *WINDOW, input="")


def test_the_body_limit_is_said_in_the_help_and_the_error(town: Path, tmp_path: Path) -> None:
    limit = f"{MAX_TEXT_CHARS:,}"
    assert limit == "20,000"
    helped = run_dorfhub("notice", "publish", "--help").stdout
    assert f"at most {limit} characters" in " ".join(helped.split())
    longest = "a" * MAX_TEXT_CHARS
    from_stdin = ("notice", "publish", "--title", "Lang", "--body", "-")
    publish(town, "--title", "Lang", "--body-file", "-", *WINDOW, input=longest)
    assert refused(town, *from_stdin, input=longest + "b") == (
        "dorfhub: error: the body has 20,001 characters; a notice's body may have at most 20,000"
    )
    too_long = ("notice", "publish", "--title", "Lang", "--body", longest + "ä")
    assert "at most 20,000" in refused(town, *too_long)
    # A file far beyond it is not read whole; a device never ends.
    (tmp_path / "huge.txt").write_bytes(b"x" * (8 * 1024 * 1024))
    for endless in (tmp_path / "huge.txt", Path("/dev/zero")):
        line = refused(town, "notice", "publish", "--title", "Lang", "--body-file", endless)
        assert "at most 20,000 characters" in line
    assert refused(town, "notice", "publish", "--title", "T" * 201, "--body", "x") == (
        "dorfhub: error: the title has 201 characters; a notice's title may have at most 200"
    )
    # Three languages of 20,000 umlauts each are more than one notice may be.
    umlauts, _ = publish(town, "--title", "Ä", "--body-file", "-", *WINDOW, input="ä" * 20_000)
    english = ("notice", "update", umlauts, "--lang", "en", "--title", "Ä", "--body-file", "-")
    line = refused(town, *english, input="ä" * 20_000)
    assert "a notice may have at most 65,536 (UTF-8: an umlaut takes two)" in line


def test_bodies_that_are_no_text_are_refused(town: Path, tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Grüße aus Ringelai".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"\n  \n")
    (tmp_path / "photo.png").write_bytes(png())
    cases = {
        "latin1.txt": "not UTF-8",
        "empty.txt": "empty",
        "photo.png": "not UTF-8",
        "missing.txt": "No such file",
    }
    for name, said in cases.items():
        line = refused(town, "notice", "publish", "--title", "x", "--body-file", tmp_path / name)
        assert said in line, line
    assert refused(town, "notice", "publish", "--title", "x", "--body", "   ").endswith("empty")
    # --body and --body-file at once: an argument error (exit 2), nothing stored.
    refused(town, *PUBLISH, "--body-file", "-")


def test_hubs_and_groups_are_checked_against_the_network(network: Path) -> None:
    keys = {
        k["name"]: k["key"]
        for k in json.loads(run_dorfhub("key", "list", "--json", home=network).stdout)
    }
    targets = ("--hub", "RINGELAI", "--hub", keys["Perlesreut"][:12], "--group", "ilzer LAND")
    notice, _ = publish(network, *PLAIN, *WINDOW, *targets)
    assert shown(network, notice)["targets"] == {
        "hubs": sorted([keys["Ringelai"], keys["Perlesreut"]]),
        "groups": ["Ilzer Land"],
    }
    # A typo used to publish to nobody.
    assert refused(network, *PUBLISH, "--group", "Ilzerland") == (
        "dorfhub: error: no group 'Ilzerland' in this network (groups: Ilzer Land, Sonnenwald)"
    )
    assert refused(network, *PUBLISH, "--hub", "Ringelai", "--hub", "Grafenau") == (
        "dorfhub: error: no hub 'Grafenau' in this network (hubs: Perlesreut, Ringelai)"
    )
    # Keys that hold no hub role are no targets, nor is a prefix too short to be meant.
    refused(network, *PUBLISH, "--hub", "Ilzer Land")  # the admin's name
    refused(network, *PUBLISH, "--hub", keys["Ringelai"][:4])
    refused(network, "notice", "update", notice, "--group", "Sonnenwald ", "--hub", "x")
    refused(network, "notice", "update", notice, "--all-hubs", "--hub", "Ringelai")
    run_dorfhub("notice", "update", notice, "--all-hubs", home=network)
    assert shown(network, notice)["targets"] == {"hubs": [], "groups": []}


def test_attachments_are_known_by_their_content(town: Path, tmp_path: Path) -> None:
    files = {
        "fahrplan.txt": "Abfahrt 8:15 Uhr, Rückfahrt 12:30 Uhr".encode("latin-1"),
        "fahrplan-utf8.txt": b"Abfahrt 8:15 Uhr",
        "plakat.pdf": b"%PDF-1.4 and then nothing",  # cut off
        "leer.png": b"",
        "kaputt.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        line = refused(town, *PUBLISH, *WINDOW, "--attach", tmp_path / name)
        assert line.startswith(f"dorfhub: error: attachment {name} "), line
    latin1 = refused(town, *PUBLISH, "--attach", tmp_path / "fahrplan.txt")
    assert "neither an image (JPEG, PNG, GIF, WebP) nor a PDF" in latin1
    # Named for what it is not, stored as what it is.
    (tmp_path / "foto.txt").write_bytes(png())
    (tmp_path / "plan.jpg").write_bytes(pdf())
    named = ("--attach", str(tmp_path / "foto.txt"), "--attach", str(tmp_path / "plan.jpg"))
    notice, _ = publish(town, *PLAIN, *WINDOW, *named)
    attached = {(a["name"], a["mime"]) for a in shown(town, notice)["attachments"]}
    assert attached == {("foto.jpg", "image/jpeg"), ("plan.pdf", "application/pdf")}
    # A good file with a bad one: neither is stored.
    good_and_bad = ("--attach", tmp_path / "plan.jpg", "--attach", tmp_path / "fahrplan.txt")
    refused(town, *PUBLISH, *WINDOW, *good_and_bad)
    many = [arg for _ in range(MAX_ATTACHMENTS + 1) for arg in ("--attach", tmp_path / "plan.jpg")]
    assert f"at most {MAX_ATTACHMENTS}" in refused(town, *PUBLISH, *WINDOW, *many)


def test_a_refused_write_stores_nothing_even_with_files(
    town: Path, hub: tuple[Path, str], tmp_path: Path
) -> None:
    (tmp_path / "plan.pdf").write_bytes(pdf())
    attach = ("--attach", tmp_path / "plan.pdf")
    notice, _ = publish(town, *PLAIN, *WINDOW)
    run_dorfhub("notice", "retract", notice, home=town)
    # A retraction is final: the update and its file are refused together.
    assert "retracted" in refused(town, "notice", "update", notice, "--title", "neu", *attach)
    assert "retracted" in refused(town, "notice", "retract", notice)
    assert "no notice" in refused(town, "notice", "update", "n-nichtda", "--title", "x")
    live, _ = publish(town, *PLAIN, *WINDOW)
    assert "nothing to change" in refused(town, "notice", "update", live)
    # A hub may publish neither a notice nor its file.
    refused(hub[0], *PUBLISH, *WINDOW, *attach)
