"""Licence plates: found on moving vehicles, and read (ANPR) when the OCR extra is installed.

The reader is PP-OCR's text detector and recogniser (Apache-2.0), whose weights come inside the rapidocr
wheel, run by onnxruntime on one thread. It runs on events only: a moving vehicle, ten times a second at
most, until the same text has been read twice (and, for a short one, a longer reading containing it, the
other line of a two-line plate), then not again for that vehicle. When it has gone with no long reading
agreed, its likeliest reading is told, with its confidence. Without it, OpenCV's plate cascade (trained on
Russian plates; European ones are alike) says where a plate is, not what it says.

    plates = PlateWatch()
    boxes, read = plates.look(bgr, vehicles, now)   # read: a new Plate once a vehicle's plate is agreed
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np

from device.vision.faces import _cascade, expand, union
from device.vision.motion import Box

logger = logging.getLogger(__name__)

READ_EVERY_S = 0.1          # while a vehicle moves and its plate is not yet agreed
NEAR = 0.2                  # share of the picture's width a vehicle must span before its plate is looked at
MAX_TRIES = 20              # looks at one vehicle's plate at most (then it is left alone until it has gone)
LONG = 6                    # characters: a reading this long is a whole plate, not one of its lines
FORGET_AFTER_S = 2.0        # no vehicle for this long: the next one is another car


def normal_plate(text: str) -> str:
    """A plate as read, in capitals without spaces or marks: "lzw 97-15" -> "LZW9715"."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


@dataclass(frozen=True)
class Plate:
    box: Box
    text: str               # letters and digits, a space between lines or groups
    confidence: float

    @property
    def key(self) -> str:
        return re.sub(r"[^0-9A-Z]", "", self.text)


class PlateDetector:
    """Plates in a grey frame, or in one region of it (OpenCV's cascade).

        PlateDetector().detect(grey_320x240, roi=(0, 100, 320, 140))
    """

    name = "plate cascade (OpenCV)"

    def __init__(self) -> None:
        self._cascade = _cascade("haarcascade_russian_plate_number.xml")

    def detect(self, grey: np.ndarray, roi: Box | None = None) -> list[Box]:
        x0, y0 = (roi[0], roi[1]) if roi else (0, 0)
        region = grey if roi is None else grey[roi[1]:roi[1] + roi[3], roi[0]:roi[0] + roi[2]]
        if region.shape[0] < 12 or region.shape[1] < 36:
            return []
        found = self._cascade.detectMultiScale(region, scaleFactor=1.1, minNeighbors=4, minSize=(36, 12))
        return [(int(x) + x0, int(y) + y0, int(w), int(h)) for x, y, w, h in found]


