"""Camera sources: a small protocol, and open_camera() choosing one from a spec such as "opencv:0".

A source yields BGR frames at its own pace, as large as fits in the configured width x height without
changing the picture's shape (a 16:9 webcam or video at 640x480 gives 640x360 frames; see fit()), with a
grey 320x240 picture when the hardware gives one for free (picamera2's lores stream)::

    camera = open_camera("simulated", config, scene=Scene(1))
    with camera:
        image, grey = camera.read(stop_event)   # None once stop_event is set or the source has ended

Hardware libraries are imported inside the real backends only, so the kit imports anywhere.
"""

from __future__ import annotations

import glob
import logging
import threading
from typing import Protocol

import numpy as np

from device.config import Config
from device.scene import Scene

logger = logging.getLogger(__name__)


class Camera(Protocol):
    name: str
    real: bool

    def open(self) -> None: ...

    def read(self, stop: threading.Event) -> tuple[np.ndarray, np.ndarray | None] | None: ...

    def close(self) -> None: ...


def open_camera(spec: str, config: Config, *, scene: Scene) -> Camera:
    """Build (not yet open) the camera named by *spec*; "auto" picks real hardware when there is some."""
    if spec == "auto":
        spec = _detect()
    if spec == "picamera2":
        from device.camera.picamera2 import Picamera2Camera
        return Picamera2Camera(fps=config.camera.fps, size=(config.camera.width, config.camera.height))
    if spec == "simulated":
        from device.camera.simulated import SimulatedCamera
        return SimulatedCamera(scene, fps=config.camera.fps, size=(config.camera.width, config.camera.height))
    from device.camera.opencv import OpenCVCamera
    target = int(spec.split(":", 1)[1]) if spec.startswith("opencv:") else spec.split(":", 1)[1]
    return OpenCVCamera(target, fps=config.camera.fps, size=(config.camera.width, config.camera.height),
                        loop=config.camera.loop)


def fit(source: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size no bigger than *box* (width, height) with *source*'s shape; never larger than the
    source (enlarging adds pixels, not detail). Even sizes, as video encoders and JPEG subsampling like.

        fit((1920, 1080), (640, 480)) == (640, 360)
    """
    scale = min(box[0] / source[0], box[1] / source[1], 1.0)
    return max(2, round(source[0] * scale / 2) * 2), max(2, round(source[1] * scale / 2) * 2)


def _detect() -> str:
    """The first real camera found, else "simulated", saying which in one log line."""
    try:
        from picamera2 import Picamera2
        if Picamera2.global_camera_info():
            logger.info("camera: using the Raspberry Pi camera (picamera2)")
            return "picamera2"
    except Exception:       # not a Pi, no picamera2, or libcamera unhappy: try the others
        pass
    devices = sorted(glob.glob("/dev/video[0-9]*"))
    if devices:
        try:
            import cv2  # noqa: F401
        except ImportError:
            logger.info("camera: %s found but OpenCV is not installed (pip install 'awareness-kit[vision]'); "
                        "using the simulated camera", devices[0])
            return "simulated"
        index = devices[0].removeprefix("/dev/video")
        logger.info("camera: using USB camera %s (opencv:%s)", devices[0], index)
        return f"opencv:{index}"
    logger.info("camera: no camera found; using the simulated camera")
    return "simulated"
