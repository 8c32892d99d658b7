"""Optional recording of short clips of speech ([mic] record = true; off by default).

Each stretch of speech, up to clip_s seconds, becomes a WAV file under <data dir>/clips, is announced as
an audio_clip observation (so the data page lists it), and is deleted after clip_retention_h hours.
"""

from __future__ import annotations

import logging
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from device.observations import Observation

logger = logging.getLogger(__name__)


class ClipRecorder:
    def __init__(self, directory: Path, *, samplerate: int, clip_s: float, retention_h: float,
                 publish: Callable[[Observation], None]) -> None:
        self.directory = directory
        self.samplerate = samplerate
        self.clip_samples = int(clip_s * samplerate)
        self.retention_s = retention_h * 3600
        self._publish = publish
        self._blocks: list[np.ndarray] = []
        self._count = 0
        self.seconds_stored = 0.0
        self._last_prune = 0.0
        directory.mkdir(parents=True, exist_ok=True)

    def feed(self, block: np.ndarray, speaking: bool) -> None:
        if speaking and self._count < self.clip_samples:
            self._blocks.append(block.copy())
            self._count += len(block)
        elif not speaking and self._blocks:
            self._write()
        if time.time() - self._last_prune > 60:
            self.prune()

    def _write(self) -> None:
        samples = np.concatenate(self._blocks)[: self.clip_samples]
        self._blocks, self._count = [], 0
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        path = self.directory / f"clip-{stamp}-{int(now * 1000) % 1000:03d}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(self.samplerate)
            wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        duration = len(samples) / self.samplerate
        self.seconds_stored += duration
        self._publish(Observation(now, "microphone", "audio_clip", None,
                                  {"file": f"clips/{path.name}", "duration_s": round(duration, 2)}))
        self.prune()

    def prune(self) -> int:
        """Delete clips older than the retention; returns how many were deleted."""
        self._last_prune = time.time()
        deleted = 0
        for path in self.directory.glob("clip-*.wav"):
            if self._last_prune - path.stat().st_mtime > self.retention_s:
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    def close(self) -> None:
        if self._blocks:
            self._write()
