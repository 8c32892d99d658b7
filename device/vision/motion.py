"""Motion at low resolution: the difference between consecutive small grey frames (about 0.2 ms at 160x120)."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class MotionResult:
    """Share of the picture that moved, and boxes round the moving parts, in the small frame's pixels."""

    fraction: float
    boxes: list[Box] = field(default_factory=list)

    @property
    def moving(self) -> bool:
        return bool(self.boxes)


class MotionDetector:
    """Compares each small grey frame with the one before.

        detector = MotionDetector(threshold=25, min_area=0.002)
        result = detector.detect(grey_160x120)
        result.moving, result.boxes
    """

    def __init__(self, *, threshold: int = 25, min_area: float = 0.002) -> None:
        self.threshold = threshold
        self.min_area = min_area
        self._previous: np.ndarray | None = None
        self._kernel = np.ones((3, 3), np.uint8)

    def detect(self, grey: np.ndarray) -> MotionResult:
        blurred = cv2.GaussianBlur(grey, (5, 5), 0)
        previous, self._previous = self._previous, blurred
        if previous is None or previous.shape != blurred.shape:
            return MotionResult(0.0)
        diff = cv2.absdiff(blurred, previous)
        _, mask = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)
        fraction = cv2.countNonZero(mask) / mask.size
        if fraction < self.min_area:
            return MotionResult(fraction)
        mask = cv2.dilate(mask, self._kernel, iterations=2)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        smallest = max(4, int(self.min_area * mask.size / 4))
        boxes = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) >= smallest]
        return MotionResult(fraction, [tuple(int(v) for v in b) for b in boxes])  # type: ignore[misc]
