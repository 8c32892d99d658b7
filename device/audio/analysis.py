"""What a microphone reveals, block by block, without keeping the sound.

    analyzer = AudioAnalyzer(config.mic, samplerate=16000, publish=hub.publish)
    analyzer.feed(block, ts)        # 0.1 s of float samples; the block is dropped once analysed

Per block: the level; a spectrum in 40 bands (live only, never stored); voice activity from the level
above the room's noise floor, the share of energy in the speech band and how tonal it is; the voice's
pitch by autocorrelation, only while someone speaks; loud, sharp sounds (a clap, a knock, a door) from
10 ms slices. Observations: sound_level once a second, voice at the end of each stretch of speech,
speech_minute once a minute, loud_event when one happens.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from device.audio.level import SILENCE_DBFS, dbfs
from device.observations import Observation, finite

BANDS = 40
LOW_HZ, HIGH_HZ = 60.0, 8000.0
SPEECH_BAND = (80.0, 4000.0)       # where a voice puts nearly all its energy
HANGOVER_S = 0.5             # speech continues through pauses shorter than this
MIN_SPEECH_S = 0.3           # shorter bursts are not reported as speech
SLICE_S = 0.01
MINUTE_S = 60.0


def pitch_claim(hz: float) -> str:
    """What voice-analysis products commonly claim from a pitch; the kind's explanation says how unreliable."""
    if hz < 165:
        return "typical of an adult man's voice (85-165 Hz), so such systems would label it 'male'"
    if hz < 255:
        return "typical of an adult woman's voice (165-255 Hz), so such systems would label it 'female'"
    return "higher than most adults' voices, so such systems would guess 'a child'"


@dataclass
class _Event:
    start: float
    peak_dbfs: float
    centroid_hz: float
    last_loud: float


