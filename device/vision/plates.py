"""Licence plates with the plate cascade OpenCV ships (trained on Russian plates; European ones are alike).

It finds where a plate is, not what it says: reading it (ANPR) is one OCR step further, which city
cameras take as a matter of course.
"""

from __future__ import annotations

import numpy as np

from device.vision.faces import _cascade
from device.vision.motion import Box


class PlateDetector:
    """Plates in a grey frame, or in one region of it.

        PlateDetector().detect(grey_320x240, roi=(0, 100, 320, 140))
    """

    def __init__(self) -> None:
        self._cascade = _cascade("haarcascade_russian_plate_number.xml")

    def detect(self, grey: np.ndarray, roi: Box | None = None) -> list[Box]:
        x0, y0 = (roi[0], roi[1]) if roi else (0, 0)
        region = grey if roi is None else grey[roi[1]:roi[1] + roi[3], roi[0]:roi[0] + roi[2]]
        if region.shape[0] < 12 or region.shape[1] < 36:
            return []
        found = self._cascade.detectMultiScale(region, scaleFactor=1.1, minNeighbors=4, minSize=(36, 12))
        return [(int(x) + x0, int(y) + y0, int(w), int(h)) for x, y, w, h in found]
