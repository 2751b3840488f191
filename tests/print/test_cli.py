"""`dorfhub notice poster` and `dorfhub notice sheet` as real processes on a town server's home:
one line on success, a 0600 file whose text and QR code read back; one line and exit 1 on bad
input, with nothing written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from content.identity import Identity
from content.notice_qr import print_payload
from content.notices import get_notice
from content.store import Store
from content.week_sheet import Week, list_payload, week_notices
from tests.node.cli import run_dorfhub
from tests.print import readback
from tests.print.conftest import GROUP, ms


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A town server with hubs Ringelai (in GROUP) and Perlesreut, and three notices."""
    home = tmp_path_factory.mktemp("print-cli") / "town"
    run_dorfhub("network", "init", "--name", GROUP, home=home)
    for name, group in (("Ringelai", GROUP), ("Perlesreut", "Grafenau Land")):
        token = Identity.generate(name).public.token
        grant = ("key", "grant", "--role", "hub", "--name", name, "--public-key", token)
        run_dorfhub(*grant, "--group", group, home=home)
    window = ("--from", "2026-12-01T00:00+01:00", "--until", "2027-01-01T00:00+01:00")
    seniors = (
        *("--title", "Seniorennachmittag im Pfarrheim", "--body", "Kaffee, Kuchen und Musik."),
        *("--category", "veranstaltung", "--group", GROUP, "--place", "Pfarrheim Perlesreut"),
        *("--event-start", "2026-12-12T14:00+01:00", "--event-end", "2026-12-12T17:00+01:00"),
    )
    water = (
        *("--title", "Wasserrohrbruch", "--body", "Wasser abkochen."),
        *("--priority", "emergency", "--hub", "Perlesreut"),
    )
    ids = {
        "seniors": run_dorfhub("notice", "publish", *seniors, *window, home=home).stdout,
        "water": run_dorfhub("notice", "publish", *water, *window, home=home).stdout,
        "gone": run_dorfhub(
            "notice", "publish", "--title", "Sperrung", "--body", "Kirchweg.", *window, home=home
        ).stdout,
    }
    ids = {name: value.split()[0] for name, value in ids.items()}
    run_dorfhub("notice", "retract", ids["gone"], home=home)
    return home, ids


def test_a_poster_from_the_command_line(town: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    home, ids = town
    out = tmp_path / "seniors.pdf"
    done = run_dorfhub("notice", "poster", ids["seniors"], "--out", out, home=home)
    assert done.stdout == (
        f"Aushang für „Seniorennachmittag im Pfarrheim“ geschrieben: {out} (1 Seite)\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = readback.flat(readback.text(out))
    assert "Seniorennachmittag im Pfarrheim Wann: Samstag, 12. Dezember 2026, 14:00–17:00" in text
    with Store(home / "dorfhub.db") as store:
        notice = get_notice(store.conn, ids["seniors"])
    assert notice is not None
    expected = print_payload(notice, "de").text
    assert readback.qr_codes(out, 1, tmp_path) == readback.as_stored(expected)

    english = tmp_path / "seniors-en.pdf"
    run_dorfhub("notice", "poster", ids["seniors"], "--out", english, "--lang", "en", home=home)
    assert "When: Saturday, 12 December 2026" in readback.flat(readback.text(english))


def test_a_weekly_sheet_from_the_command_line(
    town: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, _ids = town
    out = tmp_path / "woche.pdf"
    at = "2026-12-07T08:00+01:00"
    week = ("--week", "2026-W50", "--at", at)
    done = run_dorfhub("notice", "sheet", "--hub", "Ringelai", *week, "--out", out, home=home)
    assert done.stdout == (
        f"Aushang der Woche für Ringelai, KW 50/2026 geschrieben: {out} (1 Seite)\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = readback.flat(readback.text(out))
    assert text.startswith("Aushang der Woche – Ringelai KW 50: 7. bis 13. Dezember 2026")
    assert "Seniorennachmittag im Pfarrheim" in text
    assert "Wasserrohrbruch" not in text  # Perlesreut's
    with Store(home / "dorfhub.db") as store:
        hub = store.conn.execute("SELECT key FROM keys WHERE name = 'Ringelai'").fetchone()[0]
        found = week_notices(store.conn, hub, Week(2026, 50), ms(at))
    expected = list_payload("Ringelai", Week(2026, 50), found, "de").text
    assert readback.qr_codes(out, 1, tmp_path) == readback.as_stored(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("poster", "n-nope"), "dorfhub: error: no notice n-nope"),
        (("poster", "{gone}"), "dorfhub: error: notice {gone} was retracted"),
        (("poster", "{seniors}", "--out", "{tmp}/missing/a.pdf"), "no directory {tmp}/missing"),
        (("poster", "{seniors}", "--out", "{tmp}"), "dorfhub: error: {tmp} is a directory"),
        (("sheet", "--hub", "Nowhere"), "dorfhub: error: no hub 'Nowhere'"),
        (("sheet", "--hub", "Ringelai", "--week", "2026-W54"), "2026 has no week 54"),
        (("sheet", "--hub", "Ringelai", "--week", "W50"), "not an ISO week"),
        (
            ("sheet", "--hub", "Ringelai", "--week", "2026-W49", "--at", "2026-12-07T08:00Z"),
            "dorfhub: error: week 2026-W49 is over",
        ),
        (("sheet",), "dorfhub: error: --hub is required on a node that is not a hub"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    town: tuple[Path, dict[str, str]], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    home, ids = town
    out = tmp_path / "old.pdf"
    out.write_bytes(b"the poster from last week")
    values = {**ids, "tmp": str(tmp_path)}
    argv = [arg.format(**values) for arg in args]
    if "--out" not in argv:
        argv += ["--out", str(out)]
    done = run_dorfhub("notice", *argv, home=home, check=False)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert message.format(**values) in done.stderr
    assert out.read_bytes() == b"the poster from last week"
    assert not (tmp_path / "missing").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.pdf"]
