"""Port names: URLs, paths, by-id before by-path, and the stable name to configure."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.transport import PortNotFound, open_port, resolve_port, stable_name


@pytest.fixture
def dev(tmp_path: Path) -> Path:
    """A fake /dev with two adapters: a CP210x with a serial number, a CH340 without."""
    (tmp_path / "ttyUSB0").touch()
    (tmp_path / "ttyUSB1").touch()
    by_id, by_path = tmp_path / "by-id", tmp_path / "by-path"
    by_id.mkdir()
    by_path.mkdir()
    (by_id / "usb-Silicon_Labs_CP2102_0001-if00-port0").symlink_to(tmp_path / "ttyUSB0")
    (by_id / "usb-1a86_USB_Serial-if00-port0").symlink_to(tmp_path / "ttyUSB1")
    (by_path / "platform-xhci-usb-0:1.2:1.0-port0").symlink_to(tmp_path / "ttyUSB0")
    (by_path / "platform-xhci-usb-0:1.3:1.0-port0").symlink_to(tmp_path / "ttyUSB1")
    # sysfs: the CP210x has a serial number file, the CH340 none.
    for tty, usb, serial in (("ttyUSB0", "1-1.2", "0001"), ("ttyUSB1", "1-1.3", None)):
        device = tmp_path / "sys" / "devices" / usb
        interface = device / f"{usb}:1.0" / tty
        interface.mkdir(parents=True)
        (device / "idVendor").write_text("10c4\n")
        if serial:
            (device / "serial").write_text(serial + "\n")
        (tmp_path / "sys" / "class" / "tty" / tty).mkdir(parents=True)
        (tmp_path / "sys" / "class" / "tty" / tty / "device").symlink_to(interface)
    return tmp_path


def test_urls_and_paths(dev: Path) -> None:
    assert resolve_port("loop://") == "loop://"
    assert resolve_port("socket://127.0.0.1:7777") == "socket://127.0.0.1:7777"
    assert resolve_port(str(dev / "ttyUSB0")) == str(dev / "ttyUSB0")
    with pytest.raises(PortNotFound, match="no such serial port now"):
        resolve_port(str(dev / "ttyUSB9"))


def test_bare_names_try_by_id_then_by_path(dev: Path) -> None:
    by_id, by_path = dev / "by-id", dev / "by-path"
    name = "usb-1a86_USB_Serial-if00-port0"
    assert resolve_port(name, by_id, by_path) == str(by_id / name)
    other = "platform-xhci-usb-0:1.3:1.0-port0"
    assert resolve_port(other, by_id, by_path) == str(by_path / other)


def test_a_list_falls_back_in_order(dev: Path) -> None:
    gone = str(dev / "by-id" / "usb-FTDI_FT232R_A10K-if00-port0")
    fallback = str(dev / "by-path" / "platform-xhci-usb-0:1.3:1.0-port0")
    assert resolve_port([gone, fallback]) == fallback


def test_stable_name_prefers_by_id_only_with_a_serial_number(dev: Path) -> None:
    args = (dev / "by-id", dev / "by-path", dev / "sys")
    assert stable_name(dev / "ttyUSB0", *args).endswith(
        "by-id/usb-Silicon_Labs_CP2102_0001-if00-port0"
    )
    # CH340: no serial number, so its by-id name is not unique: by-path instead.
    assert stable_name(dev / "ttyUSB1", *args).endswith("by-path/platform-xhci-usb-0:1.3:1.0-port0")


def test_loop_url_opens_and_echoes() -> None:
    port = open_port("loop://", timeout=0.5)
    try:
        port.write(b"\xaa\xc0")
        assert port.read(2) == b"\xaa\xc0"
        assert port.baudrate == 9600
    finally:
        port.close()
