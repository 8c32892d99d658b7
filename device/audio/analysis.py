"""What a microphone reveals, block by block, without keeping the sound.

    analyzer = AudioAnalyzer(samplerate=16000, publish=hub.publish, spl_offset_db=config.mic.spl_offset_db)
    analyzer.feed(block, ts)        # float samples that ended at ts; at most the last 48 ms are kept
    analyzer.flush()                # the sound ended (a file) or the kit stops: publish what is still going

Blocks may be of any length ([mic] block_ms is 20-1000): every window below is a duration, not a count of
blocks. Per block: the level; a spectrum in 40 bands (live only, never stored); voice activity and pitch
on 20 ms frames (device/audio/voice.py: the speech band above the room's noise floor, YIN's periodicity at
a voice's pitch, stretches with their unvoiced sounds and short pauses); loud, sharp sounds (a clap, a knock,
a door) from 10 ms slices. Observations: sound_level about once a second, voice at the end of each stretch
of speech, speech_minute once a minute, loud_event when one happens.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from device.audio.level import SILENCE_DBFS, energy_dbfs
from device.audio.voice import Stretch, VoiceActivity
from device.observations import PITCH_CLAIMS, Observation, finite

BANDS = 40
LOW_HZ, HIGH_HZ = 60.0, 8000.0
PLOSIVE_S = 0.8              # a bang followed within this by WORD_VOICED_S of voiced sound ...
WORD_VOICED_S = 0.15         # ... (not counting its own first 0.1 s, a knock rings) began a word
LONGEST_EVENT_S = 1.0        # a loud sound going on longer is the room's new level, not an event
SLICE_S = 0.01
MINUTE_S = 60.0
BACKGROUND_S = 5.0           # a loud sound must stand out from the room: the median level of the last 5 s
BACKGROUND_CHUNK_S = 0.1     # measured in 0.1 s pieces, whatever the block size


def pitch_claim(hz: float) -> str:
    """What voice-analysis products commonly claim from a pitch; the kind's explanation says how unreliable."""
    return next((claim for below, claim in PITCH_CLAIMS if hz < below), PITCH_CLAIMS[-1][1])


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
        self.voice = VoiceActivity(samplerate)
        self._second = {"energy": 0.0, "count": 0, "peak": SILENCE_DBFS}
        self._minute_start: float | None = None
        self._minute_speech = 0.0
        self._minute_turns = 0
        self._loud = LoudSounds(samplerate)
        self._edges: dict[int, np.ndarray] = {}           # FFT length -> band edges (bins)
        self._window: np.ndarray | None = None
        self._freqs = np.zeros(0)

    # ---- the block
    def feed(self, block: np.ndarray, ts: float) -> None:
        """Analyse one block that ended at *ts*; keep nothing of the sound but what the next block's frames
        and slices need (at most 48 ms)."""
        duration = len(block) / self.samplerate
        start = ts - duration
        energy = float(np.dot(block, block))       # once: the block's level and the second's mean
        level = energy_dbfs(energy, len(block))
        self.current_dbfs = level
        self.seconds_analysed += duration

        power, freqs = self._power(block)
        self.spectrum.append((ts, self._bands(power, freqs)))
        while self.spectrum[0][0] <= ts - self.history_s:
            self.spectrum.popleft()
        for stretch in self.voice.feed(block, ts):
            self._publish_voice(stretch)
        self.speaking, self.pitch_hz = self.voice.speaking, self.voice.pitch_hz
        for listener in self.speech_listeners:
            listener(block, self.speaking)
        floor = self.voice.floor_db if self.voice.floor_db is not None else -60.0
        self._loud.feed(block, start, speaking=self.speaking, floor=floor)
        for event in self._loud.decide(ts, self.voice.voiced):
            self._publish(event)
        self._level_second(energy, len(block), level, ts)
        self._minute(ts)

    def flush(self) -> None:
        """The sound has ended (a file) or the kit stops: publish the stretch of speech still going and a
        loud event still waiting to see whether a voice follows it. Idempotent."""
        stretch = self.voice.flush()
        if stretch is not None:
            self._publish_voice(stretch)
        self.speaking, self.pitch_hz = False, None
        self._loud.finish()
        for event in self._loud.decide(math.inf, self.voice.voiced):
            self._publish(event)

    # ---- spectrum
    def _power(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = 1 << (len(block) - 1).bit_length()
        if self._window is None or len(self._window) != len(block):
            self._window = np.hanning(len(block)).astype(np.float32)
            self._freqs = np.fft.rfftfreq(n, 1 / self.samplerate)
        spectrum = np.fft.rfft(block * self._window, n)
        return spectrum.real ** 2 + spectrum.imag ** 2, self._freqs

    def _bands(self, power: np.ndarray, freqs: np.ndarray) -> tuple[int, ...]:
        """Energy in BANDS log-spaced bands, as dB above -100 (0-100), small enough to send live."""
        edges = self._edges.get(len(freqs))
        if edges is None:
            hz = np.geomspace(LOW_HZ, min(HIGH_HZ, self.samplerate / 2), BANDS + 1)
            edges = self._edges[len(freqs)] = np.minimum(np.searchsorted(freqs, hz), len(freqs) - 1)
        sums = np.add.reduceat(power, edges[:-1])[:BANDS]
        widths = np.maximum(np.diff(edges), 1)
        db = 10 * np.log10(sums / widths / len(power) + 1e-12)
        return tuple(int(v) for v in np.clip(db + 100, 0, 100))

    # ---- voice
    def _publish_voice(self, stretch: Stretch) -> None:
        self._minute_turns += 1
        self._minute_speech += stretch.duration_s
        value: dict = {"start": round(stretch.start, 2), "end": round(stretch.end, 2),
                       "duration_s": round(stretch.duration_s, 2)}
        pitch = stretch.pitch_hz
        if pitch is not None:
            value.update(pitch_hz=round(pitch, 1), claimed=pitch_claim(pitch))
        self._publish(Observation(stretch.end, "microphone", "voice", None, value, 0.7))

    def _minute(self, ts: float) -> None:
        if self._minute_start is None:
            self._minute_start = ts
        if ts - self._minute_start >= MINUTE_S:
            self._publish(Observation(ts, "microphone", "speech_minute", None, {
                "from": round(self._minute_start, 2), "speaking_s": round(self._minute_speech, 1),
                "turns": self._minute_turns}))
            self._minute_start, self._minute_speech, self._minute_turns = ts, 0.0, 0

    def speech_this_minute(self) -> dict:
        return {"speaking_s": round(self._minute_speech, 1), "turns": self._minute_turns}

    # ---- level
    def _level_second(self, energy: float, samples: int, level: float, ts: float) -> None:
        second = self._second
        second["energy"] += energy
        second["count"] += samples
        second["peak"] = max(second["peak"], level)
        if second["count"] >= self.samplerate:
            mean = energy_dbfs(second["energy"], second["count"])
            self._publish(Observation(ts, "microphone", "sound_level", None, {
                "dbfs": finite(mean, 1), "peak_dbfs": finite(second["peak"], 1),
                "spl_db": finite(mean + self.spl_offset_db, 0), "speaking": self.speaking}))
            self._second = {"energy": 0.0, "count": 0, "peak": SILENCE_DBFS}

    @property
    def spl_db(self) -> float:
        return self.current_dbfs + self.spl_offset_db


class LoudSounds:
    """Sharp, loud sounds (a clap, a knock, a door) from 10 ms slices, whatever the length of the blocks.

        loud = LoudSounds(16000)
        loud.feed(block, start, speaking=False, floor=-60.0)
        events = loud.decide(ts, voiced)     # loud_event Observations once it is sure of them
    """

    def __init__(self, samplerate: int) -> None:
        self.samplerate = samplerate
        self._size = max(1, round(samplerate * SLICE_S))
        self._rest = np.zeros(0, np.float64)             # samples short of a whole slice, for the next block
        self._chunks: deque[tuple[float, float]] = deque()     # (end, dB) of 0.1 s pieces of the last 5 s
        self._chunk = [0.0, 0]                           # power and slice count of the piece being measured
        self._background: float | None = None            # the median of the pieces
        self._last_db: float | None = None               # the first slice jumps from nothing: not an event
        self._event: _Event | None = None
        self._pending: deque[_Event] = deque()  # ended, waiting to see whether a voice follows them

    def feed(self, block: np.ndarray, start: float, *, speaking: bool, floor: float) -> None:
        """A jump of 20 dB within 10 ms (a syllable rises slower) to 20 dB over the room; while someone
        speaks, 25 dB. The room is the median level of the last 5 s (before that, the noise floor). An event
        ends when its sound has fallen 20 dB for 50 ms, or after LONGEST_EVENT_S whatever it does."""
        samples = np.concatenate([self._rest, block])
        start -= len(self._rest) / self.samplerate
        whole = len(samples) // self._size * self._size
        slices, self._rest = samples[:whole].reshape(-1, self._size), samples[whole:]
        slice_s = self._size / self.samplerate
        power = np.mean(slices**2, axis=1)
        for i, db in enumerate(10 * np.log10(power + 1e-12)):
            t = start + i * slice_s
            background = self._background if self._background is not None else floor
            self._measure_room(t + slice_s, float(power[i]))
            event = self._event
            if event is None:
                jump = 25 if speaking else 20
                if (self._last_db is not None and db - self._last_db >= jump and db - background >= 20
                        and db > -35):
                    event = self._event = _Event(t, float(db), t)
            elif db > event.peak_dbfs - 20 and t - event.start <= LONGEST_EVENT_S:
                event.last_loud, event.peak_dbfs = t, max(event.peak_dbfs, float(db))
            elif t - event.last_loud > 0.05 or t - event.start > LONGEST_EVENT_S:
                self._pending.append(event)
                self._event = None
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
            self._background = statistics.median(db for _, db in self._chunks)

    def finish(self) -> None:
        """The sound has ended: an event still going ends with it."""
        if self._event is not None:
            self._pending.append(self._event)
            self._event = None

    def decide(self, ts: float, voiced: Iterable[tuple[float, float]]) -> list[Observation]:
        """The events that ended, once *ts* is PLOSIVE_S past their start, except those that *voiced* (start,
        end) frames cover WORD_VOICED_S after: a bang followed by a voice was the start of a word, not a knock."""
        found = []
        while self._pending and ts >= self._pending[0].start + PLOSIVE_S:
            event = self._pending.popleft()
            after = (event.start + 0.1, event.start + PLOSIVE_S)
            if sum(max(0.0, min(end, after[1]) - max(start, after[0])) for start, end in voiced) < WORD_VOICED_S:
                found.append(self._observation(event))
        return found

    @staticmethod
    def _observation(event: _Event) -> Observation:
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
