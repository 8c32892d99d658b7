"""Sound level: the RMS of each block in dBFS, reported once a second as the mean and the loudest block."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from device.observations import Observation, finite

SILENCE_DBFS = -120.0


def dbfs(block: np.ndarray) -> float:
    """RMS level of a block of float samples (full scale = 1.0) in dB; silence is -120."""
    rms = math.sqrt(float(np.dot(block, block)) / max(len(block), 1))
    return max(SILENCE_DBFS, 20 * math.log10(rms)) if rms > 0 else SILENCE_DBFS


class LevelMeter:
    """Feeds blocks in, publishes one sound_level observation per second of sound.

        meter = LevelMeter(samplerate=16000, publish=hub.publish)
        meter.feed(block, ts)
    """

    def __init__(self, *, samplerate: int, publish: Callable[[Observation], None], period_s: float = 1.0) -> None:
        self.samplerate = samplerate
        self._publish = publish
        self._period = int(samplerate * period_s)
        self._energy = 0.0
        self._count = 0
        self._peak = SILENCE_DBFS
        self.current_dbfs = SILENCE_DBFS
        self.seconds_analysed = 0.0

    def feed(self, block: np.ndarray, ts: float) -> None:
        level = dbfs(block)
        self.current_dbfs = level
        self._energy += float(np.dot(block, block))
        self._count += len(block)
        self._peak = max(self._peak, level)
        self.seconds_analysed += len(block) / self.samplerate
        if self._count >= self._period:
            rms = math.sqrt(self._energy / self._count)
            mean = max(SILENCE_DBFS, 20 * math.log10(rms)) if rms > 0 else SILENCE_DBFS
            self._publish(Observation(ts, "microphone", "sound_level", None,
                                      {"dbfs": finite(mean, 1), "peak_dbfs": finite(self._peak, 1)}))
            self._energy, self._count, self._peak = 0.0, 0, SILENCE_DBFS
