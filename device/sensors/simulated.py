"""Simulated stimuli: the scene drives gpiozero MockFactory pins, so the real sensor classes read a lively room.

    stimuli = SimulatedStimuli(scene, MockFactory(), config.sensors, epoch=time.monotonic())
    board = SensorBoard(config.sensors, publish, pin_factory=factory, name="simulated", real=False,
                        temperature_file=stimuli.temperature_file)
    stimuli.loop(stop)       # on its own thread: the PIR fires as visitors enter, the echo follows them
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from device.config import SensorsConfig
from device.scene import Scene

logger = logging.getLogger(__name__)

SOUND_SPEED_M_S = 343.0


class SimulatedStimuli:
    """Drives the mock pins from the scene: the PIR goes high while someone is there, the echo follows
    them, the light sensor charges at the room's light, and a simulated CPU warms with the load.

        stimuli.step(visitor.arrive)     # the PIR pin is high, the echo returns from the visitor's distance
    """

    def __init__(self, scene: Scene, factory: Any, config: SensorsConfig, *, epoch: float) -> None:
        from gpiozero.pins.mock import MockChargingPin, MockTriggerPin

        self.scene = scene
        self.epoch = epoch
        self.pir_pin = factory.pin(config.pir_pin)
        echo = factory.pin(config.echo_pin)
        self.trigger_pin = factory.pin(config.trigger_pin, pin_class=MockTriggerPin, echo_pin=echo,
                                       echo_time=self.echo_time(scene.distance(0.0)))
        self.light_pin = factory.pin(config.light_pin, pin_class=MockChargingPin,
                                     charge_time=self.charge_time(scene.light(0.0)))
        self.button_pin = factory.pin(config.button_pin)
        self._folder = tempfile.TemporaryDirectory(prefix="awareness-kit-sim-")
        self.temperature_file = str(Path(self._folder.name) / "thermal_zone0_temp")
        self._write_temperature(0.0)

    @staticmethod
    def echo_time(metres: float) -> float:
        return 2 * metres / SOUND_SPEED_M_S

    @staticmethod
    def charge_time(light: float, limit: float = 0.01) -> float:
        """gpiozero reads light as 1 - charge time / limit: bright light charges the capacitor fast."""
        return max(0.0, min(1.0, 1.0 - light)) * limit

    def _write_temperature(self, t: float) -> None:
        celsius = 47.0 + 3.0 * math.sin(t / 120.0) + 2.0 * len(self.scene.people(t))
        # Written aside and renamed into place: writing in place truncates the file first, and a reader
        # between the two (the board, a status request) would read it empty.
        target = Path(self.temperature_file)
        fresh = target.with_suffix(".new")
        fresh.write_text(f"{int(celsius * 1000)}\n")
        os.replace(fresh, target)

    def step(self, t: float) -> None:
        """Set every pin as the scene is *t* seconds after the epoch."""
        if self.scene.pir(t):
            self.pir_pin.drive_high()
        else:
            self.pir_pin.drive_low()
        self.trigger_pin.echo_time = self.echo_time(self.scene.distance(t))
        self.light_pin.charge_time = self.charge_time(self.scene.light(t))
        if int(t * 10) % 50 == 0:
            self._write_temperature(t)

    def loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.step(time.monotonic() - self.epoch)
            stop.wait(0.1)

    def close(self) -> None:
        self._folder.cleanup()
