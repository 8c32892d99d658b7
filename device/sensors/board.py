"""The sensor board: the kit's gpiozero devices on one pin factory, its button, its outputs and its readings.

    board = SensorBoard(config.sensors, hub.publish, pin_factory=MockFactory(), name="mock", real=False)
    board.start()            # PIR edges and button presses act at once; the rest is polled by board.poll(stop)
    board.status()           # {"pir": {"state": "ok", "motion": False}, "distance": {...}, ...}
    board.close()

Every device is optional: one that is missing, or fails to open or to read, is reported and the rest goes on.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from device.config import SensorsConfig
from device.observations import Observation
from device.sensors.readings import DEVICES, READERS

logger = logging.getLogger(__name__)

HEALTH_EVERY_S = 60.0
PIN_AFTER_S = 1.0       # a press released after this long (and before hold_s) shows the admin PIN
HEALTH_FIELDS = (("temperature", "celsius", "temperature_c"), ("load", "load_1m", "load_1m"))


def changed(now: float | None, before: float | None, by: float) -> bool:
    """Whether a rounded reading moved by at least *by* (a tolerance, as 1.3 - 1.2 < 0.1 in floating point)."""
    if now is None or before is None:
        return now != before
    return abs(now - before) >= by - 1e-9


class SensorBoard:
    """The kit's GPIO devices on one pin factory.

    The button has three gestures, told apart by how long it is held (set the callbacks before start()):
    released before pin_after_s (1 s): on_toggle (switch the kiosk view); released after pin_after_s but before
    the config's hold_s (3 s): on_show_pin (the admin PIN on the kiosk for a moment); held hold_s: on_forget,
    at once, while still held (releasing it then does nothing more).

        with SensorBoard(config, publish, pin_factory=factory, name="mock", real=False) as board:
            board.start()
            board.status()["pir"]       # {"state": "ok", "motion": False}
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
        self.errors: dict[str, str] = {}          # devices that could not be opened, and why
        self.on_forget: Callable[[], None] = lambda: None
        self.on_toggle: Callable[[], None] = lambda: None
        self.on_show_pin: Callable[[], None] = lambda: None
        # hold_s may be as short as 1 s: the PIN gesture then takes the second half of it
        self.pin_after_s = min(PIN_AFTER_S, config.hold_s / 2)
        self._pressed_at: float | None = None
        self.lights_on_since: float | None = None
        self._last: dict[str, tuple[float, Any]] = {}     # kind -> (ts, value) last published
        self._failing: dict[str, str] = {}                # devices whose last read raised, and why
        self._held = False

    def __enter__(self) -> SensorBoard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- devices
    def start(self) -> None:
        """Open every device in the pin map; one that fails is kept in errors, and the rest goes on."""
        for key, make in device_makers(self).items():
            try:
                self.devices[key] = make()
            except Exception as exc:
                self.errors[key] = f"{type(exc).__name__}: {exc}"
                logger.warning("sensors: %s unavailable: %s", key, exc)

    # ---- the button
    def _pressed(self) -> None:
        self._held = False
        self._pressed_at = time.monotonic()

    def _long_press(self) -> None:
        self._held = True
        logger.warning("sensors: button held %.0f s: forgetting everything", self.config.hold_s)
        self.on_forget()

    def _released(self) -> None:
        held_s = time.monotonic() - self._pressed_at if self._pressed_at is not None else 0.0
        self._pressed_at = None
        if self._held:
            return              # the long press has forgotten everything already
        if held_s >= self.pin_after_s:
            self.on_show_pin()
        else:
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
    def reading(self, key: str) -> dict[str, Any]:
        """One device as status() shows it: {"state": "ok", ...its reading}, else "failed" or "off" and why."""
        device = self.devices.get(key)
        if device is None:
            state = "off" if key == "buzzer" and not self.config.chime else "failed"
            return {"state": state, "error": self.errors.get(key)}
        try:
            value = READERS[key](device)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if self._failing.get(key) != error:       # once per new reason, not at every poll
                logger.warning("sensors: %s failed to read: %s", key, error)
            self._failing[key] = error
            return {"state": "failed", "error": error}
        if self._failing.pop(key, None) is not None:
            logger.info("sensors: %s reads again", key)
        if key == "light":
            level = value["level"]
            value.update(on=level is not None and level >= self.config.lights_on_level,
                         on_since=self.lights_on_since)
        return {"state": "ok", **value}

    def status(self) -> dict[str, Any]:
        """Every device's state and reading; a device that fails is reported, and this never raises for it."""
        return {key: self.reading(key) for key in DEVICES}

    def _publish_now(self, kind: str, value: dict[str, Any]) -> None:
        now = time.time()
        self._last[kind] = (now, value)
        self._publish(Observation(now, "sensors", kind, None, value))

    def poll(self, stop: threading.Event, period_s: float = 0.5) -> None:
        """Publish the distance and light when they change, and device health once a minute."""
        while not stop.wait(period_s):
            self.read_once()

    def read_once(self) -> None:
        """One round of poll(): a device that is missing or fails to read publishes nothing."""
        now = time.time()
        distance = self.reading("distance")
        if distance["state"] == "ok":
            last = self._last.get("distance")
            if last is None or changed(distance["metres"], last[1]["metres"], 0.1) or now - last[0] >= 30:
                self._publish_now("distance", {"metres": distance["metres"]})
        light = self.reading("light")
        if light["state"] == "ok":
            level, on = light["level"], light["on"]
            last = self._last.get("light")
            if last is None or on != last[1]["on"] or changed(level, last[1]["level"], 0.1):
                if on and (last is None or not last[1]["on"]):
                    self.lights_on_since = now
                elif not on:
                    self.lights_on_since = None
                self._publish_now("light", {"level": level, "on": on})
        last = self._last.get("health")
        if last is None or now - last[0] >= HEALTH_EVERY_S:
            health = self.health()
            if health:
                self._publish_now("health", health)

    def health(self) -> dict[str, Any]:
        """The CPU's temperature and load, from those of the two that read."""
        out: dict[str, Any] = {}
        for key, field, name in HEALTH_FIELDS:
            entry = self.reading(key)
            if entry["state"] == "ok":
                out[name] = entry[field]
        return out

    def close(self) -> None:
        """Turn the LED off and release every pin; idempotent."""
        self.set_recording(False)
        for device in self.devices.values():
            # gpiozero's DistanceSensor.close() drops its trigger pin before stopping the thread that reads
            # it, so a read in flight fails on that thread: stop the reading thread first.
            queue = getattr(device, "_queue", None)
            if queue is not None:
                queue.stop()
            device.close()
        self.devices = {}


