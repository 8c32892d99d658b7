"""Keyword spotting with pocketsphinx (the optional `speech` extra: its wheel carries an English model).

Only while the voice-activity detector hears speech: about 20 ms of CPU per second of speech, nothing in
silence. What it hears is shown live and kept nowhere, unless an administrator sets [mic] store_words.

    spotter = KeywordSpotter(["hello", "camera"], samplerate=16000, on_word=print)
    analyzer.speech_listeners.append(spotter.feed)
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable

import numpy as np

from device.errors import DeviceUnavailable

logger = logging.getLogger(__name__)
REPEAT_S = 1.0       # the spotter fires several times on one spoken word


def available() -> bool:
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return False
    return True


class KeywordSpotter:
    def __init__(self, keywords: list[str], *, samplerate: int, on_word: Callable[[str, float], None],
                 threshold: float = 1e-15) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise DeviceUnavailable(
                "keyword spotting needs pocketsphinx: pip install 'awareness-kit[speech]'") from None
        if samplerate != 16000:
            raise DeviceUnavailable("keyword spotting needs [mic] samplerate = 16000, not {samplerate}",
                                    samplerate=samplerate)
        self.keywords = keywords
        self._on_word = on_word
        with tempfile.NamedTemporaryFile("w", suffix=".kws", delete=False) as kws:
            kws.writelines(f"{word} /{threshold:g}/\n" for word in keywords)
        self._decoder = Decoder(samprate=samplerate, kws=kws.name, logfn="/dev/null")
        self._in_utterance = False
        self._previous: np.ndarray | None = None
        self._last: dict[str, float] = {}
        self.seconds_decoded = 0.0
        self.samplerate = samplerate

    def feed(self, block: np.ndarray, speaking: bool) -> None:
        """Called with every block: decodes while someone speaks (with the block before, for the onset)."""
        if speaking:
            if not self._in_utterance:
                self._decoder.start_utt()
                self._in_utterance = True
                if self._previous is not None:
                    self._decode(self._previous)
            self._decode(block)
        elif self._in_utterance:
            self._decoder.end_utt()
            self._in_utterance = False
        self._previous = block

    def _decode(self, block: np.ndarray) -> None:
        pcm = (np.clip(block, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self._decoder.process_raw(pcm, False, False)
        self.seconds_decoded += len(block) / self.samplerate
        hyp = self._decoder.hyp()
        if hyp is None:
            return
        word = hyp.hypstr.strip()
        self._decoder.end_utt()
        self._decoder.start_utt()
        now = time.time()
        if word and now - self._last.get(word, -1e9) >= REPEAT_S:
            self._last[word] = now
            self._on_word(word, now)

    def close(self) -> None:
        if self._in_utterance:
            self._decoder.end_utt()
            self._in_utterance = False
