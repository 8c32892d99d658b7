"""People as the foreground shapes that stand out from the learnt empty room, for counting and tracking.

A face needs someone to look at the camera; a body does not. A background model of the empty room at
160x120 (a fraction of a millisecond) finds whatever differs from it, moving or standing still, and a shape
tall and large enough to be a person is counted as one. The model learns only where nobody stands, so a
visitor who stays still is not absorbed into the room; something left for minutes is. Real cameras use a
neural detector for the same job; the principle, and what it reveals, are the same.
"""

from __future__ import annotations

import cv2
import numpy as np

from device.vision.motion import Box


class PeopleDetector:
    """Person-shaped foreground blobs in a small colour frame (colour: a grey shirt on a grey wall is
    still a blue shirt on a beige wall).

        detector = PeopleDetector()
        boxes = detector.detect(bgr_160x120)      # boxes in the small frame's pixels
        detector.heat                              # float32 map (0-255) of where people have been
    """

    def __init__(self, *, min_area: float = 0.015, threshold: int = 22, learn: float = 0.02,
                 absorb_after: int = 15 * 120) -> None:
        self.min_area = min_area
        self.threshold = threshold
        self.learn = learn
        self.absorb_after = absorb_after        # frames a pixel may stay foreground before it is the room
        self._background: np.ndarray | None = None
        self._age: np.ndarray | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.heat: np.ndarray | None = None

    def detect(self, image: np.ndarray) -> list[Box]:
        if self._background is None or self._background.shape != image.shape:
            self._background = image.astype(np.float32)
            self._age = np.zeros(image.shape[:2], np.uint16)
            self.heat = np.zeros(image.shape[:2], np.float32)
            return []
        diff = cv2.absdiff(image, cv2.convertScaleAbs(self._background))
        diff = np.max(diff, axis=2) if diff.ndim == 3 else diff
        _, mask = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)
        if cv2.countNonZero(mask) > 0.6 * mask.size:      # the lights changed: this is the room now
            self._background = image.astype(np.float32)
            self._age[:] = 0
            return []
        # Learn the room where nobody is; absorb what has stood still for minutes (a moved chair).
        self._age = np.where(mask > 0, np.minimum(self._age + 1, 65535), 0).astype(np.uint16)
        learn_mask = cv2.bitwise_not(mask)
        learn_mask[self._age > self.absorb_after] = 255
        cv2.accumulateWeighted(image, self._background, self.learn, mask=learn_mask)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        mask = cv2.dilate(mask, self._kernel, iterations=2)
        cv2.accumulateWeighted(mask, self.heat, 0.002)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        smallest = self.min_area * mask.size
        parts = [tuple(int(v) for v in cv2.boundingRect(c)) for c in contours
                 if cv2.contourArea(c) >= smallest / 4]
        return [b for b in stack(parts)  # type: ignore[arg-type]
                if b[2] * b[3] >= smallest and b[3] >= 0.9 * b[2]]   # people are taller than wide; a car is not

    def background(self) -> np.ndarray | None:
        """The learnt empty room (small): what the heatmap is drawn over."""
        return None if self._background is None else cv2.convertScaleAbs(self._background)


def stack(boxes: list[Box], gap: int = 6) -> list[Box]:
    """Join parts stacked one above the other (a head over a body, split where a collar matches the wall)."""
    boxes = sorted(boxes, key=lambda b: b[1])
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
                vertical_gap = max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3])
                if overlap >= 0.5 * min(a[2], b[2]) and vertical_gap <= gap:
                    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
                    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
                    boxes[i] = (x0, y0, x1 - x0, y1 - y0)
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes
