"""GPIO sensors through gpiozero, wired from the config's pin map; simulated with gpiozero's own mock pins.

    board, stimuli = open_sensors("simulated", config.sensors, publish=hub.publish, scene=scene, epoch=t0)
    board.start()            # PIR edges and button presses act at once; the rest is polled by board.poll(stop)
    board.status()           # {"pir": {...}, "distance": {...}, "light": {...}, ...}
    board.set_recording(True)
    board.close()

Every device is passed its pin factory explicitly (gpiozero's keyword seam), so nothing global changes,
and every device is optional: one that is missing or fails is reported, and the rest goes on.
"""

from __future__ import annotations

import glob
import logging
import math
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.config import SensorsConfig
from device.observations import Observation, finite
from device.scene import Scene

logger = logging.getLogger(__name__)

SOUND_SPEED_M_S = 343.0
HEALTH_EVERY_S = 60.0
DEVICES = ("pir", "distance", "light", "button", "led", "buzzer", "temperature", "load")


class SensorBoard:
    """The kit's GPIO devices on one pin factory.

    on_forget and on_toggle are what the button does (long press, short press); set them before start().
    """

    def __init__(self, config: SensorsConfig, publish: Callable[[Observation], None], *, pin_factory: Any,
                 name: str, real: bool, temperature_file: str | None = None) -> None:
        self.config = config
        self.name = name
        self.real = real
        self.factory = pin_factory
        self.temperature_file = temperature_file
        self._publish = publish
        self.devices: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.on_forget: Callable[[], None] = lambda: None
        self.on_toggle: Callable[[], None] = lambda: None
        self.lights_on_since: float | None = None
        self._last: dict[str, tuple[float, Any]] = {}     # kind -> (ts, value) last published
        self._held = False

    # ---- devices
    def start(self) -> None:
        from gpiozero import (
            LED,
            Button,
            Buzzer,
            CPUTemperature,
            DistanceSensor,
            LightSensor,
            LoadAverage,
            MotionSensor,
            PWMSoftwareFallback,
        )

        c, f = self.config, self.factory

        def pir() -> Any:
            sensor = MotionSensor(c.pir_pin, pin_factory=f)
            sensor.when_motion = lambda: self._publish_now("pir", {"motion": True})
            sensor.when_no_motion = lambda: self._publish_now("pir", {"motion": False})
            return sensor

        def distance() -> Any:
            with warnings.catch_warnings():
                # Only pigpio times echoes in hardware; lgpio's software timing is good to a few cm.
                warnings.simplefilter("ignore", PWMSoftwareFallback)
                return DistanceSensor(echo=c.echo_pin, trigger=c.trigger_pin, max_distance=c.max_distance,
                                      partial=True, pin_factory=f)

        def button() -> Any:
            device = Button(c.button_pin, hold_time=c.hold_s, pin_factory=f)
            device.when_pressed = self._pressed
            device.when_held = self._long_press
            device.when_released = self._released
            return device

        def temperature() -> Any:
            if self.temperature_file is None:
                return CPUTemperature(pin_factory=f)
            return CPUTemperature(sensor_file=self.temperature_file, pin_factory=f)

        makers: dict[str, Callable[[], Any]] = {
            "pir": pir, "distance": distance,
            "light": lambda: LightSensor(c.light_pin, pin_factory=f),
            "button": button,
            "led": lambda: LED(c.led_pin, pin_factory=f),
            "temperature": temperature,
            "load": lambda: LoadAverage(minutes=1, pin_factory=f),
        }
        if c.chime:
            makers["buzzer"] = lambda: Buzzer(c.buzzer_pin, pin_factory=f)
        for key, make in makers.items():
            try:
                self.devices[key] = make()
                if key == "temperature":
                    float(self.devices[key].temperature)    # a missing sensor file fails here, not later
            except Exception as exc:
                self.devices.pop(key, None)
                self.errors[key] = f"{type(exc).__name__}: {exc}"
                logger.warning("sensors: %s unavailable: %s", key, exc)

    # ---- the button
    def _pressed(self) -> None:
        self._held = False

    def _long_press(self) -> None:
        self._held = True
        logger.warning("sensors: button held %.0f s: forgetting everything", self.config.hold_s)
        self.on_forget()

    def _released(self) -> None:
        if not self._held:
            self.on_toggle()

    # ---- outputs
    def set_recording(self, on: bool) -> None:
        """The red LED: lit exactly while something is being captured."""
        led = self.devices.get("led")
        if led is not None:
            led.value = bool(on)

    def chime(self) -> None:
        buzzer = self.devices.get("buzzer")
        if buzzer is not None:
            buzzer.beep(on_time=0.08, off_time=0.08, n=2, background=True)

    # ---- readings
    def _publish_now(self, kind: str, value: dict[str, Any]) -> None:
        now = time.time()
        self._last[kind] = (now, value)
        self._publish(Observation(now, "sensors", kind, None, value))

    def poll(self, stop: threading.Event, period_s: float = 0.5) -> None:
        """Publish the distance and light when they change, and device health once a minute."""
        while not stop.wait(period_s):
            self.read_once()

    def read_once(self) -> None:
        now = time.time()
        sensor = self.devices.get("distance")
        if sensor is not None:
            metres = float(sensor.distance)
            last = self._last.get("distance")
            if last is None or abs(metres - last[1]["metres"]) >= 0.1 or now - last[0] >= 30:
                self._publish_now("distance", {"metres": finite(metres, 2)})
        sensor = self.devices.get("light")
        if sensor is not None:
            level = float(sensor.value)
            on = level >= self.config.lights_on_level
            last = self._last.get("light")
            if last is None or on != last[1]["on"] or abs(level - last[1]["level"]) >= 0.1:
                if on and (last is None or not last[1]["on"]):
                    self.lights_on_since = now
                elif not on:
                    self.lights_on_since = None
                self._publish_now("light", {"level": finite(level, 2), "on": on})
        last = self._last.get("health")
        if last is None or now - last[0] >= HEALTH_EVERY_S:
            health = self.health()
            if health:
                self._publish_now("health", health)

    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "temperature" in self.devices:
            out["temperature_c"] = finite(float(self.devices["temperature"].temperature), 1)
        if "load" in self.devices:
            out["load_1m"] = finite(float(self.devices["load"].load_average), 2)
        return out

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in DEVICES:
            device = self.devices.get(key)
            if device is None:
                state = "off" if key == "buzzer" and not self.config.chime else "failed"
                out[key] = {"state": state, "error": self.errors.get(key)}
                continue
            entry: dict[str, Any] = {"state": "ok"}
            if key == "pir":
                entry["motion"] = bool(device.motion_detected)
            elif key == "distance":
                entry["metres"] = finite(float(device.distance), 2)
            elif key == "light":
                level = float(device.value)
                entry.update(level=finite(level, 2), on=level >= self.config.lights_on_level,
                             on_since=self.lights_on_since)
            elif key == "button":
                entry["pressed"] = bool(device.is_pressed)
            elif key in ("led", "buzzer"):
                entry["on"] = bool(device.value)
            elif key == "temperature":
                entry["celsius"] = finite(float(device.temperature), 1)
            elif key == "load":
                entry["load_1m"] = finite(float(device.load_average), 2)
            out[key] = entry
        return out

    def close(self) -> None:
        self.set_recording(False)
        for device in self.devices.values():
            # gpiozero's DistanceSensor.close() drops its trigger pin before stopping the thread that reads
            # it, so a read in flight fails on that thread: stop the reading thread first.
            queue = getattr(device, "_queue", None)
            if queue is not None:
                queue.stop()
            device.close()
        self.devices = {}


class SimulatedStimuli:
    """Drives the mock pins from the scene: the PIR goes high while someone is there, the echo follows
    them, the light sensor charges at the room's light, and a simulated CPU warms with the load."""

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
        Path(self.temperature_file).write_text(f"{int(celsius * 1000)}\n")

    def step(self, t: float) -> None:
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


def open_sensors(spec: str, config: SensorsConfig, *, publish: Callable[[Observation], None], scene: Scene,
                 epoch: float) -> tuple[SensorBoard, SimulatedStimuli | None]:
    """The sensor board for *spec*, and the stimuli driving its pins when it is simulated."""
    factory = None
    if spec in ("auto", "gpio"):
        factory = real_factory(required=spec == "gpio")
    if factory is not None:
        return SensorBoard(config, publish, pin_factory=factory, name="gpio", real=True), None
    from gpiozero.pins.mock import MockFactory

    mock = MockFactory()
    stimuli = SimulatedStimuli(scene, mock, config, epoch=epoch)
    board = SensorBoard(config, publish, pin_factory=mock, name="simulated", real=False,
                        temperature_file=stimuli.temperature_file)
    return board, stimuli


def real_factory(*, required: bool) -> Any:
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
