"""Presence by sensor fusion: someone is there if the PIR, the camera or the distance sensor says so.

    fusion = PresenceFusion(near_m=1.5, publish=hub.publish)
    fusion.update(observation)        # feed it every observation
    fusion.evaluate(time.time())      # after each batch, and now and then: publishes "presence" on a change

Each source's latest word is kept; presence is published when the verdict or the set of agreeing sensors
changes, with the sensors that agree, so visitors see how a building would "know" they are there.
"""

from __future__ import annotations

from collections.abc import Callable

from device.observations import Observation

CAMERA_QUIET_S = 3.0      # the camera says "someone" for this long after the last motion or person


class PresenceFusion:
    def __init__(self, *, near_m: float, publish: Callable[[Observation], None]) -> None:
        self.near_m = near_m
        self._publish = publish
        self._pir = False
        self._near = False
        self._camera_until = 0.0
        self.present = False
        self.agree: list[str] = []

    def update(self, obs: Observation) -> None:
        if obs.kind == "pir":
            self._pir = bool(obs.value.get("motion"))
        elif obs.kind == "distance":
            metres = obs.value.get("metres")
            self._near = metres is not None and metres < self.near_m
        elif (obs.kind == "motion" and obs.value.get("boxes")) or \
                (obs.kind == "person" and obs.value["state"] != "left"):
            self._camera_until = max(self._camera_until, obs.ts + CAMERA_QUIET_S)

    def evaluate(self, now: float) -> None:
        agree = [name for name, says in (("pir", self._pir), ("camera", now < self._camera_until),
                                         ("distance", self._near)) if says]
        present = bool(agree)
        if present != self.present or agree != self.agree:
            self.present, self.agree = present, agree
            self._publish(Observation(now, "sensors", "presence", None,
                                      {"present": present, "agree": agree}, round(len(agree) / 3, 2)))
