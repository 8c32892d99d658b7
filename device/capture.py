"""The capture loop: frames from the camera into the frame hub, newest wins, counted for the dashboard.

    feed = CameraFeed(camera, frames, state)
    Worker("capture", feed.loop, on_failure=feed.failed).start()
    feed.status()        # {"capture_fps": 14.8, "frames_captured": 512}
"""

from __future__ import annotations

import threading
from typing import Any

from device.health import RateMeter, SourceState
from device.hub import FrameHub


class CameraFeed:
    """Reads the camera until told to stop (or a file ends) and publishes every frame to the hub."""

    def __init__(self, camera: Any, frames: FrameHub, state: SourceState) -> None:
        self.camera = camera
        self.frames = frames
        self.state = state
        self.rate = RateMeter()
        self.captured = 0
        state.describe(camera)

    def loop(self, stop: threading.Event) -> None:
        self.camera.open()
        self.state.set("running")
        try:
            while not stop.is_set():
                captured = self.camera.read(stop)
                if captured is None:
                    if not stop.is_set():
                        self.state.set("ended", "the video file has ended")
                    return
                image, grey = captured
                self.frames.publish(image, grey=grey)
                self.captured += 1
                self.rate.tick()
        finally:
            self.camera.close()

    def failed(self, exc: BaseException) -> None:
        self.state.set("offline", str(exc))

    def status(self) -> dict[str, Any]:
        return {"capture_fps": round(self.rate.rate, 1), "frames_captured": self.captured}
