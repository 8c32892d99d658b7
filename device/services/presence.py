"""Presence: whether someone is there, from every sensor that has a say (PIR, camera, distance), and the
buzzer's chime for a new visitor.

    presence = Presence(config.sensors, hub, board)
    Worker("fusion", presence.loop).start()
    presence.status()       # {"present": True, "agree": ["pir", "camera"]}
"""

from __future__ import annotations

import threading
import time
from typing import Any

from device.config import SensorsConfig
from device.hub import ObservationHub
from device.sensors.fusion import PresenceFusion


class Presence:
    def __init__(self, config: SensorsConfig, hub: ObservationHub, board: Any) -> None:
        self.fusion = PresenceFusion(near_m=config.presence_distance, publish=hub.publish)
        self.board = board
        self._feed = hub.subscribe(maxsize=1000)

    def loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            for obs in self._feed.get_batch(timeout=0.5):
                self.fusion.update(obs)
                if obs.kind == "person" and obs.value.get("state") == "new":
                    self.board.chime()
            self.fusion.evaluate(time.time())

    def status(self) -> dict[str, Any]:
        return {"present": self.fusion.present, "agree": self.fusion.agree}

    def close(self) -> None:
        self._feed.close()
