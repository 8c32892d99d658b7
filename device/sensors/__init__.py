"""GPIO sensors through gpiozero, wired from the config's pin map; simulated with gpiozero's own mock pins.

    board = open_sensors("simulated", config.sensors, publish=hub.publish, scene=scene)
    board.start()            # PIR edges publish at once; distance is polled by board.poll(stop)
    board.status()           # {"pir": {...}, "distance": {...}}
    board.close()

Every device is passed its pin factory explicitly (gpiozero's keyword seam), so nothing global changes.
"""

from __future__ import annotations

import glob
import logging
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from device.config import SensorsConfig
from device.observations import Observation, finite
from device.scene import Scene

logger = logging.getLogger(__name__)

SOUND_SPEED_M_S = 343.0


class SensorBoard:
    """The PIR and the HC-SR04 on one pin factory; a device that fails is reported and the rest go on."""

    def __init__(self, config: SensorsConfig, publish: Callable[[Observation], None], *, pin_factory: Any,
                 name: str, real: bool) -> None:
        self.config = config
        self.name = name
        self.real = real
        self.factory = pin_factory
        self._publish = publish
        self.pir = None
        self.distance_sensor = None
        self.errors: dict[str, str] = {}
        self._last_distance: tuple[float, float] | None = None   # (ts, metres) last published

    def start(self) -> None:
        from gpiozero import DistanceSensor, MotionSensor, PWMSoftwareFallback

        try:
            self.pir = MotionSensor(self.config.pir_pin, pin_factory=self.factory)
            self.pir.when_motion = lambda: self._publish_pir(True)
            self.pir.when_no_motion = lambda: self._publish_pir(False)
        except Exception as exc:
            self.errors["pir"] = f"{type(exc).__name__}: {exc}"
            logger.warning("sensors: PIR on GPIO%d unavailable: %s", self.config.pir_pin, exc)
        try:
            with warnings.catch_warnings():
                # Only pigpio times echoes in hardware; lgpio's software timing is good to a few cm.
                warnings.simplefilter("ignore", PWMSoftwareFallback)
                self.distance_sensor = DistanceSensor(
                    echo=self.config.echo_pin, trigger=self.config.trigger_pin,
                    max_distance=self.config.max_distance, partial=True, pin_factory=self.factory)
        except Exception as exc:
            self.errors["distance"] = f"{type(exc).__name__}: {exc}"
            logger.warning("sensors: distance sensor on GPIO%d/%d unavailable: %s", self.config.trigger_pin,
                           self.config.echo_pin, exc)

    def _publish_pir(self, present: bool) -> None:
        self._publish(Observation(time.time(), "sensors", "pir", None, {"motion": present}))

    def poll(self, stop: threading.Event, period_s: float = 0.5) -> None:
        """Publish the distance when it changes by 10 cm or more, and at least every 30 s."""
        while not stop.wait(period_s):
            if self.distance_sensor is None:
                continue
            metres = float(self.distance_sensor.distance)
            now = time.time()
            last = self._last_distance
            if last is None or abs(metres - last[1]) >= 0.1 or now - last[0] >= 30:
                self._last_distance = (now, metres)
                self._publish(Observation(now, "sensors", "distance", None, {"metres": finite(metres, 2)}))

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, device in (("pir", self.pir), ("distance", self.distance_sensor)):
            if device is None:
                out[key] = {"state": "failed", "error": self.errors.get(key, "not configured")}
            elif key == "pir":
                out[key] = {"state": "ok", "motion": bool(device.motion_detected)}
            else:
                out[key] = {"state": "ok", "metres": finite(float(device.distance), 2)}
        return out

    def close(self) -> None:
        for device in (self.pir, self.distance_sensor):
            if device is not None:
                device.close()
        self.pir = self.distance_sensor = None


class SimulatedStimuli:
    """Drives the mock pins from the scene: the PIR goes high while someone is there, the echo follows them."""

    def __init__(self, scene: Scene, factory: Any, config: SensorsConfig, *, epoch: float) -> None:
        from gpiozero.pins.mock import MockTriggerPin

        self.scene = scene
        self.epoch = epoch
        self.pir_pin = factory.pin(config.pir_pin)
        echo = factory.pin(config.echo_pin)
        self.trigger_pin = factory.pin(config.trigger_pin, pin_class=MockTriggerPin, echo_pin=echo,
                                       echo_time=self.echo_time(scene.distance(0.0)))

    @staticmethod
    def echo_time(metres: float) -> float:
        return 2 * metres / SOUND_SPEED_M_S

    def step(self, t: float) -> None:
        if self.scene.pir(t):
            self.pir_pin.drive_high()
        else:
            self.pir_pin.drive_low()
        self.trigger_pin.echo_time = self.echo_time(self.scene.distance(t))

    def loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.step(time.monotonic() - self.epoch)
            stop.wait(0.1)


def open_sensors(spec: str, config: SensorsConfig, *, publish: Callable[[Observation], None], scene: Scene,
                 epoch: float) -> tuple[SensorBoard, SimulatedStimuli | None]:
    """The sensor board for *spec*, and the stimuli driving its pins when it is simulated."""
    factory = None
    if spec in ("auto", "gpio"):
        factory = _real_factory(required=spec == "gpio")
    if factory is not None:
        return SensorBoard(config, publish, pin_factory=factory, name="gpio", real=True), None
    from gpiozero.pins.mock import MockFactory

    mock = MockFactory()
    stimuli = SimulatedStimuli(scene, mock, config, epoch=epoch)
    return SensorBoard(config, publish, pin_factory=mock, name="simulated", real=False), stimuli


def _real_factory(*, required: bool) -> Any:
    """gpiozero's lgpio factory when this machine has a GPIO header, else None (or an error if required)."""
    from device.errors import DeviceUnavailable

    if not glob.glob("/dev/gpiochip*"):
        if required:
            raise DeviceUnavailable("sensors gpio: this machine has no GPIO (/dev/gpiochip* is missing); "
                                    "use --sensors simulated off a Raspberry Pi")
        logger.info("sensors: no GPIO header found; using simulated sensors (gpiozero mock pins)")
        return None
    try:
        from gpiozero.pins.lgpio import LGPIOFactory
        return LGPIOFactory()
    except Exception as exc:
        if required:
            raise DeviceUnavailable(f"sensors gpio: cannot open the GPIO chip ({exc}); install python3-lgpio and "
                                    "add the user to the 'gpio' group") from None
        logger.info("sensors: GPIO present but unusable (%s); using simulated sensors", exc)
        return None
