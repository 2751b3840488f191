"""The real kiosk under Xvfb with official warnings imported into its hub's database: an
emergency warning takes over (spoken) and says "Amtliche Warnung – Quelle: DWD", when it was
issued and until when, on the takeover and the detail screen, in German and English; an
important one is the home screen's banner."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from content import grants, notices
from content.cap import read_cap
from content.clock import wall_clock_ms
from content.identity import Identity, load_identity
from content.log import Log
from content.store import Store
from content.warnings import AreaRule, WarningsConfig, apply_alert
from tests.kiosk.hubhome import GROUP, HubHome
from tests.kiosk.run import finish_scenario, start_scenario

pytestmark = pytest.mark.usefixtures("display")
DATA = Path(__file__).parent / "data"


def _import(hub_home: HubHome, warnings: Identity, name: str) -> str:
    """Import a CAP file into the hub's database, as the town server and the sync would."""
    config = WarningsConfig(
        areas=(
            AreaRule("WARNCELLID:809272129", hubs=(hub_home.hub.key_id,)),
            AreaRule("ARS:092720000000", groups=(GROUP,)),
        )
    )
    with Store(hub_home.path / "dorfhub.db") as store:
        log = Log(store)
        if grants.key_info(store.conn, warnings.key_id) is None:
            admin = load_identity(hub_home.admin_key)
            grants.grant(log, admin, warnings.public, "warnings", "Amtliche Warnungen")
        alert = read_cap((DATA / name).read_bytes())
        return apply_alert(log, warnings, alert, config, [], wall_clock_ms()).notice_id


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the kiosk never wrote {path.name}")
        time.sleep(0.02)


def test_an_emergency_warning_takes_over_and_an_important_one_is_the_banner(
    hub_home: HubHome, tmp_path: Path
) -> None:
    warnings = Identity.generate("Amtliche Warnungen")
    important = _import(hub_home, warnings, "mowas_alert.xml")
    ready, seen = tmp_path / "ready", tmp_path / "seen"
    params = {"ready": str(ready), "seen": str(seen)}
    process, out_file = start_scenario(
        "warning_scenarios:takeover", hub_home.path, tmp_path, params
    )
    try:
        _wait_for(ready, process)
        emergency = _import(hub_home, warnings, "dwd_alert.xml")
        _wait_for(seen, process)
        with Store(hub_home.path / "dorfhub.db") as store:
            notices.retract(Log(store), load_identity(hub_home.admin_key), emergency, "Test")
        out = finish_scenario(process, out_file)["results"]
    finally:
        process.kill()
    assert out["title"] == "Amtliche UNWETTERWARNUNG vor SCHWEREM GEWITTER mit ORKANBÖEN"
    assert out["said"].startswith("Amtliche UNWETTERWARNUNG")
    # The takeover's speech names the source, when it was issued and until when.
    assert "Amtliche Warnung – Quelle: DWD. Ausgegeben " in out["said"]
    assert "gültig bis " in out["said"]
    first, issued = out["official"].split("\n")
    assert first == "Amtliche Warnung – Quelle: DWD"
    # Issued 1 June 2026, 12:00 (CAP sent, +02:00), valid until the CAP expires.
    assert issued.startswith("Ausgegeben ")
    assert "12:00 Uhr" in issued
    assert "gültig bis " in issued
    assert "18:00 Uhr" in issued
    assert out["detail_official"] == out["official"]
    assert out["detail_official_en"].startswith("Official warning – source: DWD\nIssued ")
    assert out["takeover_en"] == out["detail_official_en"]
    # The important warning is the home banner, with its source, issued and until when, as
    # the takeover's line; the home screen's speech and its notice's speech name the source.
    banner_id, banner = out["banner"]
    assert banner_id == important
    title, source, times = banner.split("\n")
    assert title.startswith("Wichtig: ")
    assert "Trinkwasser im Ilzer Land abkochen" in title
    assert source.startswith("Amtliche Warnung – Quelle: ")
    assert times.startswith("Ausgegeben ")
    assert " · gültig bis " in times
    assert f"{title}, {source}, {times}" in out["home_said"]
    assert f"{source}. {times.replace(' · ', '. ')}" in out["detail_said"]
