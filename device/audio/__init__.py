"""Microphone sources: blocks of float32 mono samples at the configured rate, and open_mic() to choose one.

    mic = open_mic("simulated", config, scene=scene, epoch=time.monotonic())
    with mic:
        block = mic.read(stop)     # block_ms of sound, or None once stopped or ended

sounddevice (PortAudio) is imported inside its backend only, so the kit imports without a sound card.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

import numpy as np

from device.config import Config
from device.errors import DeviceUnavailable
from device.scene import Scene

logger = logging.getLogger(__name__)


class Microphone(Protocol):
    name: str
    real: bool
    samplerate: int

    def open(self) -> None: ...

    def read(self, stop: threading.Event) -> np.ndarray | None: ...

    def close(self) -> None: ...


def open_mic(spec: str, config: Config, *, scene: Scene, epoch: float | None = None) -> Microphone:
    """Build (not yet open) the microphone named by *spec*; "auto" uses a real input when there is one."""
    rate, block = config.mic.samplerate, config.mic.samplerate * config.mic.block_ms // 1000
    if spec == "auto":
        spec = _detect()
    if spec == "simulated":
        return SimulatedMic(scene, samplerate=rate, block=block, epoch=epoch)
    if spec.startswith("file:"):
        from device.audio.sources import WavFileMic
        return WavFileMic(spec.split(":", 1)[1], samplerate=rate, block=block)
    from device.audio.sources import SoundDeviceMic
    device = spec.split(":", 1)[1] if ":" in spec else None
    return SoundDeviceMic(device, samplerate=rate, block=block)


def _detect() -> str:
    """"sounddevice" when PortAudio sees an input device, else "simulated"; says which in one log line."""
    try:
        import sounddevice
        device = sounddevice.query_devices(kind="input")
    except (ImportError, OSError) as exc:   # OSError: PortAudio (libportaudio2) is not installed
        logger.info("microphone: no sound input available (%s); using the simulated microphone", exc)
        return "simulated"
    except Exception:                       # sounddevice.PortAudioError: no default input device
        logger.info("microphone: no sound input device found; using the simulated microphone")
        return "simulated"
    logger.info("microphone: using %s", device["name"])
    return "sounddevice"


class SimulatedMic:
    """The simulated scene's sound, delivered in real time, in step with the simulated camera."""

    real = False
    name = "simulated"

    def __init__(self, scene: Scene, *, samplerate: int = 16000, block: int = 1600,
                 epoch: float | None = None) -> None:
        self.scene = scene
        self.samplerate = samplerate
        self.block = block
        self._epoch = epoch
        self._start: float | None = None
        self._sample = 0

    def open(self) -> None:
        self._start = self._epoch if self._epoch is not None else time.monotonic()
        self._sample = int((time.monotonic() - self._start) * self.samplerate) // self.block * self.block

    def read(self, stop: threading.Event) -> np.ndarray | None:
        if self._start is None:
            raise DeviceUnavailable("the simulated microphone is not open")
        end = self._sample + self.block
        if stop.wait(max(0.0, self._start + end / self.samplerate - time.monotonic())):
            return None
        behind = (time.monotonic() - self._start) * self.samplerate - end
        if behind > self.samplerate:      # a paused process: skip ahead rather than catch up
            self._sample = int((time.monotonic() - self._start) * self.samplerate) // self.block * self.block
        samples = self.scene.sound(self._sample, self.block, self.samplerate)
        self._sample += self.block
        return samples

    def close(self) -> None:
        self._start = None

    def __enter__(self) -> SimulatedMic:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
