"""GPIO sensors through gpiozero, wired from the config's pin map; simulated with gpiozero's own mock pins.

    board, stimuli = open_sensors("simulated", config.sensors, publish=hub.publish, scene=scene, epoch=t0)
    board.start()            # PIR edges and button presses act at once; the rest is polled by board.poll(stop)
    board.status()           # {"pir": {...}, "distance": {...}, "light": {...}, ...}
    board.set_recording(True)
    board.close()

board.py holds the devices, readings.py reads them (one reader per kind), simulated.py drives mock pins from
the scene, pins.py chooses the pin factory. Every device is passed its pin factory explicitly (gpiozero's
keyword seam), so nothing global changes; every device is optional: one that is missing or fails is reported,
and the rest goes on.
"""

from __future__ import annotations

from device.sensors.board import SensorBoard
from device.sensors.pins import open_sensors, real_factory
from device.sensors.readings import DEVICES, READERS
from device.sensors.simulated import SimulatedStimuli

__all__ = ["DEVICES", "READERS", "SensorBoard", "SimulatedStimuli", "open_sensors", "real_factory"]
