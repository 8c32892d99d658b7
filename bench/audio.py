"""Benchmark: CPU the microphone's analysis costs per second of sound, with and without keyword spotting.

    python bench/audio.py [--seconds 600] [--seed 1]

The sound is the simulated room (speech-like voices, claps, room tone) at 16 kHz, analysed in 0.1 s blocks
as the audio worker does. Keyword spotting (the speech extra) runs only while someone speaks; its cost is
printed separately, per second of all sound and per second of speech.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.audio.analysis import AudioAnalyzer  # noqa: E402
from device.scene import Scene  # noqa: E402

RATE, BLOCK = 16000, 1600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scene = Scene(args.seed)
    blocks = [scene.sound(i * BLOCK, BLOCK, RATE) for i in range(int(args.seconds * RATE / BLOCK))]

    published: list = []
    analyzer = AudioAnalyzer(samplerate=RATE, publish=published.append)
    started = time.process_time()
    for i, block in enumerate(blocks):
        analyzer.feed(block, (i + 1) * BLOCK / RATE)
    analysis_s = time.process_time() - started
    kinds = {k: sum(o.kind == k for o in published) for k in ("sound_level", "voice", "speech_minute", "loud_event")}
    print(f"sound: {args.seconds:.0f} s of the simulated room at {RATE} Hz, in {len(blocks)} blocks of {BLOCK}")
    print(f"analysis (level, spectrum, voice activity, pitch, loud events): {1000 * analysis_s / args.seconds:.1f} ms "
          f"of CPU per second of sound = {100 * analysis_s / args.seconds:.2f}% of one core (goal <= 5%)")
    print(f"observations: {kinds}")

    try:
        from device.audio.words import KeywordSpotter
    except ImportError:
        print("keyword spotting: not measured (pocketsphinx, the speech extra, is not installed)")
        return
    heard: list = []
    spotter = KeywordSpotter(["hello", "camera", "password", "recording"], samplerate=RATE,
                             on_word=lambda word, ts: heard.append(word))
    analyzer = AudioAnalyzer(samplerate=RATE, publish=lambda o: None)
    analyzer.speech_listeners.append(spotter.feed)
    started = time.process_time()
    for i, block in enumerate(blocks):
        analyzer.feed(block, (i + 1) * BLOCK / RATE)
    with_words_s = time.process_time() - started
    spotting_s = with_words_s - analysis_s
    print(f"keyword spotting (pocketsphinx, only while someone speaks): {1000 * spotting_s / args.seconds:.1f} ms of "
          f"CPU per second of sound; {spotter.seconds_decoded:.0f} s of speech decoded, "
          f"{1000 * spotting_s / max(spotter.seconds_decoded, 1e-9):.0f} ms per second of speech")


if __name__ == "__main__":
    main()
