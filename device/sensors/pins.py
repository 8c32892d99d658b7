"""The pin-factory choice: real GPIO (lgpio) on a Pi, gpiozero's mock pins driven by the scene elsewhere,
or whatever factory the caller hands over (gpiozero's keyword seam, ``pin_factory=``).

    board, stimuli = open_sensors("auto", config.sensors, publish=hub.publish, scene=scene, epoch=t0)
    board, stimuli = open_sensors("auto", config.sensors, publish=hub.publish, scene=scene, epoch=t0,
                                  pin_factory=MockFactory())          # stimuli is None: the caller drives the pins
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Callable
from typing import Any

from device.config import SensorsConfig
from device.observations import Observation
from device.scene import Scene
from device.sensors.board import SensorBoard
from device.sensors.simulated import SimulatedStimuli

logger = logging.getLogger(__name__)


def open_sensors(spec: str, config: SensorsConfig, *, publish: Callable[[Observation], None], scene: Scene,
                 epoch: float, pin_factory: Any = None) -> tuple[SensorBoard, SimulatedStimuli | None]:
    """The sensor board for *spec* (auto, gpio, simulated), and the stimuli driving its pins when simulated.

    With a *pin_factory*, the board uses it whatever *spec* says and no stimuli are made: the board is "mock"
    (not real) on a gpiozero MockFactory, else "gpio" (real).
    """
    from gpiozero.pins.mock import MockFactory

    if pin_factory is not None:
        mock = isinstance(pin_factory, MockFactory)
        name = "mock" if mock else "gpio"
        logger.info("sensors: on the pin factory given (%s, %s)", type(pin_factory).__name__, name)
        return SensorBoard(config, publish, pin_factory=pin_factory, name=name, real=not mock), None
    factory = None
    if spec in ("auto", "gpio"):
        factory = real_factory(required=spec == "gpio")
    if factory is not None:
        return SensorBoard(config, publish, pin_factory=factory, name="gpio", real=True), None
    simulated = MockFactory()
    stimuli = SimulatedStimuli(scene, simulated, config, epoch=epoch)
    board = SensorBoard(config, publish, pin_factory=simulated, name="simulated", real=False,
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
            raise DeviceUnavailable("sensors gpio: cannot open the GPIO chip ({reason}); install python3-lgpio "
                                    "and add the user to the 'gpio' group", reason=exc) from None
        logger.info("sensors: GPIO present but unusable (%s); using simulated sensors", exc)
        return None
