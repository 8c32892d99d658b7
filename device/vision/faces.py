"""Faces with OpenCV's Haar cascades: frontal and profile, then eyes ("looking at the camera") and smiles.

The detectors are searched only where the caller says (gate on people and motion first); eyes and smiles
only on a face that is new or due for a re-check, since they cost more than the face itself.
"""

from __future__ import annotations

import cv2
import numpy as np

from device.errors import DeviceUnavailable
from device.vision.motion import Box

DETAIL_SIZE = 120      # faces are enlarged to this before looking for eyes and smiles (eye windows are 20 px)


def _cascade(name: str) -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + name
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise DeviceUnavailable("face detector: cannot load {path}; install opencv-python-headless>=4.8,<5 "
                                "(OpenCV 5 no longer ships Haar cascades)", path=path)
    return cascade


class FaceDetector:
    """Finds faces in a grey frame, or in one region of it.

        detector = FaceDetector(scale_factor=1.2, min_size=24)
        boxes = detector.detect(grey_320x240, roi=(40, 20, 160, 160))   # frontal faces, frame pixels
        detector.profile(grey, roi)                                      # faces seen from the side
        eyes, smiling = detector.details(grey_face)                      # on one face's pixels
    """

    def __init__(self, *, scale_factor: float = 1.2, min_size: int = 24, min_neighbors: int = 4) -> None:
        self._frontal = _cascade("haarcascade_frontalface_default.xml")
        self._profile = _cascade("haarcascade_profileface.xml")
        self._eyes = _cascade("haarcascade_eye.xml")
        self._smile = _cascade("haarcascade_smile.xml")
        self.scale_factor = scale_factor
        self.min_size = min_size
        self.min_neighbors = min_neighbors

    def detect(self, grey: np.ndarray, roi: Box | None = None, *, min_size: int | None = None) -> list[Box]:
        return self._search(self._frontal, grey, roi, min_size)

    def profile(self, grey: np.ndarray, roi: Box | None = None, *, min_size: int | None = None) -> list[Box]:
        """Faces turned to the side: the cascade knows one side, so the mirrored picture finds the other."""
        found = self._search(self._profile, grey, roi, min_size)
        if found:
            return found
        x0 = roi[0] if roi else 0
        width = roi[2] if roi else grey.shape[1]
        mirrored = self._search(self._profile, cv2.flip(_crop(grey, roi), 1), None, min_size)
        y0 = roi[1] if roi else 0
        return [(x0 + width - x - w, y + y0, w, h) for x, y, w, h in mirrored]

    def details(self, face: np.ndarray) -> tuple[int, bool]:
        """(eyes found, smiling) on a grey face crop."""
        face = cv2.resize(face, (DETAIL_SIZE, DETAIL_SIZE), interpolation=cv2.INTER_LINEAR)
        half = DETAIL_SIZE // 2
        eyes = self._eyes.detectMultiScale(face[:half], 1.1, 3, minSize=(DETAIL_SIZE // 8, DETAIL_SIZE // 8))
        smiles = self._smile.detectMultiScale(face[half:], 1.1, 15, minSize=(DETAIL_SIZE // 4, DETAIL_SIZE // 8))
        return len(eyes), len(smiles) > 0

    def _search(self, cascade: cv2.CascadeClassifier, grey: np.ndarray, roi: Box | None,
                min_size: int | None) -> list[Box]:
        x0, y0 = (roi[0], roi[1]) if roi else (0, 0)
        grey = _crop(grey, roi)
        size = min_size or self.min_size
        if min(grey.shape[:2]) < size:
            return []
        found = cascade.detectMultiScale(grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
                                         minSize=(size, size))
        return [(int(x) + x0, int(y) + y0, int(w), int(h)) for x, y, w, h in found]


def _crop(grey: np.ndarray, roi: Box | None) -> np.ndarray:
    if roi is None:
        return grey
    x, y, w, h = roi
    return grey[max(0, y):y + h, max(0, x):x + w]


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


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
