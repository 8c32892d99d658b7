"""The systemd units: valid to systemd-analyze, and hardened to an exposure of 2.0 or less."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_program

UNITS = Path(__file__).resolve().parents[2] / "systemd"
INSTALLED_BINARY = "/opt/awareness-kit/venv/bin/awareness-kit"


def with_stub_binary(unit: Path, tmp_path: Path) -> Path:
    """The unit as installed, but its programs at stub paths (the kit exists only after install.sh, and
    Chromium only on the Pi)."""
    text = unit.read_text()
    for program in (INSTALLED_BINARY, "/usr/bin/chromium-browser", "/usr/bin/curl"):
        stub = tmp_path / Path(program).name
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
        text = text.replace(program, str(stub))
    copy = tmp_path / unit.name
    copy.write_text(text)
    return copy


@pytest.mark.parametrize("unit", sorted(UNITS.glob("*.service")), ids=lambda p: p.name)
def test_every_unit_verifies_without_a_warning(unit, tmp_path):
    analyze = require_program("systemd-analyze")
    result = subprocess.run([analyze, "verify", str(with_stub_binary(unit, tmp_path))], capture_output=True,
                            text=True)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_kit_runs_from_where_the_installer_puts_it():
    service = (UNITS / "awareness-kit.service").read_text()
    assert f"ExecStart={INSTALLED_BINARY} run " in service
    assert "--data-dir /var/lib/awareness-kit" in service and "ReadWritePaths=/var/lib/awareness-kit" in service


def test_the_kit_service_is_hardened_to_an_exposure_of_two_or_less(tmp_path):
    analyze = require_program("systemd-analyze")
    unit = with_stub_binary(UNITS / "awareness-kit.service", tmp_path)
    result = subprocess.run([analyze, "security", "--offline=true", str(unit)], capture_output=True, text=True)
    level = float(re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout).group(1))
    assert level <= 2.0, result.stdout[-2000:]


def test_the_hardening_still_reaches_camera_microphone_and_gpio():
    service = (UNITS / "awareness-kit.service").read_text()
    for device in ("char-video4linux", "char-media", "char-alsa", "char-gpiochip", "/dev/dma_heap/"):
        assert f"DeviceAllow={device}" in service
    assert "SupplementaryGroups=video audio gpio" in service and "AmbientCapabilities=CAP_NET_BIND_SERVICE" in service


def test_the_kiosk_restarts_chromium_on_the_kit_s_own_kiosk_page():
    kiosk = (UNITS / "awareness-kit-kiosk.service").read_text()
    assert "--kiosk" in kiosk and "--ozone-platform=wayland" in kiosk and "http://127.0.0.1/kiosk" in kiosk
    assert "Restart=always" in kiosk and "WantedBy=graphical-session.target" in kiosk


def test_the_avahi_and_hotspot_files_are_well_formed():
    import configparser
    import xml.etree.ElementTree as ElementTree

    service = ElementTree.parse(UNITS / "avahi.xml").getroot()
    assert service.find("service/type").text == "_http._tcp" and service.find("service/port").text == "80"
    hotspot = configparser.ConfigParser(comment_prefixes=("#",))
    hotspot.read(UNITS / "hotspot.nmconnection")
    assert hotspot["wifi"]["mode"] == "ap" and hotspot["ipv4"]["method"] == "shared"
    assert hotspot["wifi-security"]["key-mgmt"] == "wpa-psk"
