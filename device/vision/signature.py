"""Appearance signatures for re-identification: clothing colours plus a coarse face pattern.

Without a face recogniser this is appearance matching, not identity: two people in the same red jumper
look alike to it, and one person who takes off a coat looks like someone else. With one (recognition.py),
a face embedding decides, as smart-city systems do.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from device.vision.motion import Box

FACE_SIZE = 8       # coarse on purpose: robust to where exactly the detector put the box


@dataclass
class Signature:
    clothes: np.ndarray | None = None     # normalised hue-saturation histogram of the torso
    face: np.ndarray | None = None        # unit vector of an 8x8 normalised face patch
    embedding: np.ndarray | None = None   # the face recogniser's 128 numbers (recognition.py), when installed

    def similarity(self, other: Signature) -> float:
        """0 (nothing alike) to 1 (identical); clothes alone are trusted less than clothes and face. Two face
        embeddings decide alone: a face recogniser sees through a change of coat."""
        if self.embedding is not None and other.embedding is not None:
            from device.vision.recognition import similarity
            return similarity(self.embedding, other.embedding)
        if self.clothes is None or other.clothes is None:
            return 0.0
        clothes = 1.0 - cv2.compareHist(self.clothes, other.clothes, cv2.HISTCMP_BHATTACHARYYA)
        if self.face is not None and other.face is not None:
            face = max(0.0, float(np.dot(self.face, other.face)))
            return 0.5 * clothes + 0.5 * face
        return 0.85 * clothes


def clothes_histogram(image: np.ndarray, box: Box) -> np.ndarray | None:
    """Hue-saturation histogram of the middle of a person's body (the torso), sampled sparsely."""
    x, y, w, h = box
    x0, x1 = max(0, x + w // 5), min(image.shape[1], x + 4 * w // 5)
    y0, y1 = max(0, y + 2 * h // 5), min(image.shape[0], y + 4 * h // 5)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    torso = image[y0:y1:2, x0:x1:2]
    hsv = cv2.cvtColor(torso, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [12, 4], [0, 180, 0, 256])
    cv2.normalize(hist, hist, 1.0, 0.0, cv2.NORM_L1)
    return hist


def face_vector(grey: np.ndarray, box: Box) -> np.ndarray | None:
    """A face as an 8x8 patch with its brightness and contrast normalised away, as a unit vector."""
    x, y, w, h = box
    patch = grey[max(0, y):y + h, max(0, x):x + w]
    if patch.size == 0:
        return None
    small = cv2.resize(patch, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return small / norm if norm > 1e-3 else None
