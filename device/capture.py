"""The capture loop: frames from the camera into the frame hub, newest wins, counted for the dashboard;
and the read-until-stopped loop every capturing worker (camera, microphone) runs.

    feed = CameraFeed(camera, frames, state)
    Worker("capture", feed.loop, on_failure=feed.failed).start()
    feed.status()        # {"capture_fps": 14.8, "frames_captured": 512}
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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
        read_until_stopped(self.camera, self.state, stop, self._publish, ended="the video file has ended")

    def _publish(self, captured: tuple[Any, Any]) -> None:
        image, grey = captured
        self.frames.publish(image, grey=grey)
        self.captured += 1
        self.rate.tick()

    def failed(self, exc: BaseException) -> None:
        self.state.failed(exc)

    def status(self) -> dict[str, Any]:
        return {"capture_fps": round(self.rate.rate, 1), "frames_captured": self.captured}


def read_until_stopped(source: Any, state: SourceState, stop: threading.Event, each: Callable[[Any], None], *,
                       ended: str) -> None:
    """Open *source*, hand each thing it reads to *each* until *stop* is set or the source ends (a file:
    *ended* says so, a text the pages translate), and close it, whatever happens: the loop of every capturing
    worker."""
    source.open()
    state.set("running")
    try:
        while not stop.is_set():
            item = source.read(stop)
            if item is None:
                if not stop.is_set():
                    state.set("ended", ended, text=ended)
                return
            each(item)
    finally:
        source.close()
