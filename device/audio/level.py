"""Sound level: the RMS of a block of samples in dBFS (decibels below the microphone's full scale)."""

from __future__ import annotations

import math

import numpy as np

SILENCE_DBFS = -120.0


def dbfs(block: np.ndarray) -> float:
    """RMS level of a block of float samples (full scale = 1.0) in dB; silence is -120."""
    return energy_dbfs(float(np.dot(block, block)), len(block))


def energy_dbfs(energy: float, samples: int) -> float:
    """The level of *samples* samples whose squares sum to *energy*, in dB; silence is -120."""
    rms = math.sqrt(energy / max(samples, 1))
    return max(SILENCE_DBFS, 20 * math.log10(rms)) if rms > 0 else SILENCE_DBFS
