"""awareness-kit check: each line OK, PROBLEM with a fix, or SKIP; non-zero exit on a problem."""

from __future__ import annotations

import shutil

from gpiozero import LED
from gpiozero.pins.mock import MockFactory

from device import check
from device.cli import main


def test_everything_simulated_is_ready(tmp_path, capsys):
    code = main(["check", "--camera", "simulated", "--mic", "simulated", "--sensors", "simulated",
                 "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and out.rstrip().endswith("everything is ready")
    assert "OK       camera       simulated" in out and "OK       disk" in out


def test_a_problem_makes_the_exit_status_non_zero_and_says_how_to_fix_it(tmp_path, capsys, monkeypatch):
    free_mb = shutil.disk_usage(tmp_path).free // 1_000_000
    monkeypatch.setenv("AWARENESS_KIT_STORE_MIN_FREE_MB", str(free_mb + 1000))
    code = main(["check", "--camera", "simulated", "--mic", "simulated", "--sensors", "simulated",
                 "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1 and "PROBLEM  disk" in out and "larger SD card" in out and "1 problem(s)" in out


def test_temperature_clock_and_a_missing_video(tmp_path, config):
    hot = tmp_path / "temp"
    hot.write_text("81000\n")
    assert check.temperature(hot).state == "PROBLEM" and "fan" in check.temperature(hot).detail
    hot.write_text("52000\n")
    assert check.temperature(hot) == check.Result("temperature", "OK", "52 °C")
    assert check.temperature(tmp_path / "absent").state == "SKIP"
    assert check.clock(now=1_600_000_000).state == "PROBLEM"          # 2020: no network time yet
    missing = config.replace("camera", source=f"file:{tmp_path / 'none.avi'}")
    assert check.camera(missing).state == "PROBLEM" and "none.avi does not exist" in check.camera(missing).detail


def test_each_gpio_sensor_is_checked_and_a_broken_one_named(config, monkeypatch):
    factory = MockFactory()
    blocker = LED(config.sensors.pir_pin, pin_factory=factory)        # something else holds the PIR's pin
    monkeypatch.setattr("device.sensors.real_factory", lambda required: factory)
    monkeypatch.setattr(check.glob, "glob", lambda pattern: ["/dev/gpiochip0"])
    results = {r.name: r for r in check.sensors(config.replace("sensors", source="gpio"))}
    assert results["pir"].state == "PROBLEM" and "hardware.md" in results["pir"].detail
    assert results["led"].state == "OK" and results["buzzer"].state == "SKIP"
    blocker.close()
    factory.reset()
