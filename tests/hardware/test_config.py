"""The [[sensors]] table of config.toml: typed entries, one-line errors, [node] untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.config import SensorConfigError, load_sensor_configs, parse_sensors
from node.home import Home, NodeConfig

GOOD = """
[node]
name = "Ringelai"
role = "hub"

[[sensors]]
id = "feinstaub"
driver = "sds011"
port = ["/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0", "/dev/serial/by-path/pci-0:1.0"]
interval = 5

[[sensors]]
driver = "mhz19"
port = "loop://"
"""


def test_entries_become_typed_configs(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    first, second = load_sensor_configs(path)
    assert first.id == "feinstaub"
    assert first.driver == "sds011"
    assert first.port[1] == "/dev/serial/by-path/pci-0:1.0"
    assert (first.interval, first.duty, first.warmup_s, first.lead_s) == (5.0, 0.15, 15.0, 20.0)
    assert (second.id, second.driver, second.port, second.warmup_s) == (
        "mhz19b-2",
        "mhz19b",
        ("loop://",),
        180.0,
    )
    # The node's own config reader ignores the new table.
    assert Home(tmp_path).config == NodeConfig(name="Ringelai", role="hub")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"port": "loop://"}, "sensors[0]: driver is required"),
        ({"driver": "bme680", "port": "loop://"}, "unknown sensor driver 'bme680'"),
        ({"driver": "s8"}, "port must be"),
        ({"driver": "s8", "port": "loop://", "interval": "fast"}, "interval must be a number"),
        ({"driver": "s8", "port": "loop://", "interval": 0}, "interval must be between"),
        ({"driver": "s8", "port": "loop://", "colour": "red"}, "unknown key 'colour'"),
        ({"driver": "mhz19b", "port": "loop://", "warmup": 10}, "warmup must be between 180"),
        ({"driver": "sds011", "port": "loop://", "max_duty": 2}, "max_duty must be between"),
        ({"driver": "s8", "port": "loop://", "id": ""}, "id must be"),
    ],
)
def test_bad_entries_give_one_line(entry: dict[str, object], message: str) -> None:
    with pytest.raises(SensorConfigError) as caught:
        parse_sensors({"sensors": [entry]})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_duplicate_ids_and_bad_shapes() -> None:
    twice = [{"driver": "s8", "port": "a", "id": "x"}, {"driver": "s8", "port": "b", "id": "x"}]
    with pytest.raises(SensorConfigError, match="'x' is used twice"):
        parse_sensors({"sensors": twice})
    with pytest.raises(SensorConfigError, match="array of tables"):
        parse_sensors({"sensors": {"driver": "s8"}})
    assert parse_sensors({"node": {}}) == []


def test_broken_toml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[[sensors]\ndriver = 's8'\n")
    with pytest.raises(SensorConfigError, match=r"config\.toml"):
        load_sensor_configs(path)
