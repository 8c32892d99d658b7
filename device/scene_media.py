"""What the simulated scene is made of: real public-domain faces, sprites pasted into the picture, and
synthetic sounds (a voice, footsteps, a clap), so that the real detectors have something real to find."""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np

from device.errors import DeviceUnavailable

_BANK_LOCK = threading.Lock()


def face_bank() -> tuple[np.ndarray, ...]:
    """The face bank (_face_bank), built once whoever asks first: the camera's, the microphone's and the
    stimuli's threads may all ask at once, and each would build it (seconds) if the first had not finished."""
    with _BANK_LOCK:
        return _face_bank()


@functools.cache
def _face_bank() -> tuple[np.ndarray, ...]:
    """Square BGR faces: the astronaut, then those of scikit-image's LFW subset that a frontal detector
    finds when shown alone at 64 and 96 px (a handful are too turned or dark), so that the scene's ground
    truth "looking at the camera" is something a camera could see, and the benchmark measures what the
    pipeline's shortcuts lose rather than the limits of a 2001 detector."""
    try:
        from skimage import data
    except ImportError:
        raise DeviceUnavailable(
            "the simulated camera needs scikit-image's sample faces: pip install 'awareness-kit[sim]'") from None
    import cv2

    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    candidates = [np.ascontiguousarray(astronaut[56:171, 167:282])]
    tint = np.array([0.86, 0.93, 1.0])      # a warm skin tone on the grey photographs
    for grey in data.lfw_subset()[:100]:
        face = cv2.cvtColor((grey * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
        candidates.append((face * tint).astype(np.uint8))
    detector = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def findable(face: np.ndarray) -> bool:
        for size in (64, 96):
            shown = cv2.copyMakeBorder(cv2.resize(face, (size, size)), 40, 40, 40, 40, cv2.BORDER_CONSTANT,
                                       value=(150, 170, 190))
            if not len(detector.detectMultiScale(cv2.cvtColor(shown, cv2.COLOR_BGR2GRAY), 1.2, 4,
                                                 minSize=(48, 48))):
                return False
        return True

    return tuple(face for face in candidates if findable(face))


@functools.lru_cache(maxsize=256)
def resized_face(index: int, size: int) -> np.ndarray:
    import cv2

    return cv2.resize(face_bank()[index], (size, size), interpolation=cv2.INTER_LINEAR)


def paste(image: np.ndarray, sprite: np.ndarray, x: int, y: int) -> None:
    """Copy sprite into image at (x, y), clipped at the edges."""
    h, w = sprite.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, image.shape[1]), min(y + h, image.shape[0])
    if x0 < x1 and y0 < y1:
        image[y0:y1, x0:x1] = sprite[y0 - y:y1 - y, x0 - x:x1 - x]


def voice(t: np.ndarray, v: Any) -> np.ndarray:
    """A speech-like sound: a gliding voiced pitch with harmonics, in syllables and words."""
    vibrato_hz, depth = 0.7, 0.08
    phase = 2 * np.pi * v.pitch_hz * (t - depth * np.cos(2 * np.pi * vibrato_hz * t) / (2 * np.pi * vibrato_hz))
    tone = sum(np.sin(h * phase) / h for h in range(1, 9))
    syllables = np.maximum(0.0, np.sin(2 * np.pi * 4.0 * t + v.number)) ** 2
    words = np.clip((np.sin(2 * np.pi * 0.6 * t + v.number) + 0.3) * 4, 0.0, 1.0)   # words fade in and out
    loudness = 0.12 * 1.5 / v.distance_m
    return loudness * tone * syllables * words


def footsteps(t: np.ndarray, v: Any) -> np.ndarray:
    """Soft thuds, two steps a second."""
    since_step = (t - v.enter) % 0.5
    return 0.01 * np.exp(-since_step * 60) * np.sin(2 * np.pi * 90 * t)


def clap(t: np.ndarray, at: float, rng: np.random.Generator) -> np.ndarray:
    """A hand clap: a bright burst of noise dying away in a few tens of milliseconds."""
    since = t - at
    burst = np.diff(rng.normal(0.0, 0.6, len(t) + 1))        # differenced noise: mostly high frequencies
    return np.where(since >= 0, burst * np.exp(-np.maximum(since, 0) * 80), 0.0)
