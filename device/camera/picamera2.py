"""The Raspberry Pi camera through picamera2: a main stream to view, a small YUV stream to analyse.

The lores stream's Y plane is a free grey picture for the analyzers: no conversion, no resize. On a Pi 4
the lores stream must be YUV and no larger than main. One Picamera2 per process: libcamera allows one
user of a camera at a time.

    camera = Picamera2Camera(fps=15, size=(640, 480))
    with camera:
        image, grey = camera.read(stop)
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from device.errors import DeviceUnavailable

logger = logging.getLogger(__name__)

LORES_SIZE = (320, 240)
_in_use = threading.Lock()      # one Picamera2 per process


def load_picamera2() -> Any:
    """The Picamera2 class (Debian's python3-picamera2 on a Pi), or a clear error."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise DeviceUnavailable(
            "camera picamera2: picamera2 cannot be imported ({reason}); on Raspberry Pi OS: sudo apt install "
            "python3-picamera2, and create the venv with --system-site-packages", reason=exc) from None
    return Picamera2


class Picamera2Camera:
    real = True
    name = "picamera2"

    def __init__(self, *, fps: int = 15, size: tuple[int, int] = (640, 480), camera_num: int = 0,
                 picamera2_class: Any = None) -> None:
        self.fps = fps
        self.size = size
        self.camera_num = camera_num
        self.lores = (min(LORES_SIZE[0], size[0]), min(LORES_SIZE[1], size[1]))
        self._class = picamera2_class        # the seam for tests; default: the real Picamera2
        self._camera: Any = None

    def open(self) -> None:
        cls = self._class or load_picamera2()
        if not _in_use.acquire(blocking=False):
            raise DeviceUnavailable("camera picamera2: already open in this process (one Picamera2 per process)")
        try:
            try:
                camera = cls(self.camera_num)
            except RuntimeError as exc:
                if "No camera number" in str(exc):
                    raise DeviceUnavailable(
                        "camera picamera2: no camera number {number} found. Check the ribbon cable "
                        "(contacts towards the board on a Pi 4), then `rpicam-hello --list-cameras`; or use "
                        "--camera opencv:0 for a USB webcam", number=self.camera_num) from None
                raise DeviceUnavailable(
                    "camera picamera2: the camera did not start ({reason}). It is probably busy: another "
                    "program (rpicam-*, a second awareness-kit) has it open; stop that program and retry",
                    reason=exc) from None
            try:
                config = camera.create_video_configuration(
                    main={"size": self.size, "format": "RGB888"},      # RGB888 is BGR in memory: OpenCV's order
                    lores={"size": self.lores, "format": "YUV420"},
                    controls={"FrameRate": float(self.fps)}, buffer_count=4)
                camera.configure(config)
                camera.start()
            except Exception as exc:
                camera.close()
                raise DeviceUnavailable("camera picamera2 did not start at {width}x{height}, {fps} fps ({reason}); "
                                        "`rpicam-hello` shows whether it works", width=self.size[0],
                                        height=self.size[1], fps=self.fps, reason=exc) from exc
        except BaseException:
            _in_use.release()
            raise
        self._camera = camera

    def read(self, stop: threading.Event) -> tuple[np.ndarray, np.ndarray | None] | None:
        if self._camera is None:
            raise DeviceUnavailable("camera picamera2 is not open")
        if stop.is_set():
            return None
        (main, lores), _metadata = self._camera.capture_arrays(["main", "lores"])
        width, height = self.lores
        grey = lores[:height, :width]        # YUV420: the first `height` rows are Y, the grey picture
        return main[:, :, :3], grey

    def close(self) -> None:
        if self._camera is None:
            return
        camera, self._camera = self._camera, None
        try:
            camera.stop()
        finally:
            camera.close()
            _in_use.release()

    def __enter__(self) -> Picamera2Camera:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
