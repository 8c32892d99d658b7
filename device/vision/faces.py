"""Frontal faces with OpenCV's Haar cascade, searched only where the caller says (gate on motion first)."""

from __future__ import annotations

import cv2
import numpy as np

from device.errors import DeviceUnavailable
from device.vision.motion import Box


class FaceDetector:
    """Finds frontal faces in a grey frame, or in one region of it.

        detector = FaceDetector(scale_factor=1.2, min_size=24)
        boxes = detector.detect(grey_320x240, roi=(40, 20, 160, 160))   # boxes in frame pixels
    """

    CASCADE = "haarcascade_frontalface_default.xml"

    def __init__(self, *, scale_factor: float = 1.2, min_size: int = 24, min_neighbors: int = 4) -> None:
        path = cv2.data.haarcascades + self.CASCADE
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise DeviceUnavailable(f"face detector: cannot load {path}; install opencv-python-headless>=4.8,<5 "
                                    "(OpenCV 5 no longer ships Haar cascades)")
        self.scale_factor = scale_factor
        self.min_size = min_size
        self.min_neighbors = min_neighbors

    def detect(self, grey: np.ndarray, roi: Box | None = None) -> list[Box]:
        x0, y0 = 0, 0
        if roi is not None:
            x0, y0, w, h = roi
            grey = grey[y0:y0 + h, x0:x0 + w]
        if min(grey.shape[:2]) < self.min_size:
            return []
        found = self._cascade.detectMultiScale(grey, scaleFactor=self.scale_factor,
                                               minNeighbors=self.min_neighbors,
                                               minSize=(self.min_size, self.min_size))
        return [(int(x) + x0, int(y) + y0, int(w), int(h)) for x, y, w, h in found]


def expand(box: Box, margin: float, bounds: tuple[int, int]) -> Box:
    """Grow a box by *margin* of its size on each side, clipped to (width, height)."""
    x, y, w, h = box
    dx, dy = int(w * margin), int(h * margin)
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(bounds[0], x + w + dx), min(bounds[1], y + h + dy)
    return x0, y0, x1 - x0, y1 - y0


def union(boxes: list[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0
