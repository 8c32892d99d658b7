"""What a microphone reveals, block by block, without keeping the sound.

    analyzer = AudioAnalyzer(samplerate=16000, publish=hub.publish, spl_offset_db=config.mic.spl_offset_db)
    analyzer.feed(block, ts)        # float samples that ended at ts; at most the last 64 ms are kept

Blocks may be of any length ([mic] block_ms is 20-1000): every window below is a duration, not a count of
blocks. Per block: the level; a spectrum in 40 bands (live only, never stored); voice activity from the
level above the room's noise floor, the share of energy in the speech band, how tonal it is and whether
it has a pitch (autocorrelation over 64 ms windows); loud, sharp sounds (a clap, a knock, a door) from
10 ms slices. Observations: sound_level about once a second, voice at the end of each stretch of speech,
speech_minute once a minute, loud_event when one happens.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from device.audio.level import SILENCE_DBFS, dbfs
from device.observations import Observation, finite

BANDS = 40
LOW_HZ, HIGH_HZ = 60.0, 8000.0
SPEECH_BAND = (80.0, 4000.0)       # where a voice puts nearly all its energy
HANGOVER_S = 0.5             # speech continues through pauses shorter than this
MIN_SPEECH_S = 0.3           # shorter bursts are not reported as speech
PLOSIVE_S = MIN_SPEECH_S + HANGOVER_S    # a bang followed within this by MIN_SPEECH_S of voice began a word
SLICE_S = 0.01
MINUTE_S = 60.0
BACKGROUND_S = 5.0           # a loud sound must stand out from the room: the median level of the last 5 s
BACKGROUND_CHUNK_S = 0.1     # measured in 0.1 s pieces, whatever the block size
PITCH_WINDOW_S = 0.064       # 1024 samples at 16 kHz: nearly five periods of the lowest voice (75 Hz)


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
    last_loud: float
    hz_power: float = 0.0        # sums over the loud slices, for the event's own spectral centroid
    power: float = 0.0

    @property
    def centroid_hz(self) -> float:
        return self.hz_power / (self.power + 1e-20)

    def add(self, samples: np.ndarray, samplerate: int) -> None:
        """Count a loud slice in the event's spectral centroid (its own sound, not the whole block's)."""
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
        self.hz_power += float(spectrum @ np.fft.rfftfreq(len(samples), 1 / samplerate))
        self.power += float(spectrum.sum())


class AudioAnalyzer:
    """Turns blocks of sound into observations and live state (level, speaking, pitch, spectrum); see above."""

    def __init__(self, *, samplerate: int, publish: Callable[[Observation], None], spl_offset_db: float = 100.0,
                 history_s: float = 12.0) -> None:
        self.samplerate = samplerate
        self._publish = publish
        self.spl_offset_db = spl_offset_db
        self.current_dbfs = SILENCE_DBFS
        self.seconds_analysed = 0.0
        self.speaking = False
        self.pitch_hz: float | None = None
        self.history_s = history_s
        self.spectrum: deque[tuple[float, tuple[int, ...]]] = deque()     # the last history_s of columns
        self.speech_listeners: list[Callable[[np.ndarray, bool], None]] = []
        self._floor = -60.0
        self._pitch_n = max(1, round(samplerate * PITCH_WINDOW_S))
        self._recent = np.zeros(0, np.float32)            # the last pitch window, when blocks are shorter
        self._second = {"energy": 0.0, "count": 0, "peak": SILENCE_DBFS}
        self._speech_start: float | None = None
        self._last_speech = -1e9
        self._pitches: list[float] = []
        self._minute_start: float | None = None
        self._minute_speech = 0.0
        self._minute_turns = 0
        self._loud = LoudSounds(samplerate)
        self._voiced: deque[tuple[float, float]] = deque()    # (start, end) of voiced blocks, the last 5 s
        self._edges: dict[int, np.ndarray] = {}           # FFT length -> band edges (bins)
        self._window: np.ndarray | None = None

    # ---- the block
    def feed(self, block: np.ndarray, ts: float) -> None:
        """Analyse one block that ended at *ts*; keep nothing of the sound but what the next block's pitch and
        slices need (at most PITCH_WINDOW_S)."""
        duration = len(block) / self.samplerate
        start = ts - duration
        level = dbfs(block)
        self.current_dbfs = level
        self.seconds_analysed += duration
        self._floor = min(self._floor + 0.5 * duration, level) if level > SILENCE_DBFS else self._floor
        if len(block) < self._pitch_n:       # a pitch needs a longer window: this block and those before it
            self._recent = np.concatenate([self._recent[len(block) - self._pitch_n:], block])

        power, freqs = self._power(block)
        bands = self._bands(power, freqs)
        self.spectrum.append((ts, bands))
        while self.spectrum[0][0] <= ts - self.history_s:
            self.spectrum.popleft()
        in_speech_band = (freqs >= SPEECH_BAND[0]) & (freqs <= SPEECH_BAND[1])
        total = float(power[(freqs >= LOW_HZ) & (freqs <= HIGH_HZ)].sum()) + 1e-20
        voiced = power[in_speech_band] + 1e-20
        share = float(voiced.sum()) / total
        flatness = float(np.exp(np.mean(np.log(voiced))) / np.mean(voiced))

        is_speech = level > max(self._floor + 9.0, -60.0) and share > 0.7 and flatness < 0.3
        pitch, periodic = self._pitch(block) if is_speech else (None, 0.0)
        is_speech = is_speech and pitch is not None      # a voice has a pitch; a hum or a hiss does not
        if is_speech:
            self._voiced.append((start, ts))
        while self._voiced and self._voiced[0][1] < ts - BACKGROUND_S:
            self._voiced.popleft()
        self._voice(is_speech, pitch, start, ts, block)
        self._loud.feed(block, start, speaking=self.speaking, floor=self._floor)
        event = self._loud.decide(ts, self._voiced)
        if event is not None:
            self._publish(event)
        self._level_second(block, level, ts)
        self._minute(ts, duration * periodic if is_speech else 0.0)

    # ---- spectrum
    def _power(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._window is None or len(self._window) != len(block):
            self._window = np.hanning(len(block)).astype(np.float32)
        n = 1 << (len(block) - 1).bit_length()
        power = np.abs(np.fft.rfft(block * self._window, n)) ** 2
        return power, np.fft.rfftfreq(n, 1 / self.samplerate)

    def _bands(self, power: np.ndarray, freqs: np.ndarray) -> tuple[int, ...]:
        """Energy in BANDS log-spaced bands, as dB above -100 (0-100), small enough to send live."""
        edges = self._edges.get(len(freqs))
        if edges is None:
            hz = np.geomspace(LOW_HZ, min(HIGH_HZ, self.samplerate / 2), BANDS + 1)
            edges = self._edges[len(freqs)] = np.searchsorted(freqs, hz)
        sums = np.add.reduceat(power, edges[:-1])[:BANDS]
        widths = np.maximum(np.diff(edges), 1)
        db = 10 * np.log10(sums / widths / len(power) + 1e-12)
        return tuple(int(v) for v in np.clip(db + 100, 0, 100))

    # ---- voice
    def _pitch(self, block: np.ndarray) -> tuple[float | None, float]:
        """The block's pitch (the median over its periodic PITCH_WINDOW_S windows, or None) and the share of
        its windows that are periodic. A block shorter than a window is judged on the last window of sound."""
        n = self._pitch_n
        if len(block) < n:
            frames = [self._recent] if len(self._recent) == n else []
        else:
            count = len(block) // n
            first = (len(block) - count * n) // 2
            frames = [block[first + i * n: first + (i + 1) * n] for i in range(count)]
        pitches = [p for p in (window_pitch(frame, self.samplerate) for frame in frames) if p is not None]
        return (statistics.median(pitches) if pitches else None), len(pitches) / max(len(frames), 1)

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


def window_pitch(frame: np.ndarray, samplerate: int) -> float | None:
    """Fundamental frequency (75-400 Hz) of a window of sound by autocorrelation, or None if not periodic."""
    n = len(frame)
    frame = frame.astype(np.float64)
    frame = frame - frame.mean()
    spectrum = np.fft.rfft(frame, 2 * n)
    corr = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    if corr[0] <= 0:
        return None
    corr /= corr[0]
    low, high = int(samplerate / 400), int(samplerate / 75)
    lag = low + int(np.argmax(corr[low:high]))
    if corr[lag] < 0.35:
        return None
    # a peak at twice the lag is as strong: the period is the shorter one (avoid octave errors)
    half = lag // 2
    if half >= low and corr[half - 1:half + 2].max() > 0.85 * corr[lag]:
        lag = half - 1 + int(np.argmax(corr[half - 1:half + 2]))
    return samplerate / lag


class LoudSounds:
    """Sharp, loud sounds (a clap, a knock, a door) from 10 ms slices, whatever the length of the blocks.

        loud = LoudSounds(16000)
        loud.feed(block, start, speaking=False, floor=-60.0)
        event = loud.decide(ts, voiced)      # a loud_event Observation once it is sure, else None
    """

    def __init__(self, samplerate: int) -> None:
        self.samplerate = samplerate
        self._size = max(1, round(samplerate * SLICE_S))
        self._rest = np.zeros(0, np.float64)             # samples short of a whole slice, for the next block
        self._chunks: deque[tuple[float, float]] = deque()     # (end, dB) of 0.1 s pieces of the last 5 s
        self._chunk = [0.0, 0]                           # power and slice count of the piece being measured
        self._last_db = SILENCE_DBFS
        self._event: _Event | None = None
        self._pending: _Event | None = None     # ended, waiting to see whether a voice follows it

    def feed(self, block: np.ndarray, start: float, *, speaking: bool, floor: float) -> None:
        """A jump of 20 dB within 10 ms (a syllable rises slower) to 20 dB over the room; while someone
        speaks, 25 dB. The room is the median level of the 5 s before this block (or the noise floor)."""
        samples = np.concatenate([self._rest, block])
        start -= len(self._rest) / self.samplerate
        whole = len(samples) // self._size * self._size
        slices, self._rest = samples[:whole].reshape(-1, self._size), samples[whole:]
        slice_s = self._size / self.samplerate
        power = np.mean(slices**2, axis=1)
        background = statistics.median(db for _, db in self._chunks) if self._chunks else floor
        for i, db in enumerate(10 * np.log10(power + 1e-12)):
            t = start + i * slice_s
            self._measure_room(t + slice_s, float(power[i]))
            event = self._event
            if event is None:
                jump = 25 if speaking else 20
                if db - self._last_db >= jump and db - background >= 20 and db > -35:
                    event = self._event = _Event(t, float(db), t)
            elif db > event.peak_dbfs - 20:
                event.last_loud, event.peak_dbfs = t, max(event.peak_dbfs, float(db))
            elif t - event.last_loud > 0.05 or t - event.start > 1.0:
                self._pending, self._event = event, None
            if event is not None and event.last_loud == t:
                event.add(slices[i], self.samplerate)
            self._last_db = float(db)

    def _measure_room(self, end: float, power: float) -> None:
        """Add one slice to the room's level, kept as 0.1 s pieces whatever the block size."""
        self._chunk[0] += power
        self._chunk[1] += 1
        if self._chunk[1] == round(BACKGROUND_CHUNK_S / SLICE_S):
            self._chunks.append((end, 10 * math.log10(self._chunk[0] / self._chunk[1] + 1e-12)))
            self._chunk = [0.0, 0]
            while self._chunks[0][0] < end - BACKGROUND_S:
                self._chunks.popleft()

    def decide(self, ts: float, voiced: Iterable[tuple[float, float]]) -> Observation | None:
        """The event that ended, once *ts* is PLOSIVE_S past its start; None if *voiced* (start, end) stretches
        cover MIN_SPEECH_S of that time: a bang followed by a voice was the start of a word, not a knock."""
        event = self._pending
        if event is None or ts < event.start + PLOSIVE_S:
            return None
        self._pending = None
        after = (event.start, event.start + PLOSIVE_S)
        if sum(max(0.0, min(end, after[1]) - max(start, after[0])) for start, end in voiced) >= MIN_SPEECH_S:
            return None
        duration_ms = (event.last_loud - event.start + SLICE_S) * 1000
        if duration_ms < 150:
            label = "clap" if event.centroid_hz > 2000 else "knock"
        elif event.peak_dbfs > -15 and event.centroid_hz < 1500:
            label = "door slam"
        else:
            label = "loud sound"
        return Observation(event.start, "microphone", "loud_event", None, {
            "label": label, "peak_dbfs": round(event.peak_dbfs, 1), "duration_ms": round(duration_ms),
            "centroid_hz": round(event.centroid_hz)}, 0.5)
