"""`dorfhub warnings` on a town server, in process: the key, areas (checked against the
network's hubs and groups), importing a file or an index, and hostile files refused with one
line and nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import grants
from content.identity import Identity
from content.log import Log
from node.cli import main
from node.home import Home
from node.setup import init_network
from tests.warnings.test_cap import BILLION_LAUGHS, EXTERNAL

DATA = Path(__file__).parent / "data"


@pytest.fixture
def town(tmp_path: Path) -> Home:
    home = init_network(tmp_path / "town", "Ilzer Land", "Stadtserver")
    hub = Identity.generate("Perlesreut")
    with home.store() as store:
        admin = home.identity("admin.key")
        grants.grant(Log(store), admin, hub.public, "hub", hub.name, groups=["Ilzer Land"])
    assert main(["warnings", "init", "--home", str(home.path)]) == 0
    return home


def _ops(home: Home) -> int:
    with home.store() as store:
        return Log(store).count()


def _run(home: Home, *args: str | Path) -> int:
    return main(["warnings", *map(str, args), "--home", str(home.path)])


def test_areas_import_and_hostile_files(
    town: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(town, "area", "add", "--geocode", "ARS:092720000000", "--group", "ilzer land") == 0
    assert _run(town, "area", "add", "--geocode", "ARS:1", "--group", "Ilzer Land") == 1
    assert _run(town, "area", "add", "--geocode", "AGS:09272129", "--hub", "Grainet") == 1
    err = capsys.readouterr().err
    assert "ARS has 12 digits" in err
    assert "no hub 'Grainet' in this network (hubs: Perlesreut)" in err
    assert _run(town, "area", "list") == 0
    assert "ARS:092720000000         group Ilzer Land" in capsys.readouterr().out

    before = _ops(town)
    for name, data in (("laughs.xml", BILLION_LAUGHS), ("xxe.xml", EXTERNAL)):
        (tmp_path / name).write_bytes(data)
        assert _run(town, "import", tmp_path / name) == 1
        assert "dorfhub: error: CAP message refused" in capsys.readouterr().err
    big = tmp_path / "big.xml"
    big.write_bytes(b"<alert>" + b" " * 50_000_000 + b"</alert>")
    assert _run(town, "import", big) == 1
    assert "too large" in capsys.readouterr().err
    assert _ops(town) == before  # nothing stored

    # An index of two CAP files beside it: the MoWaS warning reaches the county's group, the DWD
    # cell lies in the county too; read again, both are duplicates.
    assert _run(town, "import", DATA / "index.atom") == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["published", "published"]
    assert "(important)" in out[0]
    assert "(emergency)" in out[1]
    assert _run(town, "import", DATA / "index.atom", "--json") == 0
    assert capsys.readouterr().out.count('"action": "duplicate"') == 2
    assert _run(town, "import", DATA / "exercise.xml") == 0
    assert "ignored" in capsys.readouterr().out
    assert _run(town, "drills", "on") == 0
    assert _run(town, "import", DATA / "exercise.xml") == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("published")


def test_warnings_status_before_and_after_a_poller(
    town: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(town, "status") == 0
    assert "has not run here" in capsys.readouterr().out
    (town.path / "warnings-status.json").write_text(
        '{"written_ms": 1, "counts": {"published": 1}, "feeds": [{"url": "http://x/w.xml",'
        ' "failures": 2, "last_error": "timeout", "next_in_s": 4.0}]}'
    )
    assert _run(town, "status") == 0
    assert "http://x/w.xml: failing (2×): timeout" in capsys.readouterr().out


def test_an_index_entry_that_fails_leaves_the_others(
    town: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(town, "area", "add", "--geocode", "ARS:092720000000", "--group", "Ilzer Land") == 0
    (tmp_path / "mowas.xml").write_bytes((DATA / "mowas_alert.xml").read_bytes())
    (tmp_path / "laughs.xml").write_bytes(BILLION_LAUGHS)
    links = "".join(f'<entry><link href="{name}"/></entry>' for name in ("gone.xml", "laughs.xml"))
    index = f'<feed xmlns="http://www.w3.org/2005/Atom">{links}<entry><link href="mowas.xml"/>'
    (tmp_path / "index.atom").write_text(index + "</entry></feed>")
    capsys.readouterr()
    assert _run(town, "import", tmp_path / "index.atom") == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["error", "error", "published"]
