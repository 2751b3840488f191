"""content/cap.py: the CAP 1.2 samples of data/ read as their specification says, and hostile
or broken XML refused with a clear error (nothing is stored: see test_warnings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.cap import MAX_CAP_BYTES, CapError, cap_time, read_cap, read_index

DATA = Path(__file__).parent / "data"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_a_dwd_alert_reads_with_both_languages_and_its_areas() -> None:
    alert = read_cap(sample("dwd_alert.xml"))
    assert alert.sender == "opendata@dwd.de"
    assert alert.msg_type == "Alert"
    assert alert.status == "Actual"
    assert alert.scope == "Public"
    assert [info.language for info in alert.infos] == ["de-DE", "en-GB"]
    german = alert.infos[0]
    assert german.severity == "Severe"
    assert german.urgency == "Immediate"
    assert german.headline.startswith("Amtliche UNWETTERWARNUNG")
    assert german.instruction.startswith("Schließen Sie")
    area = german.areas[0]
    assert area.geocodes == (("WARNCELLID", "809272129"),)
    assert area.polygons[0][0] == (48.70, 13.30)
    assert len(area.polygons[0]) == 5
    assert german.expires == cap_time("2099-06-01T18:00:00+02:00", "expires")


def test_update_and_cancel_name_what_they_replace() -> None:
    alert = read_cap(sample("dwd_alert.xml"))
    update = read_cap(sample("dwd_update.xml"))
    cancel = read_cap(sample("dwd_cancel.xml"))
    assert update.msg_type == "Update"
    assert cancel.msg_type == "Cancel"
    assert [ref.identifier for ref in update.references] == [alert.identifier]
    assert [ref.identifier for ref in cancel.references] == [alert.identifier, update.identifier]


def test_mowas_polygon_circle_and_an_index() -> None:
    mowas = read_cap(sample("mowas_alert.xml"))
    assert mowas.infos[0].areas[0].geocodes == (("ARS", "092720000000"),)
    shapes = read_cap(sample("polygon_alert.xml")).infos[0].areas[0]
    assert shapes.geocodes == ()
    assert shapes.circles == (((48.60, 13.70), 3.0),)
    assert read_index(sample("index.atom")) == ["mowas_alert.xml", "dwd_alert.xml"]
    rss = b"<rss version='2.0'><channel><item><link>https://x/a.xml</link></item></channel></rss>"
    assert read_index(rss) == ["https://x/a.xml"]


def test_times_with_z_are_utc_and_wrong_dates_are_refused() -> None:
    assert cap_time("2026-06-01T10:00:00Z", "sent") == cap_time("2026-06-01T12:00:00+02:00", "s")
    for wrong in ("2026-02-30T10:00:00+01:00", "2026-06-01 10:00:00", "2026-06-01T10:00:00", ""):
        with pytest.raises(CapError, match="sent"):
            cap_time(wrong, "sent")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"""


def _broken(old: bytes, new: bytes) -> bytes:
    data = sample("dwd_alert.xml")
    assert old in data
    return data.replace(old, new, 1)


HOSTILE = {
    "billion laughs": (BILLION_LAUGHS, "refused"),
    "external entity": (EXTERNAL, "refused"),
    "external DTD": (EXTERNAL_DTD, "refused"),
    "50 MB": (b"<alert>" + b" " * 50_000_000 + b"</alert>", "too large"),
    "not XML": (b"%PDF-1.4 not a warning", "not well-formed"),
    "not CAP": (b"<rss version='2.0'/>", "not a CAP 1.2 alert"),
    "CAP 1.1": (
        _broken(b"emergency:cap:1.2", b"emergency:cap:1.1"),
        "not a CAP 1.2 alert",
    ),
    "no identifier": (
        _broken(b"<identifier>", b"<note>").replace(b"</identifier>", b"</note>"),
        "lacks identifier",
    ),
    "no severity": (
        _broken(b"<severity>Severe</severity>", b""),
        "lacks severity",
    ),
    "unknown status": (_broken(b"<status>Actual", b"<status>Real"), "status 'Real'"),
    "wrong sent": (_broken(b"2026-06-01T12:00:00+02:00</sent>", b"01.06.2026</sent>"), "sent"),
    "a day that does not exist": (
        _broken(b"<expires>2099-06-01", b"<expires>2099-06-31"),
        "no date that exists",
    ),
    "broken polygon": (_broken(b"<polygon>48.70,13.30", b"<polygon>48.70;13.30"), "lat,lon"),
    "malformed reference": (
        _broken(b"<scope>Public</scope>", b"<scope>Public</scope><references>x,y</references>"),
        "reference",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_broken_xml_gets_a_clear_error(name: str) -> None:
    data, message = HOSTILE[name]
    with pytest.raises(CapError, match=message):
        read_cap(data)


def test_the_size_limit_holds_for_indexes_too() -> None:
    with pytest.raises(CapError, match="too large"):
        read_index(b"<feed>" + b" " * MAX_CAP_BYTES + b"</feed>")
    with pytest.raises(CapError, match="refused"):
        read_index(BILLION_LAUGHS.replace(b"<alert", b"<feed").replace(b"</alert>", b"</feed>"))