class AudioAnalyzer:
    def __init__(self, *, samplerate: int, publish: Callable[[Observation], None], spl_offset_db: float = 100.0,
                 history_s: float = 12.0) -> None:
        self.samplerate = samplerate
        self._publish = publish
        self.spl_offset_db = spl_offset_db
        self.current_dbfs = SILENCE_DBFS
        self.seconds_analysed = 0.0
        self.speaking = False
        self.pitch_hz: float | None = None
        self.spectrum: deque[tuple[float, tuple[int, ...]]] = deque(maxlen=int(history_s * 10))
        self.speech_listeners: list[Callable[[np.ndarray, bool], None]] = []
        self._floor = -60.0
        self._levels: deque[float] = deque(maxlen=50)          # the last 5 s of block levels
        self._second = {"energy": 0.0, "count": 0, "peak": SILENCE_DBFS}
        self._speech_start: float | None = None
        self._last_speech = -1e9
        self._pitches: list[float] = []
        self._minute_start: float | None = None
        self._minute_speech = 0.0
        self._minute_turns = 0
        self._event: _Event | None = None
        self._pending: _Event | None = None     # ended, waiting to see whether a voice follows it
        self._voiced: deque[float] = deque(maxlen=10)   # end times of the last voiced blocks
        self._last_slice_db = SILENCE_DBFS
        self._edges: np.ndarray | None = None
        self._window: np.ndarray | None = None

    # ---- the block
    def feed(self, block: np.ndarray, ts: float) -> None:
        """Analyse one block that ended at *ts*; keep nothing of the sound itself."""
        duration = len(block) / self.samplerate
        start = ts - duration
        level = dbfs(block)
        self.current_dbfs = level
        self.seconds_analysed += duration
        self._levels.append(level)
        self._floor = min(self._floor + 0.5 * duration, level) if level > SILENCE_DBFS else self._floor

        power, freqs = self._power(block)
        bands = self._bands(power, freqs)
        self.spectrum.append((ts, bands))
        in_speech_band = (freqs >= SPEECH_BAND[0]) & (freqs <= SPEECH_BAND[1])
        total = float(power[(freqs >= LOW_HZ) & (freqs <= HIGH_HZ)].sum()) + 1e-20
        voiced = power[in_speech_band] + 1e-20
        share = float(voiced.sum()) / total
        flatness = float(np.exp(np.mean(np.log(voiced))) / np.mean(voiced))
        centroid = float((power * freqs).sum() / (power.sum() + 1e-20))

        is_speech = level > max(self._floor + 9.0, -60.0) and share > 0.7 and flatness < 0.3
        pitch = self._pitch(block) if is_speech else None
        is_speech = is_speech and pitch is not None      # a voice has a pitch; a hum or a hiss does not
        if is_speech:
            self._voiced.append(ts)
        self._voice(is_speech, pitch, start, ts, block)
        self._loud(block, start, centroid)
        self._decide_event(ts)
        self._level_second(block, level, ts)
        self._minute(ts, duration if is_speech else 0.0)

    # ---- spectrum
    def _power(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._window is None or len(self._window) != len(block):
            self._window = np.hanning(len(block)).astype(np.float32)
        n = 1 << (len(block) - 1).bit_length()
        power = np.abs(np.fft.rfft(block * self._window, n)) ** 2
        return power, np.fft.rfftfreq(n, 1 / self.samplerate)

    def _bands(self, power: np.ndarray, freqs: np.ndarray) -> tuple[int, ...]:
        """Energy in BANDS log-spaced bands, as dB above -100 (0-100), small enough to send live."""
        if self._edges is None:
            edges = np.geomspace(LOW_HZ, min(HIGH_HZ, self.samplerate / 2), BANDS + 1)
            self._edges = np.searchsorted(freqs, edges)
        sums = np.add.reduceat(power, self._edges[:-1])[:BANDS]
        widths = np.maximum(np.diff(self._edges), 1)
        db = 10 * np.log10(sums / widths / len(power) + 1e-12)
        return tuple(int(v) for v in np.clip(db + 100, 0, 100))

    # ---- voice
    def _pitch(self, block: np.ndarray) -> float | None:
        """Fundamental frequency (75-400 Hz) by autocorrelation, or None if nothing is periodic enough."""
        frame = block[len(block) // 2 - 512: len(block) // 2 + 512].astype(np.float64)
        frame = frame - frame.mean()
        spectrum = np.fft.rfft(frame, 2048)
        corr = np.fft.irfft(np.abs(spectrum) ** 2)[:1024]
        if corr[0] <= 0:
            return None
        corr /= corr[0]
        low, high = int(self.samplerate / 400), int(self.samplerate / 75)
        lag = low + int(np.argmax(corr[low:high]))
        if corr[lag] < 0.35:
            return None
        # a peak at twice the lag is as strong: the period is the shorter one (avoid octave errors)
        half = lag // 2
        if half >= low and corr[half - 1:half + 2].max() > 0.85 * corr[lag]:
            lag = half - 1 + int(np.argmax(corr[half - 1:half + 2]))
        return self.samplerate / lag

    def _voice(self, is_speech: bool, pitch: float | None, start: float, ts: float, block: np.ndarray) -> None:
        if is_speech:
            if self._speech_start is None:
                self._speech_start = start
                self._pitches = []
            self._last_speech = ts
            if pitch is not None:
                self._pitches.append(pitch)
                self.pitch_hz = pitch
        speaking = self._speech_start is not None and ts - self._last_speech < HANGOVER_S
        for listener in self.speech_listeners:
            listener(block, speaking)
        if self._speech_start is not None and not speaking:
            self._end_speech()
        self.speaking = speaking
        if not speaking:
            self.pitch_hz = None

    def _end_speech(self) -> None:
        start, end = self._speech_start, self._last_speech
        self._speech_start = None
        if start is None or end - start < MIN_SPEECH_S:
            return
        self._minute_turns += 1
        value: dict = {"start": round(start, 2), "end": round(end, 2), "duration_s": round(end - start, 2)}
        if self._pitches:
            median = statistics.median(self._pitches)
            value.update(pitch_hz=round(median, 1), claimed=pitch_claim(median))
        self._publish(Observation(end, "microphone", "voice", None, value, 0.7))

    def _minute(self, ts: float, speech_s: float) -> None:
        if self._minute_start is None:
            self._minute_start = ts
        self._minute_speech += speech_s
        if ts - self._minute_start >= MINUTE_S:
            self._publish(Observation(ts, "microphone", "speech_minute", None, {
                "from": round(self._minute_start, 2), "speaking_s": round(self._minute_speech, 1),
                "turns": self._minute_turns}))
            self._minute_start, self._minute_speech, self._minute_turns = ts, 0.0, 0

    def speech_this_minute(self) -> dict:
        return {"speaking_s": round(self._minute_speech, 1), "turns": self._minute_turns}

    # ---- loud events
    def _loud(self, block: np.ndarray, start: float, centroid: float) -> None:
        """Sharp, loud sounds from 10 ms slices: a jump of 20 dB within 10 ms (a syllable rises slower), to
        20 dB over the room; while someone speaks, 25 dB."""
        size = int(self.samplerate * SLICE_S)
        slices = block[: len(block) // size * size].reshape(-1, size)
        levels = 10 * np.log10(np.mean(slices.astype(np.float64) ** 2, axis=1) + 1e-12)
        background = statistics.median(self._levels) if self._levels else self._floor
        for i, db in enumerate(levels):
            t = start + i * SLICE_S
            if self._event is None:
                jump = 25 if self.speaking else 20
                if db - self._last_slice_db >= jump and db - background >= 20 and db > -35:
                    self._event = _Event(t, float(db), centroid, t)
            else:
                if db > self._event.peak_dbfs - 20:
                    self._event.last_loud = t
                    if db > self._event.peak_dbfs:
                        self._event.peak_dbfs, self._event.centroid_hz = float(db), centroid
                elif t - self._event.last_loud > 0.05 or t - self._event.start > 1.0:
                    self._end_event()
            self._last_slice_db = float(db)

    def _end_event(self) -> None:
        self._pending, self._event = self._event, None

    def _decide_event(self, ts: float) -> None:
        """A bang followed by 0.3 s of voice was the start of a word (a plosive), not a knock."""
        event = self._pending
        if event is None or ts < event.start + MIN_SPEECH_S + 0.1:
            return
        self._pending = None
        voiced_after = sum(event.start < t <= event.start + MIN_SPEECH_S + 0.1 for t in self._voiced)
        if voiced_after * 0.1 >= MIN_SPEECH_S:
            return
        duration_ms = (event.last_loud - event.start + SLICE_S) * 1000
        if duration_ms < 150:
            label = "clap" if event.centroid_hz > 2000 else "knock"
        elif event.peak_dbfs > -15 and event.centroid_hz < 1500:
            label = "door slam"
        else:
            label = "loud sound"
        self._publish(Observation(event.start, "microphone", "loud_event", None, {
            "label": label, "peak_dbfs": round(event.peak_dbfs, 1), "duration_ms": round(duration_ms),
            "centroid_hz": round(event.centroid_hz)}, 0.5))

    # ---- level
    def _level_second(self, block: np.ndarray, level: float, ts: float) -> None:
        second = self._second
        second["energy"] += float(np.dot(block, block))
        second["count"] += len(block)
        second["peak"] = max(second["peak"], level)
        if second["count"] >= self.samplerate:
            rms = math.sqrt(second["energy"] / second["count"])
            mean = max(SILENCE_DBFS, 20 * math.log10(rms)) if rms > 0 else SILENCE_DBFS
            self._publish(Observation(ts, "microphone", "sound_level", None, {
                "dbfs": finite(mean, 1), "peak_dbfs": finite(second["peak"], 1),
                "spl_db": finite(mean + self.spl_offset_db, 0), "speaking": self.speaking}))
            self._second = {"energy": 0.0, "count": 0, "peak": SILENCE_DBFS}

    @property
    def spl_db(self) -> float:
        return self.current_dbfs + self.spl_offset_db