class PlateReader:
    """Text lines found and read in a picture, grouped into plates (one line, or two stacked)."""

    name = "PP-OCR plate reader (rapidocr, onnxruntime)"

    def __init__(self, engine: object) -> None:
        self._ocr = engine

    @staticmethod
    def installed() -> bool:
        """Whether the plates extra is there, without importing it (loading it takes a second)."""
        return all(importlib.util.find_spec(name) is not None for name in ("rapidocr", "onnxruntime"))

    @classmethod
    def load(cls) -> PlateReader | None:
        try:
            from rapidocr import RapidOCR
        except ImportError:
            return None
        try:
            engine = RapidOCR(params={
                "Global.log_level": "critical", "Global.use_cls": False,
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "Det.limit_side_len": 320, "Det.limit_type": "min"})
        except Exception as exc:         # a model missing from the wheel would be fetched: refuse instead
            logger.warning("plates: the OCR could not start (%s)", exc)
            return None
        return cls(engine)

    def read(self, image: np.ndarray, roi: Box) -> list[Plate]:
        x0, y0 = max(0, roi[0]), max(0, roi[1])
        region = image[y0:roi[1] + roi[3], x0:roi[0] + roi[2]]
        if min(region.shape[:2]) < 16:
            return []
        result = self._ocr(region)                                         # type: ignore[operator]
        if result.txts is None:
            return []
        lines = []
        for points, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
            clean = normal_plate(text)
            if clean:
                xs, ys = np.asarray(points)[:, 0], np.asarray(points)[:, 1]
                box = (int(xs.min()) + x0, int(ys.min()) + y0, int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
                lines.append((box, clean, float(score)))
        return [p for p in _group(lines) if 4 <= len(p.key) <= 10 and any(c.isdigit() for c in p.key)]


def _group(lines: list[tuple[Box, str, float]]) -> list[Plate]:
    """Lines stacked close above one another (a two-line plate) are one plate, read top to bottom."""
    lines = sorted(lines, key=lambda line: line[0][1])
    plates: list[list[tuple[Box, str, float]]] = []
    for line in lines:
        box = line[0]
        for plate in plates:
            last = plate[-1][0]
            overlap = min(box[0] + box[2], last[0] + last[2]) - max(box[0], last[0])
            if overlap >= 0.4 * min(box[2], last[2]) and box[1] - (last[1] + last[3]) <= 0.6 * last[3]:
                plate.append(line)
                break
        else:
            plates.append([line])
    return [Plate(union([b for b, _, _ in p]), " ".join(t for _, t, _ in p), min(s for _, _, s in p))
            for p in plates]


class PlateWatch:
    """Plates on moving vehicles: boxed (cascade) or read (OCR), paced, agreed before they are told."""

    def __init__(self, *, reader: bool = True) -> None:
        self._want_reader = reader and PlateReader.installed()
        self._reader: PlateReader | None = None            # loaded when a first vehicle appears
        self._loading: threading.Thread | None = None
        self.detector = PlateDetector()
        self.reads = 0
        self._votes: Counter[str] = Counter()
        self._best: dict[str, Plate] = {}
        self._agreed = False
        self._told: str | None = None
        self._tries = 0
        self._last_try = -1e9
        self._last_vehicle = -1e9
        self._boxes: list[Box] = []

    @property
    def name(self) -> str:
        return PlateReader.name if self._want_reader else self.detector.name

    @property
    def reader(self) -> PlateReader | None:
        """The OCR, once loaded (None before, and where it is not installed)."""
        return self._reader

    def _load(self) -> None:
        """Load the OCR (about a second) on a thread of its own when a first vehicle appears far off, so that
        it is ready when the vehicle comes near, and no frame waits for it."""
        if self._loading is not None or not self._want_reader:
            return

        def load() -> None:
            self._reader = PlateReader.load()
            self._want_reader = self._reader is not None

        self._loading = threading.Thread(target=load, name="plate-reader-load", daemon=True)
        self._loading.start()

    @reader.setter
    def reader(self, reader: PlateReader | None) -> None:
        """A reader handed in (loaded already, or a test's): nothing is loaded in the background then."""
        self._reader, self._want_reader = reader, reader is not None
        self._loading = threading.current_thread()

    def look(self, image: np.ndarray, vehicles: list[Box], now: float) -> tuple[list[Box], Plate | None]:
        short = None
        if now - self._last_vehicle >= FORGET_AFTER_S:           # the last vehicle has gone
            if self._told is None and self._best:                # no two readings agreed: the likeliest one
                key = max(self._best, key=lambda k: (len(k) >= LONG, self._votes[k], self._best[k].confidence))
                short = self._best[key] if self._best[key].confidence >= 0.6 else None
            self._votes.clear()
            self._best.clear()
            self._agreed, self._boxes, self._told, self._tries = False, [], None, 0
        if not vehicles:
            return self._boxes, short
        self._last_vehicle = now
        self._load()
        height, width = image.shape[:2]
        near = [v for v in vehicles if v[2] >= NEAR * width]      # a far car's plate is a few pixels
        if (self._agreed or not near or self._tries >= MAX_TRIES or now - self._last_try < READ_EVERY_S
                or (self._reader is None and self._want_reader)):          # the OCR is still loading
            return self._boxes, short
        self._tries += 1
        self._last_try = now
        region = expand(union(near), 0.1, (width, height))
        if self.reader is None:
            x, y, w, h = region
            grey = cv2.cvtColor(image[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY)
            self._boxes = [(px + x, py + y, pw, ph) for px, py, pw, ph in self.detector.detect(grey)]
            return self._boxes, short
        self.reads += 1
        found = self.reader.read(image, region)
        self._boxes = [p.box for p in found]
        agreed = short
        for plate in found:
            self._votes[plate.key] += 1
            if plate.key not in self._best or plate.confidence > self._best[plate.key].confidence:
                self._best[plate.key] = plate
            if self._votes[plate.key] < 2 or self._told is not None:
                continue
            # Two reads agree. A short one (one line of a two-line plate?) waits for a longer reading.
            if len(plate.key) >= LONG:
                self._told, self._agreed = plate.key, True
                agreed = self._best[plate.key]
        return self._boxes, agreed
