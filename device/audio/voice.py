"""Voice activity and pitch on real voices: YIN on 20 ms frames, the room's noise floor, stretches of speech.

    voice = VoiceActivity(16000)
    for stretch in voice.feed(block, ts):      # stretches of speech that ended in this block
        print(stretch.start, stretch.end, stretch.pitch_hz)
    voice.speaking, voice.pitch_hz             # live
    last = voice.flush()                       # at the end of a file or on stop: the stretch still going

A frame is *active* when the speech band (250-3500 Hz, which telephone speech keeps too) stands out of the
room's noise floor (a low percentile of the last seconds, so a quiet recording has a low one), and *voiced*
when it is also periodic at a voice's pitch, 60-400 Hz. The pitch is YIN's on the sound below 2 kHz: the
period is the first dip of the cumulative mean normalised difference that is both low and nearly as low as
the lowest, so neither a strong 2nd harmonic (the octave above) nor a noisy period (the octave below) is
taken for it, and a missing fundamental (a phone line's) is found from the harmonics above it.
A stretch of speech opens on a few voiced frames close together, takes in the active sound just before them
(an unvoiced consonant: "s", "t", "k"), goes on through unvoiced sounds and short pauses, and ends after a
pause, or once nothing has been voiced for a while (a crowd or a tap running on after the voice); its end is
the last active sound going on from a voiced one. A stretch is speech if it is long enough, has voice enough
in it, and its voiced sound is mostly below 1 kHz, where vowels put their energy (a miaow, a squeak or the
ring of a dish puts it above). Only the last window of samples is kept, and only frame-level numbers.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field

import numpy as np

FRAME_S = 0.02               # one decision every 20 ms
WINDOW_S = 0.048             # each on the last 48 ms: a 20 ms period (50 Hz) and 28 ms to compare it over
LOWEST_HZ, HIGHEST_HZ = 60.0, 400.0      # a speaking voice's pitch, deep men to children
SLOWEST_HZ = 50.0            # periods are looked for down to here, so that a hum's is not taken for a low voice
FASTEST_HZ = 1000.0          # periodicity is looked for up to here, so that a whistle is not taken for a voice
PITCH_BAND_HZ = 2000.0       # the pitch is found below 2 kHz, where a voice's harmonics are strong ...
PITCH_RATE = 8000.0          # ... after decimating to about this rate (a hiss or a squeak above it is left out)
DIP = 0.2                    # YIN's absolute threshold: the period is the first dip below it that is also
NEAR_LOWEST = 0.05           # this near the lowest (a shorter period repeating worse is a strong harmonic's)
VOICED_APERIODICITY = 0.35   # a frame whose best dip stays above this is not voiced (noise, a hiss, breath)
SPEECH_BAND = (250.0, 3500.0)
ACTIVE_DB = 9.0              # the speech band this far above the room's floor is a sound worth hearing,
VOICED_DB = 5.0              # and a periodic one this far above it a voice (YIN tells it from the noise)
FLOOR_S = 10.0               # the floor is the 10th percentile of the last 10 s of frames ...
FLOOR_PERCENTILE = 10.0
FLOOR_PIECE_S = 0.1          # ... updated every 0.1 s
LOWEST_FLOOR_DB = -80.0      # digital silence is not a room
ONSET_VOICED = 3             # a stretch opens on 3 voiced frames ...
ONSET_S = 0.2                # ... within 0.2 s
LEAD_S = 0.2                 # and takes in up to 0.2 s of active sound just before them
PAUSE_S = 0.3                # a pause this long ends it ...
UNVOICED_S = 0.5             # ... and so does this long without a voiced frame (a crowd, a tap after a voice),
TAIL_S = 0.2                 # keeping at most this much of the active sound going on after the last voiced one
MIN_SPEECH_S = 0.3           # shorter stretches are not speech
MIN_VOICED_S = 0.1           # nor those with less voice in them than this,
FIRST_FORMANT_HZ = 1000.0    # nor those whose voiced sound is mostly above 1 kHz: a voice's vowels put most
HIGH_SHARE = 0.7             # of their energy below it, even shouted; a miaow, a squeak, a clink do not
STEADY_CENTS = 5.0           # and nor those ringing: a voiced frame within 5 cents of the pitch before it ...
RISING_DB = 0.5
RINGING = 0.6                # ... in 6 of 10 frames (a voice: 1 or 2), and louder than the one before in
SWELLING = 0.25              # fewer than 1 in 4 (a voice's syllables swell: 1 in 3 or 4, or more)
RECENT_S = 5.0               # voiced frames are remembered this long (a bang followed by a voice was a word)


@dataclass
class Stretch:
    """A stretch of speech: from start to end (seconds), and the pitches of its voiced frames."""

    start: float
    end: float
    pitches: list[float] = field(default_factory=list)      # of its voiced frames
    high: list[float] = field(default_factory=list)         # their share of the speech band above 1 kHz
    frame_s: float = FRAME_S
    steps: int = 0               # voiced frames following a voiced frame: how many,
    steady: int = 0              # with the same pitch (within STEADY_CENTS),
    rising: int = 0              # louder than the one before (by RISING_DB)

    @property
    def rings(self) -> bool:
        """Sounds like a struck thing ringing (a pan, a plate, a glass): its pitch never moves and it only dies
        away. A voice's pitch wanders from frame to frame, and its syllables swell."""
        return self.steps >= 3 and self.steady >= RINGING * self.steps and self.rising < SWELLING * self.steps

    @property
    def duration_s(self) -> float:
        return self.end - self.start

    @property
    def voiced_s(self) -> float:
        return len(self.pitches) * self.frame_s

    @property
    def pitch_hz(self) -> float | None:
        return statistics.median(self.pitches) if self.pitches else None


