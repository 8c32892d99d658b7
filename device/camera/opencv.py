"""OpenCV capture: a USB webcam (opencv:N) or a video file (file:PATH) played at its own frame rate.

Frames keep the source's shape: they are made as large as fits in the configured size (device.camera.fit),
so a 16:9 webcam or video is not squashed into 4:3.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np

from device.errors import DeviceUnavailable

logger = logging.getLogger(__name__)


class OpenCVCamera:
    """Frames from cv2.VideoCapture, fitted (shape kept) into the configured size.

        with OpenCVCamera(0, fps=15) as camera:           # /dev/video0
            image, _ = camera.read(stop)
        camera.pace = False         # a file as fast as it decodes (benchmarks), not at its own rate
    """

    real = True

    def __init__(self, target: int | str, *, fps: int = 15, size: tuple[int, int] = (640, 480),
                 loop: bool = False) -> None:
        self.target = target
        self.name = f"opencv:{target}" if isinstance(target, int) else f"file:{target}"
        self.real = isinstance(target, int)
        self.kind = "real" if self.real else "file"     # a video file: a recording played, not a camera
        self.fps = fps
        self.size = size
        self.loop = loop
        self.pace = True
        self._capture = None
        self._period = 1.0 / fps
        self._next = 0.0

    def open(self) -> None:
        try:
            import cv2
        except ImportError:
            raise DeviceUnavailable("camera {name} needs OpenCV: pip install 'awareness-kit[vision]'",
                                    name=self.name) from None
        if isinstance(self.target, str) and not Path(self.target).is_file():
            raise DeviceUnavailable("camera {name}: no such video file", name=self.name)
        capture = cv2.VideoCapture(self.target)
        if not capture.isOpened():
            capture.release()
            if isinstance(self.target, int):
                raise DeviceUnavailable("camera {name} could not be opened: is it plugged in, and is the user in "
                                        "the 'video' group? `ls /dev/video*` lists cameras", name=self.name)
            raise DeviceUnavailable("camera {name} could not be opened: OpenCV cannot read this video format",
                                    name=self.name)
        if isinstance(self.target, int):
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
            capture.set(cv2.CAP_PROP_FPS, self.fps)
        else:
            file_fps = capture.get(cv2.CAP_PROP_FPS)
            self._period = 1.0 / file_fps if 1 <= file_fps <= 240 else 1.0 / self.fps
        self._capture = capture
        self._next = time.monotonic()

    def read(self, stop: threading.Event) -> tuple[np.ndarray, None] | None:
        import cv2

        if self._capture is None:
            raise DeviceUnavailable("camera {name} is not open", name=self.name)
        if isinstance(self.target, str) and self.pace:   # a file plays at its own rate, not as fast as it decodes
            if stop.wait(max(0.0, self._next - time.monotonic())):
                return None
            self._next = max(self._next + self._period, time.monotonic() - 1.0)
        elif stop.is_set():
            return None
        ok, image = self._capture.read()
        if not ok and isinstance(self.target, str) and self.loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        if not ok:
            if isinstance(self.target, str):
                return None                    # the end of the file
            raise DeviceUnavailable("camera {name} stopped delivering frames", name=self.name)
        from device.camera import fit

        shape = fit((image.shape[1], image.shape[0]), self.size)
        if (image.shape[1], image.shape[0]) != shape:
            image = cv2.resize(image, shape, interpolation=cv2.INTER_AREA)
        return image, None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def __enter__(self) -> OpenCVCamera:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