def device_makers(board: SensorBoard) -> dict[str, Callable[[], Any]]:
    """How to open each of the board's devices from its pin map, its events wired to the board."""
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

    c, f = board.config, board.factory

    def pir() -> Any:
        sensor = MotionSensor(c.pir_pin, pin_factory=f)
        sensor.when_motion = lambda: board._publish_now("pir", {"motion": True})
        sensor.when_no_motion = lambda: board._publish_now("pir", {"motion": False})
        # gpiozero tells changes only: a PIR that feels someone from the start would say nothing until it changes.
        board._publish_now("pir", {"motion": bool(sensor.is_active)})
        return sensor

    def distance() -> Any:
        with warnings.catch_warnings():
            # Only pigpio times echoes in hardware; lgpio's software timing is good to a few cm.
            warnings.simplefilter("ignore", PWMSoftwareFallback)
            return DistanceSensor(echo=c.echo_pin, trigger=c.trigger_pin, max_distance=c.max_distance,
                                  partial=True, pin_factory=f)

    def button() -> Any:
        device = Button(c.button_pin, hold_time=c.hold_s, pin_factory=f)
        device.when_pressed = board._pressed
        device.when_held = board._long_press
        device.when_released = board._released
        return device

    def temperature() -> Any:
        if board.temperature_file is None:
            sensor = CPUTemperature(pin_factory=f)
        else:
            sensor = CPUTemperature(sensor_file=board.temperature_file, pin_factory=f)
        try:
            READERS["temperature"](sensor)      # a missing sensor file fails here, not at every read
        except Exception:
            sensor.close()
            raise
        return sensor

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
    return makers
