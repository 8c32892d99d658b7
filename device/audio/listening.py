"""The microphone service: reads the microphone in its own thread, analyses each block, and owns what
goes with it: the keyword spotter, the optional clip recorder, the words heard (shown live only).

    listening = Listening(config, mic, state, publish=hub.publish)
    Worker("audio", listening.loop, on_failure=listening.failed).start()
    listening.spectrum_after(ts)        # the live spectrogram's new columns (shown, never stored)
    listening.status()                  # what /api/status says about the microphone
    listening.forget_all()              # the words heard and every recorded clip
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from device.audio.analysis import AudioAnalyzer
from device.capture import read_until_stopped
from device.config import Config
from device.health import RateMeter, SourceState
from device.observations import Observation

logger = logging.getLogger(__name__)

WORDS_SHOWN = 20


class Listening:
    def __init__(self, config: Config, mic: Any, state: SourceState, *, publish: Any,
                 clock: Callable[[], float] = time.time) -> None:
        """*clock*: when each block ended (the wall clock; a benchmark playing a file fast gives its own)."""
        from device.audio import words
        from device.audio.recorder import ClipRecorder

        self.config = config.mic
        self.mic = mic
        self.state = state
        self.rate = RateMeter()
        self._publish = publish
        self._clock = clock
        self._analysing = threading.Lock()     # the worker feeds, close() flushes
        self.words: deque[tuple[float, str]] = deque(maxlen=WORDS_SHOWN)     # heard live; stored only if set
        self.spotter: Any = None
        self.recorder: ClipRecorder | None = None
        self.clips = config.data_dir / "clips"      # clips of an earlier run are erased too
        state.describe(mic)
        samplerate = mic.samplerate
        self.analyzer = AudioAnalyzer(samplerate=samplerate, publish=publish,
                                      spl_offset_db=self.config.spl_offset_db)
        if self.config.words == "on" or (self.config.words == "auto" and words.available()):
            keywords = _keywords(self.config.keywords)
            try:
                self.spotter = words.KeywordSpotter(keywords, samplerate=samplerate, on_word=self._heard,
                                                    threshold=self.config.keyword_threshold)
                self.analyzer.speech_listeners.append(self.spotter.feed)
                logger.info("microphone: listening for %s (shown live%s)", ", ".join(keywords),
                            ", and stored" if self.config.store_words else ", not stored")
            except Exception as exc:    # DeviceUnavailable, or pocketsphinx failing to load its model
                logger.warning("microphone: keyword spotting is off: %s", exc)
        if self.config.record:
            self.recorder = ClipRecorder(self.clips, samplerate=samplerate,
                                         clip_s=self.config.clip_s, retention_h=self.config.clip_retention_h,
                                         publish=publish)
            self.analyzer.speech_listeners.append(self.recorder.feed)
            logger.warning("microphone: recording clips of speech to %s (kept %.1f h)", self.recorder.directory,
                           self.config.clip_retention_h)

    def loop(self, stop: threading.Event) -> None:
        try:
            read_until_stopped(self.mic, self.state, stop, self._analyse, ended="the sound file has ended")
        finally:
            self.flush()      # the file ended or the kit stops: a stretch of speech still going is stored

    def _analyse(self, block: Any) -> None:
        with self._analysing:
            self.analyzer.feed(block, self._clock())
        self.rate.tick()

    def flush(self) -> None:
        """Publish what the analysis still holds (a stretch of speech going on); idempotent."""
        with self._analysing:
            self.analyzer.flush()

    def failed(self, exc: BaseException) -> None:
        self.state.failed(exc)

    def _heard(self, word: str, ts: float) -> None:
        self.words.append((ts, word))
        if self.config.store_words:
            self._publish(Observation(ts, "microphone", "keyword", None, {"word": word}, None))

    def spectrum_after(self, ts: float) -> list[tuple[float, tuple[int, ...]]]:
        """The spectrum columns newer than *ts*, oldest first (live only: never stored)."""
        return [column for column in list(self.analyzer.spectrum) if column[0] > ts]

    def forget_all(self) -> int:
        """Forget the words heard and delete every recorded clip; returns how many clip files went."""
        self.words.clear()
        clips = list(self.clips.glob("clip-*.wav"))
        for path in clips:
            path.unlink(missing_ok=True)
        return len(clips)

    def status(self) -> dict[str, Any]:
        audio = self.analyzer
        return {"blocks_per_s": round(self.rate.rate, 1),
                "level_dbfs": round(audio.current_dbfs, 1), "spl_db": round(audio.spl_db),
                "speaking": audio.speaking, "pitch_hz": round(audio.pitch_hz) if audio.pitch_hz else None,
                "this_minute": audio.speech_this_minute(),
                "seconds_analysed": round(audio.seconds_analysed, 1),
                "seconds_stored": round(self.recorder.seconds_stored, 1) if self.recorder else 0,
                "recording": self.recorder is not None,
                "words": {"listening": self.spotter.keywords if self.spotter else None,
                          "stored": self.config.store_words,
                          "heard": [{"ts": ts, "word": w} for ts, w in self.words]}}

    def close(self) -> None:
        self.flush()
        if self.recorder is not None:
            self.recorder.close()
        if self.spotter is not None:
            self.spotter.close()


def _keywords(value: Any) -> list[str]:
    """The words listened for, from the config (a tuple once parsed, or the comma-separated text)."""
    if isinstance(value, str):
        return [w.strip() for w in value.split(",") if w.strip()]
    return list(value)
