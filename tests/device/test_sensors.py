"""The GPIO sensors, through gpiozero's own MockFactory: each test drives the pins, then waits with a bound."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockTriggerPin

from device.config import SensorsConfig
from device.observations import Observation
from device.scene import Scene
from device.sensors import SensorBoard, SimulatedStimuli, open_sensors
from device.sensors.fusion import PresenceFusion
from tests.helpers import Published, eventually


@pytest.fixture
def rig():
    factory = MockFactory()
    scene = Scene(seed=1)
    config = SensorsConfig(chime=True)
    stimuli = SimulatedStimuli(scene, factory, config, epoch=0.0)
    published = Published()
    board = SensorBoard(config, published, pin_factory=factory, name="simulated", real=False,
                        temperature_file=stimuli.temperature_file)
    board.start()
    yield scene, stimuli, board, published, factory
    board.close()
    stimuli.close()
    factory.reset()


def test_every_sensor_starts_on_simulated_pins(rig):
    _, _, board, _, _ = rig
    assert board.errors == {}
    assert {key: entry["state"] for key, entry in board.status().items()} == {
        "pir": "ok", "distance": "ok", "light": "ok", "button": "ok", "led": "ok", "buzzer": "ok",
        "temperature": "ok", "load": "ok"}


def test_the_pir_goes_high_when_a_visitor_enters(rig):
    scene, stimuli, board, published, _ = rig
    visitor = scene.visitors_between(0, 1)[0]
    stimuli.step(visitor.enter - 0.1)
    assert not board.devices["pir"].motion_detected
    stimuli.step(visitor.arrive)
    assert board.devices["pir"].wait_for_motion(1.0)
    assert published.wait_for(lambda o: o.kind == "pir" and o.value == {"motion": True})


def test_the_distance_sensor_follows_the_visitor(rig):
    scene, stimuli, board, published, _ = rig
    visitor = scene.visitors_between(0, 1)[0]
    stimuli.step(visitor.arrive + 0.5)
    sensor = board.devices["distance"]
    assert eventually(lambda: abs(sensor.distance - visitor.distance_m) < 0.1)
    board.read_once()
    assert published.wait_for(lambda o: o.kind == "distance" and abs(o.value["metres"] - visitor.distance_m) < 0.1)


def test_the_light_sensor_sees_the_lights_go_off_and_on(rig):
    scene, stimuli, board, published, _ = rig
    stimuli.step(10.0)
    sensor = board.devices["light"]
    assert eventually(lambda: sensor.value > 0.6)
    board.read_once()
    on_at = board.lights_on_since
    assert on_at is not None and published.wait_for(lambda o: o.kind == "light" and o.value["on"])
    stimuli.step(590.0)                               # the scene switches the lights off for a while
    assert eventually(lambda: sensor.value < 0.3)
    board.read_once()
    assert board.lights_on_since is None
    assert published.wait_for(lambda o: o.kind == "light" and not o.value["on"])


def test_a_short_press_toggles_the_kiosk_and_a_long_press_forgets_everything(rig):
    _, stimuli, board, _, _ = rig
    toggled, forgotten = threading.Event(), threading.Event()
    board.on_toggle, board.on_forget = toggled.set, forgotten.set
    button = board.devices["button"]
    stimuli.button_pin.drive_low()                   # pressed (the button pulls the pin to ground)
    assert button.wait_for_press(1.0)
    stimuli.button_pin.drive_high()
    assert toggled.wait(1.0) and not forgotten.is_set()
    toggled.clear()
    board.config = SensorsConfig(hold_s=1.0)
    button.hold_time = 0.2
    stimuli.button_pin.drive_low()
    assert forgotten.wait(2.0)
    stimuli.button_pin.drive_high()
    assert button.wait_for_release(1.0)
    assert not toggled.is_set(), "releasing a long press does not also toggle"


def test_the_buttons_three_gestures_are_told_apart_by_how_long_it_is_held(rig):
    """Released before 1 s: switch the kiosk view; after 1 s but before hold_s: show the admin PIN; held hold_s:
    forget everything, and nothing more on release."""
    _, stimuli, board, _, _ = rig
    done = {name: threading.Event() for name in ("toggle", "show_pin", "forget")}
    board.on_toggle, board.on_show_pin, board.on_forget = (done["toggle"].set, done["show_pin"].set,
                                                           done["forget"].set)
    assert board.pin_after_s == 1.0 and board.config.hold_s == 3.0, "the defaults the docs give"
    board.pin_after_s = 0.1
    button = board.devices["button"]
    stimuli.button_pin.drive_low()
    assert eventually(lambda: (button.active_time or 0) > 0.15)     # past the PIN's threshold
    stimuli.button_pin.drive_high()
    assert done["show_pin"].wait(1.0)
    assert not done["toggle"].is_set() and not done["forget"].is_set(), "showing the PIN is all it does"
    done["show_pin"].clear()
    button.hold_time = 0.3
    stimuli.button_pin.drive_low()
    assert done["forget"].wait(2.0)
    stimuli.button_pin.drive_high()
    assert button.wait_for_release(1.0)
    assert not done["show_pin"].is_set() and not done["toggle"].is_set(), "a long press only forgets"


def test_when_hold_s_is_short_the_pin_takes_the_second_half_of_it():
    board = SensorBoard(SensorsConfig(hold_s=1.0), Published(), pin_factory=MockFactory(), name="mock", real=False)
    assert board.pin_after_s == 0.5


def test_the_led_shows_recording_and_the_buzzer_chimes(rig):
    _, _, board, _, factory = rig
    led_pin = factory.pin(board.config.led_pin)
    board.set_recording(True)
    assert led_pin.state
    board.set_recording(False)
    assert not led_pin.state
    buzzer = board.devices["buzzer"]
    board.chime()
    assert eventually(lambda: buzzer.is_active, 1.0)
    assert eventually(lambda: not buzzer.is_active, 1.0)


def test_device_health_reads_temperature_and_load(rig):
    _, _, board, published, _ = rig
    board.read_once()
    (health,) = [o for o in published if o.kind == "health"]
    assert 30 < health.value["temperature_c"] < 70 and health.value["load_1m"] >= 0


def test_a_sensor_on_a_pin_in_use_is_reported_and_the_rest_goes_on():
    factory = MockFactory()
    from gpiozero import LED
    blocker = LED(4, pin_factory=factory)        # the PIR's pin is taken
    board = SensorBoard(SensorsConfig(), Published(), pin_factory=factory, name="simulated", real=False)
    board.start()
    status = board.status()
    assert status["pir"]["state"] == "failed" and "GPIOPinInUse" in status["pir"]["error"]
    assert status["distance"]["state"] == "ok" and status["buzzer"]["state"] == "off"
    board.close()
    blocker.close()
    factory.reset()


def test_a_temperature_file_that_reads_empty_fails_that_device_only(rig):
    _, stimuli, board, published, _ = rig
    Path(stimuli.temperature_file).write_text("")    # as a thermal zone can read, mid-update or unpowered
    status = board.status()
    assert status["temperature"]["state"] == "failed" and "ValueError" in status["temperature"]["error"]
    assert {key for key, entry in status.items() if entry["state"] != "ok"} == {"temperature"}
    board.read_once()                                 # publishes what reads, and does not raise
    (health,) = published.of("health")
    assert "temperature_c" not in health.value and health.value["load_1m"] >= 0
    assert published.of("distance") and published.of("light")
    Path(stimuli.temperature_file).write_text("52000\n")
    assert board.status()["temperature"] == {"state": "ok", "celsius": 52.0}


def test_the_simulated_cpu_temperature_never_reads_empty_while_the_scene_rewrites_it(rig):
    _, stimuli, board, _, _ = rig
    states: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            states.append(board.reading("temperature")["state"])

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(300):
        stimuli.step(5.0 * n)                         # each whole 5 s rewrites the temperature file
    done.set()
    reader.join(5.0)
    assert not reader.is_alive() and states and set(states) == {"ok"}


def test_a_pin_factory_handed_in_is_used_as_it_is_and_no_stimuli_are_made():
    factory = MockFactory()
    config = SensorsConfig()
    echo = factory.pin(config.echo_pin)
    factory.pin(config.trigger_pin, pin_class=MockTriggerPin, echo_pin=echo, echo_time=0.004)   # 0.69 m away
    published = Published()
    board, stimuli = open_sensors("simulated", config, publish=published, scene=Scene(seed=1), epoch=0.0,
                                  pin_factory=factory)
    assert stimuli is None and board.factory is factory and (board.name, board.real) == ("mock", False)
    with board:
        board.start()
        assert board.devices["pir"].wait_for_no_motion(1.0)   # a quiet room first: motion is an edge
        factory.pin(config.pir_pin).drive_high()      # then someone walks past
        assert board.devices["pir"].wait_for_motion(1.0)
        assert published.wait_for(lambda o: o.kind == "pir" and o.value == {"motion": True})
        factory.pin(config.button_pin).drive_low()    # and presses the button
        assert board.devices["button"].wait_for_press(1.0)
        assert eventually(lambda: abs(board.devices["distance"].distance - 0.69) < 0.1)
        status = board.status()
        assert status["pir"] == {"state": "ok", "motion": True} and status["button"] == {"state": "ok", "pressed": True}
        assert abs(status["distance"]["metres"] - 0.69) < 0.1
        factory.pin(config.button_pin).drive_high()   # and lets go before it counts as a long press
        assert board.devices["button"].wait_for_release(1.0)
    assert board.devices == {}
    factory.reset()


def test_a_pin_factory_that_is_not_a_mock_is_taken_for_real_gpio(monkeypatch):
    def no_probe(*, required):
        raise AssertionError("the factory given is used; none is looked for")

    monkeypatch.setattr("device.sensors.pins.real_factory", no_probe)
    lgpio = object()                                  # stands in for LGPIOFactory(); the board is not started
    board, stimuli = open_sensors("auto", SensorsConfig(), publish=Published(), scene=Scene(seed=1), epoch=0.0,
                                  pin_factory=lgpio)
    assert stimuli is None and board.factory is lgpio and (board.name, board.real) == ("gpio", True)


def test_presence_says_which_sensors_agree():
    published = Published()
    fusion = PresenceFusion(near_m=1.5, publish=published)

    def say(kind, ts, **value):
        fusion.update(Observation(ts, "sensors", kind, None, value))
        fusion.evaluate(ts)

    say("pir", 1.0, motion=True)
    say("distance", 1.5, metres=1.0)
    say("motion", 2.0, area=0.1, boxes=[[1, 2, 3, 4]])
    say("pir", 3.0, motion=False)
    fusion.evaluate(6.0)                             # the camera has seen nothing for three seconds
    say("distance", 7.0, metres=3.5)
    assert [(o.value["present"], o.value["agree"]) for o in published] == [
        (True, ["pir"]), (True, ["pir", "distance"]), (True, ["pir", "camera", "distance"]),
        (True, ["camera", "distance"]), (True, ["distance"]), (False, [])]


def test_a_distance_sensor_with_no_echo_logs_once_then_a_count(caplog):
    """On a kit left running, a sensor that gets no echo (gpiozero warns at every read, ten a second) logs three
    lines at once and then one line with the count, not a line per read; another warning still shows."""
    import inspect
    import logging
    import warnings

    from gpiozero.exc import GPIOZeroWarning

    from device.logs import RepeatLimiter, capture_warnings

    caplog.set_level(logging.INFO)
    limiter = RepeatLimiter(window_s=3600.0).attach(caplog.handler)     # the summary comes from flush() here
    factory = MockFactory()      # plain mock pins: nothing answers the trigger
    with warnings.catch_warnings():
        capture_warnings()
        board = SensorBoard(SensorsConfig(), Published(), pin_factory=factory, name="mock", real=False)
        board.start()
        try:
            def held_back() -> int:
                return sum(n for message, n in limiter.pending().items() if "no echo received" in message)
            assert eventually(lambda: held_back() >= 24, timeout=10.0)      # 0.1 s a read
            another = inspect.currentframe().f_lineno + 1
            warnings.warn(GPIOZeroWarning("another problem"), stacklevel=1)
        finally:
            board.close()
            factory.reset()
            caplog.handler.removeFilter(limiter)      # caplog's handler outlives the test
        limiter.flush()
    lines = [r.getMessage() for r in caplog.records if r.name == "py.warnings"]
    echo = [line for line in lines if "no echo received" in line]
    assert echo[0].startswith("DistanceSensorNoEcho: no echo received (gpiozero/input_devices.py:")
    assert len(echo) == 4, lines                                  # three at once, then the count
    repeated = int(echo[3].split("[repeated ", 1)[1].split()[0])
    assert repeated >= 21 and echo[3].endswith(" s]")
    assert [line for line in lines if "another problem" in line] == [
        f"GPIOZeroWarning: another problem (device/test_sensors.py:{line})" for line in [another]]
