"""Benchmark: the microphone's analysis on real recordings, against their hand-made truth.

    python bench/real_sound.py [DIR] [--realtime]

Plays every sound recording that DIR/truth.json lists (default: ../shared/real beside the project) through
the kit's own `file:` microphone (WavFileMic) and the microphone service (Listening: its loop, then close(),
as the kit does on stop), in [mic] block_ms blocks at the recording's own sample rate. By default the file is
not paced: the blocks go through the same loop as fast as they are analysed, timed by their place in the file;
--realtime paces them as the kit does. A video's sound track is taken out with ffmpeg into a temporary WAV
(deleted at once); without ffmpeg it is skipped, and said so. Prints per file: the share of the truth's speech
that stored `voice` observations cover, the share of the kit's speech outside the truth, the pitch (median
over the voices, weighted by their length), loud events found against the truth, and CPU per second of sound.

bench/real.py imports measure_sound() and print_sound().
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from device.audio.analysis import pitch_claim  # noqa: E402
from device.audio.listening import Listening  # noqa: E402
from device.audio.sources import WavFileMic  # noqa: E402
from device.config import Config  # noqa: E402
from device.health import SourceState  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "real"
LOUD_SLACK_S = 0.25          # a loud event found this much before the truth's start still counts


def sound_recordings(truth: dict) -> list[tuple[str, dict]]:
    """The files of truth.json that have sound truth: audio files, and videos whose sound track is described."""
    return [(name, entry) for name, entry in truth.get("files", {}).items()
            if entry.get("kind", "").startswith("audio/") or "audio" in entry]


def measure_sound(root: Path, *, realtime: bool = False, block_ms: int = 100) -> list[dict]:
    """One dict per sound recording in *root*/truth.json: its figures, or "skipped" with the reason."""
    truth_path = Path(root) / "truth.json"
    if not truth_path.is_file():
        return [{"file": str(root), "skipped": f"the recordings are absent: {truth_path} does not exist"}]
    truth = json.loads(truth_path.read_text())
    results = []
    for name, entry in sound_recordings(truth):
        path = Path(root) / name
        if not path.is_file():
            results.append({"file": name, "skipped": f"{path} is missing"})
            continue
        if path.suffix.lower() == ".wav":
            results.append(_measure_file(name, path, entry, realtime=realtime, block_ms=block_ms))
            continue
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            results.append({"file": name, "skipped": "its sound track needs ffmpeg to be read (OpenCV reads no "
                                                     "sound): apt-get install ffmpeg"})
            continue
        with tempfile.TemporaryDirectory(prefix="real-sound-") as folder:
            wav = Path(folder) / "track.wav"
            done = subprocess.run([ffmpeg, "-v", "error", "-nostdin", "-i", str(path), "-vn", "-acodec", "pcm_s16le",
                                   "-f", "wav", str(wav)], capture_output=True, text=True)
            if done.returncode != 0 or not wav.is_file():
                results.append({"file": name, "skipped": f"ffmpeg could not read its sound: {done.stderr.strip()}"})
                continue
            result = _measure_file(name, wav, entry, realtime=realtime, block_ms=block_ms)
            results.append(result | {"note": "its sound track, taken out by ffmpeg into a temporary WAV"})
    return results


def _measure_file(name: str, path: Path, entry: dict, *, realtime: bool, block_ms: int) -> dict:
    with wave.open(str(path), "rb") as wav:
        rate, frames = wav.getframerate(), wav.getnframes()
    seconds = frames / rate
    config = Config().replace("mic", source=f"file:{path}", samplerate=rate, block_ms=block_ms, words="off",
                              record=False)
    mic = WavFileMic(str(path), samplerate=rate, block=rate * block_ms // 1000, realtime=realtime)
    published: list = []
    listening = Listening(config, mic, SourceState("microphone"), publish=published.append,
                          clock=lambda: mic.position_s)
    started = time.thread_time()
    listening.loop(threading.Event())     # returns when the file ends, as read_until_stopped does in the kit
    listening.close()                     # what the kit does on stop
    cpu_s = time.thread_time() - started

    voices = [(o.value["start"], o.value["end"], o.value.get("pitch_hz")) for o in published if o.kind == "voice"]
    kit = _union([(start, end) for start, end, _ in voices])
    said = _union([tuple(i) for i in entry.get("speech_intervals", [])])
    kit_s, said_s = _length(kit), _length(said)
    overlap = _overlap(kit, said)
    pitch = _weighted_median([(p, end - start) for start, end, p in voices if p])
    loud_truth = entry.get("loud_events", [])
    loud = [(o.ts, o.value["label"]) for o in published if o.kind == "loud_event"]
    found = [any(e["start"] - LOUD_SLACK_S <= ts <= e["end"] for ts, _ in loud) for e in loud_truth]
    heard = [e["t"] for e in entry.get("quieter_events", [])]     # a click or a knock the truth lists apart
    extra = [(ts, label) for ts, label in loud
             if not any(e["start"] - LOUD_SLACK_S <= ts <= e["end"] for e in loud_truth)
             and not any(abs(ts - t) <= 2 * LOUD_SLACK_S for t in heard)]
    return {"file": name, "seconds": round(seconds, 2), "samplerate": rate, "speech_truth_s": round(said_s, 2),
            "speech_kit_s": round(kit_s, 2), "voices": len(voices),
            "covered": round(overlap / said_s, 2) if said_s else None,
            "false_share": round((kit_s - overlap) / kit_s, 2) if kit_s else 0.0,
            "false_s_per_minute": round(60 * (kit_s - overlap) / seconds, 2),
            "pitch_median_hz": round(pitch) if pitch else None,
            "claimed": _label(pitch_claim(pitch)) if pitch else None,
            "loud_truth": len(loud_truth), "loud_found": sum(found), "loud_extra": len(extra),
            "loud_events": [(round(ts, 2), label) for ts, label in loud],
            "cpu_ms_per_s": round(1000 * cpu_s / seconds, 2), "cpu_s": cpu_s,
            "mode": f"{block_ms} ms blocks " + ("paced in real time" if realtime else
                                                "not paced (each as soon as the one before is analysed, timed by "
                                                "its place in the file)")}


def _label(claim: str) -> str:
    """The label a claim quotes ('male', 'female', 'a child'), short enough for a table."""
    quoted = re.search(r"(?:label it|guess) '([^']+)'", claim)
    return quoted.group(1) if quoted else claim


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _length(intervals: list[tuple[float, float]]) -> float:
    return sum(end - start for start, end in intervals)


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def _weighted_median(values: list[tuple[float, float]]) -> float | None:
    if not values:
        return None
    values.sort()
    half, running = sum(w for _, w in values) / 2, 0.0
    for value, weight in values:
        running += weight
        if running >= half:
            return value
    return values[-1][0]


def print_sound(results: list[dict[str, Any]]) -> None:
    """The figures of measure_sound(), one line a recording, then the CPU over all of them."""
    measured = [r for r in results if "skipped" not in r]
    if measured:
        print(f"sound: the kit's file: microphone and Listening loop (its end and close() as in the kit), "
              f"{measured[0]['mode']}; voice and loud_event observations as the store gets them")
        print(f"{'recording':<28}{'s':>6}{'speech':>8}{'covered':>9}{'false':>7}{'false/min':>10}"
              f"{'pitch':>7}  {'label':<9}{'loud found':>11}{'extra':>6}{'CPU ms/s':>9}")
    for r in results:
        if "skipped" in r:
            print(f"{r['file']:<28}skipped: {r['skipped']}")
            continue
        covered = f"{r['covered']:.2f}" if r["covered"] is not None else "-"
        pitch = f"{r['pitch_median_hz']}" if r["pitch_median_hz"] else "-"
        print(f"{r['file']:<28}{r['seconds']:>6.1f}{r['speech_truth_s']:>8.2f}{covered:>9}{r['false_share']:>7.2f}"
              f"{r['false_s_per_minute']:>10.2f}{pitch:>7}  {r['claimed'] or '-':<9}"
              f"{r['loud_found']:>6}/{r['loud_truth']:<4}{r['loud_extra']:>6}{r['cpu_ms_per_s']:>9.2f}")
        if "note" in r:
            print(f"{'':<28}({r['note']})")
    if measured:
        seconds = sum(r["seconds"] for r in measured)
        cpu = sum(r["cpu_s"] for r in measured)
        print(f"CPU: {1000 * cpu / seconds:.2f} ms per second of sound over {seconds:.0f} s "
              f"({100 * cpu / seconds:.2f}% of one core here; a Pi 4 is about 4x slower)")
        print("covered: share of the truth's speech inside stored voice stretches; false: share of the kit's "
              "speech outside the truth; loud found: truth's loud events found / there; "
              "extra: loud events where the truth has no sound at all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR, help="recordings with a truth.json")
    parser.add_argument("--realtime", action="store_true", help="pace the file as the kit does (slower)")
    args = parser.parse_args()
    started = time.monotonic()
    print_sound(measure_sound(args.dir, realtime=args.realtime))
    print(f"({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
