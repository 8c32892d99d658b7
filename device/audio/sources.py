"""Real microphones (sounddevice) and WAV files, delivering the same blocks as the simulated microphone."""

from __future__ import annotations

import logging
import threading
import time
import wave

import numpy as np

from device.errors import DeviceUnavailable

logger = logging.getLogger(__name__)


class SoundDeviceMic:
    """A PortAudio input through sounddevice; the callback only copies into a ring buffer.

        with SoundDeviceMic("USB", samplerate=16000, block=1600) as mic:
            block = mic.read(stop)
    """

    real = True

    def __init__(self, device: str | None, *, samplerate: int = 16000, block: int = 1600) -> None:
        self.device: str | int | None = int(device) if device and device.isdigit() else device
        self.name = f"sounddevice:{device}" if device else "sounddevice"
        self.samplerate = samplerate
        self.block = block
        self._ring = np.zeros(samplerate * 4, np.float32)   # 4 s: the reader is never that far behind
        self._written = 0                                   # total samples written, only by the callback
        self._read = 0
        self._stream = None
        self.overflows = 0

    def open(self) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:
            raise DeviceUnavailable("microphone {name}: PortAudio is missing ({reason}); "
                                    "install it with: sudo apt-get install libportaudio2",
                                    name=self.name, reason=exc) from None
        try:
            sd.check_input_settings(device=self.device, channels=1, samplerate=self.samplerate, dtype="float32")
        except (ValueError, sd.PortAudioError) as exc:
            inputs = [f"{i}: {d['name']}" for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]
            if not inputs:
                raise DeviceUnavailable("microphone {name} cannot be used ({reason}). Input devices: none",
                                        name=self.name, reason=exc) from None
            raise DeviceUnavailable("microphone {name} cannot be used ({reason}). Input devices: {listing}",
                                    name=self.name, reason=exc, listing="; ".join(inputs)) from None
        self._written = self._read = 0
        self._stream = sd.InputStream(device=self.device, channels=1, samplerate=self.samplerate,
                                      dtype="float32", blocksize=0, callback=self._callback)
        self._stream.start()

    def _callback(self, indata: np.ndarray, frames: int, time_info, status) -> None:
        # Runs on PortAudio's thread: copy only; no allocation, logging or locks.
        if status:
            self.overflows += 1
        start = self._written % len(self._ring)
        first = min(frames, len(self._ring) - start)
        self._ring[start:start + first] = indata[:first, 0]
        if first < frames:
            self._ring[:frames - first] = indata[first:frames, 0]
        self._written += frames

    def read(self, stop: threading.Event) -> np.ndarray | None:
        if self._stream is None:
            raise DeviceUnavailable("microphone {name} is not open", name=self.name)
        waited = 0.0
        while self._written - self._read < self.block:
            if stop.wait(0.01):
                return None
            waited += 0.01
            if waited > 2.0 or not self._stream.active:
                raise DeviceUnavailable("microphone {name} stopped delivering sound", name=self.name)
        if self._written - self._read > len(self._ring) - self.block:
            self._read = self._written - self.block          # fell behind: keep the newest
        start = self._read % len(self._ring)
        idx = (start + np.arange(self.block)) % len(self._ring)
        self._read += self.block
        return self._ring[idx]

    def close(self) -> None:
        if self._stream is not None:
            self._stream.abort()
            self._stream.close()
            self._stream = None

    def __enter__(self) -> SoundDeviceMic:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WavFileMic:
    """A 16-bit PCM WAV file played in real time (mono, or its first channel), so a result can be replayed.

        with WavFileMic("talk.wav", samplerate=16000, block=1600) as mic:
            block = mic.read(stop)        # the next block, when it would have been heard; None at the end

    realtime=False hands the blocks over at once (a benchmark measuring many files); position_s is then
    the clock to time them by.
    """

    real = False
    kind = "file"           # a recording played (status sources.microphone.kind), not a live microphone

    def __init__(self, path: str, *, samplerate: int = 16000, block: int = 1600, realtime: bool = True) -> None:
        self.path = path
        self.name = f"file:{path}"
        self.samplerate = samplerate
        self.block = block
        self.realtime = realtime
        self._samples: np.ndarray | None = None
        self._position = 0
        self._start = 0.0

    @property
    def position_s(self) -> float:
        """Seconds of the file read so far: the end of the last block handed over."""
        return self._position / self.samplerate

    def open(self) -> None:
        try:
            with wave.open(self.path, "rb") as wav:
                if wav.getsampwidth() != 2:
                    raise DeviceUnavailable("microphone {name}: only 16-bit PCM WAV files can be played",
                                            name=self.name)
                if wav.getframerate() != self.samplerate:
                    raise DeviceUnavailable("microphone {name}: the file is {rate} Hz; "
                                            "set [mic] samplerate = {rate} or resample it",
                                            name=self.name, rate=wav.getframerate())
                raw = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, wav.getnchannels())
        except (FileNotFoundError, wave.Error, EOFError) as exc:
            raise DeviceUnavailable("microphone {name}: cannot read the file ({reason})", name=self.name,
                                    reason=exc) from None
        self._samples = raw[:, 0].astype(np.float32) / 32768.0
        self._position = 0
        self._start = time.monotonic()

    def read(self, stop: threading.Event) -> np.ndarray | None:
        if self._samples is None:
            raise DeviceUnavailable("microphone {name} is not open", name=self.name)
        end = min(self._position + self.block, len(self._samples))     # the last block may be shorter
        if end <= self._position:
            return None
        due = self._start + end / self.samplerate - time.monotonic() if self.realtime else 0.0
        if stop.wait(max(0.0, due)):
            return None
        block = self._samples[self._position:end]
        self._position = end
        return block

    def close(self) -> None:
        self._samples = None

    def __enter__(self) -> WavFileMic:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
