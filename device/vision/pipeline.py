"""The vision analyzer: motion on every analysed frame, faces only where and when it is worth looking.

    analyzer = VisionAnalyzer(config.vision, publish=hub.publish)
    detections = analyzer.process(frame)     # boxes in the frame's own pixels; observations published

Each step is gated on the cheaper one before it: a 160x120 difference runs on every frame; the face
cascade runs at 320x240 inside the moving region, or on the whole frame once every face_recheck_s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from device.config import VisionConfig
from device.hub import Frame
from device.observations import Observation, finite
from device.vision.faces import FaceDetector, expand, union
from device.vision.motion import Box, MotionDetector

ANALYSIS_SIZE = (320, 240)
MOTION_SIZE = (160, 120)
REPORT_EVERY_S = 1.0


@dataclass(frozen=True)
class Detections:
    """What the analyzer last saw, in the viewed frame's pixels, for overlays and the status page."""

    ts: float = 0.0
    motion: list[Box] = field(default_factory=list)
    faces: list[Box] = field(default_factory=list)
    face_checked: bool = False


class VisionAnalyzer:
    def __init__(self, config: VisionConfig, publish: Callable[[Observation], None]) -> None:
        self.config = config
        self._publish = publish
        self.motion = MotionDetector(threshold=config.motion_threshold, min_area=config.motion_min_area)
        self.faces = FaceDetector(scale_factor=config.face_scale_factor, min_size=config.face_min_size)
        self.latest = Detections()
        self.face_checks = 0
        self._faces: list[Box] = []          # in analysis pixels
        self._last_face_check = -1e9
        self._reported: dict[str, tuple[float, object]] = {}

    def process(self, frame: Frame) -> Detections:
        height, width = frame.image.shape[:2]
        grey = self._analysis_grey(frame)
        small = cv2.resize(grey, MOTION_SIZE, interpolation=cv2.INTER_NEAREST)
        motion = self.motion.detect(small)

        to_analysis = ANALYSIS_SIZE[0] / MOTION_SIZE[0]
        regions = [tuple(int(v * to_analysis) for v in b) for b in motion.boxes]
        now = frame.ts          # the capture clock: replays of recorded frames behave alike
        checked = False
        if regions or self._faces:
            if regions or now - self._last_face_check >= self.config.face_recheck_s / 4:
                roi = expand(union(regions + self._faces), 0.5, ANALYSIS_SIZE)  # type: ignore[arg-type]
                self._faces = self.faces.detect(grey, roi)
                checked = True
        elif now - self._last_face_check >= self.config.face_recheck_s:
            self._faces = self.faces.detect(grey)
            checked = True
        if checked:
            self._last_face_check = now
            self.face_checks += 1

        to_view = width / ANALYSIS_SIZE[0], height / ANALYSIS_SIZE[1]
        scale = lambda b: (int(b[0] * to_view[0]), int(b[1] * to_view[1]),  # noqa: E731
                           int(b[2] * to_view[0]), int(b[3] * to_view[1]))
        small_to_view = width / MOTION_SIZE[0], height / MOTION_SIZE[1]
        motion_view = [(int(b[0] * small_to_view[0]), int(b[1] * small_to_view[1]),
                        int(b[2] * small_to_view[0]), int(b[3] * small_to_view[1])) for b in motion.boxes]
        self.latest = Detections(frame.ts, motion_view, [scale(b) for b in self._faces], checked)
        self._report(frame.ts, motion.fraction, self.latest)
        return self.latest

    @staticmethod
    def _analysis_grey(frame: Frame) -> np.ndarray:
        if frame.grey is not None and frame.grey.shape[::-1] == ANALYSIS_SIZE:
            return frame.grey
        small = cv2.resize(frame.image, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    def _report(self, ts: float, fraction: float, det: Detections) -> None:
        """Publish on every change of state, and once a second while something goes on."""
        self._maybe(ts, "motion", bool(det.motion),
                    {"area": finite(fraction, 4), "boxes": [list(b) for b in det.motion]}, None)
        self._maybe(ts, "face", len(det.faces),
                    {"count": len(det.faces), "boxes": [list(b) for b in det.faces]},
                    0.8 if det.faces else None)

    def _maybe(self, ts: float, kind: str, state: object, value: dict, confidence: float | None) -> None:
        last_ts, last_state = self._reported.get(kind, (-1e9, 0))   # 0 == False: nothing seen yet
        changed = state != last_state
        ongoing = bool(state) and ts - last_ts >= REPORT_EVERY_S
        if changed or ongoing:
            self._reported[kind] = (ts, state)
            self._publish(Observation(ts, "camera", kind, None, value, confidence))