def yin(frames: np.ndarray, samplerate: float) -> tuple[np.ndarray, np.ndarray]:
    """Pitch (Hz) and aperiodicity (0 = perfectly periodic) of each row of *frames*, by YIN (de Cheveigné and
    Kawahara, 2002): the difference function by FFT, cumulative-mean normalised, the first dip under DIP and
    within NEAR_LOWEST of the lowest point (else the lowest point), refined by a parabola.
    Periods are looked for from 1/FASTEST_HZ to 1/SLOWEST_HZ."""
    frames = frames - frames.mean(axis=1, keepdims=True)
    size = frames.shape[1]
    longest = int(math.ceil(samplerate / SLOWEST_HZ))
    span = size - longest                            # samples compared at every lag
    n = 1 << (size - 1).bit_length()
    cross = np.fft.irfft(np.fft.rfft(frames, n) * np.conj(np.fft.rfft(frames[:, :span], n)), n)[:, :longest + 1]
    energy = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames * frames, axis=1)], axis=1)
    lags = np.arange(longest + 1)
    diff = energy[:, span:span + 1] + energy[:, lags + span] - energy[:, lags] - 2 * cross
    normalised = diff[:, 1:] * lags[1:] / np.maximum(np.cumsum(diff[:, 1:], axis=1), 1e-12)   # lag 1 onwards
    shortest = max(2, int(samplerate / FASTEST_HZ))
    search = normalised[:, shortest - 1:longest - 1]          # lags shortest .. longest - 1
    lowest = search.min(axis=1, keepdims=True)
    below = search <= np.where(lowest < DIP, np.minimum(DIP, lowest + NEAR_LOWEST), lowest)
    pitch, aperiodicity = np.zeros(len(frames)), np.ones(len(frames))
    for i, row in enumerate(search):
        lag = int(np.argmax(below[i]))                # the first dip deep enough (there is one: the lowest)
        while lag + 1 < len(row) and row[lag + 1] < row[lag]:     # down to the bottom of that dip
            lag += 1
        aperiodicity[i] = row[lag]
        shift = 0.0
        if 0 < lag < len(row) - 1:
            before, at, after = row[lag - 1], row[lag], row[lag + 1]
            curve = before - 2 * at + after
            shift = 0.5 * (before - after) / curve if curve > 0 else 0.0
        pitch[i] = samplerate / (lag + shortest + shift)
    return pitch, aperiodicity


def lowpass(samplerate: int, cutoff_hz: float) -> np.ndarray:
    """A windowed-sinc (Hamming) low-pass filter, six periods of the cutoff long: flat to about 0.7 of the
    cutoff, -50 dB from 1.3 times it."""
    taps = 2 * round(3 * samplerate / cutoff_hz) + 1
    n = np.arange(taps) - taps // 2
    h = np.sinc(2 * cutoff_hz / samplerate * n) * np.hamming(taps)
    return (h / h.sum()).astype(np.float32)


