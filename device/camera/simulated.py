"""The simulated camera: the scripted scene, rendered at the configured frame rate."""

from __future__ import annotations

import threading
import time

import numpy as np

from device.camera import fit
from device.errors import DeviceUnavailable
from device.scene import HEIGHT, WIDTH, Scene, face_bank


class SimulatedCamera:
    """Frames of the simulated scene, paced in real time from the moment the camera opens.

        with SimulatedCamera(Scene(1), fps=15) as camera:
            image = camera.read(stop)
    """

    real = False
    name = "simulated"

    def __init__(self, scene: Scene, *, fps: int = 15, size: tuple[int, int] = (WIDTH, HEIGHT)) -> None:
        self.scene = scene
        self.fps = fps
        self.size = size
        self._start: float | None = None
        self._count = 0
        face_bank()                 # loads (once) the face images now, so a missing package fails at start-up

    def open(self) -> None:
        self._start = time.monotonic()
        self._count = 0

    def read(self, stop: threading.Event) -> tuple[np.ndarray, None] | None:
        if self._start is None:
            raise DeviceUnavailable("camera {name} is not open", name=self.name)
        due = self._start + self._count / self.fps
        if stop.wait(max(0.0, due - time.monotonic())):
            return None
        now = time.monotonic()
        if now - due > 1.0:         # fell far behind (a paused process): skip ahead instead of rushing
            self._count = int((now - self._start) * self.fps)
        t = self._count / self.fps
        self._count += 1
        image = self.scene.render(t)
        shape = fit((WIDTH, HEIGHT), self.size)
        if shape != (WIDTH, HEIGHT):
            import cv2
            image = cv2.resize(image, shape, interpolation=cv2.INTER_AREA)
        return image, None

    def close(self) -> None:
        self._start = None

    def __enter__(self) -> SimulatedCamera:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
