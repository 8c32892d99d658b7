"""The log of a kit left running all day: a repeated message once at once, then one line per window with its
count; a distinct message, or one that comes back after falling quiet, shows at once."""

from __future__ import annotations

import logging
import re

import pytest

from device.logs import RepeatLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    limiter = RepeatLimiter(window_s=300.0, quiet_s=60.0, clock=clock).attach(caplog.handler)
    yield limiter, clock, caplog
    caplog.handler.removeFilter(limiter)
    limiter.close()


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def test_a_worker_restarting_all_day_logs_once_then_every_five_minutes(limited):
    limiter, clock, caplog = limited
    log = logging.getLogger("device.workers")
    for backoff in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0) + (30.0,) * 20:     # 26 failures, 1 s to 30 s apart
        log.warning("%s failed (%s); restarting in %.1f s", "audio", "DeviceUnavailable: no file", backoff)
        clock.now += 30.0
    shown = lines(caplog)
    assert shown[:3] == [f"audio failed (DeviceUnavailable: no file); restarting in {s} s"
                         for s in ("0.5", "1.0", "2.0")]
    assert shown[3:] == [f"audio failed (DeviceUnavailable: no file); restarting in 30.0 s [repeated {n} times in "
                         "the last 5 min]" for n in (8, 10)]
    limiter.flush()
    assert lines(caplog)[-1].endswith("[repeated 5 times in the last 3 min]")


def test_every_distinct_problem_shows_at_once(limited):
    _, clock, caplog = limited
    log = logging.getLogger("device.workers")
    for error in ["no such file"] * 10 + ["permission denied", "no such file", "device busy"]:
        log.warning("%s failed (%s); restarting in %.1f s", "audio", error, 1.0)
        clock.now += 1.0
    log.warning("%s failed (%s); restarting in %.1f s", "capture", "no such file", 1.0)
    assert lines(caplog)[3:] == ["audio failed (permission denied); restarting in 1.0 s",
                                 "audio failed (device busy); restarting in 1.0 s",
                                 "capture failed (no such file); restarting in 1.0 s"]
    for _ in range(3):
        logging.getLogger("device.sensors.board").warning("sensors: distance failed to read: x")
    logging.getLogger("device.sensors.board").error("sensors: distance failed to read: x")
    assert lines(caplog)[-1] == "sensors: distance failed to read: x" and caplog.records[-1].levelname == "ERROR"
    assert len(lines(caplog)) == 10


def test_a_few_lines_alike_show_at_once(limited):
    _, _, caplog = limited
    for schema in (1, 2, 3):
        logging.getLogger("device.store.schema").info("store: migrated to schema %d", schema)
    assert lines(caplog) == [f"store: migrated to schema {n}" for n in (1, 2, 3)]


def test_a_message_that_falls_quiet_and_comes_back_shows_again_at_once(limited):
    _, clock, caplog = limited
    log = logging.getLogger("py.warnings")
    for _ in range(50):
        log.warning("DistanceSensorNoEcho: no echo received (gpiozero/input_devices.py:974)")
        clock.now += 0.1
    assert len(lines(caplog)) == 3
    clock.now += 61.0
    log.warning("DistanceSensorNoEcho: no echo received (gpiozero/input_devices.py:974)")
    assert lines(caplog)[3:] == [
        "DistanceSensorNoEcho: no echo received (gpiozero/input_devices.py:974) [repeated 47 times in the last 66 s]",
        "DistanceSensorNoEcho: no echo received (gpiozero/input_devices.py:974)"]


def test_the_count_of_a_message_that_stopped_is_written_when_its_window_ends(caplog):
    caplog.set_level(logging.INFO)
    limiter = RepeatLimiter(window_s=0.3, quiet_s=60.0).attach(caplog.handler)
    try:
        for _ in range(5):
            logging.getLogger("device.workers").warning("capture failed (x); restarting in 1.0 s")
        assert len(lines(caplog)) == 3
        from tests.helpers import eventually
        assert eventually(lambda: len(lines(caplog)) == 4, timeout=3.0)       # written by the limiter's timer
        assert re.fullmatch(r"capture failed \(x\); restarting in 1\.0 s \[repeated 2 times in the last \d+ s\]",
                            lines(caplog)[3]), lines(caplog)[3]       # the timer may fire late on a busy machine
    finally:
        caplog.handler.removeFilter(limiter)
        limiter.close()


def test_debugging_detail_is_not_bounded(limited):
    _, _, caplog = limited
    caplog.set_level(logging.DEBUG)
    for _ in range(5):
        logging.getLogger("device.vision").debug("frame skipped")
    assert len(lines(caplog)) == 5
