import time

import pytest
from gpiozero.pins.mock import MockFactory

from device.config import SensorsConfig
from device.scene import Scene
from device.sensors import SensorBoard, SimulatedStimuli


class Published(list):
    def __call__(self, obs):
        self.append(obs)

    def wait_for(self, predicate, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [o for o in self if predicate(o)]
            if found:
                return found
            time.sleep(0.02)
        return []


@pytest.fixture
def rig():
    factory = MockFactory()
    scene = Scene(seed=1)
    stimuli = SimulatedStimuli(scene, factory, SensorsConfig(), epoch=0.0)
    published = Published()
    board = SensorBoard(SensorsConfig(), published, pin_factory=factory, name="simulated", real=False)
    board.start()
    yield scene, stimuli, board, published
    board.close()
    factory.reset()


def test_the_pir_goes_high_when_a_visitor_enters(rig):
    scene, stimuli, board, published = rig
    visitor = scene.visitors_between(0, 1)[0]
    stimuli.step(visitor.enter - 0.1)
    assert not board.pir.motion_detected
    stimuli.step(visitor.arrive)
    assert board.pir.wait_for_motion(1.0)
    assert published.wait_for(lambda o: o.kind == "pir" and o.value == {"motion": True})


def test_the_distance_sensor_follows_the_visitor(rig):
    scene, stimuli, board, published = rig
    visitor = scene.visitors_between(0, 1)[0]
    stimuli.step(visitor.arrive + 0.5)
    deadline = time.monotonic() + 3
    while abs(board.distance_sensor.distance - visitor.distance_m) > 0.1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert board.distance_sensor.distance == pytest.approx(visitor.distance_m, abs=0.1)
    assert board.status()["distance"]["state"] == "ok"


def test_a_sensor_on_a_pin_in_use_is_reported_and_the_rest_goes_on():
    factory = MockFactory()
    from gpiozero import LED
    blocker = LED(4, pin_factory=factory)        # the PIR's pin is taken
    board = SensorBoard(SensorsConfig(), Published(), pin_factory=factory, name="simulated", real=False)
    board.start()
    status = board.status()
    assert status["pir"]["state"] == "failed" and "GPIOPinInUse" in status["pir"]["error"]
    assert status["distance"]["state"] == "ok"
    board.close()
    blocker.close()
