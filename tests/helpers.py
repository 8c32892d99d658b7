"""Small helpers the tests share: a publish callable that can be waited on, and a bounded poll."""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Callable

import numpy as np


class Published(list):
    """Collects what an analyzer publishes; wait_for() blocks (with a bound) until a match arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = threading.Condition()

    def __call__(self, obs) -> None:
        with self.cond:
            self.append(obs)
            self.cond.notify_all()

    def of(self, kind: str) -> list:
        return [o for o in self if o.kind == kind]

    def wait_for(self, predicate: Callable, timeout: float = 3.0) -> list:
        with self.cond:
            self.cond.wait_for(lambda: any(predicate(o) for o in self), timeout)
            return [o for o in self if predicate(o)]


def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll a condition that no event announces (a pin's state, a thread's counter) until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def write_wav(path, samples: np.ndarray, rate: int = 16000) -> None:
    """16-bit mono WAV of float samples (full scale 1.0)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
