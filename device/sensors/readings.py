"""The one place a device is read: a small reader per device kind, keyed by the board's device names.

    READERS["distance"](board.devices["distance"])     # {"metres": 1.23}

status(), read_once() and health() all read through this table, so a device reads the same everywhere.
A reader may raise (gpiozero's CPUTemperature raises ValueError when its file reads empty); the board
catches that per device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from device.observations import finite


def read_pir(device: Any) -> dict[str, Any]:
    return {"motion": bool(device.motion_detected)}


def read_distance(device: Any) -> dict[str, Any]:
    return {"metres": finite(float(device.distance), 2)}


def read_light(device: Any) -> dict[str, Any]:
    """The light level (0 dark - 1 bright); whether the lights are "on" is the board's threshold, not the device's."""
    return {"level": finite(float(device.value), 2)}


def read_button(device: Any) -> dict[str, Any]:
    return {"pressed": bool(device.is_pressed)}


def read_output(device: Any) -> dict[str, Any]:
    return {"on": bool(device.value)}


def read_temperature(device: Any) -> dict[str, Any]:
    return {"celsius": finite(float(device.temperature), 1)}


def read_load(device: Any) -> dict[str, Any]:
    return {"load_1m": finite(float(device.load_average), 2)}


# In the order status() lists them.
READERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "pir": read_pir,
    "distance": read_distance,
    "light": read_light,
    "button": read_button,
    "led": read_output,
    "buzzer": read_output,
    "temperature": read_temperature,
    "load": read_load,
}
DEVICES = tuple(READERS)