class VoiceActivity:
    """Stretches of speech in a stream of blocks of any length; see the module's docstring."""

    def __init__(self, samplerate: int) -> None:
        self.samplerate = samplerate
        self._step = max(1, round(samplerate / PITCH_RATE))       # the pitch is found at about PITCH_RATE
        self.hop = self._step * max(1, round(samplerate * FRAME_S / self._step))
        self.frame_s = self.hop / samplerate
        self._rest = np.zeros(0, np.float32)                      # samples short of a whole frame
        self._hann = np.hanning(self.hop).astype(np.float32)
        freqs = np.fft.rfftfreq(self.hop, 1 / samplerate)
        self._band = (freqs >= SPEECH_BAND[0]) & (freqs <= SPEECH_BAND[1])
        self._high = (freqs > FIRST_FORMANT_HZ) & (freqs <= SPEECH_BAND[1])
        self._scale = 2.0 / (self.hop * float(np.sum(self._hann ** 2)))
        self._lowpass = lowpass(samplerate, PITCH_BAND_HZ)
        self._history = np.zeros(len(self._lowpass) - 1, np.float32)     # the filter's memory
        self.pitch_rate = samplerate / self._step
        self._low_hop = self.hop // self._step
        self._low_size = max(self._low_hop, round(self.pitch_rate * WINDOW_S))
        self._low = np.zeros(self._low_size - self._low_hop, np.float32)  # the pitch window before the frame
        self.floor_db: float | None = None
        self._levels = np.zeros(max(1, round(FLOOR_S / self.frame_s)))     # the speech band's level, frame by frame
        self._frames = 0
        self._piece = max(1, round(FLOOR_PIECE_S / self.frame_s))
        self.speaking = False
        self.pitch_hz: float | None = None
        self.voiced: deque[tuple[float, float]] = deque()    # (start, end) of voiced frames, the last RECENT_S
        self._onset: deque[tuple[float, float, float]] = deque()     # (end, pitch, high) of voiced frames: ONSET_S
        self._run_start: float | None = None       # start of the current run of active frames
        self._stretch: Stretch | None = None
        self._last_voiced = self._last_active = self._tail_end = self._last_end = -1e9
        self._was_voiced = self._tail_open = False
        self._previous = (0.0, 0.0)                 # the last frame's pitch and level

    def feed(self, block: np.ndarray, ts: float) -> list[Stretch]:
        """Analyse a block that ended at *ts*; returns the stretches of speech that ended in it."""
        samples = np.concatenate([self._rest, block.astype(np.float32, copy=False)])
        count = len(samples) // self.hop
        self._rest = samples[count * self.hop:]
        if count == 0:
            return []
        used = samples[:count * self.hop]
        ends = ts - (len(self._rest) + (count - 1 - np.arange(count)) * self.hop) / self.samplerate
        spectra = np.abs(np.fft.rfft(used.reshape(count, self.hop) * self._hann, axis=1)) ** 2
        band = spectra[:, self._band].sum(axis=1)
        band_db = 10 * np.log10(band * self._scale + 1e-12)
        high = spectra[:, self._high].sum(axis=1) / (band + 1e-20)
        floor = self.floor_db if self.floor_db is not None else float(band_db.min())
        active = band_db > min(floor, float(band_db.min())) + VOICED_DB      # worth looking for a pitch
        low = self._decimate(used, whole=bool(active.any()))
        pitch, aperiodicity = np.zeros(count), np.ones(count)
        if active.any():
            starts = np.flatnonzero(active) * self._low_hop
            frames = low[starts[:, None] + np.arange(self._low_size)]
            pitch[active], aperiodicity[active] = yin(frames.astype(np.float64), self.pitch_rate)
        voiced = active & (aperiodicity < VOICED_APERIODICITY) & (pitch >= LOWEST_HZ) & (pitch <= HIGHEST_HZ)
        ended = []
        for i in range(count):
            stretch = self._frame(float(ends[i]), float(band_db[i]), float(pitch[i]) if voiced[i] else None,
                                  float(high[i]))
            if stretch is not None:
                ended.append(stretch)
        while self.voiced and self.voiced[0][1] < ts - RECENT_S:
            self.voiced.popleft()
        self.speaking = self._stretch is not None
        if not self.speaking:
            self.pitch_hz = None
        return ended

    def _decimate(self, used: np.ndarray, *, whole: bool) -> np.ndarray:
        """The pitch band of *used*, decimated, after the pitch window's earlier samples; when no frame needs
        a pitch (*whole* false), only the end that the next block's window needs."""
        extended = np.concatenate([self._history, used])
        if len(self._history):
            self._history = extended[-len(self._history):]
        if not whole:
            extended = extended[len(extended) - len(self._low) * self._step - len(self._history):]
        low = np.convolve(extended, self._lowpass, "valid")[::self._step]
        low = np.concatenate([self._low, low.astype(np.float32)])
        self._low = low[len(low) - len(self._low):]
        return low

    def _floor(self, db: float) -> float:
        """The room's floor: a low percentile of the last FLOOR_S of frames, updated every 0.1 s (a voice
        rarely fills nine tenths of ten seconds); digital silence counts as LOWEST_FLOOR_DB."""
        self._levels[self._frames % len(self._levels)] = max(db, LOWEST_FLOOR_DB)
        self._frames += 1
        if self.floor_db is None or self._frames % self._piece == 0:
            heard = self._levels[:min(self._frames, len(self._levels))]
            low = int(len(heard) * FLOOR_PERCENTILE / 100)
            self.floor_db = float(np.partition(heard, low)[low])
        return self.floor_db

    def _frame(self, end: float, db: float, pitch: float | None, high: float) -> Stretch | None:
        """Take one frame: its end, its speech band's level, its pitch if voiced, the share of its speech band
        above 1 kHz. Returns the stretch that it ended, if it ended one."""
        start = end - self.frame_s
        active = db > self._floor(db) + ACTIVE_DB or pitch is not None
        if active:
            self._last_active = end
            self._run_start = start if self._run_start is None else self._run_start
        else:
            self._run_start = None
            self._tail_open = False
        steady = pitch is not None and self._was_voiced       # a lone periodic frame in noise is a fluke
        if steady and self._stretch is not None:
            self._stretch.steps += 1
            self._stretch.steady += abs(math.log2(pitch / self._previous[0])) * 1200 < STEADY_CENTS
            self._stretch.rising += db > self._previous[1] + RISING_DB
        self._was_voiced = pitch is not None
        self._previous = (pitch or 0.0, db)
        if pitch is not None:
            self.voiced.append((start, end))
            self._onset.append((end, pitch, high))
            self.pitch_hz = pitch
        if steady:
            self._last_voiced = self._tail_end = end
            self._tail_open = True
        elif active and self._tail_open and end - self._last_voiced <= TAIL_S:
            self._tail_end = end                     # an unvoiced sound going on from the voice: "t", "s"
        while self._onset and self._onset[0][0] <= end - ONSET_S:
            self._onset.popleft()
        stretch = self._stretch
        if stretch is None:
            if len(self._onset) >= ONSET_VOICED:
                first = self._onset[0][0] - self.frame_s
                lead = self._run_start if self._run_start is not None else first
                self._stretch = Stretch(max(lead, first - LEAD_S, self._last_end), end,
                                        [p for _, p, _ in self._onset], [h for _, _, h in self._onset], self.frame_s)
                self._last_voiced = self._tail_end = end
                self._tail_open = True
            return None
        if pitch is not None:
            stretch.pitches.append(pitch)
            stretch.high.append(high)
        paused = self._run_start is None and end - max(self._last_active, self._last_voiced) >= PAUSE_S
        if paused or end - self._last_voiced >= UNVOICED_S:
            return self._close()
        return None

    def _close(self) -> Stretch | None:
        stretch, self._stretch = self._stretch, None
        self.speaking, self.pitch_hz = False, None
        if stretch is None:
            return None
        stretch.end = self._last_end = self._tail_end
        if (stretch.duration_s < MIN_SPEECH_S or stretch.voiced_s < MIN_VOICED_S
                or statistics.median(stretch.high) >= HIGH_SHARE or stretch.rings):
            return None
        return stretch

    def flush(self) -> Stretch | None:
        """End the stretch still going (the file ended, or the kit stops): it is speech all the same."""
        return self._close()
